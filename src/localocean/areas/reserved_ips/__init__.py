"""Reserved IPs (`/v2/reserved_ips`, and the older `/v2/floating_ips` that answer the same
with `floating_ip(s)` keys) and reserved IPv6s (`/v2/reserved_ipv6`), with their assign and
unassign actions."""

from __future__ import annotations

from typing import Any

from localocean.areas.actions import rules as action_rules
from localocean.areas.actions import store as action_store
from localocean.areas.droplets import store as droplet_store
from localocean.areas.reserved_ips import rules, store
from localocean.core.area import Area, ProjectResources, SeedSection
from localocean.core.errors import Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.seed import SeedContext
from localocean.core.timing import Durations
from localocean.core.validation import Body

routes = Operations()


def _ipv4_routes(base: str, one: str, many: str, ids: tuple[str, str]) -> None:
    """The reserved IPv4 operations under `base`, answering with `one`/`many` keys (the
    floating IP paths are the same operations under their old names)."""
    item = base + "/{" + one + "}"
    resources, actions = ids
    # On the old paths the actions show the old resource type.
    resource_type = one if one == "floating_ip" else None

    def _row(call: Call) -> Any:
        return rules.get(call.db, call.account_id, rules.V4, call.params[one])

    def _action(body: dict[str, Any]) -> dict[str, Any]:
        if resource_type is not None:
            body["resource_type"] = resource_type
        return body

    @routes.get(base, f"{resources}_list", "reserved_ip:read")
    def list_ips(call: Call) -> dict[str, Any]:
        page = Page.of(call)
        rows, total = store.list_page(call.db, call.account_id, rules.V4, page)
        return listing(
            call, many, rules.render_many(call.db, call.account_id, rows, call.now()), total, page
        )

    @routes.post(base, f"{resources}_create", "reserved_ip:create", status=202)
    def create_ip(call: Call) -> dict[str, Any]:
        settings = call.services.settings
        row, action, droplet_id = rules.create(
            call.db, call.services.lifecycle, call.account_id, call.body, call.now(),
            settings.public_ipv4_range,
        )  # fmt: skip
        links: dict[str, Any] = {}
        if action is not None:
            url = call.base_url()
            links = {
                "droplets": [
                    {"id": droplet_id, "rel": "droplet", "href": f"{url}/v2/droplets/{droplet_id}"}
                ],
                "actions": [
                    {"id": action.id, "rel": action.type, "href": f"{url}/v2/actions/{action.id}"}
                ],
            }
        return {one: rules.render_one(call.db, row, call.now()), "links": links}

    @routes.get(item, f"{resources}_get", "reserved_ip:read")
    def get_ip(call: Call) -> dict[str, Any]:
        return {one: rules.render_one(call.db, _row(call), call.now())}

    @routes.delete(item, f"{resources}_delete", "reserved_ip:delete", status=204)
    def delete_ip(call: Call) -> None:
        rules.delete(call.db, _row(call))

    @routes.get(item + "/actions", f"{actions}_list", "reserved_ip:read")
    def list_actions(call: Call) -> dict[str, Any]:
        row = _row(call)
        page = Page.of(call)
        found, total = action_store.list_for_resource(
            call.db, call.account_id, rules.RESOURCE_TYPES[rules.V4], rules.resource_id(row), page
        )
        shown = [_action(action_rules.render(action)) for action in found]
        return listing(call, "actions", shown, total, page)

    @routes.post(item + "/actions", f"{actions}_post", "reserved_ip:update", status=201)
    def post_action(call: Call) -> dict[str, Any]:
        row = _row(call)
        action = rules.request(call.db, call.services.lifecycle, row, call.body)
        return {"action": _action(rules.render_action(call.db, action, row))}

    @routes.get(item + "/actions/{action_id}", f"{actions}_get", "reserved_ip:read")
    def get_action(call: Call) -> dict[str, Any]:
        row = _row(call)
        action = rules.action_of(call.db, row, call.params["action_id"])
        return {"action": _action(rules.render_action(call.db, action, row))}


