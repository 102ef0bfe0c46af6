"""The one ASGI layer in front of every request: request ids, path tolerance, body limits,
authentication, rate limits, and a DigitalOcean-style 500 for anything unexpected.

Plain ASGI rather than BaseHTTPMiddleware: it adds no task or stream per request.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson

from localocean.api.auth import Authenticator
from localocean.api.ratelimit import RateLimiter
from localocean.errors import APIError, PayloadTooLarge, ServerError, TooManyRequests

log = logging.getLogger("localocean.api")

ASGIApp = Any


def _is_api(path: str) -> bool:
    return path.startswith(("/v2/", "/v1/")) or path == "/v2"


class Gateway:
    def __init__(self, app: ASGIApp, auth: Authenticator, limiter: RateLimiter, max_body: int):
        self.app = app
        self.auth = auth
        self.limiter = limiter
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope["localocean.request_id"] = request_id
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path = path.rstrip("/") or "/"
            scope["raw_path"] = path.encode()
        extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", ())) + extra
            await send(message)

        try:
            if _is_api(path):
                refusal = self._admit(scope, extra)
                if refusal is not None:
                    await self._send_error(send_with_headers, refusal, request_id)
                    return
            length = _content_length(scope)
            if length is not None and length > self.max_body:
                await self._send_error(send_with_headers, PayloadTooLarge(), request_id)
                return
            await self.app(scope, self._limited(receive), send_with_headers)
        except Exception as exc:
            if isinstance(exc, APIError) and not started:
                await self._send_error(send_with_headers, exc, request_id)
                return
            log.exception(
                "unexpected error on %s %s (request %s)", scope["method"], path, request_id
            )
            if not started:
                await self._send_error(send_with_headers, ServerError(), request_id)

    def _admit(self, scope: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> APIError | None:
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        refusal: APIError | None = None
        try:
            principal = self.auth.authenticate(authorization)
            scope["localocean.principal"] = principal
            key = principal.token_hash
        except APIError as exc:
            refusal = exc
            client = scope.get("client")
            key = f"anonymous:{client[0] if client else ''}"
        headers, retry_after = self.limiter.hit(key)
        extra.extend(headers)
        if refusal is None and retry_after is not None:
            refusal = TooManyRequests()
        return refusal

    def _limited(self, receive: Any) -> Any:
        received = 0
        limit = self.max_body

        async def receive_limited() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge()
            return message

        return receive_limited

    @staticmethod
    async def _send_error(send: Any, error: APIError, request_id: str) -> None:
        body = orjson.dumps(error.body(request_id))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
