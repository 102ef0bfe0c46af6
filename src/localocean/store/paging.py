"""Pagination in SQL: one page of rows plus the total.

List statements are built once, with `limit`/`offset` bind parameters, so a request executes a
cached statement instead of compiling a new one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, func, select


class PagedQuery:
    def __init__(self, stmt: Select[Any]):
        self.page = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
        self.count = select(func.count()).select_from(stmt.order_by(None).subquery())

    def fetch(
        self, connection: Connection, params: dict[str, Any], offset: int, limit: int
    ) -> tuple[list[Row[Any]], int]:
        rows = list(connection.execute(self.page, {**params, "limit": limit, "offset": offset}))
        if offset == 0 and len(rows) < limit:
            return rows, len(rows)  # the whole collection fits on the first page
        return rows, int(connection.execute(self.count, params).scalar_one())
