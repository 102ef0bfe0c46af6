"""The dashboard at /_localocean/ui: what LocalOcean holds, its request journal and its controls,
in the browser (docs/dashboard.md).

The page is plain HTML, CSS and a little hand-written JavaScript (`static/`). It reads JSON from
the operations below and changes things through the control API itself, reached at
`/_localocean/ui/control/<path>` (the same operations, admitted by the dashboard's cookie).
Resources are shown generically: each DigitalOcean list operation that has a `.../{id}`
operation beside it is a collection, and the dashboard calls those operations' own handlers as
the account, so a page shows exactly what a client would get, paginated in SQL as the API is.
Nothing here is on the DigitalOcean request path; what it needs is built when first asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import orjson

from localocean.core.errors import MethodNotAllowed, NotFound, Unprocessable
from localocean.core.operations import (
    PARAMS,
    Call,
    Operation,
    Operations,
    Raw,
    Stream,
    operation_route,
)
from localocean.core.pipeline import CONTROL_PREFIX, UI_COOKIE, UI_PREFIX, ui_cookie_value
from localocean.core.router import Receive, Route, Router, Scope, Send
from localocean.core.services import Services

routes = Operations(tags=("dashboard",))
HTML = "text/html; charset=utf-8"
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
EVENT_SECONDS = 0.5  # how often the event stream looks for changes
STREAM_SECONDS = 300.0  # an event stream ends after this; the browser reconnects at once


def _data(call: Call) -> Any:
    from localocean.ui import data

    return data


@cache
def _static(name: str) -> bytes:
    return (resources.files("localocean.ui") / "static" / name).read_bytes()


def _page(body: str, title: str = "LocalOcean") -> bytes:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<link rel="stylesheet" href="{UI_PREFIX}/static/app.css"></head>
<body>{body}</body></html>""".encode()


@routes.get("/", "home")
def home(call: Call) -> Raw:
    """A page with links to the dashboard, the API's Swagger UI and its OpenAPI document."""
    return Raw(
        _page(
            '<main class="home"><h1>LocalOcean</h1><p>DigitalOcean&#39;s API v2, served locally.'
            f'</p><ul><li><a href="{UI_PREFIX}">Dashboard</a></li>'
            '<li><a href="/docs">API documentation (Swagger UI)</a></li>'
            '<li><a href="/openapi.json">OpenAPI document</a></li></ul></main>'
        ),
        HTML,
    )


@routes.get(UI_PREFIX, "ui_page")
def page(call: Call) -> Raw:
    """The dashboard (one page; its views are drawn by static/app.js)."""
    shell = (
        '<header><a class="brand" href="#/">LocalOcean</a><nav>'
        '<a href="#/">Accounts</a><a href="#/journal">Journal</a>'
        '<a href="#/controls">Controls</a><a href="/docs">API docs</a></nav>'
        '<span id="clock" title="LocalOcean\'s clock"></span>'
        '<span id="live" class="live">connecting</span></header>'
        '<main id="main"></main>'
        f'<script>window.LOCALOCEAN_UI = "{UI_PREFIX}";</script>'
        f'<script src="{UI_PREFIX}/static/app.js"></script>'
    )
    return Raw(_page(shell, "LocalOcean dashboard"), HTML)


@routes.get(UI_PREFIX + "/static/{name}", "ui_static")
def static(call: Call) -> Raw:
    name = call.params["name"]
    if name not in STATIC:
        raise NotFound()
    return Raw(_static(name), STATIC[name], ((b"cache-control", b"no-cache"),))


LOGIN_FORM = (
    '<main class="login"><h1>LocalOcean dashboard</h1>{error}'
    f'<form method="post" action="{UI_PREFIX}/login">'
    '<label>Control token <input type="password" name="token" autofocus></label>'
    "<button>Open the dashboard</button></form>"
    "<p>The server runs with <code>--control-token</code>: the dashboard asks for it once, "
    "then remembers this browser with a cookie.</p></main>"
)


def _login(call: Call, token: str | None) -> Raw:
    control = call.services.settings.control_token
    if not control:
        return Raw(b"", HTML, ((b"location", UI_PREFIX.encode()),), 303)
    if token is None:
        return Raw(_page(LOGIN_FORM.format(error="")), HTML)
    import hmac

    if not hmac.compare_digest(token.encode(), control.encode()):
        error = '<p class="error">That is not the control token.</p>'
        return Raw(_page(LOGIN_FORM.format(error=error)), HTML, status=401)
    secure = "; Secure" if call.scope.get("scheme") == "https" else ""
    cookie = (
        f"{UI_COOKIE}={ui_cookie_value(control)}; Path={UI_PREFIX}; HttpOnly; "
        f"SameSite=Strict{secure}"
    )
    headers = ((b"location", UI_PREFIX.encode()), (b"set-cookie", cookie.encode()))
    return Raw(b"", HTML, headers, 303)


