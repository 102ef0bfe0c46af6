"""Control state shared by every process on one database: fault rules, settings such as the
timing profile, the processes that follow them, and the requests counted against the rate
limits.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fault_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("rule", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("fired", sa.Integer, nullable=False),
    )
    op.create_table(
        "control_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=False),
    )
    op.create_table(
        "rate_hits",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("second", sa.BigInteger, primary_key=True),
        sa.Column("process", sa.String(36), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_index("ix_rate_hits_second", "rate_hits", ["second"])
    op.create_table(
        "processes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("heartbeat", sa.Float, nullable=False),
        sa.Column("seen", sa.BigInteger, nullable=False),
    )
