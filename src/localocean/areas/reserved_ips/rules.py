"""Reserved IPs (IPv4, also served as the older floating IPs) and reserved IPv6s: the rules
DigitalOcean applies to creating, assigning, unassigning and deleting them, and how it renders
them and their actions.

An address is assigned when its `assign` action completes (the lifecycle engine, on the clock);
until then it is `locked`. The assignment itself is kept on the droplet's row, so a destroyed
droplet leaves its reserved IPs unassigned."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.account import RESERVED_IP_LIMIT
from localocean.areas.actions import rules as action_rules
from localocean.areas.actions import store as action_store
from localocean.areas.droplets import rules as droplet_rules
from localocean.areas.droplets import store as droplet_store
from localocean.areas.projects import rules as projects
from localocean.areas.regions import catalog as regions
from localocean.areas.reserved_ips import store
from localocean.core.clock import rfc3339
from localocean.core.db import Duplicate, next_id
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body, numeric_id

ACT = "reserved_ip.action"
V4, V6 = 4, 6
RESOURCE_TYPES = {V4: "reserved_ip", V6: "reserved_ipv6"}
# Reserved IPv4s come from the three /24s of documentation space (RFC 5737), apart from the
# droplets' own public addresses (198.18.0.0/15 by default; any of these addresses inside a
# configured `--public-ip-range` is skipped). Each /24's first, second (its gateway) and last
# addresses are never handed out.
IPV4_POOL = tuple(
    ipaddress.IPv4Network(net) for net in ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")
)
# Reserved IPv6s come from their own /64 of documentation space (RFC 3849), apart from the
# droplets' (2001:db8:0:1::/64).
IPV6_NETWORK = ipaddress.IPv6Network("2001:db8:0:2::/64")
_IPV6_START = 0x1000
# What an unassigned reserved IPv4 costs a month (the cost a droplet's associated IP shows).
MONTHLY_COST = "4.00"
URN_KIND = "floatingip"  # the spec's project resource URNs know reserved IPs by this kind

# Reading


def parse(text: str, family: int) -> str | None:
    """The canonical text of an address of `family`, or None if `text` is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return str(address) if address.version == family else None


def get(connection: Connection, account_id: str, family: int, text: str) -> Row[Any]:
    ip = parse(text, family)
    row = store.get(connection, account_id, family, ip) if ip is not None else None
    if row is None:
        raise NotFound()
    return row


def resource_id(row: Row[Any]) -> int:
    """An IPv4's actions name it by its address as an integer, as DigitalOcean's do; an
    IPv6's (which does not fit 64 bits) by its id."""
    return int(ipaddress.IPv4Address(row.ip)) if row.family == V4 else int(row.id)


def render_many(
    connection: Connection, account_id: str, rows: list[Row[Any]], now: float, *, v6: bool = False
) -> list[dict[str, Any]]:
    """Rows of one family, each with the droplet it is assigned to (rendered in full): a fixed
    number of queries per page."""
    family = V6 if v6 else V4
    holders = store.holders(connection, family, [row.ip for row in rows])
    shown = droplet_rules.render_many(connection, account_id, list(holders.values()), now)
    by_ip = {ip: shown[i] for i, ip in enumerate(holders)}
    found = {} if v6 else _projects(connection, account_id, rows)
    return [_render(row, by_ip.get(row.ip), found.get(row.ip)) for row in rows]


def urn(ip: str) -> str:
    return f"do:{URN_KIND}:{ip}"


def _projects(connection: Connection, account_id: str, rows: list[Row[Any]]) -> dict[str, Any]:
    """IPv4 -> the id of the project it is in."""
    found = projects.projects_of(
        connection, account_id, [(urn(row.ip), row.created_at) for row in rows]
    )
    return {row.ip: found[urn(row.ip)] for row in rows}


def render_one(connection: Connection, row: Row[Any], now: float) -> dict[str, Any]:
    return render_many(connection, row.account_id, [row], now, v6=row.family == V6)[0]


def _render(
    row: Row[Any], droplet: dict[str, Any] | None, project_id: str | None
) -> dict[str, Any]:
    if row.family == V6:
        return {
            "ip": row.ip,
            "region_slug": row.region,
            "reserved_at": rfc3339(row.created_at),
            "droplet": droplet,
        }
    return {
        "ip": row.ip,
        "region": regions.render(row.region),
        "droplet": droplet,
        "locked": row.locked,
        "project_id": project_id,
    }