@routes.get(UI_PREFIX + "/login", "ui_login")
def login(call: Call) -> Raw:
    """`?token=<control token>` logs this browser in (an HttpOnly cookie) and opens the page."""
    return _login(call, call.query.get("token"))


@routes.post(UI_PREFIX + "/login", "ui_login_form")
def login_form(call: Call) -> Raw:
    form = parse_qs(call._raw.decode("utf-8", "replace"))
    return _login(call, (form.get("token") or [""])[0])


@routes.get(UI_PREFIX + "/api/model", "ui_model")
def model(call: Call) -> dict[str, Any]:
    """The collections the dashboard shows, from the operations served."""
    return {"collections": _data(call).collections(call.services), **_clock(call.services)}


@routes.get(UI_PREFIX + "/api/accounts", "ui_accounts")
def accounts(call: Call) -> dict[str, Any]:
    page = _positive(call.query.get("page"), 1)
    return {**_data(call).accounts(call.services, page), **_clock(call.services)}


@routes.get(UI_PREFIX + "/api/accounts/{account}", "ui_account")
def account(call: Call) -> dict[str, Any]:
    return {**_data(call).account(call, call.params["account"]), **_clock(call.services)}


@routes.get(UI_PREFIX + "/api/do/{account}/{path:path}", "ui_do")
def do_get(call: Call) -> Any:
    """A DigitalOcean GET operation's answer, as the account would get it."""
    return _data(call).call_operation(call, call.params["account"], "/" + call.params["path"])


@routes.get(UI_PREFIX + "/api/tagged/{account}/{tag}", "ui_tagged")
def tagged(call: Call) -> dict[str, Any]:
    return _data(call).tagged(call.services, call.params["account"], call.params["tag"])


@routes.get(UI_PREFIX + "/api/kube/{cluster_id}", "ui_kube")
def kube(call: Call) -> dict[str, Any]:
    """The nodes of a cluster's Kubernetes API and the pods on each."""
    return _data(call).kube(call.services, call.params["cluster_id"])


@routes.get(UI_PREFIX + "/api/journal", "ui_journal")
def journal(call: Call) -> dict[str, Any]:
    return {**_data(call).journal(call), **_clock(call.services)}


@routes.get(UI_PREFIX + "/api/journal/{request_id}", "ui_journal_entry")
def journal_entry(call: Call) -> dict[str, Any]:
    return _data(call).journal_entry(call.services, call.params["request_id"])


@routes.post(UI_PREFIX + "/api/document", "ui_document")
def document(call: Call) -> Any:
    """A YAML or JSON document (a seed file the page uploads) as JSON, read by the one reader."""
    from localocean.core.documents import read_text

    try:
        return {"document": read_text(call._raw.decode("utf-8", "replace"))}
    except ValueError as exc:
        raise Unprocessable(f"the document does not parse: {exc}") from exc


@routes.get(UI_PREFIX + "/events", "ui_events")
def events(call: Call) -> Stream:
    """Server-sent events: one whenever what LocalOcean holds may have changed (this process's
    journal, or the database every process shares), with LocalOcean's clock."""
    services = call.services
    fingerprint = _data(call).fingerprint

    async def chunks() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_SECONDS
        last: Any = None
        yield b"retry: 1000\n\n"
        while loop.time() < ends and not services.stopping:
            current = fingerprint(services, fresh_for=EVENT_SECONDS * 0.8)
            if current != last:
                last = current
                yield b"data: " + orjson.dumps(_clock(services)) + b"\n\n"
            await asyncio.sleep(EVENT_SECONDS)

    return Stream(chunks, "text/event-stream")


def _clock(services: Services) -> dict[str, Any]:
    return {"now": services.clock.now(), "timing": services.timing.profile}


def _positive(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else default


def control_routes(operations: list[Operation], services: Services) -> list[Route]:
    """`/_localocean/ui/control/<path>`: the control API's own operations, for the page (which
    holds no bearer token: the dashboard's cookie admits it on its own paths only)."""
    router = Router()
    for operation in operations:
        router.add(operation_route(operation, services))
    prefix = UI_PREFIX + "/control"

    async def through(scope: Scope, receive: Receive, send: Send) -> None:
        path = CONTROL_PREFIX + "/" + scope[PARAMS]["rest"]
        route, params, exists = router.match(scope["method"], path)
        if route is None:
            raise MethodNotAllowed() if exists else NotFound()
        scope[PARAMS] = params
        await route.endpoint(scope, receive, send)

    return [
        Route(method, prefix + "/{rest:path}", through)
        for method in ("GET", "POST", "PUT", "DELETE")
    ]
