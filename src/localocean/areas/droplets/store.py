"""Droplet rows, and the record of droplets destroyed with their associated resources."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    update,
)

from localocean.areas.images.store import images
from localocean.areas.volumes import store as volume_store
from localocean.core import tags as tagging
from localocean.core import tallies
from localocean.core.db import change_row, next_id
from localocean.core.errors import Unprocessable
from localocean.core.pagination import PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import Json, account_id_column, metadata, tagged_resources, tags

# Where DigitalOcean's own droplet ids are today, so ids look real.
DROPLET_IDS_START = 480_000_000

droplets = Table(
    "droplets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("region", String(16), nullable=False),
    Column("size_slug", String(64), nullable=False),
    # The disk can stay smaller than the size's after a resize without `disk`.
    Column("disk", Integer, nullable=False),
    # The image as it was rendered when the droplet was built from it: a deleted custom image
    # still shows on its droplets.
    Column("image", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("features", Json, nullable=False),
    Column("backup_policy", Json, nullable=True),
    Column("kernel", Json, nullable=True),
    Column("vpc_uuid", String(36), nullable=False),
    Column("public_ipv4", String(45), nullable=False),
    Column("private_ipv4", String(45), nullable=False),
    Column("private_netmask", String(45), nullable=False),
    Column("ipv6", String(64), nullable=True),
    Column("user_data", Text, nullable=True),
    Column("ssh_key_ids", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    # The reserved IPs assigned to the droplet: kept by the reserved_ips area (one of each at
    # most); they go with the droplet, which leaves them unassigned.
    Column("reserved_ipv4", String(15), nullable=True),
    Column("reserved_ipv6", String(39), nullable=True),
    Index("ix_droplets_account_id", "account_id", "id"),
    Index("ix_droplets_account_name", "account_id", "name"),
    Index("ix_droplets_vpc", "vpc_uuid", "private_ipv4"),
    Index("ix_droplets_public_ipv4", "public_ipv4"),
    Index("uq_droplets_reserved_ipv4", "reserved_ipv4", unique=True),
    Index("uq_droplets_reserved_ipv6", "reserved_ipv6", unique=True),
)

# `GET .../destroy_with_associated_resources/status` after such a destroy.
droplet_destroys = Table(
    "droplet_destroys",
    metadata,
    Column("droplet_id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("destroyed_at", Float, nullable=False),
    Column("resources", Json, nullable=False),
    Column("failures", Integer, nullable=False),
)

_OF_ACCOUNT = droplets.c.account_id == bindparam("account_id")
_ORDER = (droplets.c.id,)
_LIST = PagedQuery(select(droplets).where(_OF_ACCOUNT).order_by(*_ORDER), tally="droplets")
# DigitalOcean matches `name` without regard to case.
_NAMED = PagedQuery(
    select(droplets)
    .where(_OF_ACCOUNT, func.lower(droplets.c.name) == func.lower(bindparam("name")))
    .order_by(*_ORDER)
)
_TAGGED_WITH = exists(
    select(tagged_resources.c.id)
    .join(tags, tags.c.id == tagged_resources.c.tag_id)
    .where(
        tags.c.account_id == bindparam("account_id"),
        tags.c.name == bindparam("tag_name"),
        tagged_resources.c.resource_type == "droplet",
        tagged_resources.c.resource_id == cast(droplets.c.id, String),
    )
)
_TAGGED = PagedQuery(select(droplets).where(_OF_ACCOUNT, _TAGGED_WITH).order_by(*_ORDER))
_ALL_TAGGED = Query(select(droplets).where(_OF_ACCOUNT, _TAGGED_WITH).order_by(*_ORDER))
_GET = Query(select(droplets).where(_OF_ACCOUNT, droplets.c.id == bindparam("droplet_id")))
_ANY = Query(select(droplets).where(droplets.c.id == bindparam("droplet_id")))
_ADD = Write(droplets.insert())
_DELETE = Write(droplets.delete().where(droplets.c.id == bindparam("droplet_id")))
_IN_VPC = Query(
    select(literal("droplet").label("resource_type"), droplets.c.id, droplets.c.name,
           droplets.c.created_at)
    .where(_OF_ACCOUNT, droplets.c.vpc_uuid == bindparam("vpc_id"))
    .order_by(droplets.c.created_at, droplets.c.id)
)  # fmt: skip
# Snapshots and backups of a page of droplets, in one query.
_IMAGES_OF = Query(
    select(images.c.droplet_id, images.c.id, images.c.type)
    .where(
        images.c.droplet_id.in_(bindparam("droplet_ids", expanding=True)),
        images.c.removed_at.is_(None),
    )
    .order_by(images.c.id)
)
_SNAPSHOTS = and_(
    images.c.account_id == bindparam("account_id"),
    images.c.removed_at.is_(None),
    images.c.droplet_id.is_not(None),
)
_IMAGES_OF_ONE = PagedQuery(
    select(images)
    .where(
        _SNAPSHOTS,
        images.c.droplet_id == bindparam("droplet_id"),
        images.c.type == bindparam("type"),
    )
    .order_by(images.c.id)
)
_ALL_SNAPSHOTS = PagedQuery(
    select(images).where(_SNAPSHOTS, images.c.type == "snapshot").order_by(images.c.id)
)
_DESTROYED = Query(
    select(droplet_destroys).where(
        droplet_destroys.c.account_id == bindparam("account_id"),
        droplet_destroys.c.droplet_id == bindparam("droplet_id"),
    )
)


def seeded(connection: Connection, account_id: str, name: str) -> Row[Any]:
    """The account's one droplet of this name (matched without regard to case): seeds name
    droplets where requests give ids."""
    found, _total = list_page(connection, account_id, 0, 2, name=name)
    if not found:
        raise Unprocessable(f"no droplet named {name!r} was seeded for this account")
    if len(found) > 1:
        raise Unprocessable(f"more than one droplet named {name!r} was seeded for this account")
    return found[0]


def list_page(
    connection: Connection,
    account_id: str,
    offset: int,
    limit: int,
    *,
    name: str | None = None,
    tag_name: str | None = None,
) -> tuple[list[Row[Any]], int]:
    if name is not None:
        return _NAMED.fetch_range(
            connection, {"account_id": account_id, "name": name}, offset, limit
        )
    if tag_name is not None:
        params = {"account_id": account_id, "tag_name": tag_name}
        return _TAGGED.fetch_range(connection, params, offset, limit)
    return _LIST.fetch_range(connection, {"account_id": account_id}, offset, limit)


def tagged(connection: Connection, account_id: str, tag_name: str) -> list[Row[Any]]:
    return _ALL_TAGGED.all(connection, {"account_id": account_id, "tag_name": tag_name})


def get(connection: Connection, account_id: str, droplet_id: int) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "droplet_id": droplet_id})


def get_any(connection: Connection, droplet_id: int) -> Row[Any] | None:
    return _ANY.first(connection, {"droplet_id": droplet_id})


def count(connection: Connection, account_id: str) -> int:
    """The account's droplets, from the tally the list totals read."""
    return tallies.count(connection, account_id, "droplets")


