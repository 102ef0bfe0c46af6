"""SSH keys: the `ssh_keys` table (`/v2/account/keys`), one fingerprint per account.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table: there is nothing to count into `tallies` yet.
    op.create_table(
        "ssh_keys",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(
            "account_id",
            sa.String(40),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(47), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account_id", "fingerprint", name="uq_ssh_keys_account_fingerprint"),
    )
    op.create_index("ix_ssh_keys_account_id", "ssh_keys", ["account_id", "id"])
