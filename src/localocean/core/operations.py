"""The one route style: each operation declared once, with its operation id, scopes and success
status, and handled in one shape: read the body, open a transaction, call the handler, render.

    routes = Operations()

    @routes.get("/v2/vpcs/{vpc_id}", "vpcs_get", "vpc:read")
    def get_vpc(call: Call) -> dict:
        return {"vpc": render(rules.get(call.db, call.account_id, call.params["vpc_id"]))}

A handler returns the JSON body (rendered once, with orjson, with the declared status), None for
an answer without a body (the declared status), or a `Raw` body of another type (a kubeconfig).
DigitalOcean operations (`/v1`, `/v2`) check the token's scopes, let due lifecycle transitions
land first, and run in a transaction; control operations run as they are.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from sqlalchemy import Connection

from localocean.core.errors import BadRequest, Forbidden
from localocean.core.router import Receive, Route, Scope, Send, header

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

    from localocean.core.accounts import Principal
    from localocean.core.services import Services

Handler = Callable[["Call"], Any]
Prepare = Callable[["Call"], Awaitable[None]]
_PARAM = re.compile(r"\{([^}:]+)")
JSON_TYPE = b"application/json"


@dataclass(frozen=True)
class Raw:
    """An answer that is not JSON (a kubeconfig, a page), with extra headers and another status
    than the operation's if it needs them (a redirect setting a cookie)."""

    body: bytes
    media_type: str
    headers: tuple[tuple[bytes, bytes], ...] = ()
    status: int | None = None


@dataclass(frozen=True)
class Stream:
    """An answer sent as it is made (server-sent events): `chunks` until it ends or the client
    goes away."""

    chunks: Callable[[], AsyncIterator[bytes]]
    media_type: str


def parse_json(raw: bytes) -> Any:
    """A JSON body, or None when there is none. Malformed JSON is a 400, as on DigitalOcean."""
    if not raw.strip():
        return None
    if b"\\u0000" in raw:
        raise BadRequest("error parsing request body: strings may not contain NUL characters")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"error parsing request body: {exc}") from exc


class Call:
    """One request to one operation, as its handler sees it."""

    __slots__ = (
        "_after",
        "_query",
        "_raw",
        "connection",
        "params",
        "principal",
        "scope",
        "services",
    )

    def __init__(
        self,
        scope: Scope,
        services: Services,
        principal: Principal | None,
        params: dict[str, str],
        raw_body: bytes,
    ):
        self.scope = scope
        self.services = services
        self.principal = principal
        self.params = params
        self._raw = raw_body
        self._query: QueryParams | None = None
        self._after: list[Callable[[], None]] = []
        self.connection: Connection | None = None

    @property
    def db(self) -> Connection:
        """The transaction the handler runs in."""
        assert self.connection is not None, "control operations have no transaction"
        return self.connection

    @property
    def account_id(self) -> str:
        assert self.principal is not None
        return self.principal.account_id

    @property
    def body(self) -> Any:
        """The JSON body, parsed when first read (400 if malformed)."""
        return parse_json(self._raw)

    @property
    def query(self) -> QueryParams:
        if self._query is None:
            from starlette.datastructures import QueryParams

            self._query = QueryParams(self.scope.get("query_string", b""))
        return self._query

    def now(self) -> float:
        return self.services.clock.now()

    def base_url(self) -> str:
        """scheme://host[:port] as the client addressed this server."""
        scope = self.scope
        host = header(scope, b"host")
        if host is None:
            server = scope.get("server") or ("127.0.0.1", 80)
            return f"{scope.get('scheme', 'http')}://{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host.decode('latin-1')}"

    def url_without_query(self) -> str:
        return self.base_url() + quote(self.scope.get("root_path", "") + self.scope["path"])

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction has committed (start or cancel background work)."""
        self._after.append(action)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    scopes: tuple[str, ...]
    status: int
    handler: Handler
    prepare: Prepare | None = None  # awaited before the transaction (waits for imports)
    tags: tuple[str, ...] = ()
    # The scopes are alternatives (any one will do) rather than all needed, as the spec has
    # them for e.g. creating a domain record (`domain:create` or `domain:update`).
    any_scope: bool = False

    @cached_property
    def is_digitalocean(self) -> bool:
        return self.path.startswith(("/v2", "/v1"))

    @cached_property
    def param_names(self) -> list[str]:
        return _PARAM.findall(self.path)


@dataclass
class Operations:
    """An area's operations, in declaration order."""

    tags: tuple[str, ...] = ()
    all: list[Operation] = field(default_factory=list)

    def add(
        self,
        method: str,
        path: str,
        operation_id: str,
        *scopes: str,
        status: int = 200,
        prepare: Prepare | None = None,
        any_scope: bool = False,
    ) -> Callable[[Handler], Handler]:
        def declare(handler: Handler) -> Handler:
            operation = Operation(
                method, path, operation_id, scopes, status, handler, prepare, self.tags, any_scope
            )
            self.all.append(operation)
            return handler

        return declare

    def get(self, path: str, operation_id: str, *scopes: str, **options: Any):
        return self.add("GET", path, operation_id, *scopes, **options)

    def post(self, path: str, operation_id: str, *scopes: str, **options: Any):
        return self.add("POST", path, operation_id, *scopes, **options)

    def put(self, path: str, operation_id: str, *scopes: str, **options: Any):
        return self.add("PUT", path, operation_id, *scopes, **options)

    def patch(self, path: str, operation_id: str, *scopes: str, **options: Any):
        return self.add("PATCH", path, operation_id, *scopes, **options)

    def delete(self, path: str, operation_id: str, *scopes: str, **options: Any):
        return self.add("DELETE", path, operation_id, *scopes, **options)


