"""Images: the public catalog, an account's own images and their actions, and the outcome of
imports. Account transfers are in `transfers.py`, the download itself in `importer.py`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.actions import rules as actions
from localocean.areas.actions import store as action_store
from localocean.areas.images import catalog, store, url_policy
from localocean.areas.regions import catalog as regions
from localocean.core import tags
from localocean.core.clock import rfc3339
from localocean.core.errors import Forbidden, NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.pagination import Page
from localocean.core.validation import Body, integer_id

IMPORT = "image.import"
TRANSFER = "image.transfer"
CONVERT = "image.convert"
DISTRIBUTIONS = [
    "Arch Linux", "CentOS", "CoreOS", "Debian", "Fedora", "Fedora Atomic", "FreeBSD", "Gentoo",
    "openSUSE", "RancherOS", "Rocky Linux", "Ubuntu", "Unknown",
]  # fmt: skip
_DISTRIBUTION_BY_KEY = {name.lower(): name for name in DISTRIBUTIONS}
ALREADY_DELETED = "Image Can not delete an already deleted image."
MAX_NAME = 255
MAX_DESCRIPTION = 1024


def distribution(value: str | None) -> str:
    """Any value is accepted; one DigitalOcean does not know becomes `Unknown`."""
    return _DISTRIBUTION_BY_KEY.get((value or "").strip().lower(), "Unknown")


# Reading


def visible(connection: Connection, account_id: str, key: str) -> dict[str, Any]:
    """An image by id (public or the account's own) or by slug (public images only)."""
    image_id = integer_id(key)
    public = catalog.find(image_id if image_id is not None else key)
    if public is not None:
        return public
    if image_id is None:
        raise NotFound()
    return render_one(connection, own(connection, account_id, image_id))


def own(connection: Connection, account_id: str, image_id: int | str) -> Row[Any]:
    """One of the account's own images; public images are visible but not the account's."""
    number = image_id if isinstance(image_id, int) else integer_id(image_id)
    if number is None:
        raise NotFound()
    if catalog.find(number) is not None:
        raise Forbidden("Public images can not be changed, deleted or acted on.")
    image = store.get(connection, account_id, number)
    if image is None:
        raise NotFound()
    return image


def list_page(
    connection: Connection, account_id: str, query: Any, page: Page
) -> tuple[list[dict[str, Any]], int]:
    """`GET /v2/images`: public images first, then the account's own, in SQL pages."""
    kind = query.get("type")
    if kind is not None and kind not in ("distribution", "application"):
        raise Unprocessable("type must be one of distribution, application")
    private = (query.get("private") or "").lower() in ("true", "1")
    tag_name = query.get("tag_name") or None
    public = [] if private or tag_name else catalog.listed(kind)
    offset, limit = page.offset, page.size
    include_own = kind is None
    public_part = public[offset : offset + limit]
    own_limit = limit - len(public_part)
    rows: list[Row[Any]] = []
    own_total = 0
    if include_own and own_limit > 0:
        own_offset = max(0, offset - len(public))
        rows, own_total = store.list_page(connection, account_id, own_offset, own_limit, tag_name)
    elif include_own:  # the page is all public images; the total still counts the account's
        own_total = store.list_page(connection, account_id, 0, 1, tag_name)[1]
    return public_part + render_many(connection, account_id, rows), len(public) + own_total


def render_many(connection: Connection, account_id: str, rows: list[Row[Any]]) -> list[dict]:
    names = tags.names_for(connection, account_id, "image", [r.id for r in rows])
    return [render(row, names[str(row.id)]) for row in rows]


def render_one(connection: Connection, row: Row[Any]) -> dict[str, Any]:
    return render_many(connection, row.account_id, [row])[0]


def render(row: Row[Any], tags: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "distribution": row.distribution,
        "slug": None,
        "public": False,
        "regions": row.regions,
        "created_at": rfc3339(row.created_at),
        "type": row.type,
        "min_disk_size": row.min_disk_size,
        "size_gigabytes": row.size_gigabytes,
        "description": row.description,
        "tags": tags,
        "status": row.status,
        "error_message": row.error_message,
    }


# Creating, changing, deleting


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = body.str("name", required=True, max_length=MAX_NAME)
    url = url_policy.check_url(body.str("url", required=True) or "")
    region = body.str("region", required=True) or ""
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    description = body.str("description", max_length=MAX_DESCRIPTION) or ""
    names = tags.names_in(body) or []
    image = store.add(
        connection,
        account_id=account_id,
        name=name,
        type="custom",
        distribution=distribution(body.str("distribution")),
        description=description,
        status="NEW",
        regions=[],
        url=url,
        source_region=region,
        min_disk_size=None,
        size_gigabytes=None,
        error_message="",
        created_at=now,
    )
    tags.add(connection, account_id, "image", image.id, names, now)
    return image


def update(connection: Connection, account_id: str, image_id: str, payload: Any) -> Row[Any]:
    image = own(connection, account_id, image_id)
    body = Body(payload)
    changes: dict[str, Any] = {}
    name = body.str("name", max_length=MAX_NAME)
    if name is not None:
        if not name.strip():
            raise Unprocessable("name can not be empty")
        changes["name"] = name
    description = body.str("description", max_length=MAX_DESCRIPTION)
    if description is not None:
        changes["description"] = description
    if body.has("distribution"):
        changes["distribution"] = distribution(body.str("distribution"))
    if changes:
        store.change(connection, image.id, **changes)
    return own(connection, account_id, image.id)


def delete(
    connection: Connection, lifecycle: Lifecycle, account_id: str, image_id: str, now: float
) -> int:
    """Delete the image (cancelling its import). Deleting one that is already deleted, by the
    user or by a failed import, is DigitalOcean's error, which Terraform takes as "gone"."""
    number = integer_id(image_id)
    if number is not None and store.removed(connection, account_id, number) is not None:
        raise Unprocessable(ALREADY_DELETED)
    image = own(connection, account_id, image_id)
    if image.status == "deleted":
        raise Unprocessable(ALREADY_DELETED)
    remove(connection, lifecycle, image, now)
    return image.id


def remove(connection: Connection, lifecycle: Lifecycle, image: Row[Any], now: float) -> None:
    """The image goes: what was scheduled for it (an import, a transfer) and its tags too."""
    lifecycle.cancel(connection, "image", [image.id])
    tags.untag(connection, "image", [image.id])
    store.remove(connection, image, now)


def exists(connection: Connection, account_id: str, resource_id: str) -> bool:
    number = integer_id(resource_id)
    return number is not None and store.get(connection, account_id, number) is not None


# Transitions: the import's outcome, transfers to regions, conversions


def import_finished(
    connection: Connection, transition: Row[Any], outcome: dict, _lifecycle: Lifecycle
) -> None:
    image = store.get_any(connection, int(transition.resource_id))
    if image is None or image.removed_at is not None or image.status not in ("NEW", "pending"):
        return
    if "error" in outcome:
        store.change(connection, image.id, status="deleted", error_message=outcome["error"])
        return
    store.change(
        connection,
        image.id,
        status="available",
        regions=[image.source_region],
        min_disk_size=outcome["min_disk_size"],
        size_gigabytes=outcome["size_gigabytes"],
        error_message="",
    )


# Image actions


def act(
    connection: Connection, lifecycle: Lifecycle, account_id: str, image_id: str, payload: Any
) -> Row[Any]:
    image = own(connection, account_id, image_id)
    body = Body(payload)
    kind = body.str("type", required=True)
    if kind not in ("transfer", "convert"):
        raise Unprocessable("type must be one of transfer, convert")
    if image.status != "available":
        raise Unprocessable(f"the image is {image.status}, not available")
    image_regions = image.regions
    origin = image_regions[0] if image_regions else image.source_region
    if kind == "convert":
        if image.type != "backup":
            raise Unprocessable("only backups can be converted to snapshots")
        return actions.start(
            connection, lifecycle, account_id, type="convert", resource_type="image",
            resource_id=image.id, region_slug=origin, completion=CONVERT,
        )  # fmt: skip
    region = body.str("region", required=True) or ""
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    if region in image_regions:
        raise Unprocessable(f"the image is already available in {region}")
    gigabytes = image.size_gigabytes or 0.0
    return actions.start(
        connection, lifecycle, account_id, type="transfer", resource_type="image",
        resource_id=image.id, region_slug=origin, completion=TRANSFER,
        payload={"image_id": image.id, "region": region},
        delay=lifecycle.timing.delay(TRANSFER, gigabytes),
    )  # fmt: skip


def transferred(
    connection: Connection, transition: Row[Any], payload: dict, _lifecycle: Lifecycle
) -> None:
    image = store.get_any(connection, payload["image_id"])
    if image is not None and payload["region"] not in image.regions:
        store.change(connection, image.id, regions=[*image.regions, payload["region"]])
    actions.finish(connection, int(transition.resource_id), transition.due_at)


def converted(
    connection: Connection, transition: Row[Any], _payload: dict, _lifecycle: Lifecycle
) -> None:
    action = action_store.get_any(connection, int(transition.resource_id))
    if action is not None and action.resource_id is not None:
        store.change(connection, action.resource_id, type="snapshot")
    actions.finish(connection, int(transition.resource_id), transition.due_at)
