"""The two reference targets `make bench` measures LocalOcean against, each served by its own
uvicorn process (`uvicorn reference_apps:ceiling --app-dir bench ...`).

- `ceiling`: plain Starlette answering with pre-encoded bytes. Nothing an HTTP/JSON app on this
  stack does per request can be cheaper, so no LocalOcean figure is expected to reach it.
- `yardstick`: FastAPI with a pydantic response model, the way a small FastAPI service is
  usually written. LocalOcean's goals are stated as ratios to this app's requests/s.

Both answer the paths the bench loads and polls (`/v2/images/{id}`, `/v2/account`) with bodies
shaped and sized like LocalOcean's, so the comparison is about the work per request, not about
bytes on the wire.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from fastapi import FastAPI

IMAGE = {
    "id": 210000001,
    "name": "i",
    "distribution": "Unknown",
    "slug": None,
    "public": False,
    "regions": ["nyc3"],
    "created_at": "2026-01-01T00:00:00Z",
    "type": "snapshot",
    "min_disk_size": 10,
    "size_gigabytes": 2.0,
    "description": "",
    "tags": [],
    "status": "available",
    "error_message": "",
}

ACCOUNT = {
    "droplet_limit": 25,
    "floating_ip_limit": 3,
    "volume_limit": 100,
    "email": "bench@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "email_verified": True,
    "status": "active",
    "status_message": "",
}


# The ceiling: bodies encoded once at import, so a request costs only routing and the response.

_IMAGE_BODY = json.dumps({"image": IMAGE}, separators=(",", ":")).encode()
_ACCOUNT_BODY = json.dumps({"account": ACCOUNT}, separators=(",", ":")).encode()


async def _image(request: Request) -> Response:
    return Response(_IMAGE_BODY, media_type="application/json")


async def _account(request: Request) -> Response:
    return Response(_ACCOUNT_BODY, media_type="application/json")


ceiling = Starlette(routes=[Route("/v2/images/{image_id}", _image), Route("/v2/account", _account)])


# The yardstick is built on first access (`uvicorn reference_apps:yardstick` asks for it by
# name): the ceiling's process then never imports FastAPI and pydantic, so its start-up and
# memory are those of plain Starlette.


def __getattr__(name: str) -> FastAPI:
    if name == "yardstick":
        app = _yardstick()
        globals()["yardstick"] = app
        return app
    raise AttributeError(name)


def _yardstick() -> FastAPI:
    """FastAPI as a small service is usually written: the returned dict is validated into the
    response model and serialized on every request."""
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Image(BaseModel):
        id: int
        name: str
        distribution: str
        slug: str | None
        public: bool
        regions: list[str]
        created_at: str
        type: str
        min_disk_size: int | None
        size_gigabytes: float | None
        description: str
        tags: list[str]
        status: str
        error_message: str

    class ImageResponse(BaseModel):
        image: Image

    class Account(BaseModel):
        droplet_limit: int
        floating_ip_limit: int
        volume_limit: int
        email: str
        uuid: str
        email_verified: bool
        status: str
        status_message: str

    class AccountResponse(BaseModel):
        account: Account

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    # `async def` keeps the handlers on the event loop: a plain `def` would add a thread-pool
    # hop per request and make the yardstick needlessly easy to beat.
    @app.get("/v2/images/{image_id}", response_model=ImageResponse)
    async def get_image(image_id: int) -> dict[str, object]:
        return {"image": IMAGE}

    @app.get("/v2/account", response_model=AccountResponse)
    async def get_account() -> dict[str, object]:
        return {"account": ACCOUNT}

    return app
