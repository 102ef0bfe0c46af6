"""Image rows (custom images, snapshots, backups of an account) and image account transfers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    select,
    update,
)

from localocean.core import tallies
from localocean.core.db import change_row, next_id
from localocean.core.pagination import PagedQuery
from localocean.core.query import Query
from localocean.core.tables import Json, account_id_column, metadata, tagged_resources, tags

IMAGE_IDS_START = 210_000_000
TRANSFER_IDS_START = 3_100_000

images = Table(
    "images",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("distribution", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("regions", Json, nullable=False),
    Column("url", Text, nullable=True),
    Column("source_region", String(16), nullable=True),
    Column("min_disk_size", Integer, nullable=True),
    Column("size_gigabytes", Float, nullable=True),
    Column("error_message", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("removed_at", Float, nullable=True),
    # The droplet a snapshot or backup was taken of (it may be gone since).
    Column("droplet_id", BigInteger, nullable=True),
    Index("ix_images_account_id", "account_id", "id"),
    Index("ix_images_droplet_id", "droplet_id"),
)

image_transfers = Table(
    "image_transfers",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("image_id", BigInteger, ForeignKey("images.id", ondelete="CASCADE"), nullable=False),
    Column("sender_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("recipient_email", String(255), nullable=True),
    Column("recipient_team", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_image_transfers_image_id", "image_id"),
)

# Images a user deleted stay as rows (removed_at set) so that deleting one again can answer as
# DigitalOcean does; every read but `removed` leaves them out.
_OF_ACCOUNT = and_(images.c.account_id == bindparam("account_id"), images.c.removed_at.is_(None))
_LIST = PagedQuery(select(images).where(_OF_ACCOUNT).order_by(images.c.id), tally="images")
_GET = Query(select(images).where(_OF_ACCOUNT, images.c.id == bindparam("image_id")))
_ANY = Query(select(images).where(images.c.id == bindparam("image_id")))
_UNFINISHED = select(images.c.id, images.c.url, images.c.account_id).where(
    images.c.status.in_(("NEW", "pending")), images.c.removed_at.is_(None)
)
_REMOVED = select(images).where(
    images.c.account_id == bindparam("account_id"),
    images.c.id == bindparam("image_id"),
    images.c.removed_at.is_not(None),
)


def _tagged_list() -> PagedQuery:
    tagged = exists(
        select(tagged_resources.c.id)
        .join(tags, tags.c.id == tagged_resources.c.tag_id)
        .where(
            tags.c.account_id == bindparam("account_id"),
            tags.c.name == bindparam("tag_name"),
            tagged_resources.c.resource_type == "image",
            tagged_resources.c.resource_id == cast(images.c.id, String),
        )
    )
    return PagedQuery(select(images).where(and_(_OF_ACCOUNT, tagged)).order_by(images.c.id))


_TAGGED_LIST = _tagged_list()


def list_page(
    connection: Connection, account_id: str, offset: int, limit: int, tag_name: str | None = None
) -> tuple[list[Row[Any]], int]:
    if tag_name is None:
        return _LIST.fetch_range(connection, {"account_id": account_id}, offset, limit)
    params = {"account_id": account_id, "tag_name": tag_name}
    return _TAGGED_LIST.fetch_range(connection, params, offset, limit)


def get(connection: Connection, account_id: str, image_id: int) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "image_id": image_id})


def get_any(connection: Connection, image_id: int) -> Row[Any] | None:
    return _ANY.first(connection, {"image_id": image_id})


def unfinished(connection: Connection) -> list[Row[Any]]:
    """Imports not yet done: status NEW or pending."""
    return list(connection.execute(_UNFINISHED))


def add(connection: Connection, **values: Any) -> Row[Any]:
    image_id = next_id(connection, "image", IMAGE_IDS_START)
    connection.execute(images.insert(), {"id": image_id, **values})
    tallies.add(connection, values["account_id"], "images")
    row = get_any(connection, image_id)
    assert row is not None
    return row


def change(connection: Connection, image_id: int, **values: Any) -> None:
    change_row(connection, images, image_id, values)


def change_if(connection: Connection, image_id: int, statuses: tuple[str, ...], **values: Any):
    """Change the image only while its status is one of `statuses`; True if it was changed."""
    result = connection.execute(
        update(images)
        .where(images.c.id == image_id, images.c.status.in_(statuses))
        .values(**values)
    )
    return bool(result.rowcount)


def remove(connection: Connection, image: Row[Any], now: float) -> None:
    connection.execute(
        update(images).where(images.c.id == image.id).values(status="deleted", removed_at=now)
    )
    tallies.add(connection, image.account_id, "images", -1)


def move(connection: Connection, image: Row[Any], account_id: str) -> None:
    """The image changes hands (an accepted account transfer)."""
    connection.execute(update(images).where(images.c.id == image.id).values(account_id=account_id))
    tallies.add(connection, image.account_id, "images", -1)
    tallies.add(connection, account_id, "images")


def removed(connection: Connection, account_id: str, image_id: int) -> Row[Any] | None:
    return connection.execute(_REMOVED, {"account_id": account_id, "image_id": image_id}).first()


# Account transfers


def add_transfer(connection: Connection, **values: Any) -> int:
    transfer_id = next_id(connection, "image_transfer", TRANSFER_IDS_START)
    connection.execute(image_transfers.insert(), {"id": transfer_id, **values})
    return transfer_id


def transfer(connection: Connection, image_id: int, transfer_id: int) -> Row[Any] | None:
    return connection.execute(
        select(image_transfers).where(
            image_transfers.c.id == transfer_id, image_transfers.c.image_id == image_id
        )
    ).first()


def pending_transfer(connection: Connection, image_id: int) -> Row[Any] | None:
    return connection.execute(
        select(image_transfers).where(
            image_transfers.c.image_id == image_id, image_transfers.c.status == "pending"
        )
    ).first()


def set_transfer_status(connection: Connection, transfer_id: int, status: str) -> None:
    connection.execute(
        update(image_transfers).where(image_transfers.c.id == transfer_id).values(status=status)
    )


def delete_account(connection: Connection, account_id: str) -> None:
    owned = select(images.c.id).where(images.c.account_id == account_id)
    connection.execute(image_transfers.delete().where(image_transfers.c.image_id.in_(owned)))
    connection.execute(image_transfers.delete().where(image_transfers.c.sender_id == account_id))
    connection.execute(images.delete().where(images.c.account_id == account_id))


PER_ACCOUNT = (
    select(images.c.account_id, func.count())
    .where(images.c.removed_at.is_(None))
    .group_by(images.c.account_id)
)
