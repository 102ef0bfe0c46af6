"""Actions: the record of asynchronous operations, `in-progress` until the engine completes them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.domain import regions
from localocean.errors import NotFound
from localocean.lifecycle.clock import rfc3339
from localocean.lifecycle.engine import Engine, on
from localocean.store import actions as store

COMPLETE = "action.complete"


def start(
    connection: Connection,
    engine: Engine,
    account_id: str,
    *,
    type: str,
    resource_type: str,
    resource_id: int | None,
    region_slug: str | None,
    completion: str = COMPLETE,
    payload: dict[str, Any] | None = None,
    delay: float | None = None,
) -> Row[Any]:
    """Record a new in-progress action and schedule its completion (by `completion`'s handler)."""
    action = store.add(
        connection,
        account_id=account_id,
        status="in-progress",
        type=type,
        started_at=engine.clock.now(),
        completed_at=None,
        resource_id=resource_id,
        resource_type=resource_type,
        region_slug=region_slug,
    )
    engine.schedule(connection, completion, "action", action.id, "completed", payload, delay)
    return action


def finish(connection: Connection, action_id: int, at: float, status: str = "completed") -> None:
    """Complete (or fail) an in-progress action at time `at`; finished ones stay as they are."""
    store.finish(connection, action_id, status, at)


@on(COMPLETE)
def _complete(connection: Connection, transition: Row[Any], _payload: dict[str, Any]) -> None:
    finish(connection, int(transition.resource_id), transition.due_at)


def get(connection: Connection, account_id: str, action_id: int) -> Row[Any]:
    action = store.get(connection, account_id, action_id)
    if action is None:
        raise NotFound()
    return action


def render(action: Row[Any]) -> dict[str, Any]:
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
