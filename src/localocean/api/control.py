"""LocalOcean's own control API under /_localocean: health and the clock."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request

from localocean import __version__
from localocean.api.http import JSON, read_json, services
from localocean.domain.validation import Body
from localocean.errors import Unprocessable
from localocean.lifecycle.clock import rfc3339

api = APIRouter(prefix="/_localocean", tags=["control"])


@api.get("/health", response_model=None)
async def health(request: Request) -> JSON:
    return JSON({"status": "ok", "version": __version__})


def _clock_state(request: Request, applied: int | None = None) -> dict:
    engine = services(request).engine
    state = {"now": rfc3339(engine.clock.now()), "pending": engine.pending()}
    if applied is not None:
        state["applied"] = applied
    return state


@api.get("/clock", response_model=None)
async def clock(request: Request) -> JSON:
    services(request).engine.apply_if_due()
    return JSON(_clock_state(request))


@api.post("/clock/advance", response_model=None)
async def advance(request: Request) -> JSON:
    body = Body(await read_json(request))
    seconds = body.data.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise Unprocessable("seconds must be a number of seconds, zero or more")
    applied = services(request).engine.advance(float(seconds))
    return JSON(_clock_state(request, applied))


@api.post("/clock/settle", response_model=None)
async def settle(request: Request) -> JSON:
    applied = services(request).engine.settle()
    return JSON(_clock_state(request, applied))
