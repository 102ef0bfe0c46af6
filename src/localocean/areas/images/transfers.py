"""Image account transfers: a snapshot offered to another team, accepted, declined or cancelled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.images import store
from localocean.areas.images.rules import own
from localocean.core import accounts, tags
from localocean.core.errors import BadRequest, NotFound, Unprocessable
from localocean.core.validation import Body, integer_id


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


def start(connection: Connection, account_id: str, image_id: str, payload: Any, now: float):
    image = own(connection, account_id, image_id)
    body = _transfer_body(payload)
    email = body.data.get("recipient_email")
    team = body.data.get("recipient_uuid")
    if (email is None) == (team is None):
        raise BadRequest("give exactly one of recipient_email and recipient_uuid")
    recipient = email or team
    if not isinstance(recipient, str) or not recipient.strip():
        raise BadRequest("the recipient must be a non-empty string")
    if image.type != "snapshot":
        raise BadRequest("Only snapshot images may be transferred to another account.")
    if image.status != "available":
        raise BadRequest(f"the image is {image.status}, not available")
    sender = accounts.get(connection, account_id)
    if team == accounts.team_uuid(account_id) or (sender is not None and email == sender.email):
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
    account = accounts.get(connection, account_id)
    if account is None:
        return False
    if transfer.recipient_team is not None:
        return transfer.recipient_team == accounts.team_uuid(account_id)
    return transfer.recipient_email == account.email


def accept(connection: Connection, account_id: str, image_id: str, payload: Any) -> None:
    body = _transfer_body(payload)
    transfer = _pending(connection, image_id, _transfer_id(body))
    team = body.data.get("recipient_uuid")
    if not isinstance(team, str) or not team:
        raise BadRequest("recipient_uuid is required")
    if not _is_recipient(connection, account_id, transfer):
        raise NotFound("no pending transfer with this id for this image")
    if team != accounts.team_uuid(account_id):
        raise BadRequest("recipient_uuid is not the uuid of the accepting team")
    tags.untag(connection, "image", [transfer.image_id])
    image = store.get_any(connection, transfer.image_id)
    assert image is not None
    store.move(connection, image, account_id)
    store.set_transfer_status(connection, transfer.id, "accepted")


def cancel(connection: Connection, account_id: str, image_id: str, payload: Any) -> None:
    transfer = _pending(connection, image_id, _transfer_id(_transfer_body(payload)))
    if transfer.sender_id != account_id:
        raise NotFound("no pending transfer with this id for this image")
    store.set_transfer_status(connection, transfer.id, "cancelled")


def decline(connection: Connection, account_id: str, image_id: str, payload: Any) -> None:
    transfer = _pending(connection, image_id, _transfer_id(_transfer_body(payload)))
    if not _is_recipient(connection, account_id, transfer):
        raise NotFound("no pending transfer with this id for this image")
    store.set_transfer_status(connection, transfer.id, "declined")
