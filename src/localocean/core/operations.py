"""The one route style: each operation declared once, with its operation id, scopes and success
status, and handled in one shape: read the body, open a transaction, call the handler, render.

    routes = Operations()

    @routes.get("/v2/vpcs/{vpc_id}", "vpcs_get", "vpc:read")
    def get_vpc(call: Call) -> dict:
        return {"vpc": render(rules.get(call.db, call.account_id, call.params["vpc_id"]))}

A handler returns the JSON body (rendered once, with orjson, with the declared status), None for
an answer without a body (the declared status), or a Response of its own (a kubeconfig).
DigitalOcean operations (`/v1`, `/v2`) check the token's scopes, let due lifecycle transitions
land first, and run in a transaction; control operations run as they are.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import orjson
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from localocean.core.errors import BadRequest, Forbidden

if TYPE_CHECKING:
    from localocean.core.accounts import Principal
    from localocean.core.services import Services

Handler = Callable[["Call"], Any]
Prepare = Callable[["Call"], Awaitable[None]]
_PARAM = re.compile(r"\{([^}:]+)")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


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

    __slots__ = ("_after", "_raw", "connection", "params", "principal", "request", "services")

    def __init__(
        self,
        request: Request,
        services: Services,
        principal: Principal | None,
        raw_body: bytes,
    ):
        self.request = request
        self.services = services
        self.principal = principal
        self.params: dict[str, str] = request.path_params
        self._raw = raw_body
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
    def query(self) -> Any:
        return self.request.query_params

    def now(self) -> float:
        return self.services.clock.now()

    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

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
    ) -> Callable[[Handler], Handler]:
        def declare(handler: Handler) -> Handler:
            self.all.append(
                Operation(method, path, operation_id, scopes, status, handler, prepare, self.tags)
            )
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


def _render(result: Any, status: int) -> Response:
    if result is None:
        return Response(status_code=status)
    if isinstance(result, Response):
        return result
    return JSON(result, status_code=status)


def _documented_endpoint(operation: Operation) -> Callable[..., Any]:
    """What FastAPI reads for the OpenAPI document: the handler's name and docstring, and the
    path parameters. Requests never reach it: the route's own handler serves them."""

    async def endpoint(request: Request) -> None:  # pragma: no cover - never called
        raise AssertionError("served by OperationRoute")

    parameters = [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str)
            for name in operation.param_names
        ),
    ]
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = operation.handler.__name__
    endpoint.__doc__ = operation.handler.__doc__
    return endpoint


class OperationRoute(APIRoute):
    def __init__(self, operation: Operation):
        self.operation = operation
        super().__init__(
            operation.path,
            _documented_endpoint(operation),
            methods=[operation.method],
            operation_id=operation.operation_id,
            status_code=operation.status,
            response_model=None,
            tags=list(operation.tags) or None,
            # Shown in /openapi.json as DigitalOcean's spec shows them; checked by the handler.
            openapi_extra=(
                {"security": [{"bearer_auth": list(operation.scopes)}]}
                if operation.is_digitalocean
                else None
            ),
        )

    def get_route_handler(self) -> Callable[[Request], Any]:
        operation = self.operation
        handler, prepare, status, scopes = (
            operation.handler,
            operation.prepare,
            operation.status,
            operation.scopes,
        )

        async def handle_control(request: Request) -> Response:
            services = request.scope["app"].state.services
            call = Call(request, services, None, await request.body())
            return _render(handler(call), status)

        async def handle(request: Request) -> Response:
            scope = request.scope
            services: Services = scope["app"].state.services
            principal = scope.get("localocean.principal")
            if scopes and principal is not None and not principal.allows(scopes):
                raise Forbidden(
                    f"You do not have access for the attempted action (needs {', '.join(scopes)})."
                )
            services.lifecycle.apply_if_due()
            raw = b"" if request.method == "GET" else await request.body()
            call = Call(request, services, principal, raw)
            if prepare is not None:
                await prepare(call)
            with services.db.transaction() as connection:
                call.connection = connection
                result = handler(call)
            for action in call._after:
                action()
            return _render(result, status)

        return handle if operation.is_digitalocean else handle_control
