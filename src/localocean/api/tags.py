"""Tags: list, create, get, delete, and tagging or untagging resources."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from localocean.api.http import JSON, account_id, base_url, no_content, read_json, services
from localocean.api.pagination import account_listing
from localocean.api.routing import operation, router
from localocean.domain import tags
from localocean.errors import BadRequest, TagBadRequest
from localocean.store import tags as store

api = router()


@operation(api, "GET", "/v2/tags", "tags_list", "tag:read")
async def list_tags(request: Request) -> JSON:
    base = base_url(request)
    return account_listing(
        request, "tags", store.list_page, lambda c, rows: tags.render_many(c, rows, base)
    )


@operation(api, "POST", "/v2/tags", "tags_create", "tag:create", status=201)
async def create_tag(request: Request) -> JSON:
    try:
        payload = await read_json(request)
    except BadRequest as exc:  # this operation's 400 has its own shape in the spec
        raise TagBadRequest(exc.message) from exc
    s = services(request)
    with s.db.transaction() as connection:
        tag = tags.create(connection, account_id(request), payload, s.clock.now())
        (rendered,) = tags.render_many(connection, [tag], base_url(request))
    return JSON({"tag": rendered}, status_code=201)


@operation(api, "GET", "/v2/tags/{tag_id}", "tags_get", "tag:read")
async def get_tag(request: Request, tag_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        tag = tags.get(connection, account_id(request), tag_id)
        (rendered,) = tags.render_many(connection, [tag], base_url(request))
    return JSON({"tag": rendered})


@operation(api, "DELETE", "/v2/tags/{tag_id}", "tags_delete", "tag:delete", status=204)
async def delete_tag(request: Request, tag_id: str) -> Response:
    with services(request).db.transaction() as connection:
        tags.delete(connection, account_id(request), tag_id)
    return no_content()


@operation(
    api, "POST", "/v2/tags/{tag_id}/resources", "tags_assign_resources", "tag:create", status=204
)
async def tag_resources(request: Request, tag_id: str) -> Response:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        tags.assign(connection, account_id(request), tag_id, payload, s.clock.now())
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
    with services(request).db.transaction() as connection:
        tags.unassign(connection, account_id(request), tag_id, payload)
    return no_content()
