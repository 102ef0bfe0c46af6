"""Actions: `GET /v2/actions` and `/v2/actions/{id}`; other areas record theirs here."""

from __future__ import annotations

from typing import Any

from localocean.areas.actions import rules, store
from localocean.core.area import Area
from localocean.core.operations import Call, Operations
from localocean.core.pagination import account_listing
from localocean.core.timing import Durations

routes = Operations()


@routes.get("/v2/actions", "actions_list", "actions:read")
def list_actions(call: Call) -> dict[str, Any]:
    return account_listing(call, "actions", store.list_page, rules.render_rows)


@routes.get("/v2/actions/{action_id}", "actions_get", "actions:read")
def get_action(call: Call) -> dict[str, Any]:
    return {"action": rules.render(rules.get(call.db, call.account_id, call.params["action_id"]))}


AREA = Area(
    "actions",
    operations=routes,
    tables=(store.actions,),
    transitions={rules.COMPLETE: rules.complete},
    durations={rules.COMPLETE: Durations(0.5, 30.0)},
    reset_account=store.delete_account,
    counts={"actions": store.PER_ACCOUNT},
    tallies={"actions": store.PER_ACCOUNT},
)
