"""Kubernetes: clusters, node pools, nodes, status messages, clusterlint runs, associated resources.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _account_id() -> sa.Column:
    return sa.Column(
        "account_id", sa.String(40), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    )  # fmt: skip


def _cluster_id(nullable: bool = False, ondelete: str = "CASCADE") -> sa.Column:
    return sa.Column(
        "cluster_id", sa.String(36), sa.ForeignKey("clusters.id", ondelete=ondelete),
        nullable=nullable,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("cluster_subnet", sa.String(43), nullable=False),
        sa.Column("service_subnet", sa.String(43), nullable=False),
        sa.Column("vpc_uuid", sa.String(36), nullable=False),
        sa.Column("worker_subnet_uuid", sa.String(36), nullable=True),
        sa.Column("ipv4", sa.String(45), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("ha", sa.Boolean, nullable=False),
        sa.Column("auto_upgrade", sa.Boolean, nullable=False),
        sa.Column("surge_upgrade", sa.Boolean, nullable=False),
        sa.Column("isolated_workers", sa.Boolean, nullable=False),
        sa.Column("maintenance", sa.Text, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("registry_enabled", sa.Boolean, nullable=False),
        sa.Column("registries", sa.Text, nullable=False),
        sa.Column("ca_certificate", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account_id", "name", name="uq_clusters_account_name"),
    )
    op.create_table(
        "node_pools",
        sa.Column("id", sa.String(36), primary_key=True),
        _cluster_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=True),
        sa.Column("taints", sa.Text, nullable=False),
        sa.Column("auto_scale", sa.Boolean, nullable=False),
        sa.Column("min_nodes", sa.Integer, nullable=False),
        sa.Column("max_nodes", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("cluster_id", "name", name="uq_node_pools_cluster_name"),
    )
    op.create_table(
        "nodes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "pool_id",
            sa.String(36),
            sa.ForeignKey("node_pools.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("droplet_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_nodes_pool_id", "nodes", ["pool_id"])
    op.create_table(
        "cluster_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _cluster_id(),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
    )
    op.create_index("ix_cluster_events_cluster_id", "cluster_events", ["cluster_id", "timestamp"])
    op.create_table(
        "clusterlint_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        _cluster_id(),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("diagnostics", sa.Text, nullable=True),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("completed_at", sa.Float, nullable=True),
    )
    op.create_index(
        "ix_clusterlint_runs_cluster_id", "clusterlint_runs", ["cluster_id", "requested_at"]
    )
    op.create_table(
        "cluster_resources",
        sa.Column("id", sa.String(64), primary_key=True),
        _account_id(),
        _cluster_id(nullable=True, ondelete="SET NULL"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_cluster_resources_cluster_id", "cluster_resources", ["cluster_id"])


def downgrade() -> None:
    for table in (
        "cluster_resources", "clusterlint_runs", "cluster_events", "nodes", "node_pools",
        "clusters",
    ):  # fmt: skip
        op.drop_table(table)
