"""GET /v2/actions and /v2/actions/{action_id}."""

from __future__ import annotations

from starlette.requests import Request

from localocean.api.http import JSON, account_id, services
from localocean.api.pagination import Page, listing
from localocean.api.routing import operation, router
from localocean.domain import actions
from localocean.errors import NotFound
from localocean.store import actions as store

api = router()


@operation(api, "GET", "/v2/actions", "actions_list", "actions:read")
async def list_actions(request: Request) -> JSON:
    page = Page.of(request)
    with services(request).db.transaction() as connection:
        rows, total = store.list_page(connection, account_id(request), page.offset, page.size)
        items = [actions.render(row) for row in rows]
    return JSON(listing(request, "actions", items, total, page))


@operation(api, "GET", "/v2/actions/{action_id}", "actions_get", "actions:read")
async def get_action(request: Request, action_id: str) -> JSON:
    if not action_id.isdigit():
        raise NotFound()
    with services(request).db.transaction() as connection:
        action = actions.get(connection, account_id(request), int(action_id))
        return JSON({"action": actions.render(action)})
