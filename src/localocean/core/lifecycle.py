"""The lifecycle engine: a durable table of scheduled state changes and the worker applying them.

Each area hands in the handlers of its transition kinds (`Area.transitions`). A due transition
is applied in its own transaction together with the removal of its row, so a crash or restart
never applies one twice and never loses one: pending rows are applied when the server is back.
A transition whose kind has no handler (written by another version, or loaded from a state
document) is never dropped: it stays pending and is logged. Start-up fails if a kind that has a
duration has no handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update

from localocean.config import Settings
from localocean.core.area import TransitionHandler
from localocean.core.clock import Clock
from localocean.core.db import Database, transient
from localocean.core.query import Query, Write
from localocean.core.tables import clock_state, transitions
from localocean.core.timing import Timing

log = logging.getLogger(__name__)

# A transition is claimed by locking its row until the transaction that applies and removes it
# ends: another process skips it meanwhile, and if this one dies the lock goes with its
# connection and the row is there for the next (on SQLite, one process, the clause is a no-op).
_BY_ID = Query(
    select(transitions)
    .where(transitions.c.id == bindparam("transition_id"))
    .with_for_update(skip_locked=True)
)
_REMOVE = Write(transitions.delete().where(transitions.c.id == bindparam("transition_id")))
_SCHEDULE = Write(transitions.insert().returning(transitions.c.id))
_CANCEL = transitions.delete().where(
    transitions.c.resource_type == bindparam("resource_type"),
    transitions.c.resource_id.in_(bindparam("resource_ids", expanding=True)),
)


class Lifecycle:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        timing: Timing,
        handlers: Mapping[str, TransitionHandler],
        settings: Settings | None = None,
        recurring: Iterable[str] = (),
    ):
        missing = sorted(kind for kind in timing.durations if kind not in handlers)
        if missing:
            raise ValueError(f"timed transition kinds without a handler: {', '.join(missing)}")
        self.db = db
        self.clock = clock
        self.timing = timing
        self.handlers = dict(handlers)
        # What handlers may need of the server's configuration (the public address range).
        self.settings = settings if settings is not None else Settings()
        handled = transitions.c.kind.in_(sorted(self.handlers))
        # The soonest transitions, due or not: those due are the next batch, and the first
        # not due says when to look again, in one query.
        self._soonest = Query(
            select(transitions.c.id, transitions.c.kind, transitions.c.due_at)
            .where(handled)
            .order_by(transitions.c.due_at, transitions.c.id)
            .limit(100)
        )
        self._earliest = Query(select(func.min(transitions.c.due_at)).where(handled))
        # Work that schedules its own next time (backups) is never "done": settling and the
        # pending count leave it out.
        finite = transitions.c.kind.not_in(sorted(set(recurring)) or [""])
        self._earliest_finite = Query(select(func.min(transitions.c.due_at)).where(handled, finite))
        self._pending = Query(select(func.count()).select_from(transitions).where(finite))
        self._unhandled = (
            select(transitions.c.kind, func.count()).where(~handled).group_by(transitions.c.kind)
        )
        self._next_due: float | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hint_lock = threading.Lock()
        self._hints = 0  # how many times work was scheduled, to tell a stale read
        self._loop_thread = threading.get_ident()

    def load(self) -> None:
        """Read when the next transition is due (after a start, a reset or a state load)."""
        with self.db.transaction() as connection:
            self._next_due = self._earliest_due(connection)
            for kind, count in connection.execute(self._unhandled):
                log.error(
                    "%d pending transition(s) of kind %r have no handler in this LocalOcean; "
                    "they stay pending",
                    count,
                    kind,
                )

    def refresh_next_due(self) -> None:
        hints = self._hints
        with self.db.transaction() as connection:
            earliest = self._earliest_due(connection)
        with self._hint_lock:
            if self._hints == hints or self._next_due is None:
                self._next_due = earliest
            elif earliest is not None:
                self._next_due = min(self._next_due, earliest)

    def _earliest_due(self, connection: Connection) -> float | None:
        return self._earliest.scalar(connection)

    def schedule(
        self,
        connection: Connection,
        kind: str,
        resource_type: str,
        resource_id: str | int,
        target: str,
        payload: dict[str, Any] | None = None,
        delay: float | None = None,
        *,
        account_id: str | None = None,
        since: float | None = None,
    ) -> int:
        """Schedule `kind` to move the resource to `target` after `delay` (the timing profile's
        when None), counted from `since`: the time the caller stamped on the resource, so an
        instant transition completes at that very second rather than a tick later."""
        if kind not in self.handlers:
            raise ValueError(f"no handler for transition kind {kind!r}")
        now = self.clock.now() if since is None else since
        due_at = now + (self.timing.delay(kind) if delay is None else delay)
        transition_id = _SCHEDULE.returned(
            connection,
            {
                "kind": kind,
                "account_id": account_id,
                "resource_type": resource_type,
                "resource_id": str(resource_id),
                "target": target,
                "payload": payload or {},
                "due_at": due_at,
                "created_at": now,
            },
        )
        self._expect(due_at)
        if self.db.offload:
            # Another thread may look for due work before this transaction commits, find none
            # and forget the hint above: say it again once the row can be seen.
            self.db.after_commit(connection, lambda: self._expect(due_at))
        return int(transition_id)

    def cancel(
        self, connection: Connection, resource_type: str, resource_ids: Iterable[str | int]
    ) -> int:
        """Drop what is scheduled for these resources (they are gone)."""
        ids = [str(resource_id) for resource_id in resource_ids]
        if not ids:
            return 0
        result = connection.execute(_CANCEL, {"resource_type": resource_type, "resource_ids": ids})
        return int(result.rowcount or 0)

    @staticmethod
    def cancel_account(connection: Connection, account_id: str) -> None:
        connection.execute(transitions.delete().where(transitions.c.account_id == account_id))

    @staticmethod
    def scheduled_resources(connection: Connection, kind: str) -> list[str]:
        """Ids of the resources with a transition of `kind` pending."""
        stmt = select(transitions.c.resource_id).where(transitions.c.kind == kind)
        return list(connection.execute(stmt).scalars())

    def pending(self) -> int:
        """Transitions still to happen, recurring ones left out."""
        with self.db.transaction() as connection:
            return int(self._pending.scalar(connection))

    def apply_if_due(self) -> int:
        """Cheap when nothing is due: called before every request so reads see due changes."""
        if self._next_due is None or self._next_due > self.clock.now():
            return 0
        return self.apply_due()

    def apply_due(self) -> int:
        hints = self._hints
        applied = 0
        claimed_elsewhere: set[int] = set()  # another process is applying them
        while True:
            with self.db.transaction() as connection:
                soonest = self._soonest.all(connection)
            now = self.clock.now()
            batch = [
                row for row in soonest if row.due_at <= now and row.id not in claimed_elsewhere
            ]
            if not batch:
                later = [row.due_at for row in soonest if row.id not in claimed_elsewhere]
                self._settle_next_due(later[0] if later else None, hints)
                return applied
            for transition_id, kind, _due_at in batch:
                done = self._apply_one(transition_id, kind)
                if not done:
                    claimed_elsewhere.add(transition_id)
                applied += done

    def _settle_next_due(self, earliest: float | None, hints: int) -> None:
        """Take what the database says is due next, unless work was scheduled meanwhile (on
        another thread, perhaps not yet visible to the read): then keep the sooner of both."""
        with self._hint_lock:
            if (
                self._hints == hints
                or self._next_due is None
                or (earliest is not None and earliest < self._next_due)
            ):
                self._next_due = earliest

    def _apply_one(self, transition_id: int, kind: str) -> int:
        handler = self.handlers[kind]
        key = {"transition_id": transition_id}
        try:
            with self.db.transaction() as connection:
                transition = _BY_ID.first(connection, key)
                if transition is None:
                    return 0
                handler(connection, transition, transition.payload or {}, self)
                _REMOVE.run(connection, key)
            return 1
        except Exception as exc:
            if transient(exc):
                # A row a request holds, a lost connection: the transition stays, for a look
                # a second from now.
                log.info("transition %s (%s) left for later: %s", transition_id, kind, exc)
                self._expect(self.clock.now() + 1.0)
                return 0
            # A handler that fails would fail again: it is logged and dropped, never retried
            # in a loop.
            log.exception("transition %s (%s) failed; dropping it", transition_id, kind)
            with self.db.transaction() as connection:
                _REMOVE.run(connection, key)
            return 0

    def advance(self, seconds: float, max_steps: int = 10_000) -> int:
        """Move the clock forward by `seconds`, stopping at each due time on the way, so what
        a transition schedules for later within the span (the next backup) happens too."""
        target = self.clock.now() + seconds
        applied = self._walk(self._earliest, target, max_steps)
        self.clock.advance(max(0.0, target - self.clock.now()))
        self.save_clock()
        return applied + self.apply_due()

    def settle(self, max_steps: int = 10_000) -> int:
        """Move the clock to each next due time until nothing is pending (recurring work, such
        as backups, happens on the way but does not keep the clock moving)."""
        applied = self._walk(self._earliest_finite, None, max_steps)
        self.save_clock()
        return applied

    def _walk(self, earliest: Query, until: float | None, max_steps: int) -> int:
        """Move the clock to each next due time `earliest` finds (up to `until`), applying
        what falls due there."""
        applied = 0
        stuck_at = None
        for _ in range(max_steps):
            with self.db.transaction() as connection:
                due_at = earliest.scalar(connection)
            if due_at is None or (until is not None and due_at > until) or due_at == stuck_at:
                break
            self.clock.advance(max(0.0, due_at - self.clock.now()))
            now_applied = self.apply_due()
            # Nothing applied: what is due is left for later (a request holds its row).
            stuck_at = due_at if not now_applied else None
            applied += now_applied
        return applied

    def save_clock(self) -> None:
        with self.db.transaction() as connection:
            save_clock(connection, self.clock.offset, self.clock.frozen_at)

    # The background worker: applies transitions as real time makes them due.

    def _expect(self, due_at: float) -> None:
        """Something falls due at `due_at`. If the transaction that scheduled it rolls back,
        the worst case is one needless check."""
        with self._hint_lock:
            self._hints += 1
            if self._next_due is None or due_at < self._next_due:
                self._next_due = due_at
                self._wake_worker()

    def _wake_worker(self) -> None:
        """Tell the worker something is due sooner; requests may schedule from other threads,
        and an asyncio event is set only from its loop's thread."""
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._task = self._loop.create_task(self._run())

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
            woken = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
                woken = True
            try:
                if not woken and self.db.offload:
                    # Other processes on the database schedule work too, and one may have died
                    # leaving its transitions: look at the table, not only at what we scheduled.
                    self.refresh_next_due()
                self.apply_if_due()
            except Exception:
                log.exception("lifecycle worker step failed")


def load_clock(connection: Connection) -> Row[Any] | None:
    return connection.execute(select(clock_state).where(clock_state.c.id == 1)).first()


def save_clock(connection: Connection, offset_seconds: float, frozen_at: float | None) -> None:
    values = {"offset_seconds": offset_seconds, "frozen_at": frozen_at}
    changed = connection.execute(update(clock_state).where(clock_state.c.id == 1).values(**values))
    if not changed.rowcount:
        connection.execute(clock_state.insert().values(id=1, **values))
