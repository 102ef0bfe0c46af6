"""Node pools and their nodes: add, get, update (scale, rename, labels, taints, autoscaling),
delete, delete or replace a node, recycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.kubernetes import clusters, specs, store, transitions
from localocean.areas.kubernetes.clusters import POOL_TAGS
from localocean.core import tags
from localocean.core.db import Duplicate
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body


def get(connection: Connection, account_id: str, cluster_id: str, pool_id: str) -> Row[Any]:
    cluster = clusters.get(connection, account_id, cluster_id)
    found = store.pool(connection, cluster.id, pool_id)
    if found is None:
        raise NotFound()
    return found


def add(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str, payload: Any,
    now: float,
) -> Row[Any]:  # fmt: skip
    cluster = clusters.get(connection, account_id, cluster_id)
    spec = specs.pool_spec(payload)
    pool_id, node_ids = clusters.new_pool(connection, account_id, cluster.id, spec, now)
    transitions.provision_nodes(connection, lifecycle, account_id, node_ids)
    store.add_event(connection, cluster.id, f"Adding node pool {spec.name}", now)
    return get(connection, account_id, cluster_id, pool_id)


def update(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str, pool_id: str,
    payload: Any, now: float,
) -> Row[Any]:  # fmt: skip
    current = get(connection, account_id, cluster_id, pool_id)
    body = Body(payload)
    name = body.str("name", required=True, max_length=255)
    count = body.int("count", required=True, minimum=0, maximum=1000) or 0
    auto_scale, min_nodes, max_nodes = specs.scaling(body, count, current)
    changes: dict[str, Any] = {
        "name": name, "count": count, "auto_scale": auto_scale, "min_nodes": min_nodes,
        "max_nodes": max_nodes,
    }  # fmt: skip
    if body.has("labels"):
        changes["labels"] = specs.labels(body)
    taints = specs.taints(body)
    if taints is not None:
        changes["taints"] = taints
    new_tags = specs.user_tags(body)
    try:
        store.change_pool(connection, current.id, **changes)
    except Duplicate as exc:
        raise Unprocessable(f"a node pool named {name!r} already exists") from exc
    if new_tags is not None:
        tags.replace(connection, account_id, POOL_TAGS, current.id, new_tags, now)
    _resize(connection, lifecycle, account_id, current.id, count, now)
    return get(connection, account_id, cluster_id, pool_id)


def _resize(
    connection: Connection,
    lifecycle: Lifecycle,
    account_id: str,
    pool_id: str,
    count: int,
    now: float,
) -> None:
    """Add provisioning nodes, or remove the newest ones, until the pool has `count` nodes."""
    present = [n for n in store.nodes_of(connection, [pool_id]) if n.state != "deleting"]
    if len(present) < count:
        added = [clusters.new_node(connection, pool_id, now) for _ in range(count - len(present))]
        transitions.provision_nodes(connection, lifecycle, account_id, added)
    for node in reversed(present[count:]):
        lifecycle.cancel(connection, "node", [node.id])
        store.delete_node(connection, node.id)


def delete(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str, pool_id: str,
    now: float,
) -> None:  # fmt: skip
    current = get(connection, account_id, cluster_id, pool_id)
    if len(store.pools_of(connection, [current.cluster_id])) == 1:
        raise Unprocessable("a cluster needs at least one node pool: delete the cluster instead")
    lifecycle.cancel(connection, "node", [n.id for n in store.nodes_of(connection, [current.id])])
    tags.untag(connection, POOL_TAGS, [current.id])
    store.delete_pool(connection, current.id)
    store.add_event(connection, current.cluster_id, f"Deleted node pool {current.name}", now)


def _flag(query: Any, name: str) -> bool:
    value = query.get(name, "0")
    if value not in ("0", "1", "true", "false"):
        raise Unprocessable(f"{name} must be 0 or 1")
    return value in ("1", "true")


def delete_node(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str, pool_id: str,
    node_id: str, query: Any, now: float,
) -> None:  # fmt: skip
    current = get(connection, account_id, cluster_id, pool_id)
    node = store.node(connection, current.id, node_id)
    if node is None:
        raise NotFound()
    skip_drain, replace = _flag(query, "skip_drain"), _flag(query, "replace")
    transitions.retire_node(connection, lifecycle, account_id, node, skip_drain, now)
    if replace:
        replacement = clusters.new_node(connection, current.id, now)
        transitions.provision_nodes(connection, lifecycle, account_id, [replacement])
    else:
        store.change_pool(connection, current.id, count=max(0, store.pool_count(current) - 1))


def recycle(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str, pool_id: str,
    payload: Any, now: float,
) -> None:  # fmt: skip
    current = get(connection, account_id, cluster_id, pool_id)
    node_ids = Body(payload).str_list("nodes", required=True) or []
    found = [store.node(connection, current.id, node_id) for node_id in node_ids]
    if not node_ids or any(node is None for node in found):
        raise NotFound("every node to recycle must be a node of this pool")
    for node in found:
        assert node is not None
        transitions.retire_node(connection, lifecycle, account_id, node, False, now)
        replacement = clusters.new_node(connection, current.id, now)
        transitions.provision_nodes(connection, lifecycle, account_id, [replacement])
