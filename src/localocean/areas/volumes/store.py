"""Volume rows, volume snapshot rows, and which actions were a volume's.

A volume is attached to at most one droplet (`droplet_id`); `pending` names the action in flight
on it (`attach`, `detach`, `resize`), if any. Volume actions are rows of the `actions` area;
`volume_actions` says which volume each was about (an action's `resource_id` is an integer, a
volume's id is not). Other areas read attachments through `attached_to` and `detach_droplet`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    update,
)

from localocean.areas.actions.store import actions
from localocean.core import tallies
from localocean.core.db import change_row, next_id, savepoint
from localocean.core.pagination import PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import account_id_column, metadata

VOLUMES = "volumes"
SNAPSHOTS = "volume_snapshots"

volumes = Table(
    "volumes",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    # Creation order (ids are random; times repeat on a frozen clock).
    Column("seq", BigInteger, nullable=False),
    Column("name", String(64), nullable=False),
    Column("region", String(16), nullable=False),
    Column("size_gigabytes", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("filesystem_type", String(8), nullable=False),
    Column("filesystem_label", String(16), nullable=False),
    Column("droplet_id", BigInteger, nullable=True),
    Column("pending", String(16), nullable=True),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_volumes_account_region_name"),
    Index("ix_volumes_account_seq", "account_id", "seq"),
    Index("ix_volumes_droplet", "droplet_id"),
)

volume_snapshots = Table(
    "volume_snapshots",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("seq", BigInteger, nullable=False),
    # The volume it was taken of; the snapshot outlives it.
    Column("volume_id", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("region", String(16), nullable=False),
    Column("min_disk_size", Integer, nullable=False),
    Column("size_gigabytes", Float, nullable=False),
    Column("filesystem_type", String(8), nullable=False),
    Column("filesystem_label", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_volume_snapshots_account_name"),
    Index("ix_volume_snapshots_account_seq", "account_id", "seq"),
    Index("ix_volume_snapshots_volume", "volume_id", "seq"),
)

volume_actions = Table(
    "volume_actions",
    metadata,
    Column("action_id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("volume_id", String(36), nullable=False),
    Index("ix_volume_actions_volume", "volume_id", "action_id"),
)

_OF_ACCOUNT = volumes.c.account_id == bindparam("account_id")
_ORDER = volumes.c.seq
_LIST = PagedQuery(select(volumes).where(_OF_ACCOUNT).order_by(_ORDER), tally=VOLUMES)
_NAMED = PagedQuery(
    select(volumes).where(_OF_ACCOUNT, volumes.c.name == bindparam("name")).order_by(_ORDER)
)
_IN_REGION = PagedQuery(
    select(volumes).where(_OF_ACCOUNT, volumes.c.region == bindparam("region")).order_by(_ORDER)
)
_NAMED_IN_REGION = PagedQuery(
    select(volumes)
    .where(
        _OF_ACCOUNT,
        volumes.c.name == bindparam("name"),
        volumes.c.region == bindparam("region"),
    )
    .order_by(_ORDER)
)
_GET = Query(select(volumes).where(_OF_ACCOUNT, volumes.c.id == bindparam("volume_id")))
_ANY = Query(select(volumes).where(volumes.c.id == bindparam("volume_id")))
_BY_NAME = Query(
    select(volumes).where(
        _OF_ACCOUNT, volumes.c.name == bindparam("name"), volumes.c.region == bindparam("region")
    )
)
_ADD = Write(volumes.insert())
_DELETE = Write(volumes.delete().where(volumes.c.id == bindparam("volume_id")))
_ATTACHED = Query(
    select(volumes.c.droplet_id, volumes.c.id)
    .where(volumes.c.droplet_id.in_(bindparam("droplet_ids", expanding=True)))
    .order_by(_ORDER)
)
_OF_DROPLET = Query(
    select(volumes).where(volumes.c.droplet_id == bindparam("droplet_id")).order_by(_ORDER)
)
_DETACH_DROPLET = Write(
    update(volumes).where(volumes.c.droplet_id == bindparam("gone_droplet")).values(droplet_id=None)
)

_SNAP_OF_ACCOUNT = volume_snapshots.c.account_id == bindparam("account_id")
_SNAPSHOTS = PagedQuery(
    select(volume_snapshots).where(_SNAP_OF_ACCOUNT).order_by(volume_snapshots.c.seq),
    tally=SNAPSHOTS,
)
_SNAPSHOTS_OF = PagedQuery(
    select(volume_snapshots)
    .where(_SNAP_OF_ACCOUNT, volume_snapshots.c.volume_id == bindparam("volume_id"))
    .order_by(volume_snapshots.c.seq)
)
_SNAPSHOTS_OF_MANY = Query(
    select(volume_snapshots)
    .where(
        _SNAP_OF_ACCOUNT,
        volume_snapshots.c.volume_id.in_(bindparam("volume_ids", expanding=True)),
    )
    .order_by(volume_snapshots.c.seq)
)
_SNAPSHOT = Query(
    select(volume_snapshots).where(
        _SNAP_OF_ACCOUNT, volume_snapshots.c.id == bindparam("snapshot_id")
    )
)
_ADD_SNAPSHOT = Write(volume_snapshots.insert())
_DELETE_SNAPSHOT = Write(
    volume_snapshots.delete().where(volume_snapshots.c.id == bindparam("snapshot_id"))
)

_ADD_ACTION = Write(volume_actions.insert())
_ACTIONS_OF = PagedQuery(
    select(actions)
    .join(volume_actions, volume_actions.c.action_id == actions.c.id)
    .where(
        volume_actions.c.account_id == bindparam("account_id"),
        volume_actions.c.volume_id == bindparam("volume_id"),
    )
    .order_by(actions.c.id.desc())
)
_ACTION_OF = Query(
    select(volume_actions.c.action_id).where(
        volume_actions.c.volume_id == bindparam("volume_id"),
        volume_actions.c.action_id == bindparam("action_id"),
    )
)


# Volumes


def list_page(
    connection: Connection,
    account_id: str,
    offset: int,
    limit: int,
    *,
    name: str | None = None,
    region: str | None = None,
) -> tuple[list[Row[Any]], int]:
    params: dict[str, Any] = {"account_id": account_id}
    if name is not None and region is not None:
        query = _NAMED_IN_REGION
        params.update(name=name, region=region)
    elif name is not None:
        query, params["name"] = _NAMED, name
    elif region is not None:
        query, params["region"] = _IN_REGION, region
    else:
        query = _LIST
    return query.fetch_range(connection, params, offset, limit)


_VOLUMES_NAMED = Query(
    select(volumes.c.id, volumes.c.name).where(volumes.c.id.in_(bindparam("ids", expanding=True)))
)
_SNAPSHOTS_NAMED = Query(
    select(volume_snapshots.c.id, volume_snapshots.c.name).where(
        volume_snapshots.c.id.in_(bindparam("ids", expanding=True))
    )
)


def names(connection: Connection, ids: list[str], *, snapshots: bool = False) -> list[Any]:
    """(id, name) of these volumes (or volume snapshots), in the order given."""
    if not ids:
        return []
    query = _SNAPSHOTS_NAMED if snapshots else _VOLUMES_NAMED
    found = {row.id: row.name for row in query.all(connection, {"ids": ids})}
    return [(id_, found[id_]) for id_ in ids if id_ in found]


def get(connection: Connection, account_id: str, volume_id: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "volume_id": volume_id})


def get_any(connection: Connection, volume_id: str) -> Row[Any] | None:
    return _ANY.first(connection, {"volume_id": volume_id})


def by_name(connection: Connection, account_id: str, name: str, region: str) -> Row[Any] | None:
    return _BY_NAME.first(connection, {"account_id": account_id, "name": name, "region": region})


def count(connection: Connection, account_id: str) -> int:
    return tallies.count(connection, account_id, VOLUMES)


def add(connection: Connection, **values: Any) -> None:
    """Raises Duplicate if the account has a volume of this name in the region; the id counter
    is taken inside the savepoint, so a refused volume leaves no trace."""
    with savepoint(connection):
        seq = next_id(connection, "volume", 0)
        _ADD.run(connection, {**values, "seq": seq})
    tallies.add(connection, values["account_id"], VOLUMES)


_CLAIM = Write(
    volumes.update()
    .where(
        volumes.c.id == bindparam("volume_id"),
        volumes.c.pending.is_(None),
        volumes.c.droplet_id.is_not_distinct_from(bindparam("seen_droplet_id")),
        volumes.c.size_gigabytes == bindparam("seen_size"),
    )
    .values(pending=bindparam("pending"))
)


def claim(connection: Connection, volume: Row[Any], pending: str) -> bool:
    """Mark the volume busy with an action, unless one already is or an action ended since
    `volume` was read and checked (decided by the database: of two requests racing, in two
    processes, one starts its action)."""
    params = {"volume_id": volume.id, "pending": pending, "seen_droplet_id": volume.droplet_id,
              "seen_size": volume.size_gigabytes}  # fmt: skip
    return _CLAIM.run(connection, params) == 1


def change(connection: Connection, volume_id: str, **values: Any) -> None:
    change_row(connection, volumes, volume_id, values)


def delete(connection: Connection, volume: Row[Any]) -> None:
    _DELETE.run(connection, {"volume_id": volume.id})
    connection.execute(volume_actions.delete().where(volume_actions.c.volume_id == volume.id))
    tallies.add(connection, volume.account_id, VOLUMES, -1)


def attached_to(connection: Connection, droplet_ids: list[int]) -> dict[int, list[str]]:
    """The ids of the volumes attached to each of these droplets, oldest first: one query."""
    found: dict[int, list[str]] = {droplet_id: [] for droplet_id in droplet_ids}
    if droplet_ids:
        for droplet_id, volume_id in _ATTACHED.all(connection, {"droplet_ids": droplet_ids}):
            found[droplet_id].append(volume_id)
    return found


def of_droplet(connection: Connection, droplet_id: int) -> list[Row[Any]]:
    return _OF_DROPLET.all(connection, {"droplet_id": droplet_id})


def detach_droplet(connection: Connection, droplet_id: int) -> None:
    """The droplet is gone: its volumes are attached to nothing."""
    connection.execute(
        update(volumes).where(volumes.c.droplet_id == droplet_id).values(droplet_id=None)
    )


# Snapshots


def snapshots_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    return _SNAPSHOTS.fetch_range(connection, {"account_id": account_id}, offset, limit)


def snapshots_of(
    connection: Connection, account_id: str, volume_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    params = {"account_id": account_id, "volume_id": volume_id}
    return _SNAPSHOTS_OF.fetch_range(connection, params, offset, limit)


def snapshots_of_volumes(
    connection: Connection, account_id: str, volume_ids: list[str]
) -> list[Row[Any]]:
    if not volume_ids:
        return []
    return _SNAPSHOTS_OF_MANY.all(connection, {"account_id": account_id, "volume_ids": volume_ids})


def snapshot(connection: Connection, account_id: str, snapshot_id: str) -> Row[Any] | None:
    return _SNAPSHOT.first(connection, {"account_id": account_id, "snapshot_id": snapshot_id})


def add_snapshot(connection: Connection, **values: Any) -> None:
    """Raises Duplicate if the account has a volume snapshot of this name."""
    with savepoint(connection):
        seq = next_id(connection, "volume_snapshot", 0)
        _ADD_SNAPSHOT.run(connection, {**values, "seq": seq})
    tallies.add(connection, values["account_id"], SNAPSHOTS)


def delete_snapshot(connection: Connection, snapshot: Row[Any]) -> None:
    _DELETE_SNAPSHOT.run(connection, {"snapshot_id": snapshot.id})
    tallies.add(connection, snapshot.account_id, SNAPSHOTS, -1)


# Actions


def add_action(connection: Connection, account_id: str, volume_id: str, action_id: int) -> None:
    params = {"action_id": action_id, "account_id": account_id, "volume_id": volume_id}
    _ADD_ACTION.run(connection, params)


def actions_of(
    connection: Connection, account_id: str, volume_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    params = {"account_id": account_id, "volume_id": volume_id}
    return _ACTIONS_OF.fetch_range(connection, params, offset, limit)


def is_action_of(connection: Connection, volume_id: str, action_id: int) -> bool:
    params = {"volume_id": volume_id, "action_id": action_id}
    return _ACTION_OF.first(connection, params) is not None


def delete_account(connection: Connection, account_id: str) -> None:
    for table in (volume_actions, volume_snapshots, volumes):
        connection.execute(table.delete().where(table.c.account_id == account_id))


PER_ACCOUNT = select(volumes.c.account_id, func.count()).group_by(volumes.c.account_id)
SNAPSHOTS_PER_ACCOUNT = select(volume_snapshots.c.account_id, func.count()).group_by(
    volume_snapshots.c.account_id
)
