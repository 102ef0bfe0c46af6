"""GET /v2/actions and /v2/actions/{action_id}."""

from __future__ import annotations

from starlette.requests import Request

from localocean.api.http import JSON, account_id, services
from localocean.api.pagination import account_listing
from localocean.api.routing import operation, router
from localocean.domain import actions
from localocean.errors import NotFound
from localocean.store import actions as store

api = router()


@operation(api, "GET", "/v2/actions", "actions_list", "actions:read")
async def list_actions(request: Request) -> JSON:
    return account_listing(
        request, "actions", store.list_page, lambda _, rows: [actions.render(r) for r in rows]
    )


@operation(api, "GET", "/v2/actions/{action_id}", "actions_get", "actions:read")
async def get_action(request: Request, action_id: str) -> JSON:
    if not action_id.isdigit():
        raise NotFound()
    with services(request).db.transaction() as connection:
        action = actions.get(connection, account_id(request), int(action_id))
        return JSON({"action": actions.render(action)})
