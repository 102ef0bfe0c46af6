"""Durable lifecycle state: the clock's offset and the scheduled transitions."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from localocean.store.models import ClockState, Transition


def load_clock(session: Session) -> ClockState | None:
    return session.get(ClockState, 1)


def save_clock(session: Session, offset_seconds: float, frozen_at: float | None) -> None:
    state = session.get(ClockState, 1)
    if state is None:
        session.add(ClockState(id=1, offset_seconds=offset_seconds, frozen_at=frozen_at))
    else:
        state.offset_seconds = offset_seconds
        state.frozen_at = frozen_at
    session.flush()


def add_transition(session: Session, transition: Transition) -> Transition:
    session.add(transition)
    session.flush()
    return transition


def due(session: Session, now: float, limit: int = 100) -> list[Transition]:
    stmt = (
        select(Transition)
        .where(Transition.due_at <= now)
        .order_by(Transition.due_at, Transition.id)
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())


def earliest_due(session: Session) -> float | None:
    return session.execute(select(func.min(Transition.due_at))).scalar()


def pending_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Transition)).scalar_one())


def remove(session: Session, transition_id: int) -> bool:
    result = session.execute(delete(Transition).where(Transition.id == transition_id))
    return bool(result.rowcount)


def cancel_for(session: Session, resource_type: str, resource_id: str) -> int:
    result = session.execute(
        delete(Transition).where(
            Transition.resource_type == resource_type, Transition.resource_id == resource_id
        )
    )
    return int(result.rowcount or 0)