def render_action(
    connection: Connection, action: Row[Any], row: Row[Any] | None = None
) -> dict[str, Any]:
    """A reserved IP's action; with the IP, its project too (as DigitalOcean shows it)."""
    body = action_rules.render(action)
    if row is not None and row.family == V4:
        body["project_id"] = _projects(connection, row.account_id, [row])[row.ip]
    return body


def action_of(connection: Connection, row: Row[Any], action_id: str) -> Row[Any]:
    action = action_rules.get(connection, row.account_id, action_id)
    if action.resource_type != RESOURCE_TYPES[row.family] or action.resource_id != resource_id(row):
        raise NotFound()
    return action


# Creating


def _droplet_id(body: Body, *, required: bool) -> int | None:
    """`droplet_id`: an integer, or a string of digits (Ansible sends one)."""
    value = body.data.get("droplet_id")
    if value is None:
        if required:
            raise Unprocessable("droplet_id is required")
        return None
    number = numeric_id(value.strip() if isinstance(value, str) else value)
    if number is None:
        raise Unprocessable("droplet_id must be the integer id of a droplet")
    return number


def _target(connection: Connection, account_id: str, family: int, droplet_id: int) -> Row[Any]:
    """A droplet a reserved IP of `family` can be assigned to, as DigitalOcean checks it."""
    droplet = droplet_store.get(connection, account_id, droplet_id)
    if droplet is None:
        raise Unprocessable(f"Droplet {droplet_id} could not be found.")
    if droplet.status == "new" or droplet.locked:
        raise Unprocessable("Droplet already has a pending event.")
    if family == V4 and not droplet.public_ipv4:
        raise Unprocessable("A reserved IP needs a Droplet with public networking.")
    if family == V6 and not droplet.ipv6:
        raise Unprocessable("A reserved IPv6 needs a Droplet with IPv6 enabled.")
    return droplet


def _region(body: Body, key: str) -> str | None:
    region = body.str(key)
    if region is not None and not regions.is_available(region.lower()):
        raise Unprocessable(f"{key} {region!r} is not a valid, available region slug")
    return region.lower() if region is not None else None


def _project(body: Body) -> str | None:
    text = body.str("project_id", allow_empty=True)
    if not text:  # godo always sends the field, empty when not set
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError as exc:
        raise Unprocessable("project_id must be a project's UUID") from exc


