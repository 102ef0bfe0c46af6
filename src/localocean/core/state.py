"""The whole database as one document, resets, and what each account holds: for tests that
save, restore and start over, and for `localocean status`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Integer, MetaData, select, text

from localocean.core.lifecycle import Lifecycle
from localocean.core.tables import accounts, tagged_resources, tags, tallies

if TYPE_CHECKING:
    from localocean.core.area import Area


def export_tables(connection: Connection, metadata: MetaData) -> dict[str, list[dict[str, Any]]]:
    dumped = {}
    for table in _state_tables(metadata):
        order = list(table.primary_key.columns)
        rows = connection.execute(select(table).order_by(*order))
        # Column names are SQLAlchemy `quoted_name`s; JSON wants plain strings.
        names = [str(column.name) for column in table.columns]
        dumped[str(table.name)] = [dict(zip(names, row, strict=True)) for row in rows]
    return dumped


def _state_tables(metadata: MetaData) -> list[Any]:
    return [table for table in metadata.sorted_tables if table.info.get("state", True)]


def clear(connection: Connection, metadata: MetaData) -> None:
    for table in reversed(_state_tables(metadata)):
        connection.execute(table.delete())


def import_tables(
    connection: Connection, metadata: MetaData, tables: dict[str, list[dict[str, Any]]]
) -> None:
    """Replace everything with `tables` (as `export_tables` wrote them)."""
    unknown = set(tables) - {table.name for table in _state_tables(metadata)}
    if unknown:
        raise ValueError(f"unknown tables: {', '.join(sorted(unknown))}")
    clear(connection, metadata)
    for table in _state_tables(metadata):
        rows = tables.get(table.name) or []
        if rows:
            connection.execute(table.insert(), rows)
    if connection.dialect.name == "postgresql":
        _restart_sequences(connection, metadata)


def _restart_sequences(connection: Connection, metadata: MetaData) -> None:
    """Rows loaded with their ids leave PostgreSQL's serial sequences behind: move each past
    the largest loaded id so the next insert does not collide."""
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        name, column = str(table.name), str(keys[0].name)
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                f'COALESCE((SELECT MAX("{column}") FROM "{name}"), 0) + 1, false)'
            )
        )


def clear_account(connection: Connection, areas: Sequence[Area], account_id: str) -> None:
    """Remove every resource of one account (the account and its tokens stay)."""
    Lifecycle.cancel_account(connection, account_id)
    own_tags = select(tags.c.id).where(tags.c.account_id == account_id)
    connection.execute(tagged_resources.delete().where(tagged_resources.c.tag_id.in_(own_tags)))
    for area in reversed(areas):
        if area.reset_account is not None:
            area.reset_account(connection, account_id)
    connection.execute(tags.delete().where(tags.c.account_id == account_id))
    connection.execute(tallies.delete().where(tallies.c.account_id == account_id))


def summary(connection: Connection, areas: Sequence[Area]) -> list[dict[str, Any]]:
    """What each account holds, for `localocean status`."""
    result = {
        row.id: {"account": row.slug, "uuid": row.id, "email": row.email}
        for row in connection.execute(select(accounts).order_by(accounts.c.created_at))
    }
    for area in areas:
        for key, stmt in area.counts.items():
            counts: dict[str, int] = dict(connection.execute(stmt).all())
            for account_id, entry in result.items():
                entry[key] = counts.get(account_id, 0)
    return list(result.values())
