"""LocalOcean's own control API under /_localocean: health, configuration and capabilities,
reset, clock, timing, faults, the request journal, state export and import, seeding, status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from localocean import __version__
from localocean.api.http import JSON, no_content, read_json, services
from localocean.domain import seed
from localocean.domain.validation import Body
from localocean.errors import NotFound, NotImplementedYet, Unprocessable
from localocean.lifecycle.clock import rfc3339
from localocean.lifecycle.timing import DURATIONS
from localocean.store import state as state_store
from localocean.store.db import SCHEMA_REVISION

api = APIRouter(prefix="/_localocean", tags=["control"])
STATE_FORMAT_VERSION = 1

# DigitalOcean API areas LocalOcean does not serve: they answer 501, never a fake success.
NOT_IMPLEMENTED = [
    "droplets",
    "volumes",
    "snapshots",
    "load_balancers",
    "databases",
    "domains",
    "firewalls",
    "floating_ips",
    "reserved_ips",
    "reserved_ipv6",
    "certificates",
    "cdn",
    "registry",
    "projects",
    "apps",
    "monitoring",
    "functions",
    "uptime",
    "1-clicks",
    "customers",
    "vpc_peerings",
    "vpc_nat_gateways",
    "droplet_autoscale",
    "spaces",
    "gen-ai",
    "nfs",
    "account/keys",
    "reports",
    "billing",
]


def _get(path: str) -> Any:
    return api.get(path, response_model=None)


def _post(path: str) -> Any:
    return api.post(path, response_model=None)


@_get("/health")
async def health(request: Request) -> JSON:
    return JSON({"status": "ok", "version": __version__})


def operations(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "operation_id": route.operation_id,
            "method": next(iter(route.methods)),
            "path": route.path,
            "scopes": (route.openapi_extra or {}).get("x-scopes", []),
            "implemented": True,
        }
        for route in request.app.router.routes
        if isinstance(route, APIRoute)
        and route.path.startswith(("/v2", "/v1"))
        and route.include_in_schema
    ]


@_get("/info")
async def info(request: Request) -> JSON:
    s = services(request)
    settings = s.settings
    return JSON(
        {
            "version": __version__,
            "configuration": {
                "database": settings.database_label,
                "timing": s.timing.profile,
                "auth": settings.auth,
                "rate_limit": [{"requests": n, "seconds": t} for n, t in s.limiter.windows],
                "rate_limit_enforced": s.limiter.enforce,
                "image_url_policy": settings.image_url_policy,
                "image_size_limit_bytes": settings.image_size_limit,
                "journal_size": settings.journal_size,
                "control_token": bool(settings.control_token),
                "schema_revision": SCHEMA_REVISION,
            },
            "capabilities": {
                "operations": operations(request),
                "not_implemented": [f"/v2/{area}" for area in NOT_IMPLEMENTED],
            },
        }
    )


def forget_caches(request: Request) -> None:
    s = services(request)
    s.auth.forget()
    s.engine.load()


@_post("/reset")
async def reset(request: Request) -> JSON:
    body = Body(await read_json(request))
    key = body.str("account")
    s = services(request)
    with s.db.transaction() as connection:
        if key is None:
            state_store.clear(connection)
        else:
            account_id = state_store.find_account(connection, key)
            if account_id is None:
                raise NotFound(f"no account {key!r}")
            state_store.clear_account(connection, account_id)
    if key is None:
        s.limiter.reset()
        s.faults.clear()
        s.journal.clear()
        s.engine.save_clock()
        if s.auth.grants:
            s.auth.install(s.auth.grants)
    forget_caches(request)
    return JSON({"reset": key or "everything"})


def _clock_state(request: Request, applied: int | None = None) -> dict:
    engine = services(request).engine
    state = {"now": rfc3339(engine.clock.now()), "pending": engine.pending()}
    if applied is not None:
        state["applied"] = applied
    return state


@_get("/clock")
async def clock(request: Request) -> JSON:
    services(request).engine.apply_if_due()
    return JSON(_clock_state(request))


@_post("/clock/advance")
async def advance(request: Request) -> JSON:
    body = Body(await read_json(request))
    seconds = body.data.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise Unprocessable("seconds must be a number of seconds, zero or more")
    applied = services(request).engine.advance(float(seconds))
    return JSON(_clock_state(request, applied))


@_post("/clock/settle")
async def settle(request: Request) -> JSON:
    applied = services(request).engine.settle()
    return JSON(_clock_state(request, applied))


def _timing(request: Request) -> dict[str, Any]:
    timing = services(request).timing
    return {"profile": timing.profile, "durations": timing.table(), "overrides": timing.overrides}


@_get("/timing")
async def get_timing(request: Request) -> JSON:
    return JSON(_timing(request))


@api.put("/timing", response_model=None)
async def put_timing(request: Request) -> JSON:
    body = Body(await read_json(request))
    s = services(request)
    profile = body.str("profile")
    if profile is not None and profile not in ("instant", "fast", "realistic", "manual"):
        raise Unprocessable("profile must be one of instant, fast, realistic, manual")
    durations = body.data.get("durations", {})
    if not isinstance(durations, dict):
        raise Unprocessable("durations must be an object of kind: seconds")
    for kind, seconds in durations.items():
        if kind not in DURATIONS:
            raise Unprocessable(f"unknown kind {kind!r}; kinds: {', '.join(DURATIONS)}")
        if seconds is not None and (
            isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
        ):
            raise Unprocessable(f"durations.{kind} must be a number of seconds or null")
    for kind, seconds in durations.items():
        if seconds is None:
            s.timing.overrides.pop(kind, None)
        else:
            s.timing.overrides[kind] = float(seconds)
    if profile is not None and profile != s.timing.profile:
        s.clock.set_frozen(profile == "manual")
        s.timing.profile = profile
        s.engine.save_clock()
    return JSON(_timing(request))


@_post("/faults")
async def add_fault(request: Request) -> JSON:
    rule = services(request).faults.add(await read_json(request))
    return JSON({"fault": rule.render()}, status_code=201)


@_get("/faults")
async def list_faults(request: Request) -> JSON:
    return JSON({"faults": [rule.render() for rule in services(request).faults.rules]})


@api.delete("/faults", response_model=None, status_code=204)
async def clear_faults(request: Request) -> Response:
    services(request).faults.clear()
    return no_content()


@api.delete("/faults/{fault_id}", response_model=None, status_code=204)
async def remove_fault(request: Request, fault_id: str) -> Response:
    if not services(request).faults.remove(fault_id):
        raise NotFound(f"no fault rule {fault_id}")
    return no_content()


@_get("/requests")
async def list_requests(request: Request) -> JSON:
    query = request.query_params
    limit = query.get("limit")
    if limit is not None and not limit.isdigit():
        raise Unprocessable("limit must be a positive integer")
    entries = services(request).journal.query(
        query.get("method"), query.get("path"), int(limit) if limit else None
    )
    return JSON({"requests": entries})


@api.delete("/requests", response_model=None, status_code=204)
async def clear_requests(request: Request) -> Response:
    services(request).journal.clear()
    return no_content()


@_get("/state")
async def export_state(request: Request) -> JSON:
    s = services(request)
    with s.db.transaction() as connection:
        tables = state_store.export_tables(connection)
    return JSON(
        {
            "format_version": STATE_FORMAT_VERSION,
            "localocean_version": __version__,
            "schema_revision": SCHEMA_REVISION,
            "exported_at": rfc3339(s.clock.now()),
            "tables": tables,
        }
    )


@api.put("/state", response_model=None)
async def import_state(request: Request) -> JSON:
    document = await read_json(request)
    if not isinstance(document, dict) or not isinstance(document.get("tables"), dict):
        raise Unprocessable("a state document is an object with format_version and tables")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Unprocessable("format_version must be an integer")
    if version > STATE_FORMAT_VERSION:
        raise Unprocessable(
            f"format_version {version} is newer than this LocalOcean understands "
            f"({STATE_FORMAT_VERSION}); upgrade LocalOcean to load it"
        )
    if document.get("schema_revision") not in (None, SCHEMA_REVISION):
        raise Unprocessable(
            f"the state has schema revision {document.get('schema_revision')}, this server "
            f"{SCHEMA_REVISION}: export it again from a server of this version"
        )
    s = services(request)
    try:
        with s.db.transaction() as connection:
            state_store.import_tables(connection, document["tables"])
    except (ValueError, TypeError) as exc:
        raise Unprocessable(f"the state document is not valid: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("sqlalchemy"):
            raise Unprocessable(f"the state document is not valid: {exc.args[0]}") from exc
        raise
    forget_caches(request)
    return JSON({"loaded": {name: len(rows) for name, rows in document["tables"].items()}})


@_post("/seed")
async def seed_state(request: Request) -> JSON:
    document = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        result = seed.apply(connection, s.engine, document, s.clock.now())
    s.auth.allow(result["token_hashes"])
    forget_caches(request)
    return JSON({"seeded": result["seeded"]}, status_code=201)


@_get("/status")
async def status(request: Request) -> JSON:
    s = services(request)
    with s.db.transaction() as connection:
        accounts = state_store.summary(connection)
    return JSON({"accounts": accounts, "clock": _clock_state(request)})


# Areas of the DigitalOcean API outside LocalOcean's scope. Plain Starlette routes: they need
# none of FastAPI's machinery, and building 58 FastAPI routes would cost start-up time.


async def _not_implemented(request: Request) -> JSON:
    raise NotImplementedYet(
        f"{request.method} {request.url.path} is not implemented by LocalOcean "
        "(see GET /_localocean/info for what is)"
    )


not_implemented = [
    Route(
        path,
        _not_implemented,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    for area in NOT_IMPLEMENTED
    for path in (f"/v2/{area}", f"/v2/{area}/{{rest:path}}")
]
