"""Pagination in SQL: one page of rows plus the total, for any select."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def fetch_page(session: Session, stmt: Select[Any], offset: int, limit: int) -> tuple[list, int]:
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.offset(offset).limit(limit)).scalars().all()
    return list(rows), int(total.scalar_one())
