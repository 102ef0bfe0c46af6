"""Images: the public catalog, an account's own images, their actions and account transfers."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row

from localocean.domain import actions, image_catalog, regions, url_policy
from localocean.domain import tags as tag_rules
from localocean.domain.accounts import team_uuid
from localocean.domain.validation import Body, integer_id
from localocean.errors import BadRequest, Forbidden, NotFound, Unprocessable
from localocean.lifecycle.clock import rfc3339
from localocean.lifecycle.engine import Engine, on
from localocean.store import accounts as account_store
from localocean.store import images as store
from localocean.store import tags as tag_store

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
    public = image_catalog.find(image_id if image_id is not None else key)
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
    if image_catalog.find(number) is not None:
        raise Forbidden("Public images can not be changed, deleted or acted on.")
    image = store.get(connection, account_id, number)
    if image is None:
        raise NotFound()
    return image


def list_page(
    connection: Connection, account_id: str, query: Any, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """`GET /v2/images`: public images first, then the account's own, in SQL pages."""
    kind = query.get("type")
    if kind is not None and kind not in ("distribution", "application"):
        raise Unprocessable("type must be one of distribution, application")
    private = (query.get("private") or "").lower() in ("true", "1")
    tag_name = query.get("tag_name") or None
    public = [] if private or tag_name else image_catalog.listed(kind)
    include_own = kind is None
    page = public[offset : offset + limit]
    own_limit = limit - len(page)
    rows, own_total = [], 0
    if include_own and own_limit > 0:
        own_offset = max(0, offset - len(public))
        rows, own_total = store.list_page(connection, account_id, own_offset, own_limit, tag_name)
    elif include_own:  # the page is all public images; the total still counts the account's
        own_total = store.list_page(connection, account_id, 0, 1, tag_name)[1]
    return page + render_many(connection, account_id, rows), len(public) + own_total


def render_many(connection: Connection, account_id: str, rows: list[Row[Any]]) -> list[dict]:
    names = tag_store.names_for(connection, account_id, "image", [str(r.id) for r in rows])
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
        "regions": json.loads(row.regions),
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


def _tag_names(body: Body) -> list[str]:
    names = body.str_list("tags") or []
    for name in names:
        if not tag_rules.valid_name(name):
            raise Unprocessable(f"tags: {name!r} is not a valid tag name")
    return list(dict.fromkeys(names))


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = body.str("name", required=True, max_length=MAX_NAME)
    url = url_policy.check_url(body.str("url", required=True) or "")
    region = body.str("region", required=True) or ""
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    description = body.str("description", max_length=MAX_DESCRIPTION) or ""
    names = _tag_names(body)
    image = store.add(
        connection,
        account_id=account_id,
        name=name,
        type="custom",
        distribution=distribution(body.str("distribution")),
        description=description,
        status="NEW",
        regions="[]",
        url=url,
        source_region=region,
        min_disk_size=None,
        size_gigabytes=None,
        error_message="",
        created_at=now,
    )
    for tag_name in names:
        tag = tag_rules.ensure(connection, account_id, tag_name, now)
        tag_store.tag(connection, tag.id, "image", str(image.id), now)
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
    connection: Connection, engine: Engine, account_id: str, image_id: str, now: float
) -> int:
    """Delete the image (cancelling its import); deleting it again is DigitalOcean's error."""
    number = integer_id(image_id)
    if number is not None and store.removed(connection, account_id, number) is not None:
        raise Unprocessable(ALREADY_DELETED)
    image = own(connection, account_id, image_id)
    engine.cancel(connection, "image", image.id)
    tag_store.untag_resource(connection, "image", str(image.id))
    store.remove(connection, image.id, now)
    return image.id


def _exists(connection: Connection, account_id: str, resource_id: str) -> bool:
    number = integer_id(resource_id)
    return number is not None and store.get(connection, account_id, number) is not None


tag_rules.RESOLVERS["image"] = _exists


# The import's outcome, applied when it falls due


@on("image.import.finish")
def _import_finished(connection: Connection, transition: Row[Any], outcome: dict) -> None:
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
        regions=json.dumps([image.source_region]),
        min_disk_size=outcome["min_disk_size"],
        size_gigabytes=outcome["size_gigabytes"],
        error_message="",
    )


# Image actions


def act(
    connection: Connection, engine: Engine, account_id: str, image_id: str, payload: Any
) -> Row[Any]:
    image = own(connection, account_id, image_id)
    body = Body(payload)
    kind = body.str("type", required=True)
    if kind not in ("transfer", "convert"):
        raise Unprocessable("type must be one of transfer, convert")
    if image.status != "available":
        raise Unprocessable(f"the image is {image.status}, not available")
    image_regions = json.loads(image.regions)
    origin = image_regions[0] if image_regions else image.source_region
    if kind == "convert":
        if image.type != "backup":
            raise Unprocessable("only backups can be converted to snapshots")
        return actions.start(
            connection, engine, account_id, type="convert", resource_type="image",
            resource_id=image.id, region_slug=origin, completion="image.convert",
        )  # fmt: skip
    region = body.str("region", required=True) or ""
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    if region in image_regions:
        raise Unprocessable(f"the image is already available in {region}")
    gigabytes = image.size_gigabytes or 0.0
    action = actions.start(
        connection, engine, account_id, type="transfer", resource_type="image",
        resource_id=image.id, region_slug=origin, completion="image.transfer",
        payload={"image_id": image.id, "region": region},
        delay=engine.timing.delay("image.transfer", gigabytes),
    )  # fmt: skip
    return action


