"""VPCs: list, create, get, update (PUT and PATCH), delete; a default VPC per region."""

from __future__ import annotations

from typing import Any

from localocean.areas.vpcs import rules, store
from localocean.core.area import Area, SeedSection
from localocean.core.clock import rfc3339
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, account_listing, listing
from localocean.core.seed import SeedContext

routes = Operations()


@routes.get("/v2/vpcs", "vpcs_list", "vpc:read")
def list_vpcs(call: Call) -> dict[str, Any]:
    return account_listing(call, "vpcs", store.list_page, rules.render_rows)


@routes.post("/v2/vpcs", "vpcs_create", "vpc:create", status=201)
def create_vpc(call: Call) -> dict[str, Any]:
    return {"vpc": rules.render(rules.create(call.db, call.account_id, call.body, call.now()))}


@routes.get("/v2/vpcs/{vpc_id}", "vpcs_get", "vpc:read")
def get_vpc(call: Call) -> dict[str, Any]:
    return {"vpc": rules.render(rules.get(call.db, call.account_id, call.params["vpc_id"]))}


@routes.put("/v2/vpcs/{vpc_id}", "vpcs_update", "vpc:update")
def update_vpc(call: Call) -> dict[str, Any]:
    vpc = rules.update(call.db, call.account_id, call.params["vpc_id"], call.body, replace=True)
    return {"vpc": rules.render(vpc)}


@routes.patch("/v2/vpcs/{vpc_id}", "vpcs_patch", "vpc:update")
def patch_vpc(call: Call) -> dict[str, Any]:
    vpc = rules.update(call.db, call.account_id, call.params["vpc_id"], call.body, replace=False)
    return {"vpc": rules.render(vpc)}


@routes.get("/v2/vpcs/{vpc_id}/members", "vpcs_list_members", "vpc:read")
def list_members(call: Call) -> dict[str, Any]:
    vpc = rules.get(call.db, call.account_id, call.params["vpc_id"])
    kind = call.query.get("resource_type") or None
    members = [
        member
        for of_area in call.services.vpc_members
        for member in of_area(call.db, call.account_id, vpc.id)
        if kind is None or member.resource_type == kind
    ]
    members.sort(key=lambda member: member.created_at)
    page = Page.of(call)
    shown = [
        {
            "urn": f"do:{member.resource_type}:{member.id}",
            "name": member.name,
            "created_at": rfc3339(member.created_at),
        }
        for member in members[page.offset : page.offset + page.size]
    ]
    return listing(call, "members", shown, len(members), page)


@routes.delete("/v2/vpcs/{vpc_id}", "vpcs_delete", "vpc:delete", status=204)
def delete_vpc(call: Call) -> None:
    rules.delete(call.db, call.account_id, call.params["vpc_id"], call.services.vpc_members)


def _seed(context: SeedContext, entry: Any) -> int:
    vpc = rules.create(context.connection, context.account_id, entry, context.now)
    context.vpc_ids[vpc.name] = vpc.id
    return 0


AREA = Area(
    "vpcs",
    operations=routes,
    tables=(store.vpcs,),
    seed=SeedSection("vpcs", _seed),
    reset_account=store.delete_account,
    counts={"vpcs": store.PER_ACCOUNT},
    tallies={"vpcs": store.PER_ACCOUNT},
)
