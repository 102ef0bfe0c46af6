"""The one ASGI layer in front of every request: request ids, path tolerance, body limits,
authentication, rate limits, and a DigitalOcean-style 500 for anything unexpected.

Plain ASGI rather than BaseHTTPMiddleware: it adds no task or stream per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from localocean.api.auth import Authenticator
from localocean.api.faults import FaultRule, Faults
from localocean.api.journal import Journal
from localocean.api.ratelimit import RateLimiter
from localocean.errors import (
    APIError,
    BadRequest,
    PayloadTooLarge,
    ServerError,
    TooManyRequests,
    Unauthorized,
)

log = logging.getLogger("localocean.api")

ASGIApp = Any
CONTROL_PREFIX = "/_localocean"
CONTROL_MAX_BODY = 256 * 1024 * 1024  # state documents can be large


class ConnectionDropped(Exception):
    """A fault rule drops the connection: uvicorn closes it when this escapes mid-response."""


def _is_api(path: str) -> bool:
    return path.startswith(("/v2/", "/v1/")) or path == "/v2"


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class Gateway:
    def __init__(
        self,
        app: ASGIApp,
        auth: Authenticator,
        limiter: RateLimiter,
        max_body: int,
        faults: Faults,
        journal: Journal,
        now: Callable[[], float],
        control_token: str | None = None,
    ):
        self.app = app
        self.auth = auth
        self.limiter = limiter
        self.max_body = max_body
        self.faults = faults
        self.journal = journal
        self.now = now
        self.control_token = control_token

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
        api = _is_api(path)
        extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        record = self.journal.enabled and api
        started_at = time.perf_counter()
        state: dict[str, Any] = {"started": False, "status": 0, "request": [], "response": []}

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                state["status"] = message["status"]
                message["headers"] = list(message.get("headers", ())) + extra
            elif record and message["type"] == "http.response.body":
                state["response"].append(message.get("body", b""))
            await send(message)

        try:
            if api:
                refusal = self._admit(scope, extra)
                if refusal is None and _has_nul(scope):
                    # No DigitalOcean name or id contains NUL, and PostgreSQL cannot store it.
                    refusal = BadRequest("the request contains a NUL character")
                if refusal is None and self.faults.rules:
                    refusal = await self._fault(scope, send_with_headers, request_id)
                if refusal is not None:
                    await self._send_error(send_with_headers, refusal, request_id)
                    return
            elif path.startswith(CONTROL_PREFIX) and not self._control_allowed(scope):
                await self._send_error(send_with_headers, Unauthorized(), request_id)
                return
            limit = self.max_body if api else CONTROL_MAX_BODY
            length = _content_length(scope)
            if length is not None and length > limit:
                await self._send_error(send_with_headers, PayloadTooLarge(), request_id)
                return
            await self.app(scope, self._limited(receive, limit, state, record), send_with_headers)
        except ConnectionDropped:
            raise
        except Exception as exc:
            if isinstance(exc, APIError) and not state["started"]:
                await self._send_error(send_with_headers, exc, request_id)
                return
            log.exception(
                "unexpected error on %s %s (request %s)", scope["method"], path, request_id
            )
            if not state["started"]:
                await self._send_error(send_with_headers, ServerError(), request_id)
        finally:
            if record:
                self._record(scope, state, request_id, started_at)

    def _control_allowed(self, scope: dict[str, Any]) -> bool:
        if not self.control_token:
            return True
        return _header(scope, b"authorization") == f"Bearer {self.control_token}".encode()

    def _record(
        self, scope: dict[str, Any], state: dict[str, Any], request_id: str, started_at: float
    ) -> None:
        principal = scope.get("localocean.principal")
        self.journal.record(
            {
                "time": self.now(),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode("latin-1"),
                "status": state["status"],
                "account": principal.account_id if principal is not None else None,
                "duration_ms": round((time.perf_counter() - started_at) * 1000, 3),
                "request_id": request_id,
                "request_body": b"".join(state["request"]),
                "response_body": b"".join(state["response"]),
            }
        )

    async def _fault(self, scope: dict[str, Any], send: Any, request_id: str) -> APIError | None:
        authorization = (_header(scope, b"authorization") or b"").decode("latin-1")
        token = authorization.partition(" ")[2].strip() or None
        rule = self.faults.match(
            scope["method"], scope["path"], token, lambda: self._operation(scope)
        )
        if rule is None:
            return None
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        if rule.drop:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1048576")]})  # fmt: skip
            raise ConnectionDropped(f"fault rule {rule.id} dropped the connection")
        if rule.status is None:
            return None
        return _FaultError(rule, request_id)

    def _operation(self, scope: dict[str, Any]) -> str | None:
        from starlette.routing import Match

        for route in self.app.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return getattr(route, "operation_id", None)
        return None

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

    def _limited(self, receive: Any, limit: int, state: dict[str, Any], record: bool) -> Any:
        received = 0

        async def receive_limited() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise PayloadTooLarge()
                if record:
                    state["request"].append(chunk)
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


def _has_nul(scope: dict[str, Any]) -> bool:
    return "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _FaultError(APIError):
    def __init__(self, rule: FaultRule, request_id: str):
        headers = {}
        if rule.retry_after is not None or rule.status == 429:
            headers["retry-after"] = str(rule.retry_after if rule.retry_after is not None else 1)
        super().__init__(f"Injected by LocalOcean fault rule {rule.id}", headers=headers)
        self.status = rule.status or 500
        self.rule = rule

    def body(self, request_id: str) -> dict[str, Any]:
        return self.rule.error_body(request_id)
