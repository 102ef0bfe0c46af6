"""Firewalls (with the droplets and tags each applies to) and load balancers.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True)


def _account_id() -> sa.Column:
    return sa.Column(
        "account_id",
        sa.String(40),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    )


def _firewall_id() -> sa.Column:
    return sa.Column(
        "firewall_id",
        sa.String(36),
        sa.ForeignKey("firewalls.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    # New tables: there is nothing to count into `tallies` yet.
    op.create_table(
        "load_balancers",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("region", sa.String(16), nullable=True),
        sa.Column("vpc_uuid", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("ipv6", sa.String(64), nullable=True),
        sa.Column("size_unit", sa.Integer, nullable=False),
        sa.Column("size", sa.String(16), nullable=True),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("network_stack", sa.String(16), nullable=False),
        sa.Column("droplet_ids", JSON, nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_load_balancers_account_created", "load_balancers", ["account_id", "created_at", "id"]
    )
    op.create_index("ix_load_balancers_account_name", "load_balancers", ["account_id", "name"])
    op.create_index("ix_load_balancers_ip", "load_balancers", ["ip"])
    op.create_table(
        "firewalls",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("inbound_rules", JSON, nullable=False),
        sa.Column("outbound_rules", JSON, nullable=False),
        sa.Column("pending_changes", JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_firewalls_account_created", "firewalls", ["account_id", "created_at", "id"])
    op.create_table(
        "firewall_droplets",
        _firewall_id(),
        sa.Column("droplet_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_firewall_droplets_droplet", "firewall_droplets", ["droplet_id"])
    op.create_table(
        "firewall_tags",
        _firewall_id(),
        sa.Column("name_key", sa.String(255), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_firewall_tags_name", "firewall_tags", ["name_key"])


def downgrade() -> None:
    op.drop_table("firewall_tags")
    op.drop_table("firewall_droplets")
    op.drop_table("firewalls")
    op.drop_table("load_balancers")
