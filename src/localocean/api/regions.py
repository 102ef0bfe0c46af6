"""GET /v2/regions."""

from __future__ import annotations

from starlette.requests import Request

from localocean.api.http import JSON
from localocean.api.pagination import Page, listing
from localocean.api.routing import operation, router
from localocean.domain import regions

api = router()


@operation(api, "GET", "/v2/regions", "regions_list", "regions:read")
async def list_regions(request: Request) -> JSON:
    page = Page.of(request)
    everything = regions.render_all()
    return JSON(listing(request, "regions", page.slice(everything), len(everything), page))
