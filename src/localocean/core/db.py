"""The database: connections (one per thread), transactions, and schema migrations.

A transaction never spans an `await`: handlers read the request body before they open one. On
SQLite every query runs on the event loop's thread; on PostgreSQL requests' work runs on a few
worker threads (see Database).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from localocean.core.query import READING, Query, Write, execute
from localocean.core.tables import counters

log = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration: revisions are numbered, and each file is named after its revision.
SCHEMA_REVISION = max(
    path.name.partition("_")[0] for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py")
)
MEMORY_URLS = ("sqlite://", "sqlite:///:memory:")
# The PostgreSQL advisory lock migrations take (any number unique to LocalOcean).
MIGRATION_LOCK = 0x10CA10CEA4


def _sqlite_setup(wal: bool):
    def on_connect(dbapi_connection, _record) -> None:
        # pysqlite emits no BEGIN before a SAVEPOINT, so SQLite would run each savepoint as a
        # transaction of its own and commit it on RELEASE, whatever the outer transaction did.
        # Taking over transaction control (SQLAlchemy's recipe) makes nested transactions real.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return on_connect


def _driver(connection: Connection) -> Any:
    return connection.connection.dbapi_connection


def _begin(connection: Connection) -> None:
    # Straight to the driver: the same BEGIN without a full SQLAlchemy execution per request.
    _driver(connection).execute("BEGIN")


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns are read on every render: orjson decodes several times faster than json.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


# RETURNING (counters, transitions) came with SQLite 3.35.
SQLITE_NEEDED = (3, 35)

# Threads that run requests' database work on a database server (see Database.offload).
WORKERS = 2


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        # One connection per worker thread, one for the event loop's thread, one spare.
        return create_engine(
            url, pool_pre_ping=True, pool_size=WORKERS + 2, max_overflow=4, **JSON_CODEC
        )
    import sqlite3

    if sqlite3.sqlite_version_info < SQLITE_NEEDED:
        raise ValueError(
            f"SQLite {sqlite3.sqlite_version} is too old: LocalOcean needs "
            f"{'.'.join(map(str, SQLITE_NEEDED))} or newer (UPDATE ... RETURNING); "
            "use a newer Python or --database-url"
        )
    in_memory = url in MEMORY_URLS
    if in_memory:
        engine = create_engine(
            "sqlite://",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            **JSON_CODEC,
        )
    else:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **JSON_CODEC)
    event.listen(engine, "connect", _sqlite_setup(wal=not in_memory))
    event.listen(engine, "begin", _begin)
    return engine


AFTER_COMMIT = "localocean.after_commit"
TRANSACTION_STATE = "localocean.transaction_state"


class Database:
    """Connections and transactions. Each thread has its own connection, so a transaction never
    interleaves with another on one connection: on SQLite all work happens on the event loop's
    thread; on a database server, requests' work runs on `WORKERS` threads (`offload`), so the
    event loop goes on serving while they wait for the server's answers."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.offload = self.engine.dialect.name != "sqlite"
        self._local = threading.local()
        self._connections: list[Connection] = []
        self._executor: ThreadPoolExecutor | None = None
        self._readers = Readers(self.engine) if self.engine.dialect.driver == "psycopg" else None

    def _connected(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self._local.connection = self.engine.connect()
            self._connections.append(connection)
        return connection

    @staticmethod
    def after_commit(connection: Connection, action: Callable[[], None]) -> None:
        """Run `action` once the transaction `connection` is in has committed (never if it
        rolls back). SQLAlchemy's commit event fires before the commit reaches the database, too
        early for another connection to see the rows."""
        connection.info.setdefault(AFTER_COMMIT, []).append(action)

    async def run(self, work: Callable[[], T]) -> T:
        """`work` (which opens its own transactions) on a worker thread, or here on SQLite."""
        if not self.offload:
            return work()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="localocean-db")
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def read(self, work: Callable[[Connection], T]) -> T:
        """`work` that only reads (a GET), without BEGIN and COMMIT. On SQLite, here, on the one
        connection, whose driver is in autocommit mode, with the reads of `core/query.py`
        outside a transaction; anything that does begin one (a write, a statement run through
        SQLAlchemy) is committed at the end. On PostgreSQL, on the event loop too, through
        psycopg's async interface (see Readers)."""
        if self._readers is not None:
            return await self._readers.run(work)
        connection = self._connected()
        if connection.in_transaction():
            with self.transaction() as nested:
                return work(nested)
        connection.info[READING] = True
        try:
            result = work(connection)
        except BaseException:
            if connection.in_transaction():
                connection.rollback()
            raise
        finally:
            connection.info.pop(READING, None)
        if connection.in_transaction():
            connection.commit()
        return result

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One unit of work: all of it is committed, or none of it (a nested one is a savepoint)."""
        connection = self._connected()
        if connection.in_transaction():
            with connection.begin_nested():
                yield connection
            return
        try:
            with connection.begin():
                yield connection
        except OperationalError:
            _forget_transaction(connection)
            # A lost server connection (PostgreSQL restarted): start afresh next time.
            if connection.invalidated:
                connection.close()
                self._local.connection = None
            raise
        except BaseException:
            _forget_transaction(connection)
            raise
        connection.info.pop(TRANSACTION_STATE, None)
        # Committed: the rows are visible to every other connection from here on.
        for action in connection.info.pop(AFTER_COMMIT, ()):
            action()

    @staticmethod
    def transaction_state(connection: Connection) -> dict[str, Any]:
        """A place for what one transaction has done (e.g. which notices it has sent), gone
        when it commits or rolls back."""
        return connection.info.setdefault(TRANSACTION_STATE, {})

    def atomically(self, work: Callable[[Connection], T], attempts: int = 5) -> T:
        """`work` in one transaction, run again from its start when PostgreSQL aborted it to
        break a deadlock or a serialization conflict with another transaction (as such a
        transaction must be): the loser of two requests locking the same rows in different
        orders then waits its turn instead of failing."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as connection:
                    return work(connection)
            except OperationalError as exc:
                if attempt == attempts or not conflicted(exc):
                    raise
                log.info("transaction aborted by a conflict, run again (%d): %s", attempt, exc)
        raise AssertionError("unreachable")

    def ping(self) -> None:
        """One round trip to the database (raises if it cannot be reached)."""
        with self.transaction() as connection:
            connection.execute(text("SELECT 1"))

    def current_revision(self) -> str | None:
        try:
            with self.transaction() as connection:
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):
            return None

    def migrate(self, metadata: MetaData) -> str | None:
        """Bring the schema to the newest revision.

        An empty database gets the current schema in one step and is stamped with its revision,
        the way Alembic recommends for new databases; that also keeps Alembic out of start-up
        for in-memory servers. An existing one is upgraded through the migrations. On
        PostgreSQL, processes starting together take turns (an advisory lock): one migrates,
        the others find the schema current.
        """
        if self.engine.dialect.name != "postgresql":
            return self._migrate(metadata)
        with self.engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                return self._migrate(metadata)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                lock.commit()

    def _migrate(self, metadata: MetaData) -> str | None:
        """The revision the schema was at before ("" for an empty database), or None if it was
        current."""
        revision = self.current_revision()
        if revision == SCHEMA_REVISION:
            return None
        with self.transaction() as connection:
            empty = revision is None and not inspect(connection).get_table_names()
            if empty:
                metadata.create_all(connection, checkfirst=False)  # it is empty
                connection.execute(
                    text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                         "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
                )  # fmt: skip
                connection.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:revision)"),
                    {"revision": SCHEMA_REVISION},
                )
                return ""
        self.upgrade(metadata)
        return revision or ""

    def upgrade(self, metadata: MetaData) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        connection = self._connected()
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a column by copying its table; with foreign keys on, dropping the
            # old copy would cascade to the rows that refer to it (Alembic's advice).
            _driver(connection).execute("PRAGMA foreign_keys=OFF")
        try:
            with self.transaction() as connection:
                config.attributes["connection"] = connection
                config.attributes["metadata"] = metadata
                command.upgrade(config, "head")
        finally:
            if sqlite:
                _driver(connection).execute("PRAGMA foreign_keys=ON")
        log.info("database schema migrated to %s", SCHEMA_REVISION)

    async def close_readers(self) -> None:
        if self._readers is not None:
            await self._readers.close()

    def dispose(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        self._local = threading.local()
        self.engine.dispose()


_BUMP = Write(
    update(counters)
    .where(counters.c.name == bindparam("counter"))
    .values(value=counters.c.value + 1)
    .returning(counters.c.value)
)
_START = Write(counters.insert())


def next_id(connection: Connection, name: str, start: int) -> int:
    """The next id of counter `name`; the first is `start + 1` (areas start their ids where
    DigitalOcean's real ones are, so they look real). One statement: the row's update locks it
    until the transaction ends."""
    value = _BUMP.returned(connection, {"counter": name})
    if value is None:
        try:
            with savepoint(connection):
                _START.run(connection, {"name": name, "value": start + 1})
            return start + 1
        except Duplicate:  # another transaction made the counter meanwhile
            value = _BUMP.returned(connection, {"counter": name})
    return int(value)


def _forget_transaction(connection: Connection) -> None:
    connection.info.pop(AFTER_COMMIT, None)
    connection.info.pop(TRANSACTION_STATE, None)


def transient(exc: BaseException) -> bool:
    """The database's moment, not the work's fault (a conflict, a lost connection): the same
    transaction can succeed when run again."""
    return isinstance(exc, OperationalError) and (conflicted(exc) or exc.connection_invalidated)


def conflicted(exc: BaseException) -> bool:
    """PostgreSQL aborted the statement for a deadlock, a serialization conflict or a row
    another transaction holds: running the transaction again can succeed."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in CONFLICTS


# PostgreSQL's deadlock, serialization failure, and lock not available (FOR UPDATE NOWAIT).
CONFLICTS = ("40P01", "40001", "55P03")


class Duplicate(Exception):
    """A row would break a unique constraint; the store's caller says what that means."""


_SAVEPOINT_NAMES = count(1)


@contextmanager
def savepoint(connection: Connection) -> Iterator[None]:
    """Run a write in a savepoint: a unique-constraint violation rolls back only the write and
    is raised as Duplicate, and the surrounding transaction goes on. The savepoint statements go
    straight to the driver, like the writes of core/query.py (SQLAlchemy's nested transactions
    cost more than the writes they wrap)."""
    if not connection.in_transaction():
        connection.begin()
    if getattr(_driver(connection), "autocommit", False) is True:  # psycopg's readers
        raise RuntimeError("a savepoint needs a transaction: not in a GET on a database server")
    name = f"localocean_{next(_SAVEPOINT_NAMES)}"
    _statement(connection, f"SAVEPOINT {name}")
    try:
        yield
    except BaseException as exc:
        if not connection.invalidated:
            try:
                _statement(connection, f"ROLLBACK TO SAVEPOINT {name}")
                _statement(connection, f"RELEASE SAVEPOINT {name}")
            except DBAPIError:
                pass  # the error being raised says more than this one
        if isinstance(exc, IntegrityError):
            raise Duplicate(str(exc.orig)) from exc
        raise
    _statement(connection, f"RELEASE SAVEPOINT {name}")


def _statement(connection: Connection, sql: str) -> None:
    execute(connection, sql, ()).close()


@cache
def _by_id(table: Table) -> Write:
    return Write(update(table).where(table.c.id == bindparam("row_id")))


def change_row(connection: Connection, table: Table, row_id: Any, values: dict[str, Any]) -> int:
    """UPDATE one row by id, setting `values`: one statement per table and set of columns,
    compiled once."""
    if not values:
        return 0
    return _by_id(table).run(connection, {"row_id": row_id, **values})


@cache
def _locked_at_once(table: Table) -> Query:
    return Query(
        select(table).where(table.c.id == bindparam("row_id")).with_for_update(nowait=True)
    )


def lock_at_once(connection: Connection, table: Table, row_id: Any) -> Any:
    """The row, locked for a transition's handler (None if it is gone), or raise at once when
    a request holds it: that request may be waiting for the transition's own row (to cancel
    it), so waiting here would deadlock; the transition is left for its next look."""
    return _locked_at_once(table).first(connection, {"row_id": row_id})


class Readers:
    """Connections for GETs on PostgreSQL, in autocommit mode, used from the event loop.

    A handler is synchronous; SQLAlchemy runs it in a greenlet (`run_sync`) over psycopg's async
    interface, switching back to the event loop at every round trip. Reads thus cost no hand-off
    to a worker thread and no contention for the GIL with one, and as many are in flight as
    there are connections (measured with wrk: GET image ~1,370 -> ~2,300 req/s, 32 connections).
    """

    SIZE = 16

    def __init__(self, engine: Engine):
        self.url = engine.url.set(drivername="postgresql+psycopg_async")
        self._engine: Any = None
        self._idle: list[Any] = []
        self._slots: asyncio.Semaphore | None = None
        self._closed = False

    async def run(self, work: Callable[[Connection], T]) -> T:
        if self._slots is None:
            from sqlalchemy.ext.asyncio import create_async_engine

            self._engine = create_async_engine(
                self.url,
                pool_size=self.SIZE,
                max_overflow=0,
                isolation_level="AUTOCOMMIT",
                **JSON_CODEC,
            )
            self._slots = asyncio.Semaphore(self.SIZE)
        async with self._slots:
            connection = self._idle.pop() if self._idle else await self._engine.connect()
            reusable = True
            try:
                return await connection.run_sync(_read, work)
            except asyncio.CancelledError:
                reusable = False  # the client left mid-query: the connection's state is unknown
                raise
            finally:
                if connection.invalidated:
                    # The server was lost: the parked connections are as dead as this one.
                    stale, self._idle = self._idle, []
                    for each in (connection, *stale):
                        await asyncio.shield(each.close())
                elif reusable and not self._closed:
                    self._idle.append(connection)
                else:
                    await asyncio.shield(connection.close())

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            await self._idle.pop().close()
        if self._engine is not None:
            await self._engine.dispose()


def _read(connection: Connection, work: Callable[[Connection], T]) -> T:
    with connection.begin():
        return work(connection)


async def listen(url: Any, channel: str, heard: Callable[[str], None]) -> None:
    """Call `heard` with the payload of each NOTIFY on `channel` of the PostgreSQL database at
    `url` (SQLAlchemy's), until cancelled; listens again when the database comes back."""
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as db:
                await db.execute(f"LISTEN {channel}")
                async for note in db.notifies():
                    heard(note.payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("LISTEN %s lost; listening again in a second", channel, exc_info=True)
            await asyncio.sleep(1.0)
