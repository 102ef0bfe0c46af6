"""Action rows: the record of every asynchronous operation of an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from localocean.store.db import next_id
from localocean.store.paging import PagedQuery
from localocean.store.schema import actions

_OF_ACCOUNT = actions.c.account_id == bindparam("account_id")
_LIST = PagedQuery(select(actions).where(_OF_ACCOUNT).order_by(actions.c.id.desc()))
_GET = select(actions).where(_OF_ACCOUNT, actions.c.id == bindparam("action_id"))


def list_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, offset, limit)


def get(connection: Connection, account_id: str, action_id: int) -> Row[Any] | None:
    return connection.execute(_GET, {"account_id": account_id, "action_id": action_id}).first()


def get_any(connection: Connection, action_id: int) -> Row[Any] | None:
    return connection.execute(select(actions).where(actions.c.id == action_id)).first()


def add(connection: Connection, **values: Any) -> Row[Any]:
    action_id = next_id(connection, "action")
    connection.execute(actions.insert().values(id=action_id, **values))
    row = get_any(connection, action_id)
    assert row is not None
    return row


def finish(connection: Connection, action_id: int, status: str, at: float) -> None:
    connection.execute(
        update(actions)
        .where(actions.c.id == action_id, actions.c.status == "in-progress")
        .values(status=status, completed_at=at)
    )


_OF_RESOURCE = PagedQuery(
    select(actions)
    .where(
        _OF_ACCOUNT,
        actions.c.resource_type == bindparam("resource_type"),
        actions.c.resource_id == bindparam("resource_id"),
    )
    .order_by(actions.c.id.desc())
)


def list_for_resource(
    connection: Connection,
    account_id: str,
    resource_type: str,
    resource_id: int,
    offset: int,
    limit: int,
) -> tuple[list[Row[Any]], int]:
    params = {"account_id": account_id, "resource_type": resource_type, "resource_id": resource_id}
    return _OF_RESOURCE.fetch(connection, params, offset, limit)
