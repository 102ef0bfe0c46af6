"""Droplets: the rules DigitalOcean applies when creating one, and droplets as it renders them."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.account import DROPLET_LIMIT
from localocean.areas.droplets import catalog, store
from localocean.areas.images import catalog as public_images
from localocean.areas.images import rules as image_rules
from localocean.areas.images import store as image_store
from localocean.areas.regions import catalog as regions
from localocean.areas.sizes import catalog as sizes
from localocean.areas.ssh_keys import rules as ssh_keys
from localocean.areas.volumes import rules as volumes
from localocean.areas.volumes import store as volume_store
from localocean.areas.vpcs import rules as vpcs
from localocean.areas.vpcs import store as vpc_store
from localocean.core import tags
from localocean.core.clock import rfc3339
from localocean.core.db import next_id
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body, integer_id

TAGS = "droplet"
# What DOKS worker droplets run.
NODE_IMAGE = "debian-13-x64"
# Scheduled when a user deletes a droplet: the area that made it (DOKS) replaces it.
GONE = "droplet.gone"
MAX_NAMES = 10
MAX_USER_DATA = 64 * 1024
HOSTNAME = re.compile(r"[a-zA-Z0-9.\-]*[a-zA-Z0-9]")
HOSTNAME_HINT = "Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)"
# Public addresses: one /20 per gateway, as DigitalOcean's public networks are cut.
PUBLIC_PREFIX = 20
DEFAULT_PUBLIC_RANGE = "198.18.0.0/15"  # RFC 2544 benchmarking space: routes nowhere
# One /64 of RFC 3849 documentation space (routes nowhere); its ::1 is the gateway.
IPV6_NETWORK = ipaddress.IPv6Network("2001:db8:0:1::/64")
# A reserved IPv4 is shown in its /24 (the reserved_ips area hands them out of /24s of
# documentation space), a reserved IPv6 in its /64.
RESERVED_PREFIX = 24


# Reading


def get(connection: Connection, account_id: str, droplet_id: str | int) -> Row[Any]:
    number = droplet_id if isinstance(droplet_id, int) else integer_id(droplet_id)
    droplet = store.get(connection, account_id, number) if number is not None else None
    if droplet is None:
        raise NotFound()
    return droplet


def list_page(
    connection: Connection, account_id: str, query: Any, offset: int, limit: int, now: float
) -> tuple[list[dict[str, Any]], int]:
    kind = query.get("type")
    if kind is not None and kind not in ("droplets", "gpus"):
        raise Unprocessable("type must be one of droplets, gpus")
    name = query.get("name") or None
    tag_name = query.get("tag_name") or None
    if kind == "gpus":  # no size LocalOcean offers has a GPU
        return [], 0
    rows, total = store.list_page(
        connection, account_id, offset, limit, name=name, tag_name=tag_name
    )
    return render_many(connection, account_id, rows, now), total


def render_many(
    connection: Connection, account_id: str, rows: list[Row[Any]], now: float
) -> list[dict]:
    ids = [row.id for row in rows]
    names = tags.names_for(connection, account_id, TAGS, ids)
    images = store.image_ids(connection, ids)
    attached = volume_store.attached_to(connection, ids)
    return [render(row, names[str(row.id)], images[row.id], attached[row.id], now) for row in rows]


def render_one(connection: Connection, row: Row[Any], now: float) -> dict[str, Any]:
    return render_many(connection, row.account_id, [row], now)[0]


def _networks(row: Row[Any]) -> dict[str, list[dict[str, Any]]]:
    if row.status == "new":  # addresses are assigned as the droplet comes up
        return {"v4": [], "v6": []}
    v4: list[dict[str, Any]] = [
        {
            "ip_address": row.private_ipv4,
            "netmask": row.private_netmask,
            "gateway": "",
            "type": "private",
        },
    ]
    if row.public_ipv4:  # none with `public_networking: false`
        public = ipaddress.IPv4Interface(f"{row.public_ipv4}/{PUBLIC_PREFIX}")
        v4.append(
            {
                "ip_address": row.public_ipv4,
                "netmask": str(public.netmask),
                "gateway": str(public.network.network_address + 1),
                "type": "public",
            }
        )
    if row.reserved_ipv4:  # a second public address, after the droplet's own
        reserved = ipaddress.IPv4Interface(f"{row.reserved_ipv4}/{RESERVED_PREFIX}")
        v4.append(
            {
                "ip_address": row.reserved_ipv4,
                "netmask": str(reserved.netmask),
                "gateway": str(reserved.network.network_address + 1),
                "type": "public",
            }
        )
    v6 = []
    if row.ipv6:
        v6.append(
            {
                "ip_address": row.ipv6,
                "netmask": 64,
                "gateway": str(IPV6_NETWORK.network_address + 1),
                "type": "public",
            }
        )
    if row.reserved_ipv6:
        network = ipaddress.IPv6Interface(f"{row.reserved_ipv6}/64").network
        v6.append(
            {
                "ip_address": row.reserved_ipv6,
                "netmask": 64,
                "gateway": str(network.network_address + 1),
                "type": "public",
            }
        )
    return {"v4": v4, "v6": v6}


def render(
    row: Row[Any],
    tag_names: list[str],
    images: dict[str, list[int]],
    volume_ids: list[str],
    now: float,
) -> dict[str, Any]:
    size = sizes.render(row.size_slug)
    window = None
    if "backups" in row.features and row.backup_policy:
        start, end = catalog.next_window(row.backup_policy, now)
        window = {"start": rfc3339(start), "end": rfc3339(end)}
    return {
        "id": row.id,
        "name": row.name,
        "memory": size["memory"],
        "vcpus": size["vcpus"],
        "disk": row.disk,
        "disk_info": [{"type": "local", "size": {"amount": row.disk, "unit": "gib"}}],
        "locked": row.locked,
        "status": row.status,
        "kernel": row.kernel,
        "created_at": rfc3339(row.created_at),
        "features": row.features,
        "backup_ids": images.get("backup", []),
        "next_backup_window": window,
        "snapshot_ids": images.get("snapshot", []),
        "image": row.image,
        "volume_ids": volume_ids,
        "size": size,
        "size_slug": row.size_slug,
        "networks": _networks(row),
        "region": regions.render(row.region),
        "tags": tag_names,
        "vpc_uuid": row.vpc_uuid,
    }


# Creating


def _names(body: Body) -> list[str]:
    name = body.str("name", max_length=255)
    names = body.str_list("names")
    if (name is None) == (names is None):
        raise Unprocessable("give either name or names")
    chosen = [name] if name is not None else names or []
    if not chosen:
        raise Unprocessable("names must not be empty")
    if len(chosen) > MAX_NAMES:
        raise Unprocessable(f"names: at most {MAX_NAMES} droplets can be created at once")
    for each in chosen:
        if not each or len(each) > 255 or not HOSTNAME.fullmatch(each):
            raise Unprocessable(HOSTNAME_HINT)
    return chosen


def image_for(
    connection: Connection, account_id: str, reference: Any, region: str
) -> dict[str, Any]:
    """The image a droplet is built from, rendered: by slug, or by id (public or the account's
    own, available in the region)."""
    invalid = Unprocessable("You specified an invalid image for Droplet creation.")
    if isinstance(reference, bool) or not isinstance(reference, int | str) or reference == "":
        raise invalid
    number = reference if isinstance(reference, int) else integer_id(reference)
    if number is not None and not 0 < number < 2**63:
        raise invalid
    public = public_images.find(number if number is not None else reference)
    if public is not None:
        return public
    if number is None:
        raise invalid
    own = image_store.get(connection, account_id, number)
    if own is None or own.status != "available":
        raise invalid
    if region not in own.regions:
        raise Unprocessable(f"Image {number} is not available in region {region}.")
    return image_rules.render_one(connection, own)


def _backup_policy(body: Body, backups: bool) -> dict[str, Any] | None:
    given = body.data.get("backup_policy")
    if given is None:
        return dict(catalog.DEFAULT_POLICY) if backups else None
    if not backups:
        raise Unprocessable("backup_policy needs backups: true")
    return backup_policy(given)


def backup_policy(given: Any) -> dict[str, Any]:
    policy = Body(given)
    plan = policy.str("plan") or "weekly"
    if plan not in catalog.RETENTION_DAYS:
        raise Unprocessable("backup_policy.plan must be one of daily, weekly")
    hour = policy.int("hour")
    hour = 0 if hour is None else hour
    if hour not in catalog.WINDOW_STARTS:
        starts = ", ".join(str(h) for h in catalog.WINDOW_STARTS)
        raise Unprocessable(f"backup_policy.hour must be one of {starts}")
    chosen = {"plan": plan, "hour": hour}
    if plan == "weekly":
        weekday = (policy.str("weekday") or "SUN").upper()
        if weekday not in catalog.WEEKDAYS:
            raise Unprocessable(
                f"backup_policy.weekday must be one of {', '.join(catalog.WEEKDAYS)}"
            )
        chosen["weekday"] = weekday
    return chosen


def _region(body: Body, size: str) -> str:
    region = body.str("region")
    if region is None:
        # DigitalOcean places a droplet without a region in one that offers the size.
        offered = [r for r in sizes.render(size)["regions"] if regions.is_available(r)]
        if not offered:
            raise Unprocessable("Size is not available in any region.")
        return offered[0]
    offered = sizes.render(size)["regions"]
    if not regions.is_available(region):
        # A prefix (`nyc`) stands for any of its data centers that offers the size.
        matching = [r for r in offered if r.startswith(region) and regions.is_available(r)]
        if not region.isalpha() or not matching:
            raise Unprocessable("You specified an invalid region for Droplet creation.")
        return matching[0]
    if region not in offered:
        raise Unprocessable("Size is not available in this region.")
    return region


def _ssh_keys(connection: Connection, account_id: str, body: Body) -> list[int]:
    references = body.list("ssh_keys") or []
    found = []
    for reference in references:
        if isinstance(reference, bool) or not isinstance(reference, int | str):
            raise Unprocessable("ssh_keys must be key ids or fingerprints")
        key = ssh_keys.resolve(connection, account_id, reference)
        if key is None:
            raise Unprocessable("Invalid key identifiers for Droplet creation.")
        found.append(int(key.id))
    return found


def _free_address(
    connection: Connection,
    network: ipaddress.IPv4Network,
    counter: str,
    block: int,
    taken: Callable[[str], bool],
) -> str | None:
    """The next address of `network` after the last one given that no droplet holds,
    round-robin (a deleted droplet's address comes back after the others): in each block of
    `block` addresses the first (network), second (gateway) and last (broadcast) are skipped."""
    size = network.num_addresses
    start = next_id(connection, counter, 0)
    for step in range(size):
        offset = (start + step) % size
        if offset % block in (0, 1, block - 1):
            continue
        address = str(network.network_address + offset)
        if not taken(address):
            return address
    return None


def _load_balancer_holds(connection: Connection, address: str) -> bool:
    from localocean.areas.load_balancers import store as load_balancers  # an area after this one

    return load_balancers.ip_taken(connection, address)


def public_address(connection: Connection, public_range: str) -> str:
    """A public address no droplet and no load balancer holds (both take them from here)."""
    network = ipaddress.IPv4Network(public_range)
    block = min(2 ** (32 - PUBLIC_PREFIX), network.num_addresses)
    address = _free_address(
        connection, network, "public_ipv4", block,
        lambda a: store.public_taken(connection, a) or _load_balancer_holds(connection, a),
    )  # fmt: skip
    if address is None:
        raise Unprocessable("LocalOcean's public address range is used up (--public-ip-range)")
    return address


def private_address(connection: Connection, vpc: Row[Any]) -> tuple[str, str]:
    """An address of the VPC no droplet and no (internal) load balancer holds."""
    network = ipaddress.IPv4Network(vpc.ip_range)
    address = _free_address(
        connection, network, f"vpc:{vpc.id}", network.num_addresses,
        lambda a: store.private_taken(connection, vpc.id, a) or _load_balancer_holds(connection, a),
    )  # fmt: skip
    if address is None:
        raise Unprocessable(f"VPC {vpc.id} has no free address left")
    return address, str(network.netmask)


def ipv6_address(droplet_id: int) -> str:
    return str(IPV6_NETWORK.network_address + droplet_id)


def create(
    connection: Connection, account_id: str, payload: Any, now: float, public_range: str
) -> list[Row[Any]]:
    """Droplets in state `new`, checked as DigitalOcean checks them; nothing stored on errors
    (the caller's transaction rolls back)."""
    body = Body(payload)
    names = _names(body)
    size = body.str("size", required=True) or ""
    if not sizes.exists(size):
        raise Unprocessable("You specified an invalid size for Droplet creation.")
    region = _region(body, size)
    if not body.has("image"):
        raise Unprocessable("image is required")
    image = image_for(connection, account_id, body.data["image"], region)
    disk = sizes.render(size)["disk"]
    if (image.get("min_disk_size") or 0) > disk:
        raise Unprocessable(
            f"The image requires a disk of at least {image['min_disk_size']} GB: "
            f"size {size} has {disk} GB."
        )
    if store.count(connection, account_id) + len(names) > DROPLET_LIMIT:
        raise Unprocessable(
            f"creating this/these droplet(s) will exceed your droplet limit ({DROPLET_LIMIT})"
        )
    vpc_id = body.str("vpc_uuid")
    if vpc_id:
        vpc = vpc_store.get(connection, account_id, vpc_id)
        if vpc is None:
            raise Unprocessable(f"vpc_uuid {vpc_id!r} is not a VPC of this account")
        if vpc.region != region:
            raise Unprocessable("The VPC must be in the same region as the Droplet.")
    else:
        vpc = vpcs.default_for(connection, account_id, region, now)
    key_ids = _ssh_keys(connection, account_id, body)
    backups = bool(body.bool("backups"))
    policy = _backup_policy(body, backups)
    ipv6 = bool(body.bool("ipv6"))
    monitoring = bool(body.bool("monitoring"))
    agent = body.bool("with_droplet_agent")
    user_data = body.str("user_data", allow_empty=True)
    if user_data is not None and len(user_data.encode()) > MAX_USER_DATA:
        raise Unprocessable(f"user_data must be at most {MAX_USER_DATA} bytes")
    attached = volumes.for_new_droplet(
        connection, account_id, body.list("volumes") or [], region, len(names)
    )
    body.bool("private_networking")
    public = body.bool("public_networking") is not False
    if not public and ipv6:
        raise Unprocessable("ipv6 needs public_networking")
    tag_names = tags.names_in(body) or []
    features = ["private_networking"]
    if backups:
        features.append("backups")
    if ipv6:
        features.append("ipv6")
    if monitoring:
        features.append("monitoring")
    if agent is not False:
        features.append("droplet_agent")
    created = []
    for name in names:
        droplet_id = _add(
            connection, account_id, vpc, tag_names, now,
            public_ipv4=public_address(connection, public_range) if public else "", ipv6=ipv6,
            name=name, region=region, size_slug=size, disk=disk, image=image, status="new",
            features=features, backup_policy=policy, user_data=user_data, ssh_key_ids=key_ids,
        )  # fmt: skip
        volumes.attach_at_create(connection, attached, droplet_id)
        row = store.get_any(connection, droplet_id)
        assert row is not None
        created.append(row)
    return created


def _add(
    connection: Connection,
    account_id: str,
    vpc: Row[Any],
    tag_names: list[str],
    now: float,
    *,
    ipv6: bool,
    **columns: Any,
) -> int:
    """A droplet's row, with its private address in `vpc`, and its tags; its id."""
    droplet_id = store.new_id(connection)
    private, netmask = private_address(connection, vpc)
    store.add(
        connection, id=droplet_id, account_id=account_id, locked=False, kernel=None,
        vpc_uuid=vpc.id, private_ipv4=private, private_netmask=netmask,
        ipv6=ipv6_address(droplet_id) if ipv6 else None, created_at=now, **columns,
    )  # fmt: skip
    tags.add(connection, account_id, TAGS, droplet_id, tag_names, now)
    return droplet_id


def create_for_node(
    connection: Connection,
    account_id: str,
    *,
    name: str,
    region: str,
    size: str,
    vpc_id: str,
    tag_names: list[str],
    now: float,
    public_range: str,
) -> int:
    """The droplet behind a Kubernetes node: made by DOKS, active at once, outside the
    checks (and the limit) of a user's create."""
    vpc = vpc_store.get(connection, account_id, vpc_id)
    assert vpc is not None, "a cluster's VPC stays while the cluster has nodes"
    image = public_images.find(NODE_IMAGE)
    assert image is not None
    return _add(
        connection, account_id, vpc, tag_names, now,
        public_ipv4=public_address(connection, public_range), ipv6=False, name=name,
        region=region, size_slug=size, disk=sizes.render(size)["disk"], image=image,
        status="active", features=["private_networking", "droplet_agent"], backup_policy=None,
        user_data=None, ssh_key_ids=[],
    )  # fmt: skip


# Deleting


def delete(connection: Connection, lifecycle: Lifecycle, droplet: Row[Any], now: float) -> None:
    """The droplet goes; its backups go with it, its snapshots stay (DigitalOcean keeps them)."""
    for image_id in store.image_ids(connection, [droplet.id])[droplet.id].get("backup", []):
        image = image_store.get_any(connection, image_id)
        if image is not None:
            image_rules.remove(connection, lifecycle, image, now)
    tags.untag(connection, TAGS, [droplet.id])
    store.delete(connection, droplet)


def exists(connection: Connection, account_id: str, resource_id: str) -> bool:
    number = integer_id(resource_id)
    return number is not None and store.get(connection, account_id, number) is not None
