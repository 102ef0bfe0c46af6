"""LocalOcean's own control API under /_localocean: health, configuration and capabilities,
reset, clock, timing, faults, the request journal, state export and import, seeding, status."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from localocean import __version__
from localocean.core import accounts, seed
from localocean.core import state as state_store
from localocean.core.clock import rfc3339
from localocean.core.db import SCHEMA_REVISION
from localocean.core.errors import NotFound, NotImplementedYet, Unavailable, Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.router import Receive, Route, Scope, Send
from localocean.core.services import Services
from localocean.core.sync import save_setting
from localocean.core.tables import metadata, rate_hits
from localocean.core.tallies import recount
from localocean.core.timing import PROFILES
from localocean.core.validation import Body

routes = Operations(tags=("control",))
PREFIX = "/_localocean"
STATE_FORMAT_VERSION = 1

# DigitalOcean API areas LocalOcean does not serve: they answer 501, never a fake success.
NOT_IMPLEMENTED = [
    "databases",
    "cdn", "registry",
    "apps", "monitoring", "functions", "uptime", "1-clicks", "customers",
    "vpc_peerings", "vpc_nat_gateways", "droplet_autoscale", "spaces", "gen-ai", "nfs",
    "reports", "billing",
]  # fmt: skip


@routes.get(PREFIX + "/health", "health")
def health(call: Call) -> dict[str, Any]:
    """A load balancer's check: 200 while this process serves and reaches its database, 503
    (and why) when it cannot reach it."""
    try:
        call.services.db.ping()
    except Exception as exc:  # whatever the driver raises, the answer is "not healthy"
        raise Unavailable(f"the database is unreachable: {type(exc).__name__}") from exc
    return {"status": "ok", "version": __version__, "database": "ok"}


def operations(call: Call) -> list[dict[str, Any]]:
    found = [op for op in call.services.operations if op.is_digitalocean]
    return [
        {
            "operation_id": op.operation_id,
            "method": op.method,
            "path": op.path,
            "scopes": list(op.scopes),
            "implemented": True,
        }
        for op in found
    ]


@routes.get(PREFIX + "/info", "info")
def info(call: Call) -> dict[str, Any]:
    s = call.services
    settings = s.settings
    return {
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
            "areas": [area.name for area in s.areas],
            "operations": operations(call),
            "not_implemented": [f"/v2/{area}" for area in NOT_IMPLEMENTED],
        },
    }


def _settled(services: Services, result: Any) -> Any:
    """`result`, once every process sharing the database has taken the change."""
    assert services.sync is not None
    return services.sync.settled(result)


def _journals_in(services: Services, then: Callable[[], Any]) -> Any:
    """`then()`, once every process sharing the database has written its journal entries."""
    sync = services.sync
    assert sync is not None

    async def after_flush() -> Any:
        await sync.flushed()
        result = then()
        return await result if inspect.isawaitable(result) else result

    return after_flush()


def _forget_caches(services: Services) -> None:
    services.auth.forget()
    services.lifecycle.load()
    services.faults.load()


@routes.post(PREFIX + "/reset", "reset")
def reset(call: Call) -> Any:
    key = Body(call.body).str("account")
    s = call.services

    def clear() -> Any:
        with s.db.transaction() as connection:
            if key is None:
                state_store.clear(connection, metadata)
            else:
                account_id = accounts.find_account(connection, key)
                if account_id is None:
                    raise NotFound(f"no account {key!r}")
                state_store.clear_account(connection, s.areas, account_id)
        if key is None:
            with s.db.transaction() as connection:
                connection.execute(rate_hits.delete())
                s.journal.clear(connection)
            s.limiter.reset()
            s.faults.clear()
            s.lifecycle.save_clock()
            if s.auth.grants:
                s.auth.install(s.auth.grants)
        _forget_caches(s)
        return _settled(s, {"reset": key or "everything"})

    # Every process's journal entries are in before the journal is emptied.
    return _journals_in(s, clear) if key is None else clear()


def _clock_state(services: Services, applied: int | None = None) -> dict[str, Any]:
    lifecycle = services.lifecycle
    state: dict[str, Any] = {"now": rfc3339(lifecycle.clock.now()), "pending": lifecycle.pending()}
    if applied is not None:
        state["applied"] = applied
    return state


@routes.get(PREFIX + "/clock", "clock")
def clock(call: Call) -> dict[str, Any]:
    call.services.lifecycle.apply_if_due()
    return _clock_state(call.services)


@routes.post(PREFIX + "/clock/advance", "clock_advance")
def advance(call: Call) -> dict[str, Any]:
    seconds = Body(call.body).data.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise Unprocessable("seconds must be a number of seconds, zero or more")
    applied = call.services.lifecycle.advance(float(seconds))
    return _settled(call.services, _clock_state(call.services, applied))


@routes.post(PREFIX + "/clock/settle", "clock_settle")
def settle(call: Call) -> dict[str, Any]:
    applied = call.services.lifecycle.settle()
    return _settled(call.services, _clock_state(call.services, applied))


def _timing(services: Services) -> dict[str, Any]:
    timing = services.timing
    return {"profile": timing.profile, "durations": timing.table(), "overrides": timing.overrides}


@routes.get(PREFIX + "/timing", "timing_get")
def get_timing(call: Call) -> dict[str, Any]:
    return _timing(call.services)


@routes.put(PREFIX + "/timing", "timing_put")
def put_timing(call: Call) -> dict[str, Any]:
    body = Body(call.body)
    s = call.services
    profile = body.str("profile")
    if profile is not None and profile not in PROFILES:
        raise Unprocessable(f"profile must be one of {', '.join(PROFILES)}")
    durations = body.data.get("durations", {})
    if not isinstance(durations, dict):
        raise Unprocessable("durations must be an object of kind: seconds")
    for kind, seconds in durations.items():
        if kind not in s.timing.durations:
            raise Unprocessable(f"unknown kind {kind!r}; kinds: {', '.join(s.timing.durations)}")
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
        s.lifecycle.save_clock()
    with s.db.transaction() as connection:
        timing = {"profile": s.timing.profile, "overrides": s.timing.overrides}
        save_setting(connection, "timing", timing)
    return _settled(s, _timing(s))


@routes.post(PREFIX + "/faults", "faults_add", status=201)
def add_fault(call: Call) -> dict[str, Any]:
    return _settled(call.services, {"fault": call.services.faults.add(call.body).render()})


@routes.get(PREFIX + "/faults", "faults_list")
def list_faults(call: Call) -> dict[str, Any]:
    return {"faults": [rule.render() for rule in call.services.faults.rules]}


@routes.delete(PREFIX + "/faults", "faults_clear", status=204)
def clear_faults(call: Call) -> Any:
    call.services.faults.clear()
    return _settled(call.services, None)


@routes.delete(PREFIX + "/faults/{fault_id}", "faults_remove", status=204)
def remove_fault(call: Call) -> Any:
    if not call.services.faults.remove(call.params["fault_id"]):
        raise NotFound(f"no fault rule {call.params['fault_id']}")
    return _settled(call.services, None)


@routes.get(PREFIX + "/requests", "requests_list")
def list_requests(call: Call) -> dict[str, Any]:
    query = call.query
    limit = query.get("limit")
    if limit is not None and not limit.isdigit():
        raise Unprocessable("limit must be a positive integer")
    s = call.services

    def read() -> dict[str, Any]:
        with s.db.transaction() as connection:
            entries = s.journal.query(
                query.get("method"), query.get("path"), int(limit) if limit else None, connection
            )
        return {"requests": entries}

    return _journals_in(s, read)


@routes.delete(PREFIX + "/requests", "requests_clear", status=204)
def clear_requests(call: Call) -> Any:
    s = call.services

    def clear() -> None:
        with s.db.transaction() as connection:
            s.journal.clear(connection)

    return _journals_in(s, clear)


@routes.get(PREFIX + "/state", "state_export")
def export_state(call: Call) -> dict[str, Any]:
    s = call.services
    with s.db.transaction() as connection:
        tables = state_store.export_tables(connection, metadata)
    return {
        "format_version": STATE_FORMAT_VERSION,
        "localocean_version": __version__,
        "schema_revision": SCHEMA_REVISION,
        "exported_at": rfc3339(s.clock.now()),
        "tables": tables,
    }


@routes.put(PREFIX + "/state", "state_import")
def import_state(call: Call) -> dict[str, Any]:
    document = call.body
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
    s = call.services
    try:
        with s.db.transaction() as connection:
            state_store.import_tables(connection, metadata, document["tables"])
            recount(connection, s.areas)
    except (ValueError, TypeError) as exc:
        raise Unprocessable(f"the state document is not valid: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("sqlalchemy"):
            raise Unprocessable(f"the state document is not valid: {exc.args[0]}") from exc
        raise
    _forget_caches(s)
    return _settled(s, {"loaded": {name: len(rows) for name, rows in document["tables"].items()}})


@routes.post(PREFIX + "/seed", "seed", status=201)
def seed_state(call: Call) -> dict[str, Any]:
    s = call.services
    with s.db.transaction() as connection:
        result = seed.apply(connection, s.lifecycle, s.areas, call.body, s.clock.now(), s.settings)
    s.auth.allow(result["token_hashes"])
    _forget_caches(s)
    return {"seeded": result["seeded"]}


@routes.get(PREFIX + "/status", "status")
def status(call: Call) -> dict[str, Any]:
    s = call.services
    with s.db.transaction() as connection:
        held = state_store.summary(connection, s.areas)
    return {"accounts": held, "clock": _clock_state(s)}


# Areas of the DigitalOcean API outside LocalOcean's scope answer 501, whatever the method.


async def _not_implemented(scope: Scope, receive: Receive, send: Send) -> None:
    raise NotImplementedYet(
        f"{scope['method']} {scope['path']} is not implemented by LocalOcean "
        "(see GET /_localocean/info for what is)"
    )


def not_implemented_routes() -> list[Route]:
    return [
        Route(method, path, _not_implemented)
        for area in NOT_IMPLEMENTED
        for path in (f"/v2/{area}", f"/v2/{area}/{{rest:path}}")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    ]
