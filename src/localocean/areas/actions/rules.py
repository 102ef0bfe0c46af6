"""Actions: the record of asynchronous operations, `in-progress` until the lifecycle engine
completes them. Other areas start actions (`start`) and finish them in their transitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.actions import store
from localocean.areas.regions import catalog as regions
from localocean.core.clock import rfc3339
from localocean.core.errors import NotFound
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import integer_id

COMPLETE = "action.complete"


def start(
    connection: Connection,
    lifecycle: Lifecycle,
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
    started_at = lifecycle.clock.now()
    action = store.add(
        connection,
        account_id=account_id,
        status="in-progress",
        type=type,
        started_at=started_at,
        completed_at=None,
        resource_id=resource_id,
        resource_type=resource_type,
        region_slug=region_slug,
    )
    lifecycle.schedule(
        connection, completion, "action", action.id, "completed", payload, delay,
        account_id=account_id, since=started_at,
    )  # fmt: skip
    return action


def finish(connection: Connection, action_id: int, at: float, status: str = "completed") -> None:
    """Complete (or fail) an in-progress action at time `at`; finished ones stay as they are."""
    store.finish(connection, action_id, status, at)


def complete(
    connection: Connection, transition: Row[Any], _payload: dict[str, Any], _lifecycle: Lifecycle
) -> None:
    finish(connection, int(transition.resource_id), transition.due_at)


def get(connection: Connection, account_id: str, action_id: str | int) -> Row[Any]:
    number = action_id if isinstance(action_id, int) else integer_id(action_id)
    action = store.get(connection, account_id, number) if number is not None else None
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


def render_rows(_connection: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    return [render(row) for row in rows]
