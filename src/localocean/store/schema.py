"""Tables (SQLAlchemy Core). Times are Unix epoch floats so SQLite and PostgreSQL behave alike.

Core rather than the ORM: every query runs on the event loop's thread over one held connection,
and a Core statement costs a fraction of an ORM session per request.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _account_id() -> Column:
    return Column(
        "account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("slug", String(255), nullable=False, unique=True),
    Column("number", BigInteger, nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _account_id(),
    Column("scopes", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

clock_state = Table(
    "clock_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("offset_seconds", Float, nullable=False),
    Column("frozen_at", Float, nullable=True),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("resource_type", String(64), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("target", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("due_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_transitions_due_at", "due_at"),
)

actions = Table(
    "actions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    _account_id(),
    Column("status", String(16), nullable=False),
    Column("type", String(64), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("completed_at", Float, nullable=True),
    Column("resource_id", BigInteger, nullable=True),
    Column("resource_type", String(64), nullable=False),
    Column("region_slug", String(16), nullable=True),
    Index("ix_actions_account_id", "account_id", "id"),
)

vpcs = Table(
    "vpcs",
    metadata,
    Column("id", String(36), primary_key=True),
    _account_id(),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("region", String(16), nullable=False),
    Column("ip_range", String(43), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_vpcs_account_name"),
)

tags = Table(
    "tags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _account_id(),
    Column("name", String(255), nullable=False),
    Column("name_key", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name_key", name="uq_tags_account_name"),
)

tagged_resources = Table(
    "tagged_resources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(64), nullable=False),
    Column("tagged_at", Float, nullable=False),
    UniqueConstraint("tag_id", "resource_type", "resource_id", name="uq_tagged_resource"),
)

images = Table(
    "images",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    _account_id(),
    Column("name", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("distribution", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("regions", Text, nullable=False),
    Column("url", Text, nullable=True),
    Column("source_region", String(16), nullable=True),
    Column("min_disk_size", Integer, nullable=True),
    Column("size_gigabytes", Float, nullable=True),
    Column("error_message", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("removed_at", Float, nullable=True),
    Index("ix_images_account_id", "account_id", "id"),
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
