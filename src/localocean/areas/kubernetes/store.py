"""Kubernetes rows: clusters, node pools, nodes, status messages, clusterlint runs, and the
resources a cluster is associated with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    literal,
    select,
    update,
)

from localocean.areas.droplets import store as droplets_store
from localocean.core import tallies
from localocean.core.db import change_row, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import Json, account_id_column, metadata


def _cluster_id(nullable: bool = False, ondelete: str = "CASCADE") -> Column[str]:
    return Column(
        "cluster_id",
        String(36),
        ForeignKey("clusters.id", ondelete=ondelete),
        nullable=nullable,
    )


clusters = Table(
    "clusters",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("region", String(16), nullable=False),
    Column("version", String(32), nullable=False),
    Column("cluster_subnet", String(43), nullable=False),
    Column("service_subnet", String(43), nullable=False),
    Column("vpc_uuid", String(36), nullable=False),
    Column("worker_subnet_uuid", String(36), nullable=True),
    Column("ipv4", String(45), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status_message", Text, nullable=False),
    Column("ha", Boolean, nullable=False),
    Column("auto_upgrade", Boolean, nullable=False),
    Column("surge_upgrade", Boolean, nullable=False),
    Column("isolated_workers", Boolean, nullable=False),
    Column("maintenance", Json, nullable=False),
    Column("settings", Json, nullable=False),
    Column("registry_enabled", Boolean, nullable=False),
    Column("registries", Json, nullable=False),
    Column("ca_certificate", Text, nullable=False),
    # The CA's private key (PEM): LocalOcean serves each cluster's Kubernetes API with a
    # certificate it signs. Empty until the CA is made.
    Column("ca_key", Text, nullable=False, server_default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_clusters_account_name"),
    Index("ix_clusters_account_created", "account_id", "created_at", "id"),
)

node_pools = Table(
    "node_pools",
    metadata,
    Column("id", String(36), primary_key=True),
    _cluster_id(),
    Column("name", String(255), nullable=False),
    Column("size", String(64), nullable=False),
    Column("count", Integer, nullable=False),
    Column("labels", Json, nullable=True),
    Column("taints", Json, nullable=False),
    Column("auto_scale", Boolean, nullable=False),
    Column("min_nodes", Integer, nullable=False),
    Column("max_nodes", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("cluster_id", "name", name="uq_node_pools_cluster_name"),
)

nodes = Table(
    "nodes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("pool_id", String(36), ForeignKey("node_pools.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("droplet_id", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_nodes_pool_id", "pool_id"),
    # Finding the node of a droplet a user deleted.
    Index("ix_nodes_droplet_id", "droplet_id"),
)

cluster_events = Table(
    "cluster_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _cluster_id(),
    Column("message", Text, nullable=False),
    Column("timestamp", Float, nullable=False),
    Index("ix_cluster_events_cluster_id", "cluster_id", "timestamp"),
)

clusterlint_runs = Table(
    "clusterlint_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    _cluster_id(),
    Column("request", Json, nullable=False),
    Column("diagnostics", Json, nullable=True),
    Column("requested_at", Float, nullable=False),
    Column("completed_at", Float, nullable=True),
    Index("ix_clusterlint_runs_cluster_id", "cluster_id", "requested_at"),
)

# Load balancers, volumes and volume snapshots a cluster created (seeded: LocalOcean runs no
# workloads); what `destroy_with_associated_resources` lists and deletes.
cluster_resources = Table(
    "cluster_resources",
    metadata,
    Column("id", String(64), primary_key=True),
    account_id_column(),
    _cluster_id(nullable=True, ondelete="SET NULL"),
    Column("kind", String(32), nullable=False),
    Column("name", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_cluster_resources_cluster_id", "cluster_id"),
)

# Bearer tokens of kubeconfigs and `/credentials`: what the cluster's Kubernetes API accepts.
cluster_tokens = Table(
    "cluster_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    _cluster_id(),
    Column("expires_at", Float, nullable=False),
    Index("ix_cluster_tokens_cluster_id", "cluster_id"),
)

TABLES = (
    clusters,
    node_pools,
    nodes,
    cluster_events,
    clusterlint_runs,
    cluster_resources,
    cluster_tokens,
)

_OF_ACCOUNT = clusters.c.account_id == bindparam("account_id")
_LIST = PagedQuery(
    select(clusters).where(_OF_ACCOUNT).order_by(clusters.c.created_at, clusters.c.id),
    tally="clusters",
)
_GET = Query(select(clusters).where(_OF_ACCOUNT, clusters.c.id == bindparam("cluster_id")))
_POOLS = Query(
    select(node_pools)
    .where(node_pools.c.cluster_id.in_(bindparam("cluster_ids", expanding=True)))
    .order_by(node_pools.c.created_at, node_pools.c.id)
)
# A page of clusters' pools and their nodes in one query: a pool without nodes comes once,
# with the node columns (node_*) null.
_POOLS_AND_NODES = Query(
    select(node_pools, *(column.label(f"node_{column.key}") for column in nodes.c))
    .outerjoin(nodes, nodes.c.pool_id == node_pools.c.id)
    .where(node_pools.c.cluster_id.in_(bindparam("cluster_ids", expanding=True)))
    .order_by(node_pools.c.created_at, node_pools.c.id, nodes.c.created_at, nodes.c.id)
)
_NODES = Query(
    select(nodes)
    .where(nodes.c.pool_id.in_(bindparam("pool_ids", expanding=True)))
    .order_by(nodes.c.created_at, nodes.c.id)
)


# Clusters


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def get(connection: Connection, account_id: str, cluster_id: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "cluster_id": cluster_id})


_ANY = Query(select(clusters).where(clusters.c.id == bindparam("cluster_id")))
_NAMED = Query(select(clusters.c.id).where(_OF_ACCOUNT, clusters.c.name == bindparam("name")))
_IN_VPC = Query(
    select(literal("kubernetes").label("resource_type"), clusters.c.id, clusters.c.name,
           clusters.c.created_at)
    .where(_OF_ACCOUNT, clusters.c.vpc_uuid == bindparam("vpc_id"))
    .order_by(clusters.c.created_at, clusters.c.id)
)  # fmt: skip


def get_any(connection: Connection, cluster_id: str) -> Row[Any] | None:
    return _ANY.first(connection, {"cluster_id": cluster_id})


def named(connection: Connection, account_id: str, name: str) -> Row[Any] | None:
    return _NAMED.first(connection, {"account_id": account_id, "name": name})


def in_vpc(connection: Connection, account_id: str, vpc_id: str) -> list[Row[Any]]:
    return _IN_VPC.all(connection, {"account_id": account_id, "vpc_id": vpc_id})


_ADD = Write(clusters.insert())
_ADD_POOL = Write(node_pools.insert())
_ADD_NODE = Write(nodes.insert())
_ADD_EVENT = Write(cluster_events.insert())


def add(connection: Connection, **values: Any) -> None:
    _ADD.run(connection, values)
    tallies.add(connection, values["account_id"], "clusters")


def change(connection: Connection, cluster_id: str, **values: Any) -> None:
    """Raises Duplicate if a new name is taken."""
    with savepoint(connection):
        change_row(connection, clusters, cluster_id, values)


def _release_droplets(connection: Connection, stmt: Any) -> None:
    """The droplets behind nodes that go (a node has one once it has run)."""
    droplet_ids = [int(d) for d in connection.execute(stmt).scalars() if d]
    droplets_store.remove_many(connection, droplet_ids)


def delete(connection: Connection, cluster_id: str) -> None:
    cluster = get_any(connection, cluster_id)
    if cluster is not None:
        tallies.add(connection, cluster.account_id, "clusters", -1)
    pool_ids = select(node_pools.c.id).where(node_pools.c.cluster_id == cluster_id)
    _release_droplets(connection, select(nodes.c.droplet_id).where(nodes.c.pool_id.in_(pool_ids)))
    connection.execute(nodes.delete().where(nodes.c.pool_id.in_(pool_ids)))
    connection.execute(node_pools.delete().where(node_pools.c.cluster_id == cluster_id))
    connection.execute(cluster_events.delete().where(cluster_events.c.cluster_id == cluster_id))
    connection.execute(clusterlint_runs.delete().where(clusterlint_runs.c.cluster_id == cluster_id))
    connection.execute(cluster_tokens.delete().where(cluster_tokens.c.cluster_id == cluster_id))
    connection.execute(
        update(cluster_resources)
        .where(cluster_resources.c.cluster_id == cluster_id)
        .values(cluster_id=None)
    )
    connection.execute(clusters.delete().where(clusters.c.id == cluster_id))


# Node pools and nodes


def pool_count(pool: Row[Any]) -> int:
    """A node pool row's `count` column (to type checkers `pool.count` is `Sequence.count`)."""
    return int(pool._mapping["count"])


