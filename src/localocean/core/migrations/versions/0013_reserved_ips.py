"""Reserved IPs: the `reserved_ips` table (IPv4 and IPv6), and the droplets' columns naming
the reserved IPs assigned to them.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: there is nothing to count into `tallies` yet.
    op.create_table(
        "reserved_ips",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(
            "account_id",
            sa.String(40),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("family", sa.Integer, nullable=False),
        sa.Column("ip", sa.String(39), nullable=False, unique=True),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_reserved_ips_account", "reserved_ips", ["account_id", "family", "id"])
    op.add_column("droplets", sa.Column("reserved_ipv4", sa.String(15), nullable=True))
    op.add_column("droplets", sa.Column("reserved_ipv6", sa.String(39), nullable=True))
    op.create_index("uq_droplets_reserved_ipv4", "droplets", ["reserved_ipv4"], unique=True)
    op.create_index("uq_droplets_reserved_ipv6", "droplets", ["reserved_ipv6"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_droplets_reserved_ipv6", "droplets")
    op.drop_index("uq_droplets_reserved_ipv4", "droplets")
    op.drop_column("droplets", "reserved_ipv6")
    op.drop_column("droplets", "reserved_ipv4")
    op.drop_index("ix_reserved_ips_account", "reserved_ips")
    op.drop_table("reserved_ips")
