"""Load balancer rows: one per load balancer, its settings as DigitalOcean renders them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Integer,
    Row,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal,
    select,
)

from localocean.areas.droplets.store import droplets
from localocean.core import tallies
from localocean.core.db import change_row
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import Json, account_id_column, metadata, tagged_resources, tags

load_balancers = Table(
    "load_balancers",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("type", String(24), nullable=False),
    # None for a global load balancer, which lives in no region.
    Column("region", String(16), nullable=True),
    Column("vpc_uuid", String(36), nullable=True),
    Column("status", String(16), nullable=False),
    # "" until the load balancer is active.
    Column("ip", String(45), nullable=False),
    Column("ipv6", String(64), nullable=True),
    Column("size_unit", Integer, nullable=False),
    Column("size", String(16), nullable=True),
    Column("network", String(16), nullable=False),
    Column("network_stack", String(16), nullable=False),
    # The droplets given by id, in the order given (a destroyed one is left out when rendered),
    # or "" and the tag whose droplets it balances.
    Column("droplet_ids", Json, nullable=False),
    Column("tag", String(255), nullable=False),
    # Everything else as the API renders it: forwarding_rules, health_check, sticky_sessions,
    # firewall, the booleans and numbers, project_id, and a global one's settings.
    Column("settings", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_load_balancers_account_created", "account_id", "created_at", "id"),
    Index("ix_load_balancers_account_name", "account_id", "name"),
    Index("ix_load_balancers_ip", "ip"),
)

_OF_ACCOUNT = load_balancers.c.account_id == bindparam("account_id")
_LIST = PagedQuery(
    select(load_balancers)
    .where(_OF_ACCOUNT)
    .order_by(load_balancers.c.created_at, load_balancers.c.id),
    tally="load_balancers",
)
# godo's ListByNames and ListByUUIDs: `?names=a&names=b`, `?uuids=...` (not in the spec).
_NAMES = load_balancers.c.name.in_(bindparam("names", expanding=True))
_UUIDS = load_balancers.c.id.in_(bindparam("uuids", expanding=True))
_FILTERED = {
    (by_names, by_uuids): PagedQuery(
        select(load_balancers)
        .where(
            _OF_ACCOUNT,
            *([_NAMES] if by_names else []),
            *([_UUIDS] if by_uuids else []),
        )
        .order_by(load_balancers.c.created_at, load_balancers.c.id)
    )
    for by_names, by_uuids in ((True, False), (False, True), (True, True))
}
_GET = Query(select(load_balancers).where(_OF_ACCOUNT, load_balancers.c.id == bindparam("lb_id")))
# A change reads the row locked (PostgreSQL): changes to one load balancer take turns.
_GET_LOCKED = Query(
    select(load_balancers)
    .where(_OF_ACCOUNT, load_balancers.c.id == bindparam("lb_id"))
    .with_for_update()
)
_GET_ANY = Query(select(load_balancers).where(load_balancers.c.id == bindparam("lb_id")))
_NAMED = Query(
    select(load_balancers.c.id).where(_OF_ACCOUNT, load_balancers.c.name == bindparam("name"))
)
_ADD = Write(load_balancers.insert())
_DELETE = Write(load_balancers.delete().where(load_balancers.c.id == bindparam("lb_id")))
_IP_TAKEN = Query(select(load_balancers.c.id).where(load_balancers.c.ip == bindparam("address")))
_IN_VPC = Query(
    select(literal("loadbalancer").label("resource_type"), load_balancers.c.id,
           load_balancers.c.name, load_balancers.c.created_at)
    .where(_OF_ACCOUNT, load_balancers.c.vpc_uuid == bindparam("vpc_id"))
    .order_by(load_balancers.c.created_at, load_balancers.c.id)
)  # fmt: skip
# Which of these droplet ids still exist in the account (a destroyed droplet leaves its LBs).
_EXISTING = Query(
    select(droplets.c.id).where(
        droplets.c.account_id == bindparam("account_id"),
        droplets.c.id.in_(bindparam("droplet_ids", expanding=True)),
    )
)
# The account's droplets carrying any of these tags (matched as tags are, without case).
_TAGGED = Query(
    select(tags.c.name_key, droplets.c.id)
    .join(tagged_resources, tagged_resources.c.tag_id == tags.c.id)
    .join(droplets, cast(droplets.c.id, String) == tagged_resources.c.resource_id)
    .where(
        tags.c.account_id == bindparam("account_id"),
        tags.c.name_key.in_(bindparam("name_keys", expanding=True)),
        tagged_resources.c.resource_type == "droplet",
        droplets.c.account_id == bindparam("account_id"),
    )
    .order_by(droplets.c.id)
)
_DROPLETS = Query(
    select(droplets.c.id, droplets.c.region).where(
        droplets.c.account_id == bindparam("account_id"),
        droplets.c.id.in_(bindparam("droplet_ids", expanding=True)),
    )
)


def list_page(
    connection: Connection, account_id: str, page: Page, names: list[str], uuids: list[str]
) -> tuple[list[Row[Any]], int]:
    if not names and not uuids:
        return _LIST.fetch(connection, {"account_id": account_id}, page)
    params = {"account_id": account_id, "names": names, "uuids": uuids}
    return _FILTERED[bool(names), bool(uuids)].fetch(connection, params, page)


def get(
    connection: Connection, account_id: str, lb_id: str, *, lock: bool = False
) -> Row[Any] | None:
    query = _GET_LOCKED if lock else _GET
    return query.first(connection, {"account_id": account_id, "lb_id": lb_id})


def get_any(connection: Connection, lb_id: str) -> Row[Any] | None:
    return _GET_ANY.first(connection, {"lb_id": lb_id})


def named(connection: Connection, account_id: str, name: str) -> str | None:
    found = _NAMED.first(connection, {"account_id": account_id, "name": name})
    return None if found is None else str(found.id)


def ip_taken(connection: Connection, address: str) -> bool:
    return _IP_TAKEN.first(connection, {"address": address}) is not None


def in_vpc(connection: Connection, account_id: str, vpc_id: str) -> list[Row[Any]]:
    return _IN_VPC.all(connection, {"account_id": account_id, "vpc_id": vpc_id})


def existing_droplets(connection: Connection, account_id: str, droplet_ids: list[int]) -> set[int]:
    if not droplet_ids:
        return set()
    params = {"account_id": account_id, "droplet_ids": droplet_ids}
    return {row.id for row in _EXISTING.all(connection, params)}


def droplet_regions(
    connection: Connection, account_id: str, droplet_ids: list[int]
) -> dict[int, str]:
    """The region of each of these droplets the account has."""
    if not droplet_ids:
        return {}
    params = {"account_id": account_id, "droplet_ids": droplet_ids}
    return {row.id: row.region for row in _DROPLETS.all(connection, params)}


def tagged_droplets(
    connection: Connection, account_id: str, tag_names: list[str]
) -> dict[str, list[int]]:
    """The ids of the account's droplets with each of these tags (by lower-cased name)."""
    found: dict[str, list[int]] = {name.lower(): [] for name in tag_names}
    if found:
        params = {"account_id": account_id, "name_keys": list(found)}
        for name_key, droplet_id in _TAGGED.all(connection, params):
            found[name_key].append(droplet_id)
    return found


