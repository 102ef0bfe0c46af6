"""The request journal: what clients sent and got, newest last, bounded: in memory for one
process; in the database (`journal` table) when several processes share PostgreSQL."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from fnmatch import fnmatchcase
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from localocean.core.tables import journal

FIELDS = (
    "time",
    "method",
    "path",
    "query",
    "status",
    "account",
    "duration_ms",
    "request_id",
    "request_body",
    "response_body",
)
COPY = f"COPY journal ({', '.join(FIELDS)}) FROM STDIN"
COPY_TYPES = ["float8", "text", "text", "text", "int4", "text", "float8", "text", "bytea", "bytea"]

MAX_BODY = 64 * 1024


def body_value(raw: bytes) -> Any:
    """JSON bodies as JSON, others as text, large ones cut."""
    if not raw:
        return None
    if len(raw) > MAX_BODY:
        return raw[:MAX_BODY].decode("utf-8", "replace") + "...(truncated)"
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


class Journal:
    """Entries are kept raw (bytes, epoch seconds) and rendered only when someone reads them:
    recording stays cheap on every request."""

    def __init__(self, size: int, render_time: Callable[[float], str]):
        self.size = max(size, 1)
        self.entries: deque[dict[str, Any]] = deque(maxlen=self.size)
        self.enabled = size > 0
        self.render_time = render_time
        # Clients poll: the same body comes back again and again. Equal bodies are kept once.
        self._bodies: dict[bytes, bytes] = {}
        self._bodies_limit = 2 * self.size
        # Shared (PostgreSQL): entries wait in `unsent` until `flush` writes them.
        self.shared = False
        self.unsent: list[dict[str, Any]] = []

    def _shared(self, body: bytes) -> bytes:
        if len(self._bodies) >= self._bodies_limit:
            self._bodies.clear()
        return self._bodies.setdefault(body, body)

    def record(self, entry: dict[str, Any]) -> None:
        if self.shared:
            # PostgreSQL text holds no NUL (a path with %00 is refused, and journaled, all the same)
            entry["path"] = entry["path"].replace("\x00", "%00")
            self.unsent.append(entry)
            if len(self.unsent) > 2 * self.size:  # only the newest `size` can be kept anyway
                del self.unsent[: -self.size]
            return
        entry["request_body"] = self._shared(entry["request_body"])
        entry["response_body"] = self._shared(entry["response_body"])
        self.entries.append(entry)

    def flush(self, connection: Connection) -> None:
        """Write the entries recorded here since the last flush (shared journal, PostgreSQL),
        then drop all but the newest `size` of every process's."""
        unsent, self.unsent = self.unsent[-self.size :], []
        if not unsent:
            return
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(COPY) as copy:
            copy.set_types(COPY_TYPES)
            for entry in unsent:
                copy.write_row([entry[name] for name in FIELDS])
        older = (
            select(journal.c.id)
            .order_by(journal.c.time.desc(), journal.c.id.desc())
            .offset(self.size)
            .scalar_subquery()
        )
        connection.execute(delete(journal).where(journal.c.id.in_(older)))

    def query(
        self,
        method: str | None,
        path: str | None,
        limit: int | None,
        connection: Connection | None = None,
        *,
        request_id: str | None = None,
        bodies: bool = True,
    ) -> list[dict]:
        """Entries, oldest first; from the database when shared (`connection` given). Bodies
        are decoded only for the entries returned, and only if asked for."""
        entries: Iterable[dict[str, Any]] = self.entries
        if self.shared:
            assert connection is not None
            self.flush(connection)
            # Processes trim concurrently, so a few more than `size` may be stored a moment.
            newest = (
                select(*(journal.c[name] for name in FIELDS), journal.c.id)
                .order_by(journal.c.time.desc(), journal.c.id.desc())
                .limit(self.size)
                .subquery()
            )
            statement = select(*(newest.c[name] for name in FIELDS)).order_by(
                newest.c.time, newest.c.id
            )
            if method:
                statement = statement.where(newest.c.method == method.upper())
            entries = (dict(zip(FIELDS, row, strict=True)) for row in connection.execute(statement))
        found = [
            entry
            for entry in entries
            if (not method or entry["method"] == method.upper())
            and (not path or fnmatchcase(entry["path"], path))
            and (not request_id or entry["request_id"] == request_id)
        ]
        return [self._render(entry, bodies) for entry in (found[-limit:] if limit else found)]

    def _render(self, entry: dict[str, Any], bodies: bool) -> dict[str, Any]:
        rendered = {**entry, "time": self.render_time(entry["time"])}
        if bodies:
            rendered["request_body"] = body_value(entry["request_body"])
            rendered["response_body"] = body_value(entry["response_body"])
        else:
            del rendered["request_body"], rendered["response_body"]
        return rendered

    def clear(self, connection: Connection | None = None) -> None:
        self.entries.clear()
        self._bodies.clear()
        self.unsent.clear()
        if self.shared:
            assert connection is not None
            connection.execute(delete(journal))
