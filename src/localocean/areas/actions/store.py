"""Action rows: the record of every asynchronous operation of an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Row,
    String,
    Table,
    bindparam,
    func,
    select,
    update,
)

from localocean.core import tallies
from localocean.core.db import next_id
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query
from localocean.core.tables import account_id_column, metadata

ACTION_IDS_START = 2_400_000_000

actions = Table(
    "actions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("status", String(16), nullable=False),
    Column("type", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("completed_at", Float, nullable=True),
    Column("resource_id", BigInteger, nullable=True),
    Column("resource_type", String(64), nullable=False),
    Column("region_slug", String(16), nullable=True),
    Index("ix_actions_account_id", "account_id", "id"),
)

_OF_ACCOUNT = actions.c.account_id == bindparam("account_id")
_LIST = PagedQuery(
    select(actions).where(_OF_ACCOUNT).order_by(actions.c.id.desc()), tally="actions"
)
_GET = Query(select(actions).where(_OF_ACCOUNT, actions.c.id == bindparam("action_id")))
_OF_RESOURCE = PagedQuery(
    select(actions)
    .where(
        _OF_ACCOUNT,
        actions.c.resource_type == bindparam("resource_type"),
        actions.c.resource_id == bindparam("resource_id"),
    )
    .order_by(actions.c.id.desc())
)


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def list_for_resource(
    connection: Connection, account_id: str, resource_type: str, resource_id: int, page: Page
) -> tuple[list[Row[Any]], int]:
    params = {"account_id": account_id, "resource_type": resource_type, "resource_id": resource_id}
    return _OF_RESOURCE.fetch(connection, params, page)


def get(connection: Connection, account_id: str, action_id: int) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "action_id": action_id})


def get_any(connection: Connection, action_id: int) -> Row[Any] | None:
    return connection.execute(select(actions).where(actions.c.id == action_id)).first()


def add(connection: Connection, **values: Any) -> Row[Any]:
    action_id = next_id(connection, "action", ACTION_IDS_START)
    connection.execute(actions.insert(), {"id": action_id, **values})
    tallies.add(connection, values["account_id"], "actions")
    row = get_any(connection, action_id)
    assert row is not None
    return row


def finish(connection: Connection, action_id: int, status: str, at: float) -> None:
    connection.execute(
        update(actions)
        .where(actions.c.id == action_id, actions.c.status == "in-progress")
        .values(status=status, completed_at=at)
    )


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(actions.delete().where(actions.c.account_id == account_id))


PER_ACCOUNT = select(actions.c.account_id, func.count()).group_by(actions.c.account_id)
