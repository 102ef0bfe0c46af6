"""Block storage: the `volumes`, `volume_snapshots` and `volume_actions` tables.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _account_id() -> sa.Column:
    return sa.Column(
        "account_id",
        sa.String(40),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    # New tables: there is nothing to count into `tallies` yet.
    op.create_table(
        "volumes",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("size_gigabytes", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("filesystem_type", sa.String(8), nullable=False),
        sa.Column("filesystem_label", sa.String(16), nullable=False),
        sa.Column("droplet_id", sa.BigInteger, nullable=True),
        sa.Column("pending", sa.String(16), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_volumes_account_region_name"),
    )
    op.create_index("ix_volumes_account_seq", "volumes", ["account_id", "seq"])
    op.create_index("ix_volumes_droplet", "volumes", ["droplet_id"])
    op.create_table(
        "volume_snapshots",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("volume_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("min_disk_size", sa.Integer, nullable=False),
        sa.Column("size_gigabytes", sa.Float, nullable=False),
        sa.Column("filesystem_type", sa.String(8), nullable=False),
        sa.Column("filesystem_label", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account_id", "name", name="uq_volume_snapshots_account_name"),
    )
    op.create_index("ix_volume_snapshots_account_seq", "volume_snapshots", ["account_id", "seq"])
    op.create_index("ix_volume_snapshots_volume", "volume_snapshots", ["volume_id", "seq"])
    op.create_table(
        "volume_actions",
        sa.Column("action_id", sa.BigInteger, primary_key=True, autoincrement=False),
        _account_id(),
        sa.Column("volume_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_volume_actions_volume", "volume_actions", ["volume_id", "action_id"])
