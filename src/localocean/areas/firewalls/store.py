"""Firewall rows, and the droplets and tags each firewall applies to (rows of their own, so that
a droplet's firewalls are found in SQL and a destroyed droplet drops out by a join)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    bindparam,
    exists,
    func,
    or_,
    select,
)

from localocean.areas.droplets.store import droplets
from localocean.core import tallies
from localocean.core.db import change_row
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import Json, account_id_column, metadata

firewalls = Table(
    "firewalls",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    # Rules as rendered: [{protocol, ports, sources|destinations: {...}}].
    Column("inbound_rules", Json, nullable=False),
    Column("outbound_rules", Json, nullable=False),
    # [{droplet_id, removing, status}] while the last change is being applied.
    Column("pending_changes", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_firewalls_account_created", "account_id", "created_at", "id"),
)


def _firewall_id() -> Column[str]:
    return Column(
        "firewall_id",
        String(36),
        ForeignKey("firewalls.id", ondelete="CASCADE"),
        primary_key=True,
    )


firewall_droplets = Table(
    "firewall_droplets",
    metadata,
    _firewall_id(),
    Column("droplet_id", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, nullable=False),
    Index("ix_firewall_droplets_droplet", "droplet_id"),
)

firewall_tags = Table(
    "firewall_tags",
    metadata,
    _firewall_id(),
    # Tags match without regard to case; the name is the tag's own spelling.
    Column("name_key", String(255), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("position", Integer, nullable=False),
    Index("ix_firewall_tags_name", "name_key"),
)

_OF_ACCOUNT = firewalls.c.account_id == bindparam("account_id")
_ORDER = (firewalls.c.created_at, firewalls.c.id)
_LIST = PagedQuery(select(firewalls).where(_OF_ACCOUNT).order_by(*_ORDER), tally="firewalls")
_GET = Query(select(firewalls).where(_OF_ACCOUNT, firewalls.c.id == bindparam("firewall_id")))
# A change reads the firewall's row locked (PostgreSQL): changes to one firewall take turns.
_GET_LOCKED = Query(
    select(firewalls)
    .where(_OF_ACCOUNT, firewalls.c.id == bindparam("firewall_id"))
    .with_for_update()
)
_GET_ANY = Query(select(firewalls).where(firewalls.c.id == bindparam("firewall_id")))
# The firewalls applying to a droplet: by its id, or by one of its tags.
_OF_DROPLET = PagedQuery(
    select(firewalls)
    .where(
        _OF_ACCOUNT,
        or_(
            exists(
                select(firewall_droplets.c.firewall_id).where(
                    firewall_droplets.c.firewall_id == firewalls.c.id,
                    firewall_droplets.c.droplet_id == bindparam("droplet_id"),
                )
            ),
            exists(
                select(firewall_tags.c.firewall_id).where(
                    firewall_tags.c.firewall_id == firewalls.c.id,
                    firewall_tags.c.name_key.in_(bindparam("name_keys", expanding=True)),
                )
            ),
        ),
    )
    .order_by(*_ORDER)
)
# Droplets that were destroyed are left out by the join.
_DROPLETS_OF = Query(
    select(firewall_droplets.c.firewall_id, firewall_droplets.c.droplet_id)
    .join(droplets, droplets.c.id == firewall_droplets.c.droplet_id)
    .where(firewall_droplets.c.firewall_id.in_(bindparam("firewall_ids", expanding=True)))
    .order_by(firewall_droplets.c.firewall_id, firewall_droplets.c.position)
)
_TAGS_OF = Query(
    select(firewall_tags.c.firewall_id, firewall_tags.c.name)
    .where(firewall_tags.c.firewall_id.in_(bindparam("firewall_ids", expanding=True)))
    .order_by(firewall_tags.c.firewall_id, firewall_tags.c.position)
)
_ADD = Write(firewalls.insert())
_ADD_DROPLET = Write(firewall_droplets.insert())
_ADD_TAG = Write(firewall_tags.insert())
_CLEAR_DROPLETS = Write(
    firewall_droplets.delete().where(firewall_droplets.c.firewall_id == bindparam("firewall_id"))
)
_CLEAR_TAGS = Write(
    firewall_tags.delete().where(firewall_tags.c.firewall_id == bindparam("firewall_id"))
)
_DELETE = Write(firewalls.delete().where(firewalls.c.id == bindparam("firewall_id")))


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def of_droplet(
    connection: Connection, account_id: str, droplet_id: int, tag_names: list[str], page: Page
) -> tuple[list[Row[Any]], int]:
    params = {
        "account_id": account_id,
        "droplet_id": droplet_id,
        # (an empty IN list would be a statement of its own)
        "name_keys": [name.lower() for name in tag_names] or [""],
    }
    return _OF_DROPLET.fetch(connection, params, page)


def get(
    connection: Connection, account_id: str, firewall_id: str, *, lock: bool = False
) -> Row[Any] | None:
    query = _GET_LOCKED if lock else _GET
    return query.first(connection, {"account_id": account_id, "firewall_id": firewall_id})


def get_any(connection: Connection, firewall_id: str) -> Row[Any] | None:
    return _GET_ANY.first(connection, {"firewall_id": firewall_id})


def targets(
    connection: Connection, firewall_ids: list[str]
) -> tuple[dict[str, list[int]], dict[str, list[str]]]:
    """The droplets (those that still exist) and the tags of each of these firewalls, in the
    order they were given."""
    droplet_ids: dict[str, list[int]] = {firewall_id: [] for firewall_id in firewall_ids}
    tag_names: dict[str, list[str]] = {firewall_id: [] for firewall_id in firewall_ids}
    if firewall_ids:
        params = {"firewall_ids": firewall_ids}
        for firewall_id, droplet_id in _DROPLETS_OF.all(connection, params):
            droplet_ids[firewall_id].append(droplet_id)
        for firewall_id, name in _TAGS_OF.all(connection, params):
            tag_names[firewall_id].append(name)
    return droplet_ids, tag_names


def add(connection: Connection, **values: Any) -> None:
    _ADD.run(connection, values)
    tallies.add(connection, values["account_id"], "firewalls")


def change(connection: Connection, firewall_id: str, **values: Any) -> None:
    change_row(connection, firewalls, firewall_id, values)


def set_targets(
    connection: Connection, firewall_id: str, droplet_ids: list[int], tag_names: list[str]
) -> None:
    """Make these the droplets and tags the firewall applies to, in this order."""
    key = {"firewall_id": firewall_id}
    _CLEAR_DROPLETS.run(connection, key)
    _CLEAR_TAGS.run(connection, key)
    for position, droplet_id in enumerate(droplet_ids):
        _ADD_DROPLET.run(connection, {**key, "droplet_id": droplet_id, "position": position})
    for position, name in enumerate(tag_names):
        row = {**key, "name_key": name.lower(), "name": name, "position": position}
        _ADD_TAG.run(connection, row)


def delete(connection: Connection, firewall: Row[Any]) -> None:
    key = {"firewall_id": firewall.id}
    _CLEAR_DROPLETS.run(connection, key)
    _CLEAR_TAGS.run(connection, key)
    _DELETE.run(connection, key)
    tallies.add(connection, firewall.account_id, "firewalls", -1)


def delete_account(connection: Connection, account_id: str) -> None:
    mine = select(firewalls.c.id).where(firewalls.c.account_id == account_id)
    connection.execute(firewall_droplets.delete().where(firewall_droplets.c.firewall_id.in_(mine)))
    connection.execute(firewall_tags.delete().where(firewall_tags.c.firewall_id.in_(mine)))
    connection.execute(firewalls.delete().where(firewalls.c.account_id == account_id))


PER_ACCOUNT = select(firewalls.c.account_id, func.count()).group_by(firewalls.c.account_id)
