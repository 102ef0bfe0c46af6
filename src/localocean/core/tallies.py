"""Counts of an account's resources per kind, kept in step with inserts and deletes by the
stores, so that a list's total is one indexed read instead of counting the whole collection.
Areas declare their tallied kinds with the statement that counts them from scratch
(`Area.tallies`), used after a state document is loaded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update

from localocean.core.db import Duplicate, savepoint
from localocean.core.query import Query, Write
from localocean.core.tables import tallies

if TYPE_CHECKING:
    from localocean.core.area import Area

# Bind names differ from the columns': an UPDATE reserves the column names for its SET clause.
_OF = (tallies.c.account_id == bindparam("owner")) & (tallies.c.kind == bindparam("of_kind"))
_ADD = Write(update(tallies).where(_OF).values(count=tallies.c.count + bindparam("delta")))
_INSERT = Write(tallies.insert())
_COUNT = Query(select(tallies.c.count).where(_OF))


def add(connection: Connection, account_id: str, kind: str, delta: int = 1) -> None:
    params = {"owner": account_id, "of_kind": kind, "delta": delta}
    if _ADD.run(connection, params):
        return
    try:
        with savepoint(connection):
            _INSERT.run(connection, {"account_id": account_id, "kind": kind, "count": delta})
    except Duplicate:  # inserted meanwhile by another transaction
        _ADD.run(connection, params)


def count(connection: Connection, account_id: str, kind: str) -> int:
    return int(_COUNT.scalar(connection, {"owner": account_id, "of_kind": kind}) or 0)


def recount(connection: Connection, areas: Sequence[Area]) -> None:
    """Count every tallied kind again from the rows themselves."""
    connection.execute(tallies.delete())
    for area in areas:
        for kind, stmt in area.tallies.items():
            rows = [
                {"account_id": account_id, "kind": kind, "count": number}
                for account_id, number in connection.execute(stmt)
            ]
            if rows:
                connection.execute(tallies.insert(), rows)
