"""Wiring: settings and the list of areas -> database, clock, lifecycle engine, auth, rate
limits, routes and the request pipeline."""

from __future__ import annotations

import gc
import logging
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import orjson
from sqlalchemy import MetaData

from localocean import __version__
from localocean.config import Settings
from localocean.core import accounts, pipeline
from localocean.core.area import Area, Taggable, TransitionHandler
from localocean.core.auth import Authenticator
from localocean.core.clock import Clock, rfc3339
from localocean.core.db import Database
from localocean.core.documents import read_document
from localocean.core.errors import APIError, NotFound
from localocean.core.faults import Faults
from localocean.core.journal import Journal
from localocean.core.lifecycle import Lifecycle, load_clock
from localocean.core.operations import Call, Operations, Raw, operation_route
from localocean.core.ratelimit import RateLimiter
from localocean.core.router import Route, Router
from localocean.core.services import Services
from localocean.core.tables import CORE_TABLES, metadata
from localocean.core.timing import Durations, Timing

log = logging.getLogger("localocean")


def schema(areas: Sequence[Area]) -> MetaData:
    """The database schema: the core tables and every area's, each declared exactly once."""
    declared = [table.name for table in CORE_TABLES] + [
        table.name for area in areas for table in area.tables
    ]
    if sorted(declared) != sorted(metadata.tables):
        undeclared = sorted(set(metadata.tables) - set(declared))
        raise RuntimeError(f"tables not declared by any area (or twice): {undeclared or declared}")
    return metadata


def _merged(areas: Sequence[Area]) -> tuple[dict[str, TransitionHandler], dict[str, Durations]]:
    handlers: dict[str, TransitionHandler] = {}
    durations: dict[str, Durations] = {}
    for area in areas:
        twice = (set(area.transitions) & set(handlers)) | (set(area.durations) & set(durations))
        if twice:
            raise RuntimeError(f"transition kinds declared twice: {', '.join(sorted(twice))}")
        handlers.update(area.transitions)
        durations.update(area.durations)
    return handlers, durations


def build_services(settings: Settings, areas: Sequence[Area]) -> Services:
    grants = accounts.read_tokens_file(settings.tokens_file) if settings.tokens_file else []
    db = Database(settings.resolved_database_url)
    db.migrate(schema(areas))
    with db.transaction() as connection:
        state = load_clock(connection)
    clock = Clock(
        frozen=settings.timing == "manual",
        offset=state.offset_seconds if state else 0.0,
        frozen_at=state.frozen_at if state else None,
    )
    handlers, durations = _merged(areas)
    timing = Timing(settings.timing, durations)
    recurring = [kind for area in areas for kind in area.recurring]
    lifecycle = Lifecycle(db, clock, timing, handlers, settings, recurring)
    lifecycle.load()
    lifecycle.save_clock()
    auth = Authenticator(settings.auth, db, clock, grants)
    if grants:
        auth.install(grants)
    taggables: dict[str, Taggable] = {}
    for area in areas:
        taggables.update({taggable.resource_type: taggable for taggable in area.taggables})
    services = Services(
        settings=settings,
        areas=tuple(areas),
        db=db,
        clock=clock,
        timing=timing,
        lifecycle=lifecycle,
        auth=auth,
        limiter=RateLimiter(settings.rate_limit),
        faults=Faults(db),
        journal=Journal(settings.journal_size, rfc3339),
        taggables=taggables,
        vpc_members=tuple(member for area in areas for member in area.vpc_members),
        cluster_resources=tuple(kind for area in areas for kind in area.cluster_resources),
        project_resources=tuple(kind for area in areas for kind in area.project_resources),
    )
    services.faults.load()
    from localocean.core.sync import ControlSync

    services.sync = ControlSync(services)
    for area in areas:
        if area.runtime is not None:
            services.runtimes[area.name] = area.runtime(services)
    if settings.seed_file is not None:
        _seed(services, settings.seed_file)
    return services


def _seed(services: Services, path: Path) -> None:
    from localocean.core import seed

    document = read_document(path)
    try:
        with services.db.transaction() as connection:
            result = seed.apply(
                connection,
                services.lifecycle,
                services.areas,
                document,
                services.clock.now(),
                services.settings,
            )
    except APIError as exc:
        raise ValueError(f"{path}: {exc.message}") from exc
    services.auth.allow(result["token_hashes"])
    services.lifecycle.load()
    log.info("seeded from %s: %s", path, result["seeded"])