def in_vpc(connection: Connection, account_id: str, vpc_id: str) -> list[Row[Any]]:
    return _IN_VPC.all(connection, {"account_id": account_id, "vpc_id": vpc_id})


def new_id(connection: Connection) -> int:
    return next_id(connection, "droplet", DROPLET_IDS_START)


def add(connection: Connection, **values: Any) -> None:
    _ADD.run(connection, values)
    tallies.add(connection, values["account_id"], "droplets")


_LOCK = Write(
    update(droplets)
    .where(
        droplets.c.id == bindparam("droplet_id"),
        droplets.c.locked.is_(False),
        droplets.c.status != "new",
    )
    .values(locked=True)
)
_PUBLIC_TAKEN = Query(select(droplets.c.id).where(droplets.c.public_ipv4 == bindparam("address")))
_PRIVATE_TAKEN = Query(
    select(droplets.c.id).where(
        droplets.c.vpc_uuid == bindparam("vpc_id"), droplets.c.private_ipv4 == bindparam("address")
    )
)


def lock(connection: Connection, droplet_id: int) -> bool:
    """Lock the droplet for an action, unless it is locked or still being created."""
    return _LOCK.run(connection, {"droplet_id": droplet_id}) == 1


def public_taken(connection: Connection, address: str) -> bool:
    return _PUBLIC_TAKEN.first(connection, {"address": address}) is not None


def private_taken(connection: Connection, vpc_id: str, address: str) -> bool:
    return _PRIVATE_TAKEN.first(connection, {"vpc_id": vpc_id, "address": address}) is not None


def change(connection: Connection, droplet_id: int, **values: Any) -> None:
    change_row(connection, droplets, droplet_id, values)


def delete(connection: Connection, droplet: Row[Any]) -> None:
    """The droplet's row goes; its volumes stay, attached to nothing."""
    volume_store.detach_droplet(connection, droplet.id)
    _DELETE.run(connection, {"droplet_id": droplet.id})
    tallies.add(connection, droplet.account_id, "droplets", -1)


def remove_many(connection: Connection, droplet_ids: list[int]) -> None:
    """Droplets that go with what owns them (a cluster's nodes), untagged and uncounted."""
    for droplet_id in droplet_ids:
        droplet = get_any(connection, droplet_id)
        if droplet is not None:
            tagging.untag(connection, "droplet", [droplet_id])
            delete(connection, droplet)


def image_ids(connection: Connection, droplet_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    """Each droplet's snapshot and backup image ids, oldest first."""
    found: dict[int, dict[str, list[int]]] = {
        droplet_id: {"snapshot": [], "backup": []} for droplet_id in droplet_ids
    }
    if droplet_ids:
        for droplet_id, image_id, kind in _IMAGES_OF.all(connection, {"droplet_ids": droplet_ids}):
            found[droplet_id].setdefault(kind, []).append(image_id)
    return found


def images_of(
    connection: Connection, account_id: str, droplet_id: int, kind: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    params = {"account_id": account_id, "droplet_id": droplet_id, "type": kind}
    return _IMAGES_OF_ONE.fetch_range(connection, params, offset, limit)


def snapshots_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    """The account's droplet snapshots (images of type snapshot taken of a droplet)."""
    return _ALL_SNAPSHOTS.fetch_range(connection, {"account_id": account_id}, offset, limit)


def record_destroy(connection: Connection, **values: Any) -> None:
    connection.execute(
        droplet_destroys.delete().where(droplet_destroys.c.droplet_id == values["droplet_id"])
    )
    connection.execute(droplet_destroys.insert(), values)


def destroyed(connection: Connection, account_id: str, droplet_id: int) -> Row[Any] | None:
    return _DESTROYED.first(connection, {"account_id": account_id, "droplet_id": droplet_id})


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(droplets.delete().where(droplets.c.account_id == account_id))
    connection.execute(droplet_destroys.delete().where(droplet_destroys.c.account_id == account_id))


PER_ACCOUNT = select(droplets.c.account_id, func.count()).group_by(droplets.c.account_id)
