"""Tags: list, create, get, delete, and tagging or untagging resources."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from localocean.api.http import JSON, base_url, no_content, principal, read_json, services
from localocean.api.pagination import Page, listing
from localocean.api.routing import operation, router
from localocean.domain import tags
from localocean.store import tags as store

api = router()


@operation(api, "GET", "/v2/tags", "tags_list", "tag:read")
async def list_tags(request: Request) -> JSON:
    page = Page.of(request)
    with services(request).db.transaction() as session:
        rows, total = store.list_page(
            session, principal(request).account_id, page.offset, page.size
        )
        items = tags.render_many(session, rows, base_url(request))
    return JSON(listing(request, "tags", items, total, page))


@operation(api, "POST", "/v2/tags", "tags_create", "tag:create", status=201)
async def create_tag(request: Request) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as session:
        tag = tags.create(session, principal(request).account_id, payload, s.clock.now())
        (rendered,) = tags.render_many(session, [tag], base_url(request))
    return JSON({"tag": rendered}, status_code=201)


@operation(api, "GET", "/v2/tags/{tag_id}", "tags_get", "tag:read")
async def get_tag(request: Request, tag_id: str) -> JSON:
    with services(request).db.transaction() as session:
        tag = tags.get(session, principal(request).account_id, tag_id)
        (rendered,) = tags.render_many(session, [tag], base_url(request))
    return JSON({"tag": rendered})


@operation(api, "DELETE", "/v2/tags/{tag_id}", "tags_delete", "tag:delete", status=204)
async def delete_tag(request: Request, tag_id: str) -> Response:
    with services(request).db.transaction() as session:
        tags.delete(session, principal(request).account_id, tag_id)
    return no_content()


@operation(
    api, "POST", "/v2/tags/{tag_id}/resources", "tags_assign_resources", "tag:create", status=204
)
async def tag_resources(request: Request, tag_id: str) -> Response:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as session:
        tags.assign(session, principal(request).account_id, tag_id, payload, s.clock.now())
    return no_content()


@operation(
    api,
    "DELETE",
    "/v2/tags/{tag_id}/resources",
    "tags_unassign_resources",
    "tag:delete",
    status=204,
)
async def untag_resources(request: Request, tag_id: str) -> Response:
    payload = await read_json(request)
    with services(request).db.transaction() as session:
        tags.unassign(session, principal(request).account_id, tag_id, payload)
    return no_content()
