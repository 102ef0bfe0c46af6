"""The whole database as one document, and resets: for tests that save, restore and start over."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, func, select, text

from localocean.store.schema import (
    accounts,
    actions,
    cluster_events,
    cluster_resources,
    clusterlint_runs,
    clusters,
    image_transfers,
    images,
    metadata,
    node_pools,
    nodes,
    tagged_resources,
    tags,
    transitions,
    vpcs,
)


def export_tables(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    dumped = {}
    for table in metadata.sorted_tables:
        order = list(table.primary_key.columns)
        rows = connection.execute(select(table).order_by(*order))
        # Column names are SQLAlchemy `quoted_name`s; JSON wants plain strings.
        names = [str(column.name) for column in table.columns]
        dumped[str(table.name)] = [dict(zip(names, row, strict=True)) for row in rows]
    return dumped


def clear(connection: Connection) -> None:
    for table in reversed(metadata.sorted_tables):
        connection.execute(table.delete())


def import_tables(connection: Connection, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Replace everything with `tables` (as `export_tables` wrote them)."""
    unknown = set(tables) - set(metadata.tables)
    if unknown:
        raise ValueError(f"unknown tables: {', '.join(sorted(unknown))}")
    clear(connection)
    for table in metadata.sorted_tables:
        rows = tables.get(table.name) or []
        if rows:
            connection.execute(table.insert(), rows)
    if connection.dialect.name == "postgresql":
        _restart_sequences(connection)


def _restart_sequences(connection: Connection) -> None:
    """Rows loaded with their ids leave PostgreSQL's serial sequences behind: move each past
    the largest loaded id so the next insert does not collide."""
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        name, column = str(table.name), str(keys[0].name)
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                f'COALESCE((SELECT MAX("{column}") FROM "{name}"), 0) + 1, false)'
            )
        )


def _ids(connection: Connection, stmt: Any) -> list[str]:
    return [str(value) for value in connection.execute(stmt).scalars()]


def clear_account(connection: Connection, account_id: str) -> None:
    """Remove every resource of one account (the account and its tokens stay)."""
    cluster_ids = _ids(connection, select(clusters.c.id).where(clusters.c.account_id == account_id))
    pool_ids = _ids(
        connection, select(node_pools.c.id).where(node_pools.c.cluster_id.in_(cluster_ids))
    )
    scheduled = [
        *cluster_ids,
        *_ids(connection, select(nodes.c.id).where(nodes.c.pool_id.in_(pool_ids))),
        *_ids(connection, select(actions.c.id).where(actions.c.account_id == account_id)),
        *_ids(connection, select(images.c.id).where(images.c.account_id == account_id)),
        *_ids(
            connection,
            select(clusterlint_runs.c.id).where(clusterlint_runs.c.cluster_id.in_(cluster_ids)),
        ),
    ]
    connection.execute(transitions.delete().where(transitions.c.resource_id.in_(scheduled)))
    connection.execute(nodes.delete().where(nodes.c.pool_id.in_(pool_ids)))
    for table in (node_pools, cluster_events, clusterlint_runs):
        connection.execute(table.delete().where(table.c.cluster_id.in_(cluster_ids)))
    tag_ids = select(tags.c.id).where(tags.c.account_id == account_id)
    connection.execute(tagged_resources.delete().where(tagged_resources.c.tag_id.in_(tag_ids)))
    image_ids = select(images.c.id).where(images.c.account_id == account_id)
    connection.execute(image_transfers.delete().where(image_transfers.c.image_id.in_(image_ids)))
    connection.execute(image_transfers.delete().where(image_transfers.c.sender_id == account_id))
    for table in (cluster_resources, clusters, images, tags, vpcs, actions):
        connection.execute(table.delete().where(table.c.account_id == account_id))


def find_account(connection: Connection, key: str) -> str | None:
    """An account id from its id (uuid) or its name (slug)."""
    row = connection.execute(
        select(accounts.c.id).where((accounts.c.id == key) | (accounts.c.slug == key))
    ).first()
    return row.id if row else None


def summary(connection: Connection) -> list[dict[str, Any]]:
    """What each account holds, for `localocean status`."""
    counted = {
        "images": (images.c.account_id, images.c.removed_at.is_(None)),
        "clusters": (clusters.c.account_id, None),
        "vpcs": (vpcs.c.account_id, None),
        "tags": (tags.c.account_id, None),
        "actions": (actions.c.account_id, None),
    }
    result = {
        row.id: {"account": row.slug, "uuid": row.id, "email": row.email}
        for row in connection.execute(select(accounts).order_by(accounts.c.created_at))
    }
    for key, (owner, condition) in counted.items():
        stmt = select(owner, func.count()).group_by(owner)
        if condition is not None:
            stmt = stmt.where(condition)
        counts = dict(connection.execute(stmt).all())
        for account_id, entry in result.items():
            entry[key] = counts.get(account_id, 0)
    node_counts = dict(
        connection.execute(
            select(clusters.c.account_id, func.count())
            .select_from(nodes.join(node_pools, nodes.c.pool_id == node_pools.c.id))
            .join(clusters, clusters.c.id == node_pools.c.cluster_id)
            .group_by(clusters.c.account_id)
        ).all()
    )
    for account_id, entry in result.items():
        entry["nodes"] = node_counts.get(account_id, 0)
    return list(result.values())
