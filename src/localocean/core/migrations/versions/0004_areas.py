"""Areas: JSON columns, cluster and node-pool tags through the tags mechanism, transitions
know their account, the image import's transition is `image.import`.

Revision ID: 0004
Revises: 0003
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON_COLUMNS = {
    "tokens": [("scopes", False)],
    "transitions": [("payload", False)],
    "images": [("regions", False)],
    "clusters": [("maintenance", False), ("settings", False), ("registries", False)],
    "node_pools": [("labels", True), ("taints", False)],
    "clusterlint_runs": [("request", False), ("diagnostics", True)],
}

tags = sa.table(
    "tags",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.String),
    sa.column("name", sa.String),
    sa.column("name_key", sa.String),
    sa.column("created_at", sa.Float),
)
tagged_resources = sa.table(
    "tagged_resources",
    sa.column("tag_id", sa.Integer),
    sa.column("resource_type", sa.String),
    sa.column("resource_id", sa.String),
    sa.column("tagged_at", sa.Float),
)


def _tag(connection: sa.Connection, account_id: str, name: str, now: float) -> int:
    find = sa.select(tags.c.id).where(
        tags.c.account_id == account_id, tags.c.name_key == name.lower()
    )
    found = connection.execute(find).scalar()
    if found is None:
        connection.execute(
            tags.insert().values(
                account_id=account_id, name=name, name_key=name.lower(), created_at=now
            )
        )
        found = connection.execute(find).scalar_one()
    return int(found)


def _move_tags(connection: sa.Connection) -> None:
    """The JSON `tags` columns of clusters and node pools become taggings."""
    import json

    now = time.time()
    owners = [
        ("kubernetes_cluster", "SELECT id, account_id, tags FROM clusters"),
        (
            "kubernetes_node_pool",
            "SELECT node_pools.id, clusters.account_id, node_pools.tags FROM node_pools "
            "JOIN clusters ON clusters.id = node_pools.cluster_id",
        ),
    ]
    for resource_type, query in owners:
        for resource_id, account_id, text in connection.execute(sa.text(query)).all():
            for name in dict.fromkeys(json.loads(text or "[]")):
                connection.execute(
                    tagged_resources.insert().values(
                        tag_id=_tag(connection, account_id, name, now),
                        resource_type=resource_type,
                        resource_id=resource_id,
                        tagged_at=now,
                    )
                )


def upgrade() -> None:
    connection = op.get_bind()
    _move_tags(connection)
    connection.execute(
        sa.text("UPDATE transitions SET kind = 'image.import' WHERE kind = 'image.import.finish'")
    )
    for table, columns in JSON_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, nullable in columns:
                batch.alter_column(
                    column,
                    type_=sa.JSON(none_as_null=True),
                    existing_type=sa.Text(),
                    existing_nullable=nullable,
                    postgresql_using=f"{column}::json",
                )
            if table == "transitions":
                batch.add_column(sa.Column("account_id", sa.String(40), nullable=True))
                batch.create_index("ix_transitions_resource", ["resource_type", "resource_id"])
            if table in ("clusters", "node_pools"):
                batch.drop_column("tags")
    op.create_index(
        "ix_tagged_resources_resource", "tagged_resources", ["resource_type", "resource_id"]
    )
