"""Control changes every process follows (PostgreSQL): fault rules, the timing profile, the
clock. A change is written to the database, announced with NOTIFY, and its request answered
once every live process has taken it, so any request after it, to any process, meets it. The
same announcement, without a change, makes every process write its journal entries first
(`flushed`): a read of the journal then sees every request answered before it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from localocean.core.clock import wall_time
from localocean.core.tables import control_state, counters, processes, rate_hits

if TYPE_CHECKING:
    from localocean.core.services import Services

log = logging.getLogger(__name__)
CHANNEL = "localocean_control"
VERSION = "control_version"
HEARTBEAT_SECONDS = 1.0
ALIVE_SECONDS = 5.0  # a process silent for longer is not waited for
WAIT_SECONDS = 3.0
SHARE_SECONDS = 0.25  # how often rate-limit counts are exchanged and journal entries written
CHANGE = "change"
JOURNAL_ONLY = "journal"


def save_setting(connection: Connection, name: str, value: Any) -> None:
    changed = connection.execute(
        update(control_state).where(control_state.c.name == name).values(value=value)
    ).rowcount
    if not changed:
        connection.execute(insert(control_state).values(name=name, value=value))


def load_setting(connection: Connection, name: str) -> Any:
    return connection.execute(
        select(control_state.c.value).where(control_state.c.name == name)
    ).scalar()


class ControlSync:
    def __init__(self, services: Services):
        self.services = services
        self.id = str(uuid.uuid4())
        self.active = services.db.engine.dialect.name == "postgresql"
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self.active:
            return
        with self.services.db.transaction() as connection:
            connection.execute(
                insert(processes).values(
                    id=self.id, heartbeat=wall_time(), seen=_version(connection)
                )
            )
        loop = asyncio.get_running_loop()
        self.services.limiter.shared = True
        self.services.journal.shared = True
        self._tasks = [
            loop.create_task(self._listen()),
            loop.create_task(self._heartbeat()),
            loop.create_task(self._share()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.active:
            with contextlib.suppress(Exception), self.services.db.transaction() as connection:
                connection.execute(delete(processes).where(processes.c.id == self.id))

    async def settled(self, result: Any) -> Any:
        """Announce a control change made here and wait until every live process has it."""
        if self.active:
            await self._announce(CHANGE)
        return result

    async def flushed(self) -> None:
        """Wait until every live process has written its journal entries."""
        if self.active:
            await self._announce(JOURNAL_ONLY)

    async def _announce(self, what: str) -> None:
        with self.services.db.transaction() as connection:
            version = _bump(connection)
            connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": f"{version} {what}"},
            )
            connection.execute(
                update(processes).where(processes.c.id == self.id).values(seen=version)
            )
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            with self.services.db.transaction() as connection:
                behind = connection.execute(
                    select(func.count())
                    .select_from(processes)
                    .where(
                        processes.c.seen < version,
                        processes.c.heartbeat > wall_time() - ALIVE_SECONDS,
                    )
                ).scalar()
            if not behind:
                break
            await asyncio.sleep(0.01)
        else:
            log.warning("control change %d: not every process confirmed it in time", version)

    def reload(self) -> None:
        """Take the control state from the database (another process changed it)."""
        services = self.services
        services.faults.load()
        services.auth.forget()  # a reset or an import may have removed the tokens it knew
        with services.db.transaction() as connection:
            timing = load_setting(connection, "timing")
            from localocean.core.lifecycle import load_clock

            clock = load_clock(connection)
        if timing:
            services.timing.profile = timing["profile"]
            services.timing.overrides = dict(timing["overrides"])
            services.clock.set_frozen(timing["profile"] == "manual")
        if clock is not None:
            services.clock.offset = clock.offset_seconds
            if services.clock.frozen_at is not None and clock.frozen_at is not None:
                services.clock.frozen_at = clock.frozen_at
        services.lifecycle.refresh_next_due()

    async def _listen(self) -> None:
        from localocean.core.db import listen

        await listen(self.services.db.engine.url, CHANNEL, self._heard)

    def _heard(self, payload: str) -> None:
        """A process announced a control change (or asked for journals): take it, say so."""
        number, _, what = payload.partition(" ")
        version = int(number)
        if what != JOURNAL_ONLY:
            self.reload()
        try:
            with self.services.db.transaction() as connection:
                self.services.journal.flush(connection)
        except Exception:  # the acknowledgement must not wait on the journal
            log.warning("writing journal entries failed", exc_info=True)
        with self.services.db.transaction() as connection:
            connection.execute(
                update(processes)
                .where(processes.c.id == self.id, processes.c.seen < version)
                .values(seen=version)
            )

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                with self.services.db.transaction() as connection:
                    now = wall_time()
                    beat = connection.execute(
                        update(processes).where(processes.c.id == self.id).values(heartbeat=now)
                    ).rowcount
                    if not beat:  # a reset emptied the table: be counted again
                        connection.execute(
                            insert(processes).values(
                                id=self.id, heartbeat=now, seen=_version(connection)
                            )
                        )
                    connection.execute(delete(processes).where(processes.c.heartbeat < now - 60))
            except Exception:
                log.warning("heartbeat failed", exc_info=True)

    async def _share(self) -> None:
        while True:
            await asyncio.sleep(SHARE_SECONDS)
            try:
                self.share_rate_limits()
                with self.services.db.transaction() as connection:
                    self.services.journal.flush(connection)
            except Exception:
                log.warning("sharing rate-limit counts or journal entries failed", exc_info=True)

    def share_rate_limits(self) -> None:
        """Write this process's new hits and read the others' for the tokens it serves: a
        token's limit then holds across processes, give or take a quarter second of hits."""
        from collections import defaultdict

        from sqlalchemy.dialects.postgresql import insert as upsert

        limiter = self.services.limiter
        unsent, limiter.unsent = limiter.unsent, {}
        keys = limiter.active_keys
        now = int(wall_time())
        longest = max(seconds for _, seconds in limiter.windows)
        with self.services.db.transaction() as connection:
            if unsent:
                rows = [
                    {"key": key, "second": second, "process": self.id, "count": count}
                    for (key, second), count in unsent.items()
                ]
                statement = upsert(rate_hits).values(rows)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["key", "second", "process"],
                        set_={"count": rate_hits.c.count + statement.excluded.count},
                    )
                )
            others: dict[str, list[tuple[int, int]]] = defaultdict(list)
            if keys:
                found = connection.execute(
                    select(rate_hits.c.key, rate_hits.c.second, func.sum(rate_hits.c.count))
                    .where(
                        rate_hits.c.key.in_(keys),
                        rate_hits.c.second > now - longest,
                        rate_hits.c.process != self.id,
                    )
                    .group_by(rate_hits.c.key, rate_hits.c.second)
                ).all()
                for key, second, count in found:
                    others[key].append((int(second), int(count)))
            if now % 60 == 0:
                connection.execute(delete(rate_hits).where(rate_hits.c.second < now - longest))
        limiter.others = {key: limiter.window_counts(rows) for key, rows in others.items()}


def _version(connection: Connection) -> int:
    value = connection.execute(select(counters.c.value).where(counters.c.name == VERSION)).scalar()
    return int(value or 0)


def _bump(connection: Connection) -> int:
    from localocean.core.db import next_id

    return next_id(connection, VERSION, 0)
