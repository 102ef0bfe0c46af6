"""VPC rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, select, update

from localocean.store.paging import fetch_page
from localocean.store.schema import vpcs


def list_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    stmt = (
        select(vpcs).where(vpcs.c.account_id == account_id).order_by(vpcs.c.created_at, vpcs.c.id)
    )
    return fetch_page(connection, stmt, offset, limit)


def get(connection: Connection, account_id: str, vpc_id: str) -> Row[Any] | None:
    return connection.execute(
        select(vpcs).where(vpcs.c.account_id == account_id, vpcs.c.id == vpc_id)
    ).first()


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
