"""DigitalOcean's data-center regions, as the API lists them."""

from __future__ import annotations

from typing import Any

from localocean.areas.sizes import catalog as sizes

FEATURES = [
    "backups",
    "ipv6",
    "metadata",
    "install_agent",
    "storage",
    "image_transfer",
    "server_id",
    "management_networking",
]

# (slug, name, available) in the API's own order. Retired regions stay listed, unavailable.
REGIONS: list[tuple[str, str, bool]] = [
    ("nyc1", "New York 1", True),
    ("sfo1", "San Francisco 1", False),
    ("nyc2", "New York 2", False),
    ("ams2", "Amsterdam 2", False),
    ("sgp1", "Singapore 1", True),
    ("lon1", "London 1", True),
    ("nyc3", "New York 3", True),
    ("ams3", "Amsterdam 3", True),
    ("fra1", "Frankfurt 1", True),
    ("tor1", "Toronto 1", True),
    ("sfo2", "San Francisco 2", True),
    ("blr1", "Bangalore 1", True),
    ("sfo3", "San Francisco 3", True),
    ("syd1", "Sydney 1", True),
    ("atl1", "Atlanta 1", True),
]

AVAILABLE = [slug for slug, _, available in REGIONS if available]
_BY_SLUG = {slug: (slug, name, available) for slug, name, available in REGIONS}


def exists(slug: str) -> bool:
    return slug in _BY_SLUG


def is_available(slug: str) -> bool:
    return slug in _BY_SLUG and _BY_SLUG[slug][2]


def render(slug: str) -> dict[str, Any]:
    slug, name, available = _BY_SLUG[slug]
    return {
        "name": name,
        "slug": slug,
        "features": list(FEATURES) if available else ["metadata"],
        "available": available,
        "sizes": sizes.slugs_in_region(slug) if available else [],
    }


def render_all() -> list[dict[str, Any]]:
    return [render(slug) for slug, _, _ in REGIONS]
