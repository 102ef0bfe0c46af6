"""VPCs: private networks per region, with one default VPC per region and account."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from localocean.domain import regions
from localocean.domain.validation import Body
from localocean.errors import Conflict, Forbidden, NotFound, Unprocessable
from localocean.lifecycle.clock import rfc3339
from localocean.store import vpcs as store
from localocean.store.models import Vpc

NAME = re.compile(r"[a-zA-Z0-9\-.]+")
NAME_HINT = "may only contain alphanumeric characters, dashes, and periods"
PRIVATE_NETWORKS = [
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
]
# Resource kinds that live in VPCs (Kubernetes clusters, ...) register a member counter here.
MemberCounter = Callable[[Session, str, str], int]
MEMBER_COUNTERS: list[MemberCounter] = []

# Generated ranges are /20s from 10.100.0.0 upwards, as DigitalOcean's defaults look.
_GENERATED_START = int(ipaddress.ip_address("10.100.0.0"))


def _overlaps(network: ipaddress.IPv4Network, taken: list[Vpc]) -> bool:
    return any(network.overlaps(ipaddress.ip_network(vpc.ip_range)) for vpc in taken)


def _parse_range(text: str, taken: list[Vpc]) -> str:
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


def _generate_range(taken: list[Vpc]) -> str:
    block = 1 << 12  # a /20
    ten = int(ipaddress.ip_address("10.0.0.0"))
    starts = list(range(_GENERATED_START, ten + (1 << 24), block))
    starts += list(range(ten, _GENERATED_START, block))
    for start in starts:
        network = ipaddress.ip_network((start, 20))
        if not _overlaps(network, taken):
            return str(network)
    raise Unprocessable("no free /20 range is left in 10.0.0.0/8 for this account")


def _name_taken(session: Session, account_id: str, name: str, exclude: str | None = None) -> bool:
    return any(v.name == name and v.id != exclude for v in store.all_of(session, account_id))


def _set_default(session: Session, vpc: Vpc) -> None:
    for other in store.in_region(session, vpc.account_id, vpc.region):
        if other.id != vpc.id and other.is_default:
            other.is_default = False
    vpc.is_default = True


def create(session: Session, account_id: str, payload: Any, now: float) -> Vpc:
    body = Body(payload)
    name = body.str("name", required=True, max_length=255, pattern=NAME, pattern_hint=NAME_HINT)
    region = body.str("region", required=True)
    description = body.str("description", max_length=255) or ""
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    taken = store.all_of(session, account_id)
    if any(v.name == name for v in taken):
        raise Unprocessable(f"a VPC named {name!r} already exists in this account")
    ip_text = body.str("ip_range")
    ip_range = _parse_range(ip_text, taken) if ip_text else _generate_range(taken)
    first_in_region = not any(v.region == region for v in taken)
    vpc = Vpc(
        id=str(uuid.uuid4()),
        account_id=account_id,
        name=name,
        description=description,
        region=region,
        ip_range=ip_range,
        is_default=first_in_region,
        created_at=now,
    )
    if body.bool("default") and not first_in_region:
        _set_default(session, vpc)
    return _stored(session, vpc)


def _stored(session: Session, vpc: Vpc) -> Vpc:
    try:
        with session.begin_nested():
            store.add(session, vpc)
    except IntegrityError as exc:
        raise Unprocessable(f"a VPC named {vpc.name!r} already exists in this account") from exc
    return vpc


def default_for(session: Session, account_id: str, region: str, now: float) -> Vpc:
    """The region's default VPC, created the first time something needs it."""
    in_region = store.in_region(session, account_id, region)
    for vpc in in_region:
        if vpc.is_default:
            return vpc
    taken = store.all_of(session, account_id)
    name = f"default-{region}"
    suffix = 1
    while any(v.name == name for v in taken):
        suffix += 1
        name = f"default-{region}-{suffix}"
    vpc = Vpc(
        id=str(uuid.uuid4()),
        account_id=account_id,
        name=name,
        description="",
        region=region,
        ip_range=_generate_range(taken),
        is_default=True,
        created_at=now,
    )
    return _stored(session, vpc)


def get(session: Session, account_id: str, vpc_id: str) -> Vpc:
    vpc = store.get(session, account_id, vpc_id)
    if vpc is None:
        raise NotFound()
    return vpc


def update(session: Session, account_id: str, vpc_id: str, payload: Any, *, replace: bool) -> Vpc:
    """PUT (`replace`) needs a name; PATCH changes only what it is given."""
    vpc = get(session, account_id, vpc_id)
    body = Body(payload)
    name = body.str("name", required=replace, max_length=255, pattern=NAME, pattern_hint=NAME_HINT)
    description = body.str("description", max_length=255)
    default = body.bool("default")
    if name is not None and name != vpc.name:
        if _name_taken(session, account_id, name, exclude=vpc.id):
            raise Unprocessable(f"a VPC named {name!r} already exists in this account")
        vpc.name = name
    if description is not None:
        vpc.description = description
    if default is True and not vpc.is_default:
        _set_default(session, vpc)
    elif default is False and vpc.is_default:
        raise Forbidden("Can not unset default VPCs")
    session.flush()
    return vpc


def delete(session: Session, account_id: str, vpc_id: str) -> None:
    vpc = get(session, account_id, vpc_id)
    if vpc.is_default:
        raise Forbidden("Can not delete default VPC")
    if sum(count(session, account_id, vpc.id) for count in MEMBER_COUNTERS):
        raise Conflict("Can not delete VPC with members")
    store.delete(session, vpc)


def render(vpc: Vpc) -> dict[str, Any]:
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
