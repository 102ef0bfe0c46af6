"""The areas of DigitalOcean's API that LocalOcean serves, each declared by its `AREA`.

The app, the schema, the lifecycle engine, tags, seeding, resets and `localocean status` are
built from this list. Order matters where areas depend on each other: an area comes after the
ones it uses (seeding follows this order, so a seed entry can name what an earlier section
made; resets run in reverse). Areas that use each other are ordered by their seeds (a volume
names its droplet) and the earlier one imports the later one's modules (docs/architecture.md).
"""

from __future__ import annotations

from localocean.areas import (
    account,
    actions,
    certificates,
    domains,
    droplets,
    firewalls,
    images,
    kubeapi,
    kubernetes,
    load_balancers,
    projects,
    regions,
    reserved_ips,
    sizes,
    ssh_keys,
    tags,
    volumes,
    vpcs,
)
from localocean.core.area import Area

AREAS: tuple[Area, ...] = (
    account.AREA,
    sizes.AREA,
    regions.AREA,
    actions.AREA,
    vpcs.AREA,
    ssh_keys.AREA,
    tags.AREA,
    images.AREA,
    droplets.AREA,
    reserved_ips.AREA,
    volumes.AREA,
    kubernetes.AREA,
    kubeapi.AREA,
    domains.AREA,
    certificates.AREA,
    load_balancers.AREA,
    firewalls.AREA,
    projects.AREA,
)
