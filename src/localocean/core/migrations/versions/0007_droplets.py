"""Droplets: the `droplets` and `droplet_destroys` tables; images remember the droplet a
snapshot or backup was taken of.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _account_id() -> sa.Column:
    return sa.Column(
        "account_id",
        sa.String(40),
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
    )


def _json(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.JSON(none_as_null=True), nullable=nullable)


def upgrade() -> None:
    # New tables: there is nothing to count into `tallies` yet.
    op.create_table(
        "droplets",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        _account_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("size_slug", sa.String(64), nullable=False),
        sa.Column("disk", sa.Integer, nullable=False),
        _json("image", False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        _json("features", False),
        _json("backup_policy", True),
        _json("kernel", True),
        sa.Column("vpc_uuid", sa.String(36), nullable=False),
        sa.Column("public_ipv4", sa.String(45), nullable=False),
        sa.Column("private_ipv4", sa.String(45), nullable=False),
        sa.Column("private_netmask", sa.String(45), nullable=False),
        sa.Column("ipv6", sa.String(64), nullable=True),
        sa.Column("user_data", sa.Text, nullable=True),
        _json("ssh_key_ids", False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_droplets_account_id", "droplets", ["account_id", "id"])
    op.create_index("ix_droplets_account_name", "droplets", ["account_id", "name"])
    op.create_index("ix_droplets_vpc", "droplets", ["vpc_uuid", "private_ipv4"])
    op.create_index("ix_droplets_public_ipv4", "droplets", ["public_ipv4"])
    op.create_index("ix_nodes_droplet_id", "nodes", ["droplet_id"])
    op.create_table(
        "droplet_destroys",
        sa.Column("droplet_id", sa.BigInteger, primary_key=True, autoincrement=False),
        _account_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("destroyed_at", sa.Float, nullable=False),
        _json("resources", False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("droplet_id", sa.BigInteger, nullable=True))
    op.create_index("ix_images_droplet_id", "images", ["droplet_id"])


def downgrade() -> None:
    op.drop_index("ix_nodes_droplet_id", "nodes")
    op.drop_index("ix_images_droplet_id", "images")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("droplet_id")
    op.drop_table("droplet_destroys")
    op.drop_table("droplets")
