"""Pagination in SQL: one page of rows plus the total, for any select."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, func, select


def fetch_page(
    connection: Connection, stmt: Select[Any], offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    rows = list(connection.execute(stmt.offset(offset).limit(limit)))
    if offset == 0 and len(rows) < limit:
        return rows, len(rows)  # the whole collection fits on the first page: no count needed
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return rows, int(connection.execute(counted).scalar_one())
