"""Regions: `GET /v2/regions`, DigitalOcean's data centers (catalog data in `catalog.py`)."""

from __future__ import annotations

from typing import Any

from localocean.areas.regions import catalog
from localocean.core.area import Area
from localocean.core.operations import Call, Operations
from localocean.core.pagination import catalog_listing

routes = Operations()


@routes.get("/v2/regions", "regions_list", "regions:read")
def list_regions(call: Call) -> dict[str, Any]:
    return catalog_listing(call, "regions", catalog.render_all())


AREA = Area("regions", operations=routes)