TITLE = "LocalOcean"
DESCRIPTION = "A DigitalOcean API v2 server for local development and tests."


def _documents(services: Services) -> Operations:
    """`/openapi.json` and `/docs`, built when first asked for."""
    from localocean.core import openapi

    routes = Operations()
    built: dict[str, bytes] = {}

    @routes.get("/openapi.json", "openapi")
    def openapi_document(call: Call) -> Raw:
        if "openapi" not in built:
            document = openapi.document(services.operations, TITLE, __version__, DESCRIPTION)
            built["openapi"] = orjson.dumps(document)
        return Raw(built["openapi"], "application/json")

    @routes.get("/docs", "docs")
    def docs(call: Call) -> Raw:
        page = openapi.swagger_page(f"{TITLE} - Swagger UI", "/openapi.json", "/docs/assets")
        return Raw(page, "text/html; charset=utf-8")

    @routes.get("/docs/assets/{name}", "docs_asset")
    def docs_asset(call: Call) -> Raw:
        found = openapi.swagger_asset(call.params["name"])
        if found is None:
            raise NotFound()
        return Raw(found[0], found[1], ((b"cache-control", b"max-age=86400"),))

    return routes


def create_app(settings: Settings, areas: Sequence[Area] | None = None) -> pipeline.ASGIApp:
    return create(settings, areas)[0]


def server_names(services: Services) -> Callable[[ssl.SSLObject, str | None, ssl.SSLContext], None]:
    """The TLS SNI callback: a name an area serves with its own certificate (a cluster's API)
    gets that area's context; any other name the listener's own certificate."""
    hooks = [area.tls for area in services.areas if area.tls is not None]

    def pick(connection: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        if not name:
            return
        for hook in hooks:
            try:
                context = hook(services, name)
            except Exception:  # a failing lookup must not kill the handshake's thread
                log.exception("no TLS context for %s", name)
                return
            if context is not None:
                connection.context = context
                return

    return pick


def create(
    settings: Settings, areas: Sequence[Area] | None = None
) -> tuple[pipeline.ASGIApp, Services]:
    """The app and what it runs on (the listener asks the services for areas' certificates)."""
    from localocean import control, ui

    if areas is None:
        from localocean.areas import AREAS

        areas = AREAS
    services = build_services(settings, areas)

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        services.lifecycle.start()
        assert services.sync is not None
        services.sync.start()
        for runtime in services.runtimes.values():
            runtime.start()
        # What start-up built lives as long as the server: the garbage collector need not walk
        # it again, which keeps collections (and the latency they add) short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for runtime in services.runtimes.values():
                await runtime.stop()
            if services.sync is not None:
                await services.sync.stop()
            await services.lifecycle.stop()
            services.lifecycle.save_clock()
            await services.db.close_readers()
            services.db.dispose()
            log.info("LocalOcean stopped cleanly")

    router = Router()
    for operations in (
        *(area.operations for area in areas),
        control.routes,
        ui.routes,
        _documents(services),
    ):
        for operation in operations.all:
            router.add(operation_route(operation, services))
            services.operations.append(operation)
    for route in control.not_implemented_routes():
        router.add(route)
    for route in ui.control_routes(control.routes.all, services):
        router.add(route)
    for area in areas:
        for prefix, mount in area.mounts.items():
            endpoint = mount(services)
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
                router.add(Route(method, prefix, endpoint))
                router.add(Route(method, prefix + "/{path:path}", endpoint))
    app = pipeline.build(
        router,
        lifespan,
        services.auth,
        services.limiter,
        services.faults,
        services.journal,
        services.clock.now,
        settings.max_body_bytes,
        settings.control_token,
        virtual_hosts(areas),
    )
    return app, services


def virtual_hosts(areas: Sequence[Area]) -> dict[str, str]:
    """Host suffix -> path prefix, from every area that answers for host names."""
    return {suffix: prefix for area in areas for suffix, prefix in area.virtual_hosts.items()}
