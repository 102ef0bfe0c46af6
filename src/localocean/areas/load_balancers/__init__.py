"""Load balancers: create (`new`, then `active` with an address), list, get, update (PUT
replaces the configuration), delete; droplets and forwarding rules added and removed; a global
one's CDN cache purged. A load balancer is a member of its VPC."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.droplets import store as droplet_store
from localocean.areas.load_balancers import rules, store
from localocean.core.area import Area, ClusterResources, ProjectResources, SeedSection, Taggable
from localocean.core.db import lock_at_once
from localocean.core.errors import Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.seed import SeedContext
from localocean.core.timing import Durations

routes = Operations()
LB = "/v2/load_balancers/{lb_id}"


def _come_up(connection: Connection, lifecycle: Lifecycle, lb: Row[Any]) -> None:
    lifecycle.schedule(
        connection, rules.ACTIVATE, "load_balancer", lb.id, "active", account_id=lb.account_id
    )


@routes.get("/v2/load_balancers", "loadBalancers_list", "load_balancer:read")
def list_load_balancers(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    names = [n for n in call.query.getlist("names") if n]
    uuids = [u for u in call.query.getlist("uuids") if u]
    rows, total = store.list_page(call.db, call.account_id, page, names, uuids)
    return listing(call, "load_balancers", rules.render_many(call.db, call.account_id, rows),
                   total, page)  # fmt: skip


@routes.post("/v2/load_balancers", "loadBalancers_create", "load_balancer:create", status=202)
def create_load_balancer(call: Call) -> dict[str, Any]:
    lb = rules.create(call.db, call.account_id, call.body, call.now())
    _come_up(call.db, call.services.lifecycle, lb)
    return {"load_balancer": rules.render_one(call.db, lb)}


@routes.get(LB, "loadBalancers_get", "load_balancer:read")
def get_load_balancer(call: Call) -> dict[str, Any]:
    lb = rules.get(call.db, call.account_id, call.params["lb_id"])
    return {"load_balancer": rules.render_one(call.db, lb)}


@routes.put(LB, "loadBalancers_update", "load_balancer:update")
def update_load_balancer(call: Call) -> dict[str, Any]:
    lb = rules.update(call.db, call.account_id, call.params["lb_id"], call.body, call.now())
    return {"load_balancer": rules.render_one(call.db, lb)}


@routes.delete(LB, "loadBalancers_delete", "load_balancer:delete", status=204)
def delete_load_balancer(call: Call) -> None:
    lb = rules.delete(call.db, call.account_id, call.params["lb_id"])
    call.services.lifecycle.cancel(call.db, "load_balancer", [lb.id])


@routes.delete(LB + "/cache", "loadBalancers_delete_cache", "load_balancer:delete", status=204)
def purge_cache(call: Call) -> None:
    rules.purge_cache(call.db, call.account_id, call.params["lb_id"])


@routes.post(LB + "/droplets", "loadBalancers_add_droplets", "load_balancer:update", status=204)
def add_droplets(call: Call) -> None:
    rules.add_droplets(call.db, call.account_id, call.params["lb_id"], call.body)


@routes.delete(
    LB + "/droplets", "loadBalancers_remove_droplets", "load_balancer:update", status=204
)
def remove_droplets(call: Call) -> None:
    rules.remove_droplets(call.db, call.account_id, call.params["lb_id"], call.body)


@routes.post(
    LB + "/forwarding_rules", "loadBalancers_add_forwardingRules", "load_balancer:update",
    status=204,
)  # fmt: skip
def add_forwarding_rules(call: Call) -> None:
    rules.add_forwarding_rules(call.db, call.account_id, call.params["lb_id"], call.body)


@routes.delete(
    LB + "/forwarding_rules", "loadBalancers_remove_forwardingRules", "load_balancer:update",
    status=204,
)  # fmt: skip
def remove_forwarding_rules(call: Call) -> None:
    rules.remove_forwarding_rules(call.db, call.account_id, call.params["lb_id"], call.body)


def _activate(
    connection: Connection, transition: Row[Any], _payload: dict, lifecycle: Lifecycle
) -> None:
    lb = lock_at_once(connection, store.load_balancers, transition.resource_id)
    if lb is not None and lb.status == "new":
        try:
            rules.activate(connection, lb, lifecycle.settings.public_ipv4_range)
        except Unprocessable:  # no address left for it
            store.change(connection, lb.id, status="errored")


def _seed(context: SeedContext, entry: Any) -> int:
    """A load balancer entry is a create request, plus `vpc` (a VPC seeded above, by name) and
    `droplets` (names of droplets seeded above, for `droplet_ids`); it is active at once."""
    payload = context.request(entry, own=("droplets",))
    names = entry.get("droplets")
    if names is not None:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise Unprocessable("droplets must be a list of droplet names")
        payload["droplet_ids"] = [
            droplet_store.seeded(context.connection, context.account_id, name).id for name in names
        ]
    lb = rules.create(context.connection, context.account_id, payload, context.now)
    rules.activate(context.connection, lb, context.settings.public_ipv4_range)
    return 0


AREA = Area(
    "load_balancers",
    operations=routes,
    tables=(store.load_balancers,),
    transitions={rules.ACTIVATE: _activate},
    durations={rules.ACTIVATE: Durations(1.0, 60.0)},
    vpc_members=(store.in_vpc,),
    taggables=(Taggable(rules.TAGS, exists=None),),  # kept, not shown (rules.keep_tags)
    project_resources=(
        ProjectResources(rules.URN_KIND, store.load_balancers, "/v2/load_balancers/{}"),
    ),
    cluster_resources=(ClusterResources("load_balancers", rules.tagged, rules.destroy),),
    seed=SeedSection("load_balancers", _seed),
    reset_account=store.delete_account,
    counts={"load_balancers": store.PER_ACCOUNT},
    tallies={"load_balancers": store.PER_ACCOUNT},
)
