"""VPC rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    Row,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
    update,
)

from localocean.core import tallies
from localocean.core.db import change_row, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query
from localocean.core.tables import account_id_column, metadata

vpcs = Table(
    "vpcs",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("region", String(16), nullable=False),
    Column("ip_range", String(43), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_vpcs_account_name"),
    Index("ix_vpcs_account_created", "account_id", "created_at", "id"),
    # One default per region: requests racing to make it (threads, processes) make one.
    Index(
        "uq_vpcs_default_region",
        "account_id",
        "region",
        unique=True,
        sqlite_where=text("is_default"),
        postgresql_where=text("is_default"),
    ),
)

_OF_ACCOUNT = vpcs.c.account_id == bindparam("account_id")
_LIST = PagedQuery(
    select(vpcs).where(_OF_ACCOUNT).order_by(vpcs.c.created_at, vpcs.c.id), tally="vpcs"
)
_GET = Query(select(vpcs).where(_OF_ACCOUNT, vpcs.c.id == bindparam("vpc_id")))


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def get(connection: Connection, account_id: str, vpc_id: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "vpc_id": vpc_id})


_DEFAULT = Query(
    select(vpcs).where(
        _OF_ACCOUNT, vpcs.c.region == bindparam("region"), vpcs.c.is_default.is_(True)
    )
)


def default_in(connection: Connection, account_id: str, region: str) -> Row[Any] | None:
    return _DEFAULT.first(connection, {"account_id": account_id, "region": region})


def all_of(connection: Connection, account_id: str) -> list[Row[Any]]:
    return list(connection.execute(select(vpcs).where(vpcs.c.account_id == account_id)))


def add(connection: Connection, **values: Any) -> None:
    """Raises Duplicate if the account has a VPC of this name."""
    with savepoint(connection):
        connection.execute(vpcs.insert(), values)
    tallies.add(connection, values["account_id"], "vpcs")


def change(connection: Connection, vpc_id: str, **values: Any) -> None:
    """Raises Duplicate if a new name is taken."""
    with savepoint(connection):
        change_row(connection, vpcs, vpc_id, values)


def clear_default(connection: Connection, account_id: str, region: str) -> None:
    connection.execute(
        update(vpcs)
        .where(vpcs.c.account_id == account_id, vpcs.c.region == region)
        .values(is_default=False)
    )


def delete(connection: Connection, vpc: Row[Any]) -> None:
    connection.execute(vpcs.delete().where(vpcs.c.id == vpc.id))
    tallies.add(connection, vpc.account_id, "vpcs", -1)


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(vpcs.delete().where(vpcs.c.account_id == account_id))


PER_ACCOUNT = select(vpcs.c.account_id, func.count()).group_by(vpcs.c.account_id)
