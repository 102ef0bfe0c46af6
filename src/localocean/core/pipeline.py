"""The request pipeline: small pure-ASGI layers in front of the routes, outermost first.

    Journal    records what DigitalOcean clients sent and got (bodies kept raw, rendered on read)
    Errors     request id, x-request-id and ratelimit-* headers, every error in DO's envelope
    Resolve    finds the operation once; scopes, faults, the journal and dispatch reuse it
    Admission  bearer token (401), rate limits (429), NUL characters (400), the control token
    Faults     fault rules armed through the control API
    BodyLimit  413 for bodies over the limit, before or while they arrive
    Dispatch   calls the route found by Resolve (404 and 405 otherwise)

Plain ASGI rather than BaseHTTPMiddleware: no task or stream per request. Every error, from any
layer or handler, is raised and rendered by one function (`errors.send_error`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from localocean.core.auth import Authenticator
from localocean.core.errors import (
    APIError,
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    as_api_error,
    send_error,
)
from localocean.core.faults import ConnectionDropped, FaultError, Faults
from localocean.core.journal import Journal
from localocean.core.operations import PARAMS, PRINCIPAL
from localocean.core.ratelimit import RateLimiter
from localocean.core.router import Router, header

log = logging.getLogger("localocean.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTROL_PREFIX = "/_localocean"
# The dashboard: the browser cannot send a bearer header when it navigates, so a page of its own
# (`?token=`) trades the control token for an HttpOnly cookie, accepted on these paths only.
UI_PREFIX = "/_localocean/ui"
UI_LOGIN = UI_PREFIX + "/login"
UI_COOKIE = "localocean_ui"
UI_HEADER = b"x-localocean-ui"  # on every change the page asks for: no cross-site form can send it
# Set on requests that came through the HTTPS proxy's tunnel (listener.py): never the dashboard.
TUNNELLED = "localocean.tunnelled"
CONTROL_MAX_BODY = 256 * 1024 * 1024  # state documents can be large

REQUEST_ID = "localocean.request_id"
HEADERS = "localocean.headers"
ROUTE = "localocean.route"
MATCH = "localocean.path_exists"


def is_api(path: str) -> bool:
    return path.startswith(("/v2/", "/v1/")) or path == "/v2"


def operation_id(scope: Scope) -> str | None:
    operation = getattr(scope.get(ROUTE), "operation", None)
    return operation.operation_id if operation is not None else None


class JournalLayer:
    def __init__(self, app: ASGIApp, journal: Journal, now: Callable[[], float]):
        self.app, self.journal, self.now = app, journal, now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.journal.enabled or not is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        status = 0
        request: list[bytes] = []
        response: list[bytes] = []

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.append(message.get("body", b""))
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                response.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_recorded, send_recorded)
        finally:
            principal = scope.get(PRINCIPAL)
            self.journal.record(
                {
                    "time": self.now(),
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "status": status,
                    "account": principal.account_id if principal is not None else None,
                    "duration_ms": round((time.perf_counter() - started_at) * 1000, 3),
                    "request_id": scope.get(REQUEST_ID, ""),
                    "request_body": b"".join(request),
                    "response_body": b"".join(response),
                }
            )


class Errors:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        scope[REQUEST_ID] = request_id
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path = path.rstrip("/") or "/"
            scope["raw_path"] = path.encode()
        extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
        scope[HEADERS] = extra
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ConnectionDropped:
            raise
        except Exception as exc:
            error = as_api_error(exc)
            if error.status >= 500:
                log.error(
                    "unexpected error on %s %s (request %s)",
                    scope["method"],
                    path,
                    request_id,
                    exc_info=exc,
                )
            if not started:
                await send_error(send_with_headers, error, request_id)


def _content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class BodyLimit:
    def __init__(self, app: ASGIApp, api_limit: int):
        self.app, self.api_limit = app, api_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.api_limit if is_api(scope["path"]) else CONTROL_MAX_BODY
        length = _content_length(scope)
        if length is not None and length > limit:
            raise PayloadTooLarge()
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge()
            return message

        await self.app(scope, receive_limited, send)


class Resolve:
    """Finds the route once; later layers read it from the scope. A path no route serves may
    belong to a virtual host (an area's host name reached through the HTTPS proxy)."""

    def __init__(self, app: ASGIApp, router: Router, virtual_hosts: dict[str, str]):
        self.app, self.router, self.virtual_hosts = app, router, virtual_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route, params, path_exists = self.router.match(scope["method"], scope["path"])
            if route is None and self.virtual_hosts:
                route, params, path_exists = self._virtual(scope) or (route, params, path_exists)
            scope[ROUTE], scope[PARAMS], scope[MATCH] = route, params, path_exists
        await self.app(scope, receive, send)

    def _virtual(self, scope: Scope) -> Any:
        host = (header(scope, b"host") or b"").decode("latin-1").rsplit(":", 1)[0].lower()
        for suffix, prefix in self.virtual_hosts.items():
            name = host.removesuffix(suffix)
            if name != host and name and "." not in name:
                path = prefix.format(name=name) + (scope["path"] if scope["path"] != "/" else "")
                scope["path"] = path
                scope["raw_path"] = path.encode()
                return self.router.match(scope["method"], path)
        return None


class Admission:
    def __init__(
        self,
        app: ASGIApp,
        auth: Authenticator,
        limiter: RateLimiter,
        control_token: str | None,
    ):
        self.app, self.auth, self.limiter = app, auth, limiter
        self.control = f"Bearer {control_token}".encode() if control_token else None
        self.ui_cookie = ui_cookie_value(control_token) if control_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if is_api(path):
                self._admit(scope)
            elif path == UI_PREFIX or path.startswith(UI_PREFIX + "/"):
                if scope.get(TUNNELLED):
                    raise NotFound()
                if not self._ui_admitted(scope):
                    if scope["method"] == "GET" and not path.startswith(UI_PREFIX + "/api"):
                        await _redirect(send, UI_LOGIN)
                        return
                    raise Unauthorized()
            elif (
                self.control is not None
                and path.startswith(CONTROL_PREFIX)
                and header(scope, b"authorization") != self.control
            ):
                raise Unauthorized()
        await self.app(scope, receive, send)

    def _ui_admitted(self, scope: Scope) -> bool:
        """Open mode: anyone who reaches the server. Strict: the control token as a bearer
        header, or the dashboard's cookie (and, for a change, the dashboard's header)."""
        if self.control is None or scope["path"] == UI_LOGIN:
            return True
        if header(scope, b"authorization") == self.control:
            return True
        assert self.ui_cookie is not None
        cookie = _cookie(scope, UI_COOKIE)
        if cookie is None or not hmac.compare_digest(cookie, self.ui_cookie):
            return False
        return scope["method"] in ("GET", "HEAD") or header(scope, UI_HEADER) is not None

    def _admit(self, scope: Scope) -> None:
        refusal: APIError | None = None
        try:
            principal = self.auth.authenticate(header(scope, b"authorization"))
            scope[PRINCIPAL] = principal
            key = principal.token_hash
        except APIError as exc:
            refusal = exc
            client = scope.get("client")
            key = f"anonymous:{client[0] if client else ''}"
        headers, retry_after = self.limiter.hit(key)
        scope[HEADERS].extend(headers)
        if refusal is None and retry_after is not None:
            refusal = TooManyRequests()
        if refusal is None and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            # No DigitalOcean name or id contains NUL, and PostgreSQL cannot store it.
            refusal = BadRequest("the request contains a NUL character")
        if refusal is not None:
            raise refusal


def ui_cookie_value(control_token: str) -> str:
    """The dashboard's cookie: derived from the control token, which it never reveals."""
    return hmac.new(control_token.encode(), b"localocean-dashboard", hashlib.sha256).hexdigest()


def _cookie(scope: Scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if raw is None:
        return None
    for part in raw.decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


class FaultInjection:
    def __init__(self, app: ASGIApp, faults: Faults):
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.faults.rules and is_api(scope["path"]):
            authorization = (header(scope, b"authorization") or b"").decode("latin-1")
            token = authorization.partition(" ")[2].strip() or None
            rule = self.faults.match(scope["method"], scope["path"], token, operation_id(scope))
            if rule is not None:
                if rule.delay_ms:
                    await asyncio.sleep(rule.delay_ms / 1000)
                if rule.drop:
                    await send({"type": "http.response.start", "status": 200,
                                "headers": [(b"content-length", b"1048576")]})  # fmt: skip
                    raise ConnectionDropped(f"fault rule {rule.id} dropped the connection")
                if rule.status is not None:
                    raise FaultError(rule)
        await self.app(scope, receive, send)


class Dispatch:
    """Calls the route Resolve found; runs the lifespan (start-up and shutdown) of the server."""

    def __init__(self, lifespan: Callable[[], AbstractAsyncContextManager[None]]):
        self.lifespan = lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = scope[ROUTE]
            if route is None:
                if scope[MATCH]:
                    raise MethodNotAllowed()
                raise NotFound()
            await route.endpoint(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            async with self.lifespan():
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
        except BaseException as exc:
            log.exception("lifespan failed")
            kind = "shutdown" if message["type"] == "lifespan.shutdown" else "startup"
            await send({"type": f"lifespan.{kind}.failed", "message": str(exc)})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def build(
    router: Router,
    lifespan: Callable[[], AbstractAsyncContextManager[None]],
    auth: Authenticator,
    limiter: RateLimiter,
    faults: Faults,
    journal: Journal,
    now: Callable[[], float],
    max_body: int,
    control_token: str | None,
    virtual_hosts: dict[str, str] | None = None,
) -> ASGIApp:
    app: ASGIApp = Dispatch(lifespan)
    app = BodyLimit(app, max_body)
    app = FaultInjection(app, faults)
    app = Admission(app, auth, limiter, control_token)
    app = Resolve(app, router, virtual_hosts or {})
    app = Errors(app)
    return JournalLayer(app, journal, now)
