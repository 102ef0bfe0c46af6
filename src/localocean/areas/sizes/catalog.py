"""DigitalOcean's Droplet sizes with their prices, as the API lists them."""

from __future__ import annotations

from functools import cache
from typing import Any

# Regions that offer the premium (AMD, Intel) and dedicated-CPU sizes.
_BASIC_REGIONS = [
    "nyc1", "sgp1", "lon1", "nyc3", "ams3", "fra1", "tor1", "sfo2", "blr1", "sfo3", "syd1", "atl1",
]  # fmt: skip
_PREMIUM_REGIONS = ["nyc1", "sgp1", "lon1", "nyc3", "ams3", "fra1", "tor1", "blr1", "sfo3", "syd1"]
_DEDICATED_REGIONS = ["nyc1", "sgp1", "lon1", "nyc3", "ams3", "fra1", "tor1", "blr1", "sfo3"]

HOURS_PER_MONTH = 672

# slug, description, memory MiB, vcpus, disk GiB, transfer TiB, price per month (USD), regions
SIZES: list[tuple[str, str, int, int, int, float, float, list[str]]] = [
    ("s-1vcpu-512mb-10gb", "Basic", 512, 1, 10, 0.5, 4.0, _BASIC_REGIONS),
    ("s-1vcpu-1gb", "Basic", 1024, 1, 25, 1.0, 6.0, _BASIC_REGIONS),
    ("s-1vcpu-1gb-amd", "Basic AMD", 1024, 1, 25, 1.0, 7.0, _PREMIUM_REGIONS),
    ("s-1vcpu-1gb-intel", "Basic Intel", 1024, 1, 25, 1.0, 7.0, _PREMIUM_REGIONS),
    ("s-1vcpu-2gb", "Basic", 2048, 1, 50, 2.0, 12.0, _BASIC_REGIONS),
    ("s-1vcpu-2gb-amd", "Basic AMD", 2048, 1, 50, 2.0, 14.0, _PREMIUM_REGIONS),
    ("s-1vcpu-2gb-intel", "Basic Intel", 2048, 1, 50, 2.0, 14.0, _PREMIUM_REGIONS),
    ("s-2vcpu-2gb", "Basic", 2048, 2, 60, 3.0, 18.0, _BASIC_REGIONS),
    ("s-2vcpu-2gb-amd", "Basic AMD", 2048, 2, 60, 3.0, 21.0, _PREMIUM_REGIONS),
    ("s-2vcpu-2gb-intel", "Basic Intel", 2048, 2, 60, 3.0, 21.0, _PREMIUM_REGIONS),
    ("s-2vcpu-4gb", "Basic", 4096, 2, 80, 4.0, 24.0, _BASIC_REGIONS),
    ("s-2vcpu-4gb-amd", "Basic AMD", 4096, 2, 80, 4.0, 28.0, _PREMIUM_REGIONS),
    ("s-2vcpu-4gb-intel", "Basic Intel", 4096, 2, 80, 4.0, 28.0, _PREMIUM_REGIONS),
    ("s-2vcpu-8gb-amd", "Basic AMD", 8192, 2, 100, 5.0, 42.0, _PREMIUM_REGIONS),
    ("c-2", "CPU-Optimized", 4096, 2, 25, 4.0, 42.0, _DEDICATED_REGIONS),
    ("c2-2vcpu-4gb", "CPU-Optimized 2x SSD", 4096, 2, 50, 4.0, 47.0, _DEDICATED_REGIONS),
    ("s-4vcpu-8gb", "Basic", 8192, 4, 160, 5.0, 48.0, _BASIC_REGIONS),
    ("s-4vcpu-8gb-amd", "Basic AMD", 8192, 4, 160, 5.0, 56.0, _PREMIUM_REGIONS),
    ("s-4vcpu-8gb-intel", "Basic Intel", 8192, 4, 160, 5.0, 56.0, _PREMIUM_REGIONS),
    ("g-2vcpu-8gb", "General Purpose", 8192, 2, 25, 4.0, 63.0, _DEDICATED_REGIONS),
    ("gd-2vcpu-8gb", "General Purpose", 8192, 2, 50, 4.0, 68.0, _DEDICATED_REGIONS),
    ("s-4vcpu-16gb-amd", "Basic AMD", 16384, 4, 200, 8.0, 84.0, _PREMIUM_REGIONS),
    ("m-2vcpu-16gb", "Memory-Optimized", 16384, 2, 50, 4.0, 84.0, _DEDICATED_REGIONS),
    ("c-4", "CPU-Optimized", 8192, 4, 50, 5.0, 84.0, _DEDICATED_REGIONS),
    ("c2-4vcpu-8gb", "CPU-Optimized 2x SSD", 8192, 4, 100, 5.0, 94.0, _DEDICATED_REGIONS),
    ("s-8vcpu-16gb", "Basic", 16384, 8, 320, 6.0, 96.0, _BASIC_REGIONS),
    ("s-8vcpu-16gb-amd", "Basic AMD", 16384, 8, 320, 6.0, 112.0, _PREMIUM_REGIONS),
    ("s-8vcpu-16gb-intel", "Basic Intel", 16384, 8, 320, 6.0, 112.0, _PREMIUM_REGIONS),
    ("g-4vcpu-16gb", "General Purpose", 16384, 4, 50, 5.0, 126.0, _DEDICATED_REGIONS),
    ("so-2vcpu-16gb", "Storage-Optimized", 16384, 2, 300, 4.0, 131.0, _DEDICATED_REGIONS),
    ("gd-4vcpu-16gb", "General Purpose", 16384, 4, 100, 5.0, 136.0, _DEDICATED_REGIONS),
    ("s-8vcpu-32gb-amd", "Basic AMD", 32768, 8, 400, 10.0, 168.0, _PREMIUM_REGIONS),
    ("m-4vcpu-32gb", "Memory-Optimized", 32768, 4, 100, 6.0, 168.0, _DEDICATED_REGIONS),
    ("c-8", "CPU-Optimized", 16384, 8, 100, 6.0, 168.0, _DEDICATED_REGIONS),
    ("g-8vcpu-32gb", "General Purpose", 32768, 8, 100, 6.0, 252.0, _DEDICATED_REGIONS),
    ("so-4vcpu-32gb", "Storage-Optimized", 32768, 4, 600, 6.0, 262.0, _DEDICATED_REGIONS),
    ("m-8vcpu-64gb", "Memory-Optimized", 65536, 8, 200, 7.0, 336.0, _DEDICATED_REGIONS),
    ("c-16", "CPU-Optimized", 32768, 16, 200, 7.0, 336.0, _DEDICATED_REGIONS),
    ("g-16vcpu-64gb", "General Purpose", 65536, 16, 200, 7.0, 504.0, _DEDICATED_REGIONS),
]

SLUGS = [size[0] for size in SIZES]


def exists(slug: str) -> bool:
    return slug in _by_slug()


@cache
def _by_slug() -> dict[str, dict[str, Any]]:
    return {
        slug: {
            "slug": slug,
            "memory": memory,
            "vcpus": vcpus,
            "disk": disk,
            "transfer": transfer,
            "price_monthly": price,
            "price_hourly": round(price / HOURS_PER_MONTH, 5),
            "regions": sorted(regions),
            "available": True,
            "description": description,
            "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
        }
        for slug, description, memory, vcpus, disk, transfer, price, regions in SIZES
    }


def render(slug: str) -> dict[str, Any]:
    return _by_slug()[slug]


def render_all() -> list[dict[str, Any]]:
    return [render(slug) for slug in SLUGS]


@cache
def _slugs_by_region() -> dict[str, list[str]]:
    by_region: dict[str, list[str]] = {}
    for slug, *_rest, regions in SIZES:
        for region in regions:
            by_region.setdefault(region, []).append(slug)
    return by_region


def slugs_in_region(region: str) -> list[str]:
    return list(_slugs_by_region().get(region, []))
