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

clusters = Table(
    "clusters",
    metadata,
    Column("id", String(36), primary_key=True),
    _account_id(),
    Column("name", String(255), nullable=False),
    Column("region", String(16), nullable=False),
    Column("version", String(32), nullable=False),
    Column("cluster_subnet", String(43), nullable=False),
    Column("service_subnet", String(43), nullable=False),
    Column("vpc_uuid", String(36), nullable=False),
    Column("worker_subnet_uuid", String(36), nullable=True),
    Column("ipv4", String(45), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status_message", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("ha", Boolean, nullable=False),
    Column("auto_upgrade", Boolean, nullable=False),
    Column("surge_upgrade", Boolean, nullable=False),
    Column("isolated_workers", Boolean, nullable=False),
    Column("maintenance", Text, nullable=False),
    Column("settings", Text, nullable=False),
    Column("registry_enabled", Boolean, nullable=False),
    Column("registries", Text, nullable=False),
    Column("ca_certificate", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_clusters_account_name"),
)

node_pools = Table(
    "node_pools",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cluster_id", String(36), ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("size", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("tags", Text, nullable=False),
    Column("labels", Text, nullable=True),
    Column("taints", Text, nullable=False),
    Column("auto_scale", Boolean, nullable=False),
    Column("min_nodes", Integer, nullable=False),
    Column("max_nodes", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("cluster_id", "name", name="uq_node_pools_cluster_name"),
)

nodes = Table(
    "nodes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pool_id", String(36), ForeignKey("node_pools.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("droplet_id", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_nodes_pool_id", "pool_id"),
)

cluster_events = Table(
    "cluster_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cluster_id", String(36), ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    Column("message", Text, nullable=False),
    Column("timestamp", Float, nullable=False),
    Index("ix_cluster_events_cluster_id", "cluster_id", "timestamp"),
)

clusterlint_runs = Table(
    "clusterlint_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cluster_id", String(36), ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    Column("request", Text, nullable=False),
    Column("diagnostics", Text, nullable=True),
    Column("requested_at", Float, nullable=False),
    Column("completed_at", Float, nullable=True),
    Index("ix_clusterlint_runs_cluster_id", "cluster_id", "requested_at"),
)

# Load balancers, volumes and volume snapshots a cluster created (seeded: LocalOcean runs no
# workloads); what `destroy_with_associated_resources` lists and deletes.
cluster_resources = Table(
    "cluster_resources",
    metadata,
    Column("id", String(64), primary_key=True),
    _account_id(),
    Column("cluster_id", String(36), ForeignKey("clusters.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_cluster_resources_cluster_id", "cluster_id"),
)
