"""Domains, their records, and certificates: the `domains`, `domain_records` and
`certificates` tables (`/v2/domains`, `/v2/certificates`).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
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
        "domains",
        sa.Column("name", sa.String(253), primary_key=True),
        _account_id(),
        sa.Column("ttl", sa.Integer, nullable=False),
        sa.Column("serial", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_domains_account_name", "domains", ["account_id", "name"])
    op.create_table(
        "domain_records",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(
            "domain",
            sa.String(253),
            sa.ForeignKey("domains.name", ondelete="CASCADE"),
            nullable=False,
        ),
        _account_id(),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=True),
        sa.Column("port", sa.Integer, nullable=True),
        sa.Column("ttl", sa.Integer, nullable=False),
        sa.Column("weight", sa.Integer, nullable=True),
        sa.Column("flags", sa.Integer, nullable=True),
        sa.Column("tag", sa.String(16), nullable=True),
    )
    op.create_index("ix_domain_records_domain", "domain_records", ["domain", "id"])
    op.create_index("ix_domain_records_domain_name", "domain_records", ["domain", "name", "type"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(36), primary_key=True),
        _account_id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("dns_names", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("not_after", sa.Float, nullable=True),
        sa.Column("sha1_fingerprint", sa.String(40), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account_id", "name", name="uq_certificates_account_name"),
    )
    op.create_index(
        "ix_certificates_account_created", "certificates", ["account_id", "created_at", "name"]
    )