def _free_ipv4(connection: Connection, public_range: str) -> str:
    """The next address of the pool no reserved IP holds, round-robin (a released address
    comes back after the others)."""
    droplets_range = ipaddress.IPv4Network(public_range)
    size = 256 * len(IPV4_POOL)
    start = next_id(connection, "reserved_ipv4", 0)
    for step in range(size):
        offset = (start + step) % size
        if offset % 256 in (0, 1, 255):
            continue
        address = IPV4_POOL[offset // 256].network_address + offset % 256
        if address in droplets_range or store.taken(connection, str(address)):
            continue
        return str(address)
    raise Unprocessable("LocalOcean's reserved IP addresses are used up")


def _free_ipv6(connection: Connection) -> str:
    while True:
        address = str(
            IPV6_NETWORK.network_address + next_id(connection, "reserved_ipv6", _IPV6_START)
        )
        if not store.taken(connection, address):
            return address


def _chosen(connection: Connection, text: str, family: int, public_range: str = "") -> str:
    """An address a seed asks for: one LocalOcean could have handed out, and free."""
    ip = parse(text, family)
    if ip is None:
        raise Unprocessable(f"ip {text!r} is not an IPv{family} address")
    address = ipaddress.ip_address(ip)
    if family == V4:
        usable = (
            any(address in net for net in IPV4_POOL)
            and int(address) % 256 not in (0, 1, 255)
            and address not in ipaddress.IPv4Network(public_range or "0.0.0.0/32")
        )
    else:
        usable = address in IPV6_NETWORK and int(address) - int(IPV6_NETWORK[0]) > 1
    if not usable:
        pool = ", ".join(str(net) for net in IPV4_POOL) if family == V4 else str(IPV6_NETWORK)
        raise Unprocessable(f"ip {ip} is not an address LocalOcean hands out ({pool})")
    if store.taken(connection, ip):
        raise Unprocessable(f"ip {ip} is already reserved")
    return ip


def _add(
    connection: Connection,
    account_id: str,
    family: int,
    region: str,
    now: float,
    ip: str,
) -> Row[Any]:
    try:
        row_id = store.add(
            connection, account_id=account_id, family=family, ip=ip, region=region,
            locked=False, created_at=now,
        )  # fmt: skip
    except Duplicate as exc:
        raise Unprocessable(f"ip {ip} is already reserved") from exc
    row = store.by_id(connection, row_id)
    assert row is not None
    return row


def create(
    connection: Connection,
    lifecycle: Lifecycle,
    account_id: str,
    payload: Any,
    now: float,
    public_range: str,
    *,
    ip: str | None = None,
) -> tuple[Row[Any], Row[Any] | None, int | None]:
    """A reserved IPv4 reserved to a region, or assigned to a droplet through an `assign_ip`
    action (returned, with the droplet's id); nothing stored on errors."""
    body = Body(payload)
    droplet_id = _droplet_id(body, required=False)
    region = _region(body, "region")
    project_id = _project(body)
    if droplet_id is None and region is None:
        raise Unprocessable("give either region or droplet_id")
    droplet = None
    if droplet_id is not None:
        droplet = _target(connection, account_id, V4, droplet_id)
        if region is not None and region != droplet.region:
            raise Unprocessable("The reserved IP and the Droplet must be in the same region.")
        if droplet.reserved_ipv4:
            raise Unprocessable("Droplet already has a reserved IP assigned.")
        region = droplet.region
    assert region is not None
    if store.count(connection, account_id, V4) >= RESERVED_IP_LIMIT:
        raise Unprocessable(
            f"You have reached the reserved IP limit of your account ({RESERVED_IP_LIMIT})."
        )
    if ip:
        address = _chosen(connection, ip, V4, public_range)
    else:
        address = _free_ipv4(connection, public_range)
    row = _add(connection, account_id, V4, region, now, address)
    projects.place(connection, account_id, urn(address), URN_KIND, project_id, now)
    if droplet is None:
        _record(connection, lifecycle, row, "reserve_ip")
        return row, None, None
    action = start(connection, lifecycle, row, "assign", droplet.id)
    locked = store.by_id(connection, row.id)
    assert locked is not None
    return locked, action, droplet.id


def create_v6(
    connection: Connection, account_id: str, payload: Any, now: float, *, ip: str | None = None
) -> Row[Any]:
    body = Body(payload)
    if not body.has("region_slug"):
        raise Unprocessable("region_slug is required")
    region = _region(body, "region_slug")
    assert region is not None
    address = _chosen(connection, ip, V6) if ip else _free_ipv6(connection)
    return _add(connection, account_id, V6, region, now, address)


def _record(connection: Connection, lifecycle: Lifecycle, row: Row[Any], type: str) -> None:
    """An action that is over as it starts (reserving an address to a region)."""
    now = lifecycle.clock.now()
    action_store.add(
        connection, account_id=row.account_id, status="completed", type=type, started_at=now,
        completed_at=now, resource_id=resource_id(row), resource_type=RESOURCE_TYPES[row.family],
        region_slug=row.region,
    )  # fmt: skip


# Actions


def start(
    connection: Connection, lifecycle: Lifecycle, row: Row[Any], type: str, droplet_id: int | None
) -> Row[Any]:
    if not store.lock(connection, row.id):
        raise Unprocessable("The reserved IP already has a pending event.")
    return action_rules.start(
        connection, lifecycle, row.account_id, type=f"{type}_ip",
        resource_type=RESOURCE_TYPES[row.family], resource_id=resource_id(row),
        region_slug=row.region, completion=ACT,
        payload={"row_id": row.id, "type": type, "droplet_id": droplet_id},
    )  # fmt: skip


def request(connection: Connection, lifecycle: Lifecycle, row: Row[Any], payload: Any) -> Row[Any]:
    """`POST .../actions`: `assign` (to a droplet of the same region; an assigned address
    moves) or `unassign`, checked as DigitalOcean checks them, then started."""
    body = Body(payload)
    type = body.str("type", required=True) or ""
    if type not in ("assign", "unassign"):
        raise Unprocessable("type must be one of assign, unassign")
    if row.locked:
        raise Unprocessable("The reserved IP already has a pending event.")
    current = store.holder(connection, row.family, row.ip)
    if type == "unassign":
        if current is None:
            raise Unprocessable("The reserved IP is not assigned to a Droplet.")
        return start(connection, lifecycle, row, type, None)
    droplet_id = _droplet_id(body, required=True)
    assert droplet_id is not None
    droplet = _target(connection, row.account_id, row.family, droplet_id)
    if droplet.region != row.region:
        raise Unprocessable("The reserved IP and the Droplet must be in the same region.")
    held = droplet.reserved_ipv4 if row.family == V4 else droplet.reserved_ipv6
    if held and held != row.ip:
        raise Unprocessable("Droplet already has a reserved IP assigned.")
    return start(connection, lifecycle, row, type, droplet.id)


def completed(
    connection: Connection, transition: Row[Any], payload: dict[str, Any], _lifecycle: Lifecycle
) -> None:
    """An assign or unassign lands: the address moves (or leaves its droplet) and unlocks."""
    action_id, at = int(transition.resource_id), transition.due_at
    row = store.by_id(connection, payload["row_id"])
    if row is None:  # released meanwhile
        action_rules.finish(connection, action_id, at, "errored")
        return
    store.unlock(connection, row.id)
    action_rules.finish(connection, action_id, at, _apply(connection, row, payload))


def _apply(connection: Connection, row: Row[Any], payload: dict[str, Any]) -> str:
    """The action's effect; its final status."""
    if payload["type"] == "unassign":
        store.release(connection, row.family, row.ip)
        return "completed"
    droplet = droplet_store.get_any(connection, payload["droplet_id"])
    if droplet is None:  # destroyed meanwhile
        return "errored"
    held = droplet.reserved_ipv4 if row.family == V4 else droplet.reserved_ipv6
    if held and held != row.ip:  # given another address meanwhile
        return "errored"
    store.assign(connection, row.family, row.ip, droplet.id)
    return "completed"


def assign_now(connection: Connection, row: Row[Any], droplet: Row[Any]) -> None:
    """An assignment without an action (a seeded world starts with it in place)."""
    held = droplet.reserved_ipv4 if row.family == V4 else droplet.reserved_ipv6
    if held:
        raise Unprocessable("Droplet already has a reserved IP assigned.")
    if droplet.region != row.region:
        raise Unprocessable("The reserved IP and the Droplet must be in the same region.")
    store.assign(connection, row.family, row.ip, droplet.id)


# Deleting


def delete(connection: Connection, row: Row[Any]) -> None:
    """An IPv4 is released even while assigned (it leaves its droplet); an assigned IPv6 is
    refused, as DigitalOcean refuses it. Neither while an action is in progress."""
    if row.locked:
        raise Unprocessable("The reserved IP has a pending event.")
    if row.family == V6 and store.holder(connection, V6, row.ip) is not None:
        raise Unprocessable("An assigned reserved IPv6 cannot be released: unassign it first.")
    store.delete(connection, row)


# A droplet's associated resources (`destroy_with_associated_resources`)


def of_droplet(connection: Connection, droplet: Row[Any]) -> list[dict[str, Any]]:
    """The droplet's reserved IPv4, as an associated resource."""
    if not droplet.reserved_ipv4:
        return []
    row = store.by_ip(connection, droplet.reserved_ipv4)
    if row is None:
        return []
    return [{"id": str(row.id), "name": row.ip, "cost": MONTHLY_COST}]


def release_with(connection: Connection, droplet: Row[Any], now: float) -> list[dict[str, Any]]:
    """Delete the droplet's reserved IPv4 with it; what went, as the status shows it."""
    gone = []
    for resource in of_droplet(connection, droplet):
        row = store.by_id(connection, int(resource["id"]))
        if row is not None:
            store.delete(connection, row)
            gone.append({"id": resource["id"], "name": row.ip, "destroyed_at": rfc3339(now)})
    return gone
