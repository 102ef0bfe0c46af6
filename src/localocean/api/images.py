"""Images: list, get, create (import), update, delete, image actions, account transfers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from localocean.api.http import JSON, account_id, no_content, read_json, services
from localocean.api.pagination import Page, listing
from localocean.api.routing import operation, router
from localocean.domain import actions, images
from localocean.domain.validation import integer_id
from localocean.errors import NotFound
from localocean.store import actions as action_store

api = router()

# In `instant` timing an import's outcome is visible at the first read: reads wait this long
# at most for imports still downloading.
INSTANT_WAIT = 60.0


async def _settle_imports(request: Request, image_id: int | None = None) -> None:
    s = services(request)
    if s.timing.profile == "instant":
        await s.importer.wait(account_id(request), image_id, INSTANT_WAIT)
        s.engine.apply_if_due()


@operation(api, "GET", "/v2/images", "images_list", "image:read")
async def list_images(request: Request) -> JSON:
    await _settle_imports(request)
    page = Page.of(request)
    with services(request).db.transaction() as connection:
        items, total = images.list_page(
            connection, account_id(request), request.query_params, page.offset, page.size
        )
    return JSON(listing(request, "images", items, total, page))


@operation(api, "POST", "/v2/images", "images_create_custom", "image:create", status=202)
async def create_image(request: Request) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        image = images.create(connection, account_id(request), payload, s.clock.now())
        body = {"image": images.render_one(connection, image)}
    s.importer.start(image.id, image.url, image.account_id)
    return JSON(body, status_code=202)


@operation(api, "GET", "/v2/images/{image_id}", "images_get", "image:read")
async def get_image(request: Request, image_id: str) -> JSON:
    await _settle_imports(request, integer_id(image_id))
    with services(request).db.transaction() as connection:
        return JSON({"image": images.visible(connection, account_id(request), image_id)})


@operation(api, "PUT", "/v2/images/{image_id}", "images_update", "image:update")
async def update_image(request: Request, image_id: str) -> JSON:
    payload = await read_json(request)
    with services(request).db.transaction() as connection:
        image = images.update(connection, account_id(request), image_id, payload)
        return JSON({"image": images.render_one(connection, image)})


@operation(api, "DELETE", "/v2/images/{image_id}", "images_delete", "image:delete", status=204)
async def delete_image(request: Request, image_id: str) -> Response:
    s = services(request)
    with s.db.transaction() as connection:
        deleted = images.delete(connection, s.engine, account_id(request), image_id, s.clock.now())
    s.importer.cancel(deleted)
    return no_content()


@operation(api, "GET", "/v2/images/{image_id}/actions", "imageActions_list", "image:read")
async def list_image_actions(request: Request, image_id: str) -> JSON:
    page = Page.of(request)
    with services(request).db.transaction() as connection:
        image = images.own(connection, account_id(request), image_id)
        rows, total = action_store.list_for_resource(
            connection, account_id(request), "image", image.id, page.offset, page.size
        )
        items = [actions.render(row) for row in rows]
    return JSON(listing(request, "actions", items, total, page))


@operation(
    api, "POST", "/v2/images/{image_id}/actions", "imageActions_post", "image:update", status=201
)
async def post_image_action(request: Request, image_id: str) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        action = images.act(connection, s.engine, account_id(request), image_id, payload)
        return JSON({"action": actions.render(action)}, status_code=201)


@operation(
    api, "GET", "/v2/images/{image_id}/actions/{action_id}", "imageActions_get", "image:read"
)
async def get_image_action(request: Request, image_id: str, action_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        image = images.own(connection, account_id(request), image_id)
        number = integer_id(action_id)
        if number is None:
            raise NotFound()
        action = actions.get(connection, account_id(request), number)
        if action.resource_type != "image" or action.resource_id != image.id:
            raise NotFound()
        return JSON({"action": actions.render(action)})


@operation(
    api, "POST", "/v2/images/{image_id}/account_transfer",
    "images_post_account_transfer_create", "image:update", "image:delete", status=201,
)  # fmt: skip
async def create_account_transfer(request: Request, image_id: str) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        transfer_id = images.start_transfer(
            connection, account_id(request), image_id, payload, s.clock.now()
        )
    return JSON({"transfer_id": transfer_id}, status_code=201)


def _transfer_step(step: str, operation_id: str, scope: str, status: int, apply) -> None:
    """Accept, cancel and decline: the same request shape, each its own operation."""

    @operation(
        api, "POST", f"/v2/images/{{image_id}}/account_transfer/{step}", operation_id, scope,
        status=status,
    )  # fmt: skip
    async def handle(request: Request, image_id: str) -> Response:
        payload = await read_json(request)
        with services(request).db.transaction() as connection:
            apply(connection, account_id(request), image_id, payload)
        return Response(status_code=status)  # accept answers 201 with an empty body


for _step in (
    ("accept", "images_post_account_transfer_accept", "image:create", 201, images.accept_transfer),
    ("cancel", "images_post_account_transfer_cancel", "image:update", 204, images.cancel_transfer),
    ("decline", "images_post_account_transfer_decline", "image:create", 204,
     images.decline_transfer),
):  # fmt: skip
    _transfer_step(*_step)