_SET_CA = Write(
    update(clusters)
    .where(clusters.c.id == bindparam("cluster_id"), clusters.c.ca_key == "")
    .values(ca_certificate=bindparam("certificate"), ca_key=bindparam("key"))
)


def set_ca(connection: Connection, cluster_id: str, certificate: str, key: str) -> None:
    """Set the cluster's CA unless it has one already (with its key)."""
    _SET_CA.run(connection, {"cluster_id": cluster_id, "certificate": certificate, "key": key})


_ADD_TOKEN = Write(cluster_tokens.insert())
_TOKEN = Query(
    select(cluster_tokens.c.cluster_id, cluster_tokens.c.expires_at).where(
        cluster_tokens.c.token_hash == bindparam("token_hash")
    )
)


def add_token(connection: Connection, cluster_id: str, token_hash: str, expires_at: float) -> None:
    _ADD_TOKEN.run(
        connection, {"token_hash": token_hash, "cluster_id": cluster_id, "expires_at": expires_at}
    )


def token(connection: Connection, token_hash: str) -> Row[Any] | None:
    """(cluster_id, expires_at) of a cluster token, or None."""
    return _TOKEN.first(connection, {"token_hash": token_hash})


def pools_of(connection: Connection, cluster_ids: list[str]) -> list[Row[Any]]:
    if not cluster_ids:
        return []
    return _POOLS.all(connection, {"cluster_ids": cluster_ids})


