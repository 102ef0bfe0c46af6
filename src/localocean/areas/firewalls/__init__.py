"""Cloud firewalls: create, list, get, update (PUT replaces), delete; droplets, tags and rules
added and removed; a droplet's firewalls. Each change leaves the firewall `waiting` until it
has reached the droplets (a transition on the clock), then `succeeded`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.droplets import rules as droplet_rules
from localocean.areas.droplets import store as droplet_store
from localocean.areas.firewalls import rules, store
from localocean.core import tags
from localocean.core.area import Area, SeedSection
from localocean.core.errors import Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, account_listing, listing
from localocean.core.seed import SeedContext
from localocean.core.timing import Durations

routes = Operations()
FIREWALL = "/v2/firewalls/{firewall_id}"


def _apply(call: Call, firewall_id: str) -> None:
    """A change was made: it reaches the droplets after the timing profile's delay (a newer
    change replaces what an older one had scheduled)."""
    schedule(call.db, call.services.lifecycle, firewall_id, call.account_id)


def schedule(
    connection: Connection, lifecycle: Lifecycle, firewall_id: str, account_id: str
) -> None:
    lifecycle.cancel(connection, "firewall", [firewall_id])
    lifecycle.schedule(
        connection, rules.APPLY, "firewall", firewall_id, "succeeded", account_id=account_id
    )


def _one(call: Call, firewall_id: str) -> dict[str, Any]:
    firewall = rules.get(call.db, call.account_id, firewall_id)
    return {"firewall": rules.render_many(call.db, [firewall])[0]}


@routes.get("/v2/firewalls", "firewalls_list", "firewall:read")
def list_firewalls(call: Call) -> dict[str, Any]:
    return account_listing(
        call, "firewalls", store.list_page, lambda db, rows: rules.render_many(db, rows)
    )


@routes.post("/v2/firewalls", "firewalls_create", "firewall:create", status=202)
def create_firewall(call: Call) -> dict[str, Any]:
    firewall_id = rules.create(call.db, call.account_id, call.body, call.now())
    _apply(call, firewall_id)
    return _one(call, firewall_id)


@routes.get(FIREWALL, "firewalls_get", "firewall:read")
def get_firewall(call: Call) -> dict[str, Any]:
    return _one(call, call.params["firewall_id"])


@routes.put(FIREWALL, "firewalls_update", "firewall:update")
def update_firewall(call: Call) -> dict[str, Any]:
    firewall_id = call.params["firewall_id"]
    rules.update(call.db, call.account_id, firewall_id, call.body, call.now())
    _apply(call, firewall_id)
    return _one(call, firewall_id)


@routes.delete(FIREWALL, "firewalls_delete", "firewall:delete", status=204)
def delete_firewall(call: Call) -> None:
    firewall = rules.delete(call.db, call.account_id, call.params["firewall_id"])
    call.services.lifecycle.cancel(call.db, "firewall", [firewall.id])


@routes.post(FIREWALL + "/droplets", "firewalls_assign_droplets", "firewall:update", status=204)
def assign_droplets(call: Call) -> None:
    rules.add_droplets(call.db, call.account_id, call.params["firewall_id"], call.body)
    _apply(call, call.params["firewall_id"])


@routes.delete(FIREWALL + "/droplets", "firewalls_delete_droplets", "firewall:update", status=204)
def remove_droplets(call: Call) -> None:
    rules.remove_droplets(call.db, call.account_id, call.params["firewall_id"], call.body)
    _apply(call, call.params["firewall_id"])


@routes.post(FIREWALL + "/tags", "firewalls_add_tags", "firewall:update", status=204)
def add_tags(call: Call) -> None:
    rules.add_tags(call.db, call.account_id, call.params["firewall_id"], call.body, call.now())
    _apply(call, call.params["firewall_id"])


@routes.delete(FIREWALL + "/tags", "firewalls_delete_tags", "firewall:update", status=204)
def remove_tags(call: Call) -> None:
    rules.remove_tags(call.db, call.account_id, call.params["firewall_id"], call.body)
    _apply(call, call.params["firewall_id"])


@routes.post(FIREWALL + "/rules", "firewalls_add_rules", "firewall:update", status=204)
def add_rules(call: Call) -> None:
    rules.add_rules(call.db, call.account_id, call.params["firewall_id"], call.body, call.now())
    _apply(call, call.params["firewall_id"])


@routes.delete(FIREWALL + "/rules", "firewalls_delete_rules", "firewall:update", status=204)
def remove_rules(call: Call) -> None:
    rules.remove_rules(call.db, call.account_id, call.params["firewall_id"], call.body, call.now())
    _apply(call, call.params["firewall_id"])


@routes.get("/v2/droplets/{droplet_id}/firewalls", "droplets_list_firewalls", "firewall:read")
def list_droplet_firewalls(call: Call) -> dict[str, Any]:
    """The firewalls that apply to a droplet: by its id or by one of its tags."""
    droplet = droplet_rules.get(call.db, call.account_id, call.params["droplet_id"])
    names = tags.names_for(call.db, call.account_id, droplet_rules.TAGS, [droplet.id])
    page = Page.of(call)
    rows, total = store.of_droplet(
        call.db, call.account_id, droplet.id, names[str(droplet.id)], page
    )
    return listing(call, "firewalls", rules.render_many(call.db, rows), total, page)


def _applied(connection: Connection, transition: Row[Any], _payload: dict, _lc: Lifecycle) -> None:
    rules.applied(connection, transition.resource_id)


def _seed(context: SeedContext, entry: Any) -> int:
    """A firewall entry is a create request, with `droplets` (names of droplets seeded above)
    besides `droplet_ids`; it is applied at once."""
    if not isinstance(entry, dict):
        raise Unprocessable("must be an object")
    payload = {k: v for k, v in entry.items() if k != "droplets"}
    names = entry.get("droplets")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise Unprocessable("droplets must be a list of droplet names")
        payload["droplet_ids"] = [
            *(payload.get("droplet_ids") or []),
            *(droplet_store.seeded(context.connection, context.account_id, n).id for n in names),
        ]
    firewall_id = rules.create(context.connection, context.account_id, payload, context.now)
    rules.applied(context.connection, firewall_id)
    return 0


AREA = Area(
    "firewalls",
    operations=routes,
    tables=(store.firewalls, store.firewall_droplets, store.firewall_tags),
    transitions={rules.APPLY: _applied},
    durations={rules.APPLY: Durations(1.0, 10.0)},
    seed=SeedSection("firewalls", _seed),
    reset_account=store.delete_account,
    counts={"firewalls": store.PER_ACCOUNT},
    tallies={"firewalls": store.PER_ACCOUNT},
)
