"""The one pagination path: `page`/`per_page` in, a page fetched in SQL (or sliced from a
catalog), `links` and `meta` out, as DigitalOcean does.

Links are absolute URLs on the request's own scheme, host and port; every page after the first
carries `first`/`prev`, every page before the last `next`/`last` (Terraform and doctl rely on it).
List statements are built once with `limit`/`offset` bind parameters, so a request executes a
cached statement instead of compiling a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import Connection, Row, Select, bindparam, func, select

from localocean.core import tallies
from localocean.core.query import Query

if TYPE_CHECKING:
    from localocean.core.operations import Call

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200
MAX_PAGE = 10**9  # beyond any collection; keeps the SQL offset a valid 64-bit number


def _positive_int(text: str | None, default: int) -> int:
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return value if value >= 1 else default


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @classmethod
    def of(cls, call: Call) -> Page:
        query = call.query
        size = min(_positive_int(query.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
        return cls(min(_positive_int(query.get("page"), 1), MAX_PAGE), size)


class PagedQuery:
    """One page of rows plus the total, in SQL. With `tally`, the statement lists all of an
    account's resources of that kind (its only parameter is `account_id`), and the total is read
    from the tallies instead of counted."""

    def __init__(self, stmt: Select[Any], tally: str | None = None):
        self.tally = tally
        self.page = Query(stmt.limit(bindparam("limit")).offset(bindparam("offset")))
        self.count = Query(select(func.count()).select_from(stmt.order_by(None).subquery()))

    def fetch(
        self, connection: Connection, params: dict[str, Any], page: Page
    ) -> tuple[list[Row[Any]], int]:
        return self.fetch_range(connection, params, page.offset, page.size)

    def fetch_range(
        self, connection: Connection, params: dict[str, Any], offset: int, limit: int
    ) -> tuple[list[Row[Any]], int]:
        rows = self.page.all(connection, {**params, "limit": limit, "offset": offset})
        if offset == 0 and len(rows) < limit:
            return rows, len(rows)  # the whole collection fits on the first page
        if self.tally is not None:
            return rows, tallies.count(connection, params["account_id"], self.tally)
        return rows, int(self.count.scalar(connection, params))


def listing(call: Call, key: str, items: list[Any], total: int, page: Page) -> dict[str, Any]:
    """The body of a list answer: the page's items, `links` and `meta`."""
    last = max(1, -(-total // page.size))
    pages: dict[str, str] = {}
    prefix = ""
    if page.number > 1 or page.number < last:
        # Every query parameter the client sent is kept (per_page, filters); page goes last.
        kept = [(k, v) for k, v in call.query.multi_items() if k != "page"]
        query = f"{urlencode(kept)}&" if kept else ""
        prefix = f"{call.url_without_query()}?{query}page="
    if page.number > 1:
        pages["first"] = f"{prefix}1"
        pages["prev"] = f"{prefix}{min(page.number - 1, last)}"
    if page.number < last:
        pages["next"] = f"{prefix}{page.number + 1}"
        pages["last"] = f"{prefix}{last}"
    return {key: items, "links": {"pages": pages} if pages else {}, "meta": {"total": total}}


Fetch = Callable[[Connection, str, Page], tuple[list[Row[Any]], int]]
Render = Callable[[Connection, list[Row[Any]]], list[dict[str, Any]]]


def account_listing(call: Call, key: str, fetch: Fetch, render: Render) -> dict[str, Any]:
    """A page of the calling account's resources: fetched in SQL, rendered one page at a time."""
    page = Page.of(call)
    rows, total = fetch(call.db, call.account_id, page)
    return listing(call, key, render(call.db, rows), total, page)


def catalog_listing(call: Call, key: str, everything: list[Any]) -> dict[str, Any]:
    """A page of a fixed catalog (regions, sizes)."""
    page = Page.of(call)
    items = everything[page.offset : page.offset + page.size]
    return listing(call, key, items, len(everything), page)
