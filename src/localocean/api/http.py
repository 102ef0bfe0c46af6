"""Rendering and parsing shared by every router: JSON out, JSON in, errors in DO's envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from localocean.errors import APIError, BadRequest

if TYPE_CHECKING:
    from localocean.app import Services
    from localocean.domain.accounts import Principal


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def no_content() -> Response:
    return Response(status_code=204)


def error_response(error: APIError, request_id: str) -> JSON:
    return JSON(error.body(request_id), status_code=error.status, headers=error.headers)


def request_id(request: Request) -> str:
    return request.scope.get("localocean.request_id", "")


async def read_json(request: Request) -> Any:
    """The JSON body, or None when there is none. Malformed JSON is a 400, as on DigitalOcean."""
    raw = await request.body()
    if not raw.strip():
        return None
    if b"\\u0000" in raw:
        raise BadRequest("error parsing request body: strings may not contain NUL characters")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"error parsing request body: {exc}") from exc


def services(request: Request) -> Services:
    return request.app.state.services


def principal(request: Request) -> Principal:
    return request.scope["localocean.principal"]


def account_id(request: Request) -> str:
    return principal(request).account_id


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