async def _send_result(send: Send, result: Any, status: int, head: bool) -> None:
    if isinstance(result, Raw) and result.status is not None:
        status = result.status
    if result is None:
        headers: list[tuple[bytes, bytes]] = []
        body = b""
    else:
        if isinstance(result, Raw):
            body, media_type = result.body, result.media_type.encode()
        else:
            body, media_type = orjson.dumps(result), JSON_TYPE
        headers = [(b"content-type", media_type), (b"content-length", b"%d" % len(body))]
        if isinstance(result, Raw):
            headers.extend(result.headers)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    # A HEAD answer says how long the body would be, and sends none.
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _send_stream(send: Send, receive: Receive, stream: Stream, status: int) -> None:
    headers = [(b"content-type", stream.media_type.encode()), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": status, "headers": headers})

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    async def pump() -> None:
        async for chunk in stream.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    gone, sending = asyncio.ensure_future(disconnected()), asyncio.ensure_future(pump())
    try:
        await asyncio.wait({gone, sending}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        sending.cancel()
    if sending.done() and not sending.cancelled():
        failure = sending.exception()
        if failure is not None:
            raise failure
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


PRINCIPAL = "localocean.principal"
PARAMS = "localocean.params"


def operation_route(operation: Operation, services: Services) -> Route:
    """The route serving one operation."""
    handler, prepare, status, scopes = (
        operation.handler,
        operation.prepare,
        operation.status,
        operation.scopes,
    )
    allowed = "allows_any" if operation.any_scope else "allows"

    async def control(scope: Scope, receive: Receive, send: Send) -> None:
        raw = await read_body(receive)
        call = Call(scope, services, None, scope[PARAMS], raw)
        result = handler(call)
        if inspect.isawaitable(result):  # a change every process must have taken first
            result = await result
        if isinstance(result, Stream):
            await _send_stream(send, receive, result, status)
            return
        await _send_result(send, result, status, scope["method"] == "HEAD")

    async def digitalocean(scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get(PRINCIPAL)
        if scopes and principal is not None and not getattr(principal, allowed)(scopes):
            needed = (" or " if operation.any_scope else ", ").join(scopes)
            raise Forbidden(f"You do not have access for the attempted action (needs {needed}).")
        services.lifecycle.apply_if_due()
        method = scope["method"]
        raw = b"" if method in ("GET", "HEAD") else await read_body(receive)
        call = Call(scope, services, principal, scope[PARAMS], raw)
        if prepare is not None:
            await prepare(call)

        def work(connection: Connection) -> Any:
            call.connection = connection
            return handler(call)

        def change() -> Any:
            def attempt(connection: Connection) -> Any:
                call._after.clear()  # a conflict runs the handler again from its start
                return work(connection)

            return services.db.atomically(attempt)

        result: Any = await (services.db.read(work) if method == "GET" else services.db.run(change))
        for action in call._after:
            action()
        await _send_result(send, result, status, method == "HEAD")

    endpoint = digitalocean if operation.is_digitalocean else control
    return Route(operation.method, operation.path, endpoint, operation)
