"""Finding the route of a request: a tree of path segments, walked once per request.

Literal segments are dictionary lookups; `{name}` matches one non-empty segment and
`{name:path}` the rest of the path. A literal wins over a parameter at the same place, with
backtracking when the literal branch leads nowhere. The cost is a few dictionary lookups
whatever the number of routes, where a list of regular expressions costs one match per route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Endpoint = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(scope: Scope, name: bytes) -> bytes | None:
    """A request header's value (names are lower case in ASGI)."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


@dataclass
class Route:
    method: str
    path: str
    endpoint: Endpoint
    operation: Any = None  # the Operation it serves, if it is one
    param_names: list[str] = field(default_factory=list)


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    rest: dict[str, Route] = field(default_factory=dict)  # `{name:path}`: method -> route
    routes: dict[str, Route] = field(default_factory=dict)  # method -> route


class Router:
    def __init__(self) -> None:
        self._root = _Node()
        self.routes: list[Route] = []

    def add(self, route: Route) -> None:
        node = self._root
        names: list[str] = []
        segments = route.path.strip("/").split("/") if route.path != "/" else []
        for index, segment in enumerate(segments):
            if segment.startswith("{") and segment.endswith("}"):
                name, _, kind = segment[1:-1].partition(":")
                names.append(name)
                if kind == "path":
                    if index != len(segments) - 1:
                        raise ValueError(f"{route.path}: a path parameter must come last")
                    self._put(node.rest, route, names)
                    return
                node.param = node.param or _Node()
                node = node.param
            else:
                node = node.literals.setdefault(segment, _Node())
        self._put(node.routes, route, names)

    def _put(self, table: dict[str, Route], route: Route, names: list[str]) -> None:
        if route.method in table:
            raise ValueError(f"two routes for {route.method} {route.path}")
        route.param_names = names
        table[route.method] = route
        self.routes.append(route)

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """The route and its parameters; or None, and whether the path exists for some other
        method (a 405 rather than a 404)."""
        segments = path.strip("/").split("/") if path != "/" else []
        values: list[str] = []
        found = self._walk(self._root, segments, 0, values)
        if found is None:
            return None, {}, False
        routes = found
        route = routes.get(method) or (routes.get("GET") if method == "HEAD" else None)
        if route is None:
            return None, {}, True
        return route, dict(zip(route.param_names, values, strict=True)), True

    def _walk(
        self, node: _Node, segments: list[str], index: int, values: list[str]
    ) -> dict[str, Route] | None:
        if index == len(segments):
            return node.routes or None
        segment = segments[index]
        child = node.literals.get(segment)
        if child is not None:
            found = self._walk(child, segments, index + 1, values)
            if found is not None:
                return found
        if node.param is not None and segment:
            values.append(segment)
            found = self._walk(node.param, segments, index + 1, values)
            if found is not None:
                return found
            values.pop()
        if node.rest:
            values.append("/".join(segments[index:]))
            return node.rest
        return None