def pools_and_nodes(connection: Connection, cluster_ids: list[str]) -> list[Row[Any]]:
    """Rows of each pool's columns with one node's as `node_*` (None for a pool without nodes),
    pools in order, each pool's nodes in order."""
    if not cluster_ids:
        return []
    return _POOLS_AND_NODES.all(connection, {"cluster_ids": cluster_ids})


def nodes_of(connection: Connection, pool_ids: list[str]) -> list[Row[Any]]:
    if not pool_ids:
        return []
    return _NODES.all(connection, {"pool_ids": pool_ids})


_POOL = Query(select(node_pools).where(node_pools.c.id == bindparam("pool_id")))


def pool(connection: Connection, cluster_id: str, pool_id: str) -> Row[Any] | None:
    found = _POOL.first(connection, {"pool_id": pool_id})
    return found if found is not None and found.cluster_id == cluster_id else None


def pool_by_id(connection: Connection, pool_id: str) -> Row[Any] | None:
    return _POOL.first(connection, {"pool_id": pool_id})


def add_pool(connection: Connection, **values: Any) -> None:
    """Raises Duplicate if the cluster has a pool of this name."""
    with savepoint(connection):
        _ADD_POOL.run(connection, values)


def change_pool(connection: Connection, pool_id: str, **values: Any) -> None:
    """Raises Duplicate if a new name is taken."""
    with savepoint(connection):
        change_row(connection, node_pools, pool_id, values)


def delete_pool(connection: Connection, pool_id: str) -> None:
    _release_droplets(connection, select(nodes.c.droplet_id).where(nodes.c.pool_id == pool_id))
    connection.execute(nodes.delete().where(nodes.c.pool_id == pool_id))
    connection.execute(node_pools.delete().where(node_pools.c.id == pool_id))


_NODE = Query(select(nodes).where(nodes.c.id == bindparam("node_id")))


def node(connection: Connection, pool_id: str, node_id: str) -> Row[Any] | None:
    found = _NODE.first(connection, {"node_id": node_id})
    return found if found is not None and found.pool_id == pool_id else None


_BY_DROPLET = Query(select(nodes).where(nodes.c.droplet_id == bindparam("droplet_id")))


def node_by_droplet(connection: Connection, droplet_id: int) -> Row[Any] | None:
    return _BY_DROPLET.first(connection, {"droplet_id": str(droplet_id)})


