"""Kubernetes rows: clusters, node pools, nodes, status messages, clusterlint runs, and the
resources a cluster is associated with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update

from localocean.store.paging import PagedQuery
from localocean.store.schema import (
    cluster_events,
    cluster_resources,
    clusterlint_runs,
    clusters,
    node_pools,
    nodes,
)

_OF_ACCOUNT = clusters.c.account_id == bindparam("account_id")
_LIST = PagedQuery(
    select(clusters).where(_OF_ACCOUNT).order_by(clusters.c.created_at, clusters.c.id)
)
_GET = select(clusters).where(_OF_ACCOUNT, clusters.c.id == bindparam("cluster_id"))
_POOLS = (
    select(node_pools)
    .where(node_pools.c.cluster_id.in_(bindparam("cluster_ids", expanding=True)))
    .order_by(node_pools.c.created_at, node_pools.c.id)
)
_NODES = (
    select(nodes)
    .where(nodes.c.pool_id.in_(bindparam("pool_ids", expanding=True)))
    .order_by(nodes.c.created_at, nodes.c.id)
)


# Clusters


def list_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, offset, limit)


def get(connection: Connection, account_id: str, cluster_id: str) -> Row[Any] | None:
    return connection.execute(_GET, {"account_id": account_id, "cluster_id": cluster_id}).first()


def get_any(connection: Connection, cluster_id: str) -> Row[Any] | None:
    return connection.execute(select(clusters).where(clusters.c.id == cluster_id)).first()


def named(connection: Connection, account_id: str, name: str) -> Row[Any] | None:
    return connection.execute(
        select(clusters.c.id).where(clusters.c.account_id == account_id, clusters.c.name == name)
    ).first()


def in_vpc(connection: Connection, account_id: str, vpc_id: str) -> int:
    return int(
        connection.execute(
            select(func.count())
            .select_from(clusters)
            .where(clusters.c.account_id == account_id, clusters.c.vpc_uuid == vpc_id)
        ).scalar_one()
    )


def add(connection: Connection, **values: Any) -> None:
    connection.execute(clusters.insert().values(**values))


def change(connection: Connection, cluster_id: str, **values: Any) -> None:
    connection.execute(update(clusters).where(clusters.c.id == cluster_id).values(**values))


def delete(connection: Connection, cluster_id: str) -> None:
    pool_ids = select(node_pools.c.id).where(node_pools.c.cluster_id == cluster_id)
    connection.execute(nodes.delete().where(nodes.c.pool_id.in_(pool_ids)))
    connection.execute(node_pools.delete().where(node_pools.c.cluster_id == cluster_id))
    connection.execute(cluster_events.delete().where(cluster_events.c.cluster_id == cluster_id))
    connection.execute(clusterlint_runs.delete().where(clusterlint_runs.c.cluster_id == cluster_id))
    connection.execute(
        update(cluster_resources)
        .where(cluster_resources.c.cluster_id == cluster_id)
        .values(cluster_id=None)
    )
    connection.execute(clusters.delete().where(clusters.c.id == cluster_id))


# Node pools and nodes


def pools_of(connection: Connection, cluster_ids: list[str]) -> list[Row[Any]]:
    if not cluster_ids:
        return []
    return list(connection.execute(_POOLS, {"cluster_ids": cluster_ids}))


def nodes_of(connection: Connection, pool_ids: list[str]) -> list[Row[Any]]:
    if not pool_ids:
        return []
    return list(connection.execute(_NODES, {"pool_ids": pool_ids}))


def pool(connection: Connection, cluster_id: str, pool_id: str) -> Row[Any] | None:
    return connection.execute(
        select(node_pools).where(node_pools.c.cluster_id == cluster_id, node_pools.c.id == pool_id)
    ).first()


def pool_by_id(connection: Connection, pool_id: str) -> Row[Any] | None:
    return connection.execute(select(node_pools).where(node_pools.c.id == pool_id)).first()


def add_pool(connection: Connection, **values: Any) -> None:
    connection.execute(node_pools.insert().values(**values))


def change_pool(connection: Connection, pool_id: str, **values: Any) -> None:
    connection.execute(update(node_pools).where(node_pools.c.id == pool_id).values(**values))


def delete_pool(connection: Connection, pool_id: str) -> None:
    connection.execute(nodes.delete().where(nodes.c.pool_id == pool_id))
    connection.execute(node_pools.delete().where(node_pools.c.id == pool_id))


def node(connection: Connection, pool_id: str, node_id: str) -> Row[Any] | None:
    return connection.execute(
        select(nodes).where(nodes.c.pool_id == pool_id, nodes.c.id == node_id)
    ).first()


def node_by_id(connection: Connection, node_id: str) -> Row[Any] | None:
    return connection.execute(select(nodes).where(nodes.c.id == node_id)).first()


def add_node(connection: Connection, **values: Any) -> None:
    connection.execute(nodes.insert().values(**values))


def change_node(connection: Connection, node_id: str, **values: Any) -> None:
    connection.execute(update(nodes).where(nodes.c.id == node_id).values(**values))


def delete_node(connection: Connection, node_id: str) -> None:
    connection.execute(nodes.delete().where(nodes.c.id == node_id))


# Status messages


def add_event(connection: Connection, cluster_id: str, message: str, at: float) -> None:
    connection.execute(
        cluster_events.insert().values(cluster_id=cluster_id, message=message, timestamp=at)
    )


def events(connection: Connection, cluster_id: str, since: float | None) -> list[Row[Any]]:
    stmt = select(cluster_events).where(cluster_events.c.cluster_id == cluster_id)
    if since is not None:
        stmt = stmt.where(cluster_events.c.timestamp >= since)
    return list(connection.execute(stmt.order_by(cluster_events.c.timestamp, cluster_events.c.id)))


# Clusterlint


def add_run(connection: Connection, **values: Any) -> None:
    connection.execute(clusterlint_runs.insert().values(**values))


def run(connection: Connection, cluster_id: str, run_id: str | None) -> Row[Any] | None:
    stmt = select(clusterlint_runs).where(clusterlint_runs.c.cluster_id == cluster_id)
    if run_id is not None:
        stmt = stmt.where(clusterlint_runs.c.id == run_id)
    order = (clusterlint_runs.c.requested_at.desc(), clusterlint_runs.c.id.desc())
    return connection.execute(stmt.order_by(*order).limit(1)).first()


def run_by_id(connection: Connection, run_id: str) -> Row[Any] | None:
    return connection.execute(
        select(clusterlint_runs).where(clusterlint_runs.c.id == run_id)
    ).first()


def finish_run(connection: Connection, run_id: str, diagnostics: str, at: float) -> None:
    connection.execute(
        update(clusterlint_runs)
        .where(clusterlint_runs.c.id == run_id)
        .values(diagnostics=diagnostics, completed_at=at)
    )


# Associated resources


def associated(connection: Connection, cluster_id: str) -> list[Row[Any]]:
    return list(
        connection.execute(
            select(cluster_resources)
            .where(cluster_resources.c.cluster_id == cluster_id)
            .order_by(cluster_resources.c.created_at, cluster_resources.c.id)
        )
    )


def add_resource(connection: Connection, **values: Any) -> None:
    connection.execute(cluster_resources.insert().values(**values))


def delete_resources(connection: Connection, resource_ids: list[str]) -> None:
    if resource_ids:
        connection.execute(
            cluster_resources.delete().where(cluster_resources.c.id.in_(resource_ids))
        )
