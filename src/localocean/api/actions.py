"""GET /v2/actions and /v2/actions/{action_id}."""

from __future__ import annotations

from starlette.requests import Request

from localocean.api.http import JSON, account_id, services
from localocean.api.pagination import account_listing
from localocean.api.routing import operation, router
from localocean.domain import actions
from localocean.domain.validation import integer_id
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
    number = integer_id(action_id)
    if number is None:
        raise NotFound()
    with services(request).db.transaction() as connection:
        action = actions.get(connection, account_id(request), number)
        return JSON({"action": actions.render(action)})
