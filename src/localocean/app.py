"""Wiring: settings -> database, clock, engine, auth, rate limits, routers, one error renderer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from localocean import __version__
from localocean.api import (
    account,
    actions,
    control,
    images,
    kubernetes,
    regions,
    sizes,
    tags,
    vpcs,
)
from localocean.api.auth import Authenticator
from localocean.api.faults import Faults
from localocean.api.gateway import Gateway
from localocean.api.http import JSON, error_response, request_id
from localocean.api.journal import Journal
from localocean.api.ratelimit import RateLimiter
from localocean.config import Settings
from localocean.domain import accounts
from localocean.errors import APIError, MethodNotAllowed, NotFound, ServerError, Unprocessable
from localocean.lifecycle.clock import Clock, rfc3339
from localocean.lifecycle.engine import Engine
from localocean.lifecycle.image_import import ImageImporter
from localocean.lifecycle.timing import Timing
from localocean.store import lifecycle as lifecycle_store
from localocean.store.db import Database

log = logging.getLogger("localocean")


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    timing: Timing
    engine: Engine
    auth: Authenticator
    limiter: RateLimiter
    importer: ImageImporter
    faults: Faults
    journal: Journal


def build_services(settings: Settings) -> Services:
    grants = accounts.read_tokens_file(settings.tokens_file) if settings.tokens_file else []
    db = Database(settings.resolved_database_url)
    db.migrate()
    with db.transaction() as connection:
        state = lifecycle_store.load_clock(connection)
    clock = Clock(
        frozen=settings.timing == "manual",
        offset=state.offset_seconds if state else 0.0,
        frozen_at=state.frozen_at if state else None,
    )
    timing = Timing(settings.timing)
    engine = Engine(db, clock, timing)
    engine.load()
    engine.save_clock()
    auth = Authenticator(settings.auth, db, clock, grants)
    if grants:
        auth.install(grants)
    importer = ImageImporter(db, engine, settings.image_url_policy, settings.image_size_limit)
    limiter = RateLimiter(settings.rate_limit)
    services = Services(
        settings,
        db,
        clock,
        timing,
        engine,
        auth,
        limiter,
        importer,
        Faults(),
        Journal(settings.journal_size, rfc3339),
    )
    if settings.seed_file is not None:
        _seed(services, settings.seed_file)
    return services


def read_document(path: Path) -> Any:
    """A YAML or JSON document (JSON is YAML); ValueError with a message for the user."""
    import yaml

    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc


def _seed(services: Services, path: Path) -> None:
    from localocean.domain import seed

    document = read_document(path)
    try:
        with services.db.transaction() as connection:
            result = seed.apply(connection, services.engine, document, services.clock.now())
    except APIError as exc:
        raise ValueError(f"{path}: {exc.message}") from exc
    services.auth.allow(result["token_hashes"])
    services.engine.load()
    log.info("seeded from %s: %s", path, result["seeded"])


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "request payload validation failed"
    first = errors[0]
    field = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query"))
    return f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg"))


def create_app(settings: Settings) -> Gateway:
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        services.engine.start()
        services.importer.resume()
        try:
            yield
        finally:
            await services.importer.stop()
            await services.engine.stop()
            services.engine.save_clock()
            services.db.dispose()
            log.info("LocalOcean stopped cleanly")

    app = FastAPI(
        title="LocalOcean",
        version=__version__,
        description="A DigitalOcean API v2 server for local development and tests.",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.services = services
    # The routes join the app's own router flat: FastAPI matches included routers level by level
    # with bookkeeping per level, which costs more per request than the handler itself.
    # No two groups share a path, so order is free: small groups first keeps the scan short.
    for module in (account, regions, sizes, actions, vpcs, tags, images, kubernetes, control):
        app.router.routes.extend(module.api.routes)
    app.router.routes.extend(control.not_implemented)

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSON:
        return error_response(exc, request_id(request))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        if exc.status_code == 405:
            error: APIError = MethodNotAllowed()
        elif exc.status_code == 404:
            error = NotFound("The resource you were accessing could not be found.")
        else:
            error = APIError(str(exc.detail))
            error.status = exc.status_code
        return error_response(error, request_id(request))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSON:
        # Starlette answers with this, then re-raises: the gateway logs the traceback.
        return error_response(ServerError(), request_id(request))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSON:
        return error_response(Unprocessable(_validation_message(exc)), request_id(request))

    return Gateway(
        app,
        services.auth,
        services.limiter,
        settings.max_body_bytes,
        services.faults,
        services.journal,
        services.clock.now,
        settings.control_token,
    )
