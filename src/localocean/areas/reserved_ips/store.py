"""Reserved IP rows (IPv4 and IPv6, one table), and the assignment columns they keep on the
droplets table (`droplets.reserved_ipv4`, `droplets.reserved_ipv6`): a droplet shows its
reserved IPs without asking this area, and a destroyed droplet leaves its IPs unassigned."""

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
    bindparam,
    func,
    null,
    select,
    update,
)

from localocean.areas.droplets.store import droplets
from localocean.core import tallies
from localocean.core.db import change_row, next_id, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import account_id_column, metadata

# DigitalOcean's reserved IPs have numeric ids besides their address (the associated
# resources of a droplet name them by it); start where real ones are.
RESERVED_IP_IDS_START = 6_100_000
KINDS = {4: "reserved_ips", 6: "reserved_ipv6s"}  # tallied kinds, per address family

reserved_ips = Table(
    "reserved_ips",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("family", Integer, nullable=False),  # 4 or 6
    # The address, in its canonical text form: unique across every account.
    Column("ip", String(39), nullable=False, unique=True),
    Column("region", String(16), nullable=False),
    # While an assign or unassign action is in progress.
    Column("locked", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_reserved_ips_account", "account_id", "family", "id"),
)

_OF_ACCOUNT = reserved_ips.c.account_id == bindparam("account_id")
_LISTS = {
    family: PagedQuery(
        select(reserved_ips)
        .where(_OF_ACCOUNT, reserved_ips.c.family == family)
        .order_by(reserved_ips.c.id),
        tally=kind,
    )
    for family, kind in KINDS.items()
}
_GET = Query(
    select(reserved_ips).where(
        _OF_ACCOUNT,
        reserved_ips.c.family == bindparam("family"),
        reserved_ips.c.ip == bindparam("ip"),
    )
)
_BY_IP = Query(select(reserved_ips).where(reserved_ips.c.ip == bindparam("ip")))
_BY_ID = Query(select(reserved_ips).where(reserved_ips.c.id == bindparam("row_id")))
_TAKEN = Query(select(reserved_ips.c.id).where(reserved_ips.c.ip == bindparam("ip")))
_ADD = Write(reserved_ips.insert())
_DELETE = Write(reserved_ips.delete().where(reserved_ips.c.id == bindparam("row_id")))
# Locked in one statement: of two actions asked for at once, one gets the address.
_LOCK = Write(
    update(reserved_ips)
    .where(reserved_ips.c.id == bindparam("row_id"), reserved_ips.c.locked.is_(False))
    .values(locked=True)
)

_COLUMN = {4: droplets.c.reserved_ipv4, 6: droplets.c.reserved_ipv6}
# The droplets holding a page of addresses, in one query per family.
_HOLDERS = {
    family: Query(select(droplets).where(column.in_(bindparam("ips", expanding=True))))
    for family, column in _COLUMN.items()
}
_HOLDER = {
    family: Query(select(droplets).where(column == bindparam("ip")))
    for family, column in _COLUMN.items()
}
_SET = {
    family: Write(
        update(droplets)
        .where(droplets.c.id == bindparam("droplet_id"))
        .values({column.name: bindparam("ip")})
    )
    for family, column in _COLUMN.items()
}
_RELEASE = {
    family: Write(update(droplets).where(column == bindparam("ip")).values({column: null()}))
    for family, column in _COLUMN.items()
}


def list_page(
    connection: Connection, account_id: str, family: int, page: Page
) -> tuple[list[Row[Any]], int]:
    return _LISTS[family].fetch(connection, {"account_id": account_id}, page)


def get(connection: Connection, account_id: str, family: int, ip: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "family": family, "ip": ip})


def by_ip(connection: Connection, ip: str) -> Row[Any] | None:
    return _BY_IP.first(connection, {"ip": ip})


def by_id(connection: Connection, row_id: int) -> Row[Any] | None:
    return _BY_ID.first(connection, {"row_id": row_id})


def taken(connection: Connection, ip: str) -> bool:
    return _TAKEN.first(connection, {"ip": ip}) is not None


def count(connection: Connection, account_id: str, family: int) -> int:
    return tallies.count(connection, account_id, KINDS[family])


def add(connection: Connection, **values: Any) -> int:
    """A new address; raises Duplicate (and leaves no trace, the id counter included) if
    another transaction took the same address meanwhile."""
    with savepoint(connection):
        row_id = next_id(connection, "reserved_ip", RESERVED_IP_IDS_START)
        _ADD.run(connection, {"id": row_id, **values})
    tallies.add(connection, values["account_id"], KINDS[values["family"]])
    return row_id


def lock(connection: Connection, row_id: int) -> bool:
    return _LOCK.run(connection, {"row_id": row_id}) == 1


def unlock(connection: Connection, row_id: int) -> None:
    change_row(connection, reserved_ips, row_id, {"locked": False})


def delete(connection: Connection, row: Row[Any]) -> None:
    release(connection, row.family, row.ip)
    _DELETE.run(connection, {"row_id": row.id})
    tallies.add(connection, row.account_id, KINDS[row.family], -1)


# Assignments


def holders(connection: Connection, family: int, ips: list[str]) -> dict[str, Row[Any]]:
    """The droplet each address of `ips` is assigned to (those assigned)."""
    if not ips:
        return {}
    column = str(_COLUMN[family].name)
    return {getattr(row, column): row for row in _HOLDERS[family].all(connection, {"ips": ips})}


def holder(connection: Connection, family: int, ip: str) -> Row[Any] | None:
    return _HOLDER[family].first(connection, {"ip": ip})


def assign(connection: Connection, family: int, ip: str, droplet_id: int) -> None:
    """Move the address to the droplet (from any other it was on)."""
    release(connection, family, ip)
    _SET[family].run(connection, {"droplet_id": droplet_id, "ip": ip})


def release(connection: Connection, family: int, ip: str) -> None:
    _RELEASE[family].run(connection, {"ip": ip})


def delete_account(connection: Connection, account_id: str) -> None:
    for column in _COLUMN.values():
        connection.execute(
            update(droplets).where(droplets.c.account_id == account_id).values({column.name: None})
        )
    connection.execute(reserved_ips.delete().where(reserved_ips.c.account_id == account_id))


def _per_account(family: int) -> Any:
    return (
        select(reserved_ips.c.account_id, func.count())
        .where(reserved_ips.c.family == family)
        .group_by(reserved_ips.c.account_id)
    )


PER_ACCOUNT = {kind: _per_account(family) for family, kind in KINDS.items()}
