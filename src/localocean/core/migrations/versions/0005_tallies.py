"""Tallies: each account's count of images, actions, VPCs, tags and clusters, kept with every
insert and delete; indexes for the lists ordered by creation.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COUNTS = {
    "images": (
        "SELECT account_id, count(*) FROM images WHERE removed_at IS NULL GROUP BY account_id"
    ),
    "actions": "SELECT account_id, count(*) FROM actions GROUP BY account_id",
    "vpcs": "SELECT account_id, count(*) FROM vpcs GROUP BY account_id",
    "tags": "SELECT account_id, count(*) FROM tags GROUP BY account_id",
    "clusters": "SELECT account_id, count(*) FROM clusters GROUP BY account_id",
}


def upgrade() -> None:
    tallies = op.create_table(
        "tallies",
        sa.Column(
            "account_id",
            sa.String(40),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    connection = op.get_bind()
    for kind, query in COUNTS.items():
        rows = [
            {"account_id": account_id, "kind": kind, "count": number}
            for account_id, number in connection.execute(sa.text(query))
        ]
        if rows:
            op.bulk_insert(tallies, rows)
    op.create_index("ix_tags_account_id", "tags", ["account_id", "id"])
    op.create_index("ix_vpcs_account_created", "vpcs", ["account_id", "created_at", "id"])
    op.create_index("ix_clusters_account_created", "clusters", ["account_id", "created_at", "id"])
