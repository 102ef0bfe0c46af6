"""VPC rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from localocean.store.paging import PagedQuery
from localocean.store.schema import vpcs

_OF_ACCOUNT = vpcs.c.account_id == bindparam("account_id")
_LIST = PagedQuery(select(vpcs).where(_OF_ACCOUNT).order_by(vpcs.c.created_at, vpcs.c.id))
_GET = select(vpcs).where(_OF_ACCOUNT, vpcs.c.id == bindparam("vpc_id"))


def list_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, offset, limit)


def get(connection: Connection, account_id: str, vpc_id: str) -> Row[Any] | None:
    return connection.execute(_GET, {"account_id": account_id, "vpc_id": vpc_id}).first()


def all_of(connection: Connection, account_id: str) -> list[Row[Any]]:
    return list(connection.execute(select(vpcs).where(vpcs.c.account_id == account_id)))


def add(connection: Connection, **values: Any) -> None:
    connection.execute(vpcs.insert().values(**values))


def change(connection: Connection, vpc_id: str, **values: Any) -> None:
    connection.execute(update(vpcs).where(vpcs.c.id == vpc_id).values(**values))


def clear_default(connection: Connection, account_id: str, region: str) -> None:
    connection.execute(
        update(vpcs)
        .where(vpcs.c.account_id == account_id, vpcs.c.region == region)
        .values(is_default=False)
    )


def delete(connection: Connection, vpc_id: str) -> None:
    connection.execute(vpcs.delete().where(vpcs.c.id == vpc_id))
