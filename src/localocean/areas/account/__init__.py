"""Account: `GET /v2/account`, and the token introspection doctl's `auth init` calls."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from localocean.core import accounts
from localocean.core.area import Area
from localocean.core.errors import NotFound
from localocean.core.operations import Call, Operations

routes = Operations()
DROPLET_LIMIT = 25
RESERVED_IP_LIMIT = 3  # reserved IPv4s per account (`floating_ip_limit`)
VOLUME_LIMIT = 100


def render(account: Row[Any]) -> dict[str, Any]:
    return {
        "droplet_limit": DROPLET_LIMIT,
        "floating_ip_limit": RESERVED_IP_LIMIT,
        "volume_limit": VOLUME_LIMIT,
        "email": account.email,
        "name": account.name,
        "uuid": account.id,
        "email_verified": True,
        "status": "active",
        "status_message": "",
        "team": {"uuid": accounts.team_uuid(account.id), "name": account.name},
    }


@routes.get("/v2/account", "account_get", "account:read")
def get_account(call: Call) -> dict[str, Any]:
    account = accounts.get(call.db, call.account_id)
    if account is None:
        raise NotFound()
    return {"account": render(account)}


@routes.get("/v1/oauth/token/info", "oauth_token_info")
def token_info(call: Call) -> dict[str, Any]:
    """What doctl's `auth init` reads."""
    principal = call.principal
    assert principal is not None
    return {
        "resource_owner_id": principal.account_number,
        "scopes": list(principal.scopes),
        "expires_in_seconds": 2_592_000,
        "application": {"uid": ""},
        "created_at": int(principal.created_at),
    }


AREA = Area("account", operations=routes)
