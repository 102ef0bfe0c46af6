"""Routes that know their DigitalOcean operation id and the token scopes it needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from localocean.errors import Forbidden


class DORoute(APIRoute):
    """Checks the caller's scopes, lets due lifecycle transitions land, then calls the endpoint.

    Endpoints take the request and their path parameters and return a Response, so FastAPI's
    per-request dependency solving and response serialisation are not needed on this path; the
    routes still appear, with their operation ids, in the app's OpenAPI document.
    """

    def get_route_handler(self) -> Callable[[Request], Any]:
        endpoint = self.endpoint
        scopes = tuple((self.openapi_extra or {}).get("x-scopes", ()))

        async def handle(request: Request) -> Response:
            principal = request.scope.get("localocean.principal")
            if scopes and principal is not None and not principal.allows(scopes):
                raise Forbidden(
                    f"You do not have access for the attempted action (needs {', '.join(scopes)})."
                )
            request.app.state.services.engine.apply_if_due()
            return await endpoint(request, **request.path_params)

        return handle


def router() -> APIRouter:
    return APIRouter(route_class=DORoute)


def operation(
    api: APIRouter, method: str, path: str, operation_id: str, *scopes: str, status: int = 200
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a DigitalOcean operation, named by the spec's operationId."""
    return api.api_route(
        path,
        methods=[method],
        operation_id=operation_id,
        status_code=status,
        openapi_extra={"x-scopes": list(scopes)},
        response_model=None,
    )