def node_by_id(connection: Connection, node_id: str) -> Row[Any] | None:
    return _NODE.first(connection, {"node_id": node_id})


def add_node(connection: Connection, **values: Any) -> None:
    _ADD_NODE.run(connection, values)


def change_node(connection: Connection, node_id: str, **values: Any) -> None:
    change_row(connection, nodes, node_id, values)


_DELETE_NODE = Write(nodes.delete().where(nodes.c.id == bindparam("node_id")))


def delete_node(connection: Connection, node_id: str) -> None:
    _release_droplets(connection, select(nodes.c.droplet_id).where(nodes.c.id == node_id))
    _DELETE_NODE.run(connection, {"node_id": node_id})


# Status messages


def add_event(connection: Connection, cluster_id: str, message: str, at: float) -> None:
    _ADD_EVENT.run(connection, {"cluster_id": cluster_id, "message": message, "timestamp": at})


def events(connection: Connection, cluster_id: str, since: float | None) -> list[Row[Any]]:
    stmt = select(cluster_events).where(cluster_events.c.cluster_id == cluster_id)
    if since is not None:
        stmt = stmt.where(cluster_events.c.timestamp >= since)
    return list(connection.execute(stmt.order_by(cluster_events.c.timestamp, cluster_events.c.id)))


# Clusterlint


def add_run(connection: Connection, **values: Any) -> None:
    connection.execute(clusterlint_runs.insert(), values)


def run(connection: Connection, cluster_id: str, run_id: str | None) -> Row[Any] | None:
    stmt = select(clusterlint_runs).where(clusterlint_runs.c.cluster_id == cluster_id)
    if run_id is not None:
        stmt = stmt.where(clusterlint_runs.c.id == run_id)
    order = (clusterlint_runs.c.requested_at.desc(), clusterlint_runs.c.id.desc())
    return connection.execute(stmt.order_by(*order).limit(1)).first()


_RUN = Query(select(clusterlint_runs).where(clusterlint_runs.c.id == bindparam("run_id")))


def run_by_id(connection: Connection, run_id: str) -> Row[Any] | None:
    return _RUN.first(connection, {"run_id": run_id})


def run_ids(connection: Connection, cluster_id: str) -> list[str]:
    stmt = select(clusterlint_runs.c.id).where(clusterlint_runs.c.cluster_id == cluster_id)
    return list(connection.execute(stmt).scalars())


def finish_run(
    connection: Connection, run_id: str, diagnostics: list[dict[str, Any]], at: float
) -> None:
    change_row(
        connection, clusterlint_runs, run_id, {"diagnostics": diagnostics, "completed_at": at}
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
    connection.execute(cluster_resources.insert(), values)


def delete_resources(connection: Connection, resource_ids: list[str]) -> None:
    if resource_ids:
        connection.execute(
            cluster_resources.delete().where(cluster_resources.c.id.in_(resource_ids))
        )


def ids_in_account(connection: Connection, account_id: str) -> tuple[list[str], list[str]]:
    """The ids of the account's clusters and of their node pools."""
    cluster_ids = list(
        connection.execute(
            select(clusters.c.id).where(clusters.c.account_id == account_id)
        ).scalars()
    )
    pool_ids = list(
        connection.execute(
            select(node_pools.c.id).where(node_pools.c.cluster_id.in_(cluster_ids))
        ).scalars()
    )
    return cluster_ids, pool_ids


def delete_account(connection: Connection, account_id: str) -> None:
    cluster_ids, _ = ids_in_account(connection, account_id)
    for cluster_id in cluster_ids:
        delete(connection, cluster_id)
    connection.execute(
        cluster_resources.delete().where(cluster_resources.c.account_id == account_id)
    )


NODES_PER_ACCOUNT = (
    select(clusters.c.account_id, func.count())
    .select_from(nodes.join(node_pools, nodes.c.pool_id == node_pools.c.id))
    .join(clusters, clusters.c.id == node_pools.c.cluster_id)
    .group_by(clusters.c.account_id)
)
CLUSTERS_PER_ACCOUNT = select(clusters.c.account_id, func.count()).group_by(clusters.c.account_id)
