"""Durable lifecycle state: the clock's offset and the scheduled transitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from localocean.store.schema import clock_state, transitions


def load_clock(connection: Connection) -> Row[Any] | None:
    return connection.execute(select(clock_state).where(clock_state.c.id == 1)).first()


def save_clock(connection: Connection, offset_seconds: float, frozen_at: float | None) -> None:
    values = {"offset_seconds": offset_seconds, "frozen_at": frozen_at}
    changed = connection.execute(update(clock_state).where(clock_state.c.id == 1).values(**values))
    if not changed.rowcount:
        connection.execute(clock_state.insert().values(id=1, **values))


def add_transition(connection: Connection, **values: Any) -> int:
    result = connection.execute(transitions.insert().values(**values))
    return int(result.inserted_primary_key[0])


def get(connection: Connection, transition_id: int) -> Row[Any] | None:
    return connection.execute(select(transitions).where(transitions.c.id == transition_id)).first()


def due(connection: Connection, now: float, limit: int = 100) -> list[Row[Any]]:
    stmt = (
        select(transitions.c.id, transitions.c.kind)
        .where(transitions.c.due_at <= now)
        .order_by(transitions.c.due_at, transitions.c.id)
        .limit(limit)
    )
    return list(connection.execute(stmt))


def earliest_due(connection: Connection) -> float | None:
    return connection.execute(select(func.min(transitions.c.due_at))).scalar()


def pending_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(transitions)).scalar_one())


def remove(connection: Connection, transition_id: int) -> None:
    connection.execute(transitions.delete().where(transitions.c.id == transition_id))


def cancel_for(connection: Connection, resource_type: str, resource_id: str) -> int:
    result = connection.execute(
        transitions.delete().where(
            transitions.c.resource_type == resource_type, transitions.c.resource_id == resource_id
        )
    )
    return int(result.rowcount or 0)


def resource_ids(connection: Connection, kind: str) -> list[str]:
    stmt = select(transitions.c.resource_id).where(transitions.c.kind == kind)
    return list(connection.execute(stmt).scalars())
