"""Actions: the record of asynchronous operations, `in-progress` until the engine completes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from localocean.domain import regions
from localocean.errors import NotFound
from localocean.lifecycle.clock import rfc3339
from localocean.lifecycle.engine import Engine, on
from localocean.store import actions as store
from localocean.store.models import Action, Transition

COMPLETE = "action.complete"


def start(
    session: Session,
    engine: Engine,
    account_id: str,
    *,
    type: str,
    resource_type: str,
    resource_id: int | None,
    region_slug: str | None,
    completion: str = COMPLETE,
    payload: dict[str, Any] | None = None,
) -> Action:
    """Record a new in-progress action and schedule its completion (by `completion`'s handler)."""
    action = store.add(
        session,
        Action(
            account_id=account_id,
            status="in-progress",
            type=type,
            started_at=engine.clock.now(),
            completed_at=None,
            resource_id=resource_id,
            resource_type=resource_type,
            region_slug=region_slug,
        ),
    )
    engine.schedule(session, completion, "action", action.id, "completed", payload)
    return action


def finish(session: Session, action_id: int, at: float, status: str = "completed") -> Action | None:
    action = store.get_any(session, action_id)
    if action is not None and action.status == "in-progress":
        action.status = status
        action.completed_at = at
    return action


@on(COMPLETE)
def _complete(session: Session, transition: Transition, _payload: dict[str, Any]) -> None:
    finish(session, int(transition.resource_id), transition.due_at)


def get(session: Session, account_id: str, action_id: int) -> Action:
    action = store.get(session, account_id, action_id)
    if action is None:
        raise NotFound()
    return action


def render(action: Action) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": action.id,
        "status": action.status,
        "type": action.type,
        "started_at": rfc3339(action.started_at),
        "completed_at": rfc3339(action.completed_at) if action.completed_at else None,
        "resource_id": action.resource_id,
        "resource_type": action.resource_type,
        "region_slug": action.region_slug,
    }
    if action.region_slug and regions.exists(action.region_slug):
        body["region"] = regions.render(action.region_slug)
    return body
