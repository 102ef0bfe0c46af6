"""Action rows: the record of every asynchronous operation of an account."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from localocean.store.db import next_id
from localocean.store.models import Action
from localocean.store.paging import fetch_page


def list_page(
    session: Session, account_id: str, offset: int, limit: int
) -> tuple[list[Action], int]:
    stmt = select(Action).where(Action.account_id == account_id).order_by(Action.id.desc())
    return fetch_page(session, stmt, offset, limit)


def get(session: Session, account_id: str, action_id: int) -> Action | None:
    return session.execute(
        select(Action).where(Action.account_id == account_id, Action.id == action_id)
    ).scalar_one_or_none()


def get_any(session: Session, action_id: int) -> Action | None:
    return session.get(Action, action_id)


def add(session: Session, action: Action) -> Action:
    action.id = next_id(session, "action")
    session.add(action)
    session.flush()
    return action
