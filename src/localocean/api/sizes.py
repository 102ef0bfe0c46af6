"""GET /v2/sizes."""

from __future__ import annotations

from starlette.requests import Request

from localocean.api.http import JSON
from localocean.api.pagination import Page, listing
from localocean.api.routing import operation, router
from localocean.domain import sizes

api = router()


@operation(api, "GET", "/v2/sizes", "sizes_list", "sizes:read", "regions:read")
async def list_sizes(request: Request) -> JSON:
    page = Page.of(request)
    everything = sizes.render_all()
    return JSON(listing(request, "sizes", page.slice(everything), len(everything), page))
