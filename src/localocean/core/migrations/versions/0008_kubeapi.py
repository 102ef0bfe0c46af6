"""A Kubernetes API behind every cluster: clusters keep their CA's key, kubeconfig tokens are
kept (`cluster_tokens`), and each cluster's objects and their change log are stored
(`kube_clusters`, `kube_objects`, `kube_changes`).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _cluster_id(primary_key: bool = False) -> sa.Column:
    return sa.Column(
        "cluster_id",
        sa.String(36),
        sa.ForeignKey("clusters.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    # Existing clusters get a new CA (with a key) the next time someone asks for access.
    with op.batch_alter_table("clusters") as batch:
        batch.add_column(sa.Column("ca_key", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "cluster_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _cluster_id(),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_cluster_tokens_cluster_id", "cluster_tokens", ["cluster_id"])
    op.create_table(
        "kube_clusters",
        _cluster_id(primary_key=True),
        sa.Column("compacted_version", sa.BigInteger, nullable=False),
        sa.Column("nodes_seen", sa.String(64), nullable=False),
        sa.Column("next_pod_address", sa.BigInteger, nullable=False),
        sa.Column("next_service_address", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "kube_objects",
        _cluster_id(primary_key=True),
        sa.Column("api_group", sa.String(253), primary_key=True),
        sa.Column("resource", sa.String(100), primary_key=True),
        sa.Column("namespace", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(253), primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("owner_uid", sa.String(36), nullable=True),
        sa.Column("resource_version", sa.BigInteger, nullable=False),
        sa.Column("node", sa.String(253), nullable=True),
        sa.Column("active", sa.Boolean, nullable=True),
        sa.Column("cpu", sa.Float, nullable=True),
        sa.Column("memory", sa.Float, nullable=True),
        sa.Column("body", sa.JSON(none_as_null=True), nullable=False),
    )
    op.create_index("ix_kube_objects_owner", "kube_objects", ["cluster_id", "owner_uid"])
    op.create_index(
        "ix_kube_objects_node",
        "kube_objects",
        ["cluster_id", "api_group", "resource", "node", "active", "cpu", "memory"],
    )
    op.create_table(
        "kube_changes",
        sa.Column("resource_version", sa.BigInteger, primary_key=True, autoincrement=False),
        _cluster_id(),
        sa.Column("api_group", sa.String(253), nullable=False),
        sa.Column("resource", sa.String(100), nullable=False),
        sa.Column("namespace", sa.String(63), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_kube_changes_cluster", "kube_changes", ["cluster_id", "resource_version"])
