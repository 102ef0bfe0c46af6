"""Sizes: `GET /v2/sizes`, Droplet sizes with their prices (catalog data in `catalog.py`)."""

from __future__ import annotations

from typing import Any

from localocean.areas.sizes import catalog
from localocean.core.area import Area
from localocean.core.operations import Call, Operations
from localocean.core.pagination import catalog_listing

routes = Operations()


@routes.get("/v2/sizes", "sizes_list", "sizes:read", "regions:read")
def list_sizes(call: Call) -> dict[str, Any]:
    return catalog_listing(call, "sizes", catalog.render_all())


AREA = Area("sizes", operations=routes)
