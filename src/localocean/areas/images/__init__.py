"""Images: list, get, create (a real import), update, delete, image actions, account transfers.

Layout: `catalog.py` the public images, `rules.py` an account's own images and their actions,
`transfers.py` account transfers, `importer.py` the download (`disk_formats.py` recognises what
arrives, `url_policy.py` says where it may come from), `store.py` tables and queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localocean.areas.actions import rules as actions
from localocean.areas.actions import store as action_store
from localocean.areas.images import rules, store, transfers
from localocean.areas.images.importer import ImageImporter
from localocean.areas.images.seed import load as load_seed
from localocean.core.area import Area, SeedSection, Taggable
from localocean.core.errors import NotFound
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.services import Services
from localocean.core.timing import Durations
from localocean.core.validation import integer_id

routes = Operations()
IMAGE = "/v2/images/{image_id}"
# In `instant` timing an import's outcome is visible at the first read: reads wait this long
# at most for imports still downloading.
INSTANT_WAIT = 60.0


def importer(call: Call) -> ImageImporter:
    return call.services.runtime("images")


async def _settle_imports(call: Call) -> None:
    services = call.services
    if services.timing.profile == "instant":
        image_id = integer_id(call.params["image_id"]) if "image_id" in call.params else None
        await importer(call).wait(call.account_id, image_id, INSTANT_WAIT)
        services.lifecycle.apply_if_due()


@routes.get("/v2/images", "images_list", "image:read", prepare=_settle_imports)
def list_images(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    items, total = rules.list_page(call.db, call.account_id, call.query, page)
    return listing(call, "images", items, total, page)


@routes.post("/v2/images", "images_create_custom", "image:create", status=202)
def create_image(call: Call) -> dict[str, Any]:
    image = rules.create(call.db, call.account_id, call.body, call.now())
    call.after_commit(lambda: importer(call).begin(image.id, image.url, image.account_id))
    return {"image": rules.render_one(call.db, image)}


@routes.get(IMAGE, "images_get", "image:read", prepare=_settle_imports)
def get_image(call: Call) -> dict[str, Any]:
    return {"image": rules.visible(call.db, call.account_id, call.params["image_id"])}


@routes.put(IMAGE, "images_update", "image:update")
def update_image(call: Call) -> dict[str, Any]:
    image = rules.update(call.db, call.account_id, call.params["image_id"], call.body)
    return {"image": rules.render_one(call.db, image)}


@routes.delete(IMAGE, "images_delete", "image:delete", status=204)
def delete_image(call: Call) -> None:
    lifecycle = call.services.lifecycle
    deleted = rules.delete(call.db, lifecycle, call.account_id, call.params["image_id"], call.now())
    call.after_commit(lambda: importer(call).cancel(deleted))


@routes.get(IMAGE + "/actions", "imageActions_list", "image:read")
def list_image_actions(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    image = rules.own(call.db, call.account_id, call.params["image_id"])
    rows, total = action_store.list_for_resource(call.db, call.account_id, "image", image.id, page)
    return listing(call, "actions", [actions.render(row) for row in rows], total, page)


@routes.post(IMAGE + "/actions", "imageActions_post", "image:update", status=201)
def post_image_action(call: Call) -> dict[str, Any]:
    lifecycle = call.services.lifecycle
    action = rules.act(call.db, lifecycle, call.account_id, call.params["image_id"], call.body)
    return {"action": actions.render(action)}


@routes.get(IMAGE + "/actions/{action_id}", "imageActions_get", "image:read")
def get_image_action(call: Call) -> dict[str, Any]:
    image = rules.own(call.db, call.account_id, call.params["image_id"])
    action = actions.get(call.db, call.account_id, call.params["action_id"])
    if action.resource_type != "image" or action.resource_id != image.id:
        raise NotFound()
    return {"action": actions.render(action)}


@routes.post(
    IMAGE + "/account_transfer", "images_post_account_transfer_create", "image:update",
    "image:delete", status=201,
)  # fmt: skip
def create_account_transfer(call: Call) -> dict[str, Any]:
    transfer_id = transfers.start(
        call.db, call.account_id, call.params["image_id"], call.body, call.now()
    )
    return {"transfer_id": transfer_id}


Step = Callable[[Any, str, str, Any], None]


def _transfer_step(step: Step) -> Callable[[Call], None]:
    def handle(call: Call) -> None:
        step(call.db, call.account_id, call.params["image_id"], call.body)

    handle.__name__ = step.__name__
    return handle


# Accept answers 201 with an empty body, cancel and decline 204.
routes.post(
    IMAGE + "/account_transfer/accept", "images_post_account_transfer_accept", "image:create",
    status=201,
)(_transfer_step(transfers.accept))  # fmt: skip
routes.post(
    IMAGE + "/account_transfer/cancel", "images_post_account_transfer_cancel", "image:update",
    status=204,
)(_transfer_step(transfers.cancel))  # fmt: skip
routes.post(
    IMAGE + "/account_transfer/decline", "images_post_account_transfer_decline", "image:create",
    status=204,
)(_transfer_step(transfers.decline))  # fmt: skip


def _importer(services: Services) -> ImageImporter:
    settings = services.settings
    return ImageImporter(
        services.db, services.lifecycle, settings.image_url_policy, settings.image_size_limit
    )


AREA = Area(
    "images",
    operations=routes,
    tables=(store.images, store.image_transfers),
    transitions={
        rules.IMPORT: rules.import_finished,
        rules.TRANSFER: rules.transferred,
        rules.CONVERT: rules.converted,
    },
    durations={
        rules.IMPORT: Durations(0.2, 60.0, per_gigabyte=20.0),
        rules.TRANSFER: Durations(0.5, 120.0, per_gigabyte=10.0),
        rules.CONVERT: Durations(0.5, 30.0),
    },
    taggables=(Taggable("image", "images", "images", exists=rules.exists),),
    seed=SeedSection("images", load_seed),
    reset_account=store.delete_account,
    counts={"images": store.PER_ACCOUNT},
    tallies={"images": store.PER_ACCOUNT},
    runtime=_importer,
)
