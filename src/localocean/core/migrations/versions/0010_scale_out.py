"""Scale-out: the request journal shared by the processes on one PostgreSQL database, and one
default VPC per region however many requests race to make it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("account", sa.String(40), nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("request_body", sa.LargeBinary, nullable=False),
        sa.Column("response_body", sa.LargeBinary, nullable=False),
    )

    op.create_index(
        "uq_vpcs_default_region",
        "vpcs",
        ["account_id", "region"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index("uq_vpcs_default_region", "vpcs")
    op.drop_table("journal")