@on("image.transfer")
def _transferred(connection: Connection, transition: Row[Any], payload: dict) -> None:
    image = store.get_any(connection, payload["image_id"])
    if image is not None:
        image_regions = json.loads(image.regions)
        if payload["region"] not in image_regions:
            image_regions.append(payload["region"])
        store.change(connection, image.id, regions=json.dumps(image_regions))
    actions.finish(connection, int(transition.resource_id), transition.due_at)


@on("image.convert")
def _converted(connection: Connection, transition: Row[Any], _payload: dict) -> None:
    action = actions.store.get_any(connection, int(transition.resource_id))
    if action is not None and action.resource_id is not None:
        store.change(connection, action.resource_id, type="snapshot")
    actions.finish(connection, int(transition.resource_id), transition.due_at)


# Account transfers (only snapshots move between accounts)


def _transfer_body(payload: Any) -> Body:
    try:
        return Body(payload)
    except Unprocessable as exc:
        raise BadRequest(exc.message) from exc


def _transfer_id(body: Body) -> int:
    value = body.data.get("transfer_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest("transfer_id is required and must be an integer")
    return value


def start_transfer(
    connection: Connection, account_id: str, image_id: str, payload: Any, now: float
):
    image = own(connection, account_id, image_id)
    body = _transfer_body(payload)
    email = body.data.get("recipient_email")
    team = body.data.get("recipient_uuid")
    if (email is None) == (team is None):
        raise BadRequest("give exactly one of recipient_email and recipient_uuid")
    if not isinstance(email or team, str) or not (email or team).strip():
        raise BadRequest("the recipient must be a non-empty string")
    if image.type != "snapshot":
        raise BadRequest("Only snapshot images may be transferred to another account.")
    if image.status != "available":
        raise BadRequest(f"the image is {image.status}, not available")
    sender = account_store.get(connection, account_id)
    if team == team_uuid(account_id) or (sender is not None and email == sender.email):
        raise BadRequest("the image already belongs to this account")
    if store.pending_transfer(connection, image.id) is not None:
        raise BadRequest("the image already has a pending transfer")
    return store.add_transfer(
        connection,
        image_id=image.id,
        sender_id=account_id,
        recipient_email=email,
        recipient_team=team,
        status="pending",
        created_at=now,
    )


def _pending(connection: Connection, image_id: str, transfer_id: int) -> Row[Any]:
    number = integer_id(image_id)
    transfer = store.transfer(connection, number, transfer_id) if number is not None else None
    if transfer is None or transfer.status != "pending":
        raise NotFound("no pending transfer with this id for this image")
    return transfer


def _is_recipient(connection: Connection, account_id: str, transfer: Row[Any]) -> bool:
    account = account_store.get(connection, account_id)
    if account is None:
        return False
    if transfer.recipient_team is not None:
        return transfer.recipient_team == team_uuid(account_id)
    return transfer.recipient_email == account.email


def accept_transfer(connection: Connection, account_id: str, image_id: str, payload: Any) -> None:
    body = _transfer_body(payload)
    transfer = _pending(connection, image_id, _transfer_id(body))
    team = body.data.get("recipient_uuid")
    if not isinstance(team, str) or not team:
        raise BadRequest("recipient_uuid is required")
    if not _is_recipient(connection, account_id, transfer):
        raise NotFound("no pending transfer with this id for this image")
    if team != team_uuid(account_id):
        raise BadRequest("recipient_uuid is not the uuid of the accepting team")
    tag_store.untag_resource(connection, "image", str(transfer.image_id))
    store.change(connection, transfer.image_id, account_id=account_id)
    store.set_transfer_status(connection, transfer.id, "accepted")


def cancel_transfer(connection: Connection, account_id: str, image_id: str, payload: Any) -> None:
    transfer = _pending(connection, image_id, _transfer_id(_transfer_body(payload)))
    if transfer.sender_id != account_id:
        raise NotFound("no pending transfer with this id for this image")
    store.set_transfer_status(connection, transfer.id, "cancelled")


def decline_transfer(connection: Connection, account_id: str, image_id: str, payload: Any) -> None:
    transfer = _pending(connection, image_id, _transfer_id(_transfer_body(payload)))
    if not _is_recipient(connection, account_id, transfer):
        raise NotFound("no pending transfer with this id for this image")
    store.set_transfer_status(connection, transfer.id, "declined")
