"""The transition engine: a durable table of scheduled state changes and the worker applying them.

Handlers are registered per kind by the domain modules. Each due transition is applied in its own
transaction together with the removal of its row, so a crash or restart never applies one twice
and never loses one: pending rows are simply applied when the server is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row

from localocean.lifecycle.clock import Clock
from localocean.lifecycle.timing import Timing
from localocean.store import lifecycle as store
from localocean.store.db import Database

log = logging.getLogger(__name__)

Handler = Callable[[Connection, Row[Any], dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}


def on(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler that applies transitions of `kind`."""

    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register


class Engine:
    def __init__(self, db: Database, clock: Clock, timing: Timing):
        self.db = db
        self.clock = clock
        self.timing = timing
        self._next_due: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def load(self) -> None:
        with self.db.transaction() as connection:
            self._next_due = store.earliest_due(connection)

    def schedule(
        self,
        connection: Connection,
        kind: str,
        resource_type: str,
        resource_id: str | int,
        target: str,
        payload: dict[str, Any] | None = None,
        delay: float | None = None,
    ) -> int:
        now = self.clock.now()
        due_at = now + (self.timing.delay(kind) if delay is None else delay)
        transition_id = store.add_transition(
            connection,
            kind=kind,
            resource_type=resource_type,
            resource_id=str(resource_id),
            target=target,
            payload=json.dumps(payload or {}),
            due_at=due_at,
            created_at=now,
        )
        # If the surrounding transaction rolls back, the worst case is one needless check.
        if self._next_due is None or due_at < self._next_due:
            self._next_due = due_at
            self._wake.set()
        return transition_id

    def cancel(self, connection: Connection, resource_type: str, resource_id: str | int) -> int:
        return store.cancel_for(connection, resource_type, str(resource_id))

    def scheduled_resources(self, connection: Connection, kind: str) -> list[str]:
        """Ids of the resources with a transition of `kind` pending."""
        return store.resource_ids(connection, kind)

    def pending(self) -> int:
        with self.db.transaction() as connection:
            return store.pending_count(connection)

    def apply_if_due(self) -> int:
        """Cheap when nothing is due: called before every request so reads see due changes."""
        if self._next_due is None or self._next_due > self.clock.now():
            return 0
        return self.apply_due()

    def apply_due(self) -> int:
        applied = 0
        while True:
            now = self.clock.now()
            with self.db.transaction() as connection:
                batch = [(row.id, row.kind) for row in store.due(connection, now)]
            if not batch:
                break
            for transition_id, kind in batch:
                applied += self._apply_one(transition_id, kind)
        with self.db.transaction() as connection:
            self._next_due = store.earliest_due(connection)
        return applied

    def _apply_one(self, transition_id: int, kind: str) -> int:
        handler = HANDLERS.get(kind)
        try:
            with self.db.transaction() as connection:
                transition = store.get(connection, transition_id)
                if transition is None:
                    return 0
                if handler is None:
                    log.error("no handler for transition kind %r; dropping it", kind)
                else:
                    handler(connection, transition, json.loads(transition.payload or "{}"))
                store.remove(connection, transition_id)
            return 1 if handler else 0
        except Exception:
            log.exception("transition %s (%s) failed; dropping it", transition_id, kind)
            with self.db.transaction() as connection:
                store.remove(connection, transition_id)
            return 0

    def advance(self, seconds: float) -> int:
        self.clock.advance(seconds)
        self.save_clock()
        return self.apply_due()

    def settle(self, max_steps: int = 10_000) -> int:
        """Move the clock to each next due time until nothing is pending."""
        applied = 0
        for _ in range(max_steps):
            with self.db.transaction() as connection:
                due_at = store.earliest_due(connection)
            if due_at is None:
                break
            self.clock.advance(max(0.0, due_at - self.clock.now()))
            applied += self.apply_due()
        self.save_clock()
        return applied

    def save_clock(self) -> None:
        with self.db.transaction() as connection:
            store.save_clock(connection, self.clock.offset, self.clock.frozen_at)

    # The background worker: applies transitions as real time makes them due.

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            if self._next_due is None or self.clock.frozen:
                timeout = 1.0
            else:
                timeout = min(1.0, max(0.005, self._next_due - self.clock.now()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            try:
                self.apply_if_due()
            except Exception:
                log.exception("lifecycle worker step failed")
