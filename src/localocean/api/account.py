"""GET /v2/account, and the token introspection doctl's `auth init` calls."""

from __future__ import annotations

from starlette.requests import Request

from localocean.api.http import JSON, account_id, principal, services
from localocean.api.routing import operation, router
from localocean.domain import accounts
from localocean.errors import NotFound
from localocean.store import accounts as store

api = router()


@operation(api, "GET", "/v2/account", "account_get", "account:read")
async def get_account(request: Request) -> JSON:
    with services(request).db.transaction() as connection:
        account = store.get(connection, account_id(request))
        if account is None:
            raise NotFound()
        return JSON({"account": accounts.render(account)})


@operation(api, "GET", "/v1/oauth/token/info", "oauth_token_info")
async def token_info(request: Request) -> JSON:
    return JSON(accounts.token_info(principal(request), services(request).clock.now()))