_ipv4_routes(
    "/v2/reserved_ips", "reserved_ip", "reserved_ips", ("reservedIPs", "reservedIPsActions")
)
_ipv4_routes(
    "/v2/floating_ips", "floating_ip", "floating_ips", ("floatingIPs", "floatingIPsAction")
)

IPV6 = "/v2/reserved_ipv6/{reserved_ipv6}"


def _ipv6(call: Call) -> Any:
    return rules.get(call.db, call.account_id, rules.V6, call.params["reserved_ipv6"])


@routes.get("/v2/reserved_ipv6", "reservedIPv6_list", "reserved_ip:read")
def list_ipv6(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    rows, total = store.list_page(call.db, call.account_id, rules.V6, page)
    shown = rules.render_many(call.db, call.account_id, rows, call.now(), v6=True)
    return listing(call, "reserved_ipv6s", shown, total, page)


@routes.post("/v2/reserved_ipv6", "reservedIPv6_create", "reserved_ip:create", status=201)
def create_ipv6(call: Call) -> dict[str, Any]:
    row = rules.create_v6(call.db, call.account_id, call.body, call.now())
    return {"reserved_ipv6": rules.render_one(call.db, row, call.now())}


@routes.get(IPV6, "reservedIPv6_get", "reserved_ip:read")
def get_ipv6(call: Call) -> dict[str, Any]:
    return {"reserved_ipv6": rules.render_one(call.db, _ipv6(call), call.now())}


@routes.delete(IPV6, "reservedIPv6_delete", "reserved_ip:delete", status=204)
def delete_ipv6(call: Call) -> None:
    rules.delete(call.db, _ipv6(call))


@routes.post(IPV6 + "/actions", "reservedIPv6Actions_post", "reserved_ip:update", status=201)
def post_ipv6_action(call: Call) -> dict[str, Any]:
    row = _ipv6(call)
    action = rules.request(call.db, call.services.lifecycle, row, call.body)
    return {"action": rules.render_action(call.db, action, row)}


# Seeding: `reserved_ips: [{region: nyc3}, {droplet: web-1}, {region: nyc3, ipv6: true}]`,
# optionally with the `ip` to have; a seeded assignment is in place at once.


def _seed(context: SeedContext, entry: Any) -> int:
    if not isinstance(entry, dict):
        raise Unprocessable("must be an object")
    body = Body(entry)
    ipv6 = bool(body.bool("ipv6"))
    ip = body.str("ip")
    droplet_name = body.str("droplet")
    droplet = None
    if droplet_name is not None:
        droplet = droplet_store.seeded(context.connection, context.account_id, droplet_name)
    region = body.str("region") or (droplet.region if droplet is not None else None)
    if ipv6:
        row = rules.create_v6(
            context.connection, context.account_id, {"region_slug": region}, context.now, ip=ip
        )
    else:
        row, _action, _droplet = rules.create(
            context.connection, context.lifecycle, context.account_id,
            {"region": region, "project_id": body.str("project_id")}, context.now,
            context.settings.public_ipv4_range, ip=ip,
        )  # fmt: skip
    if droplet is not None:
        rules.assign_now(context.connection, row, droplet)
    return 0


AREA = Area(
    "reserved_ips",
    operations=routes,
    tables=(store.reserved_ips,),
    transitions={rules.ACT: rules.completed},
    durations={rules.ACT: Durations(1.0, 5.0)},
    project_resources=(
        ProjectResources(
            rules.URN_KIND,
            store.reserved_ips,
            "/v2/reserved_ips/{}",
            id_column="ip",
            aliases=("reservedip",),
            only=(("family", 4),),
        ),
    ),
    seed=SeedSection("reserved_ips", _seed),
    reset_account=store.delete_account,
    counts=store.PER_ACCOUNT,
    tallies=store.PER_ACCOUNT,
)
