"""The `images` section of a seed document: ready images of the account (no import runs)."""

from __future__ import annotations

from typing import Any

from localocean.areas.images import rules, store
from localocean.areas.regions import catalog as regions
from localocean.core import tags
from localocean.core.errors import Unprocessable
from localocean.core.seed import SeedContext
from localocean.core.validation import Body

TYPES = ("custom", "snapshot", "backup")


def load(context: SeedContext, entry: Any) -> int:
    body = Body(entry)
    name = body.str("name", required=True, max_length=rules.MAX_NAME)
    kind = body.str("type") or "custom"
    if kind not in TYPES:
        raise Unprocessable(f"type must be one of {', '.join(TYPES)}")
    image_regions = body.str_list("regions") or [body.str("region") or "nyc3"]
    for region in image_regions:
        if not regions.is_available(region):
            raise Unprocessable(f"region {region!r} is not an available region")
    size = body.data.get("size_gigabytes", 2.0)
    if isinstance(size, bool) or not isinstance(size, int | float) or size <= 0:
        raise Unprocessable("size_gigabytes must be a positive number")
    names = tags.names_in(body) or []
    row = store.add(
        context.connection,
        account_id=context.account_id,
        name=name,
        type=kind,
        distribution=rules.distribution(body.str("distribution")),
        description=body.str("description") or "",
        status="available",
        regions=image_regions,
        url=None,
        source_region=image_regions[0],
        min_disk_size=body.int("min_disk_size", minimum=1) or 10,
        size_gigabytes=float(size),
        error_message="",
        created_at=context.now,
    )
    tags.add(context.connection, context.account_id, "image", row.id, names, context.now)
    return 0
