"""Clusters, node pools and nodes as DigitalOcean renders them; lists in a fixed number of
queries whatever their length."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.kubernetes import specs, store
from localocean.areas.kubernetes.clusters import CLUSTER_TAGS, POOL_TAGS
from localocean.core import tags
from localocean.core.clock import rfc3339


def _render_node(
    id: str, name: str, state: str, droplet_id: str, created_at: float, updated_at: float
) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "status": {"state": state},
        "droplet_id": droplet_id,
        "created_at": rfc3339(created_at),
        "updated_at": rfc3339(updated_at),
    }


def _node(node: Row[Any]) -> dict[str, Any]:
    return _render_node(
        node.id, node.name, node.state, node.droplet_id, node.created_at, node.updated_at
    )


def _render_pool(
    pool: Row[Any], pool_nodes: list[dict[str, Any]], pool_tags: list[str]
) -> dict[str, Any]:
    return {
        "id": pool.id,
        "name": pool.name,
        "size": pool.size,
        "count": store.pool_count(pool),
        "tags": pool_tags + specs.auto_pool_tags(pool.cluster_id),
        "labels": pool.labels,
        "taints": pool.taints,
        "auto_scale": pool.auto_scale,
        "min_nodes": pool.min_nodes,
        "max_nodes": pool.max_nodes,
        "nodes": pool_nodes,
    }


def render_pools(
    connection: Connection, account_id: str, pools: list[Row[Any]]
) -> list[dict[str, Any]]:
    """Pools with their nodes and tags: one query each for all of them."""
    by_pool: dict[str, list[dict[str, Any]]] = {pool.id: [] for pool in pools}
    for node in store.nodes_of(connection, list(by_pool)):
        by_pool[node.pool_id].append(_node(node))
    names = tags.names_for(connection, account_id, POOL_TAGS, list(by_pool))
    return [_render_pool(pool, by_pool[pool.id], names[pool.id]) for pool in pools]


def _settings_view(settings: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "control_plane_firewall": {"enabled": False, "allowed_addresses": []},
        "cluster_autoscaler_configuration": {
            "scale_down_utilization_threshold": 0.5,
            "scale_down_unneeded_time": "10m0s",
        },
        "sso": {"enabled": False, "required": False},
        **{plugin: {"enabled": False} for plugin in specs.PLUGINS},
    }
    for field, value in settings.items():
        if field == "cluster_autoscaler_configuration":
            view[field] = {**view[field], **value}
        else:
            view[field] = value
    return view


def render_many(connection: Connection, clusters: list[Row[Any]]) -> list[dict[str, Any]]:
    """Clusters with pools, nodes and tags, in two queries for any number of clusters."""
    if not clusters:
        return []
    pools: dict[str, Row[Any]] = {}
    pool_nodes: dict[str, list[dict[str, Any]]] = {}
    for row in store.pools_and_nodes(connection, [c.id for c in clusters]):
        if row.id not in pools:
            pools[row.id] = row
            pool_nodes[row.id] = []
        if row.node_id is not None:
            pool_nodes[row.id].append(
                _render_node(
                    row.node_id,
                    row.node_name,
                    row.node_state,
                    row.node_droplet_id,
                    row.node_created_at,
                    row.node_updated_at,
                )
            )
    by_cluster: dict[str, list[dict[str, Any]]] = {c.id: [] for c in clusters}
    names = tags.names_by_type(
        connection, clusters[0].account_id, {CLUSTER_TAGS: list(by_cluster), POOL_TAGS: list(pools)}
    )
    for pool in pools.values():
        by_cluster[pool.cluster_id].append(
            _render_pool(pool, pool_nodes[pool.id], names[POOL_TAGS][pool.id])
        )
    return [_render(c, by_cluster[c.id], names[CLUSTER_TAGS][c.id]) for c in clusters]


def render_one(connection: Connection, cluster: Row[Any]) -> dict[str, Any]:
    return render_many(connection, [cluster])[0]


def _render(
    cluster: Row[Any], pools: list[dict[str, Any]], cluster_tags: list[str]
) -> dict[str, Any]:
    running = cluster.state != "provisioning"
    view: dict[str, Any] = {
        "id": cluster.id,
        "name": cluster.name,
        "region": cluster.region,
        "version": cluster.version,
        "cluster_subnet": cluster.cluster_subnet,
        "service_subnet": cluster.service_subnet,
        "vpc_uuid": cluster.vpc_uuid,
        "ipv4": cluster.ipv4,
        "endpoint": f"https://{cluster.id}.k8s.ondigitalocean.com" if running else "",
        "tags": specs.auto_cluster_tags(cluster.id) + cluster_tags,
        "node_pools": pools,
        "maintenance_policy": {**cluster.maintenance, "duration": "4h0m0s"},
        "auto_upgrade": cluster.auto_upgrade,
        "status": {"state": cluster.state, "message": cluster.status_message},
        "created_at": rfc3339(cluster.created_at),
        "updated_at": rfc3339(cluster.updated_at),
        "surge_upgrade": cluster.surge_upgrade,
        "registry_enabled": cluster.registry_enabled or bool(cluster.registries),
        "registries": cluster.registries,
        "ha": cluster.ha,
        "isolated_workers": cluster.isolated_workers,
        **_settings_view(cluster.settings),
    }
    if cluster.worker_subnet_uuid:
        view["worker_subnet_uuid"] = cluster.worker_subnet_uuid
    return view
