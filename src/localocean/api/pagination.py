"""The one pagination helper: `page`/`per_page` in, `links` and `meta` out, as DigitalOcean does.

Links are absolute URLs on the request's own scheme, host and port; every page after the first
carries `first`/`prev`, every page before the last `next`/`last` (Terraform and doctl rely on it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, Row
from starlette.requests import Request

from localocean.api.http import JSON, account_id, services

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
    def of(cls, request: Request) -> Page:
        query = request.query_params
        size = min(_positive_int(query.get("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
        return cls(min(_positive_int(query.get("page"), 1), MAX_PAGE), size)

    def slice(self, items: list[Any]) -> list[Any]:
        return items[self.offset : self.offset + self.size]


def listing(request: Request, key: str, items: list[Any], total: int, page: Page) -> dict[str, Any]:
    last = max(1, -(-total // page.size))
    pages: dict[str, str] = {}

    if page.number > 1 or page.number < last:
        # Every query parameter the client sent is kept (per_page, filters); page goes last.
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
        url = request.url
        query = f"{urlencode(kept)}&" if kept else ""
        prefix = f"{url.scheme}://{url.netloc}{url.path}?{query}page="

    def link(number: int) -> str:
        return f"{prefix}{number}"

    if page.number > 1:
        pages["first"] = link(1)
        pages["prev"] = link(min(page.number - 1, last))
    if page.number < last:
        pages["next"] = link(page.number + 1)
        pages["last"] = link(last)
    return {key: items, "links": {"pages": pages} if pages else {}, "meta": {"total": total}}


Fetch = Callable[[Connection, str, int, int], tuple[list[Row[Any]], int]]
Render = Callable[[Connection, list[Row[Any]]], list[dict[str, Any]]]


def account_listing(request: Request, key: str, fetch: Fetch, render: Render) -> JSON:
    """A paginated list of the calling account's resources: fetched in SQL, one page at a time."""
    page = Page.of(request)
    with services(request).db.transaction() as connection:
        rows, total = fetch(connection, account_id(request), page.offset, page.size)
        items = render(connection, rows)
    return JSON(listing(request, key, items, total, page))