_SETTINGS_OF_ACCOUNT = Query(select(load_balancers.c.settings).where(_OF_ACCOUNT))


def uses_certificate(connection: Connection, account_id: str, certificate_id: str) -> bool:
    """Does one of the account's load balancers name the certificate (a forwarding rule, or a
    GLOBAL one's domain)? An account has few load balancers: their settings are read."""
    for (settings,) in _SETTINGS_OF_ACCOUNT.all(connection, {"account_id": account_id}):
        named = [
            *(rule.get("certificate_id") for rule in settings["forwarding_rules"]),
            *(domain.get("certificate_id") for domain in settings.get("domains", [])),
        ]
        if certificate_id in named:
            return True
    return False


_NAMES_OF = Query(
    select(load_balancers.c.id, load_balancers.c.name).where(
        load_balancers.c.id.in_(bindparam("ids", expanding=True))
    )
)


def names(connection: Connection, ids: list[str]) -> list[tuple[str, str]]:
    """(id, name) of these load balancers, in the order given."""
    if not ids:
        return []
    found = {row.id: row.name for row in _NAMES_OF.all(connection, {"ids": ids})}
    return [(id_, found[id_]) for id_ in ids if id_ in found]


def add(connection: Connection, **values: Any) -> None:
    _ADD.run(connection, values)
    tallies.add(connection, values["account_id"], "load_balancers")


def change(connection: Connection, lb_id: str, **values: Any) -> None:
    change_row(connection, load_balancers, lb_id, values)


def delete(connection: Connection, lb: Row[Any]) -> None:
    _DELETE.run(connection, {"lb_id": lb.id})
    tallies.add(connection, lb.account_id, "load_balancers", -1)


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(load_balancers.delete().where(load_balancers.c.account_id == account_id))


PER_ACCOUNT = select(load_balancers.c.account_id, func.count()).group_by(
    load_balancers.c.account_id
)
