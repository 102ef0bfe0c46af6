"""What DOKS offers: versions (newest first, as doctl and Terraform expect), regions, sizes."""

from __future__ import annotations

from typing import Any

from localocean.areas.regions import catalog as regions
from localocean.areas.sizes import catalog as sizes

FEATURES = ["cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication"]

# Newest first: clients take the first entry as "latest".
VERSIONS = ["1.37.1-do.0", "1.36.4-do.1", "1.35.8-do.2"]
LATEST = VERSIONS[0]
# Node sizes: DOKS needs at least 2 GB of memory per node.
NODE_SIZES = [slug for slug in sizes.SLUGS if sizes.render(slug)["memory"] >= 2048]


def upstream(slug: str) -> str:
    return slug.split("-do.")[0]


def _key(slug: str) -> tuple[int, ...]:
    version, _, revision = slug.partition("-do.")
    return (*(int(part) for part in version.split(".")), int(revision or 0))


def minor(slug: str) -> str:
    return ".".join(upstream(slug).split(".")[:2])


def render_version(slug: str) -> dict[str, Any]:
    return {"slug": slug, "kubernetes_version": upstream(slug), "supported_features": FEATURES}


def resolve(requested: str) -> str | None:
    """A version slug, a minor (`1.36`: its newest patch) or `latest`; None if unknown."""
    if requested == "latest":
        return LATEST
    if requested in VERSIONS:
        return requested
    in_minor = [slug for slug in VERSIONS if minor(slug) == requested]
    return in_minor[0] if in_minor else None


def upgrades(current: str) -> list[str]:
    """Newer versions a cluster may move to: a newer patch of its minor, or the next minor."""
    try:
        major, minor_number = (int(p) for p in upstream(current).split(".")[:2])
        current_key = _key(current)
    except ValueError:
        return []
    allowed = {f"{major}.{minor_number}", f"{major}.{minor_number + 1}"}
    newer = [slug for slug in VERSIONS if _key(slug) > current_key and minor(slug) in allowed]
    return sorted(newer, key=_key)


def ha_default(slug: str) -> bool:
    """DOKS 1.36.0 and later default to a highly available control plane."""
    return _key(slug)[:2] >= (1, 36)


def options() -> dict[str, Any]:
    return {
        "options": {
            "regions": [
                {"name": regions.render(slug)["name"], "slug": slug} for slug in regions.AVAILABLE
            ],
            "versions": [render_version(slug) for slug in VERSIONS],
            "sizes": [{"name": slug, "slug": slug} for slug in NODE_SIZES],
        }
    }
