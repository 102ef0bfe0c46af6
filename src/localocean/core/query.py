"""Statements on the hot path, run on the database driver directly: SELECTs (Query) and
INSERT, UPDATE and DELETE (Write).

A statement is written with SQLAlchemy Core like any other and compiled once per dialect; each
execution then costs one driver call, without SQLAlchemy's per-execution machinery (compiled
cache lookup, result metadata, Row building), which is most of the time a statement takes. Rows
are named tuples: `row.name` as with SQLAlchemy's Row. Values come back as SQLAlchemy would give
them (JSON decoded, booleans as bool): each column's own result processor is applied; values
written go through each column's bind processor (JSON encoded). The driver's errors are raised
as SQLAlchemy's (IntegrityError, OperationalError, ...), a lost server connection invalidated.

Expanding parameters (`bindparam(..., expanding=True)` for `IN` lists) are rendered with as many
placeholders as values, compiled once per list length.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Delete, Insert, Select, Update
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any]
# Set in a connection's info while a GET reads on SQLite outside a transaction (Database.read).
READING = "localocean.reading"
_EXPANDING = re.compile(r"\(__\[POSTCOMPILE_(\w+)\]\)")


class _Prepared(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # positional drivers: parameter names in placeholder order
    defaults: dict[str, Any]
    expanding: tuple[str, ...]
    row: Callable[..., Any]
    # Filled at the first execution: some processors depend on the driver's column types.
    processors: list[tuple[tuple[int, Processor], ...]]


def _row_type(names: Sequence[str]) -> Any:
    base = namedtuple("Row", names, rename=True)  # type: ignore[misc]

    class Row(base):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(names, self, strict=True))

    return Row


class Query:
    def __init__(self, stmt: Select[Any]):
        self.stmt = stmt
        # Keyed by driver: psycopg's sync and async interfaces can differ in result processors.
        self._prepared: dict[tuple[str, tuple[int, ...]], _Prepared] = {}

    def _prepare(self, connection: Connection, lengths: tuple[int, ...]) -> _Prepared:
        dialect = connection.dialect
        compiled = self.stmt.compile(dialect=dialect)
        sql = compiled.string
        order = list(compiled.positiontup) if compiled.positiontup else None
        expanding = self._shape(connection)[0]
        positional = dialect.paramstyle == "qmark"
        for name, length in zip(expanding, lengths, strict=True):
            if positional:
                marks = ", ".join("?" * length)
            else:
                marks = ", ".join(f"%({name}__{i})s" for i in range(length))
            sql = sql.replace(f"(__[POSTCOMPILE_{name}])", f"({marks})")
            if order is not None:
                at = order.index(name)
                order[at : at + 1] = [f"{name}__{i}" for i in range(length)]
        names = [str(column.key) for column in self.stmt.selected_columns]
        defaults = {k: v for k, v in compiled.params.items() if k not in expanding}
        return _Prepared(
            sql,
            tuple(order) if order is not None else None,
            defaults,
            expanding,
            _row_type(names),
            [],
        )

    def _processors(
        self, connection: Connection, description: Sequence[Any]
    ) -> tuple[tuple[int, Processor], ...]:
        dialect = connection.dialect
        found = []
        for index, column in enumerate(self.stmt.selected_columns):
            coltype = description[index][1]
            processor = column.type.dialect_impl(dialect).result_processor(dialect, coltype)
            if processor is not None:
                found.append((index, processor))
        return tuple(found)

    def _run(self, connection: Connection, given: Mapping[str, Any]) -> Any:
        expanding, defaults = self._shape(connection)
        params = {**defaults, **given} if defaults else given
        lengths = tuple(len(params[name]) for name in expanding)
        key = (connection.dialect.driver, lengths)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = self._prepare(connection, lengths)
        values = {**prepared.defaults, **params}
        for name in prepared.expanding:
            for i, value in enumerate(values.pop(name)):
                values[f"{name}__{i}"] = value
        bound: Any = (
            tuple(values[name] for name in prepared.order) if prepared.order is not None else values
        )
        # Autobegin as SQLAlchemy would, so the read belongs to the caller's transaction; reads
        # of a GET on SQLite need none (Database.read).
        if not connection.in_transaction() and not connection.info.get(READING):
            connection.begin()
        cursor = execute(connection, prepared.sql, bound)
        if not prepared.processors:
            prepared.processors.append(self._processors(connection, cursor.description))
        return cursor, prepared

    def _shape(self, connection: Connection) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The expanding parameters, and the values of those the statement carries itself
        (`column.in_([...])` with a literal list)."""
        shapes = self.__dict__.setdefault("_shapes", {})
        shape = shapes.get(connection.dialect.name)
        if shape is None:
            compiled = self.stmt.compile(dialect=connection.dialect)
            names = tuple(_EXPANDING.findall(compiled.string))
            literal = {
                name: compiled.params[name]
                for name in names
                if compiled.params.get(name) is not None
            }
            shape = shapes[connection.dialect.name] = (names, literal)
        return shape

    @staticmethod
    def _build(prepared: _Prepared, raw: Sequence[Any]) -> Any:
        processors = prepared.processors[0]
        if processors:
            values = list(raw)
            for index, processor in processors:
                values[index] = processor(values[index])
            return prepared.row(*values)
        return prepared.row(*raw)

    def all(self, connection: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        cursor, prepared = self._run(connection, params or {})
        try:
            return [self._build(prepared, raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def first(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Any:
        cursor, prepared = self._run(connection, params or {})
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        return None if raw is None else self._build(prepared, raw)

    def scalar(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Any:
        row = self.first(connection, params)
        return None if row is None else row[0]


def execute(connection: Connection, sql: str, bound: Any) -> Any:
    """The driver's cursor after `sql`; its errors raised as SQLAlchemy would raise them."""
    driver = connection.connection.dbapi_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, bound)
    except Exception as exc:
        dialect = connection.dialect
        dbapi = dialect.loaded_dbapi
        if not isinstance(exc, dbapi.Error):
            raise
        lost = dialect.is_disconnect(exc, driver, cursor)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql, bound, exc, dbapi.Error, connection_invalidated=lost, dialect=dialect
        ) from exc
    return cursor


class _Compiled(NamedTuple):
    sql: str
    order: tuple[str, ...] | None
    defaults: dict[str, Any]
    processors: tuple[tuple[str, Processor], ...]


class Write:
    """An INSERT, UPDATE or DELETE run on the driver: compiled once per dialect and set of
    parameter names (an INSERT or UPDATE sets the columns it is given values for)."""

    def __init__(self, stmt: Insert | Update | Delete):
        self.stmt = stmt
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def _compile(self, connection: Connection, names: tuple[str, ...]) -> _Compiled:
        dialect = connection.dialect
        compiled = self.stmt.compile(dialect=dialect, column_keys=list(names))
        assert "POSTCOMPILE" not in compiled.string, "Write takes no expanding parameters"
        processors = []
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((name, processor))
        return _Compiled(
            compiled.string,
            tuple(compiled.positiontup) if compiled.positiontup else None,
            {k: v for k, v in compiled.params.items() if k not in names and v is not None},
            tuple(processors),
        )

    def _cursor(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        names = tuple(params)
        key = (connection.dialect.driver, names)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(connection, names)
        values = {**compiled.defaults, **params} if compiled.defaults else dict(params)
        for name, processor in compiled.processors:
            if name in values:
                values[name] = processor(values[name])
        bound: Any = (
            tuple(values[name] for name in compiled.order) if compiled.order is not None else values
        )
        if not connection.in_transaction():
            connection.begin()
        return execute(connection, compiled.sql, bound)

    def run(self, connection: Connection, params: Mapping[str, Any] | None = None) -> int:
        """The number of rows written."""
        cursor = self._cursor(connection, params or {})
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def returned(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first value of the statement's RETURNING clause; None if no row was written."""
        cursor = self._cursor(connection, params or {})
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]
