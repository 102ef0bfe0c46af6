"""VPCs: private networks per region, with one default VPC per region and account."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.regions import catalog as regions
from localocean.areas.vpcs import store
from localocean.core.area import VpcMembers
from localocean.core.clock import rfc3339
from localocean.core.db import Duplicate
from localocean.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from localocean.core.validation import Body

NAME = re.compile(r"[a-zA-Z0-9\-.]+")
NAME_HINT = "may only contain alphanumeric characters, dashes, and periods"
PRIVATE_NETWORKS = [
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
]

# Generated ranges are /20s from 10.100.0.0 upwards, as DigitalOcean's defaults look.
_GENERATED_START = int(ipaddress.ip_address("10.100.0.0"))


def _overlaps(network: ipaddress.IPv4Network, taken: list[Row[Any]]) -> bool:
    return any(network.overlaps(ipaddress.ip_network(vpc.ip_range)) for vpc in taken)


def _parse_range(text: str, taken: list[Row[Any]]) -> str:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise Unprocessable(f"ip_range {text!r} is not a valid CIDR network: {exc}") from exc
    if not isinstance(network, ipaddress.IPv4Network) or not any(
        network.subnet_of(private) for private in PRIVATE_NETWORKS
    ):
        raise Unprocessable("ip_range must be within a private range (RFC 1918)")
    if not 16 <= network.prefixlen <= 28:
        raise Unprocessable("ip_range may not be smaller than /28 nor larger than /16")
    if _overlaps(network, taken):
        raise Unprocessable(f"ip_range {text} overlaps with another VPC in this account")
    return str(network)


def _generate_range(taken: list[Row[Any]]) -> str:
    block = 1 << 12  # a /20
    ten = int(ipaddress.ip_address("10.0.0.0"))
    starts = [
        *range(_GENERATED_START, ten + (1 << 24), block),
        *range(ten, _GENERATED_START, block),
    ]
    for start in starts:
        network = ipaddress.IPv4Network((start, 20))
        if not _overlaps(network, taken):
            return str(network)
    raise Unprocessable("no free /20 range is left in 10.0.0.0/8 for this account")


def _duplicate(name: str) -> Unprocessable:
    return Unprocessable(f"a VPC named {name!r} already exists in this account")


def _insert(connection: Connection, **values: Any) -> Row[Any]:
    try:
        store.add(connection, **values)
    except Duplicate as exc:
        raise _duplicate(values["name"]) from exc
    return get(connection, values["account_id"], values["id"])


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = (
        body.str("name", required=True, max_length=255, pattern=NAME, pattern_hint=NAME_HINT) or ""
    )
    region = body.str("region", required=True) or ""
    description = body.str("description", max_length=255) or ""
    make_default = body.bool("default")
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    taken = store.all_of(connection, account_id)
    if any(v.name == name for v in taken):
        raise _duplicate(name)
    ip_text = body.str("ip_range")
    ip_range = _parse_range(ip_text, taken) if ip_text else _generate_range(taken)
    # The first VPC of a region becomes its default; `default: true` takes the default over.
    is_default = make_default or not any(v.region == region for v in taken)
    if is_default:
        store.clear_default(connection, account_id, region)
    return _insert(
        connection,
        id=str(uuid.uuid4()),
        account_id=account_id,
        name=name,
        description=description,
        region=region,
        ip_range=ip_range,
        is_default=bool(is_default),
        created_at=now,
    )


def default_for(connection: Connection, account_id: str, region: str, now: float) -> Row[Any]:
    """The region's default VPC, created the first time something needs it."""
    found = store.default_in(connection, account_id, region)
    if found is not None:
        return found
    taken = store.all_of(connection, account_id)
    name, suffix = f"default-{region}", 1
    while any(v.name == name for v in taken):
        suffix += 1
        name = f"default-{region}-{suffix}"
    vpc_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "id": vpc_id,
        "account_id": account_id,
        "name": name,
        "description": "",
        "region": region,
        "ip_range": _generate_range(taken),
        "is_default": True,
        "created_at": now,
    }
    try:
        store.add(connection, **values)
    except Duplicate as exc:
        # Another request (thread or process) made it first, and has committed: take that one.
        found = store.default_in(connection, account_id, region)
        if found is None:  # a VPC of that name, made meanwhile, not the default
            raise _duplicate(name) from exc
        return found
    return get(connection, account_id, vpc_id)


def get(connection: Connection, account_id: str, vpc_id: str) -> Row[Any]:
    vpc = store.get(connection, account_id, vpc_id)
    if vpc is None:
        raise NotFound()
    return vpc


def update(
    connection: Connection, account_id: str, vpc_id: str, payload: Any, *, replace: bool
) -> Row[Any]:
    """PUT (`replace`) needs a name; PATCH changes only what it is given."""
    vpc = get(connection, account_id, vpc_id)
    body = Body(payload)
    name = body.str("name", required=replace, max_length=255, pattern=NAME, pattern_hint=NAME_HINT)
    description = body.str("description", max_length=255)
    default = body.bool("default")
    changes: dict[str, Any] = {}
    if name is not None and name != vpc.name:
        if any(v.name == name and v.id != vpc.id for v in store.all_of(connection, account_id)):
            raise _duplicate(name)
        changes["name"] = name
    if description is not None:
        changes["description"] = description
    if default is False and vpc.is_default:
        raise Forbidden("Can not unset default VPCs")
    if default is True and not vpc.is_default:
        store.clear_default(connection, account_id, vpc.region)
        changes["is_default"] = True
    if changes:
        try:
            store.change(connection, vpc.id, **changes)
        except Duplicate as exc:
            raise _duplicate(changes.get("name", vpc.name)) from exc
    return get(connection, account_id, vpc_id)


def delete(
    connection: Connection, account_id: str, vpc_id: str, members: Iterable[VpcMembers]
) -> None:
    vpc = get(connection, account_id, vpc_id)
    if vpc.is_default:
        raise Forbidden("Can not delete default VPC")
    if any(of_area(connection, account_id, vpc.id) for of_area in members):
        raise Conflict("Can not delete VPC with members")
    store.delete(connection, vpc)


def render(vpc: Row[Any]) -> dict[str, Any]:
    return {
        "id": vpc.id,
        "urn": f"do:vpc:{vpc.id}",
        "name": vpc.name,
        "description": vpc.description,
        "region": vpc.region,
        "ip_range": vpc.ip_range,
        "default": vpc.is_default,
        "created_at": rfc3339(vpc.created_at),
    }


def render_rows(_connection: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    return [render(row) for row in rows]
