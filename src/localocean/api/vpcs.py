"""VPCs: list, create, get, update (PUT and PATCH), delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from localocean.api.http import JSON, account_id, no_content, read_json, services
from localocean.api.pagination import account_listing
from localocean.api.routing import operation, router
from localocean.domain import vpcs
from localocean.store import vpcs as store

api = router()


@operation(api, "GET", "/v2/vpcs", "vpcs_list", "vpc:read")
async def list_vpcs(request: Request) -> JSON:
    return account_listing(
        request, "vpcs", store.list_page, lambda _, rows: [vpcs.render(r) for r in rows]
    )


@operation(api, "POST", "/v2/vpcs", "vpcs_create", "vpc:create", status=201)
async def create_vpc(request: Request) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        vpc = vpcs.create(connection, account_id(request), payload, s.clock.now())
        return JSON({"vpc": vpcs.render(vpc)}, status_code=201)


@operation(api, "GET", "/v2/vpcs/{vpc_id}", "vpcs_get", "vpc:read")
async def get_vpc(request: Request, vpc_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        return JSON({"vpc": vpcs.render(vpcs.get(connection, account_id(request), vpc_id))})


async def _update(request: Request, vpc_id: str, *, replace: bool) -> JSON:
    payload = await read_json(request)
    with services(request).db.transaction() as connection:
        vpc = vpcs.update(connection, account_id(request), vpc_id, payload, replace=replace)
        return JSON({"vpc": vpcs.render(vpc)})


@operation(api, "PUT", "/v2/vpcs/{vpc_id}", "vpcs_update", "vpc:update")
async def update_vpc(request: Request, vpc_id: str) -> JSON:
    return await _update(request, vpc_id, replace=True)


@operation(api, "PATCH", "/v2/vpcs/{vpc_id}", "vpcs_patch", "vpc:update")
async def patch_vpc(request: Request, vpc_id: str) -> JSON:
    return await _update(request, vpc_id, replace=False)


@operation(api, "DELETE", "/v2/vpcs/{vpc_id}", "vpcs_delete", "vpc:delete", status=204)
async def delete_vpc(request: Request, vpc_id: str) -> Response:
    with services(request).db.transaction() as connection:
        vpcs.delete(connection, account_id(request), vpc_id)
    return no_content()
