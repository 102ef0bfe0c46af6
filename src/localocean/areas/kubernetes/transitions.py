"""The Kubernetes state machine, in one place: what is scheduled, and what each transition does.

    cluster    provisioning --cluster.provision--> running --upgrade--> upgrading
               upgrading --cluster.upgrade--> running
    node       provisioning --node.provision--> running (gets its name and Droplet id)
               running --delete/recycle--> draining or deleting --node.delete--> gone
    clusterlint run   requested --clusterlint.run--> completed (diagnostics)

A cluster's nodes come up with it: `cluster.provision` brings every provisioning node of the
cluster to running. Only the cluster states godo can decode are ever produced. Deleting a
cluster, a pool or a node cancels whatever was scheduled for it.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.droplets import rules as droplets
from localocean.areas.droplets import store as droplets_store
from localocean.areas.kubernetes import specs, store
from localocean.areas.kubernetes.clusterlint import diagnostics
from localocean.areas.kubernetes.specs import POOL_TAGS
from localocean.core import tags
from localocean.core.lifecycle import Lifecycle
from localocean.core.timing import Durations

CLUSTER_PROVISION = "cluster.provision"
CLUSTER_UPGRADE = "cluster.upgrade"
NODE_PROVISION = "node.provision"
NODE_DELETE = "node.delete"
CLUSTERLINT_RUN = "clusterlint.run"

DURATIONS = {
    CLUSTER_PROVISION: Durations(1.0, 360.0),
    CLUSTER_UPGRADE: Durations(1.0, 600.0),
    NODE_PROVISION: Durations(0.5, 120.0),
    NODE_DELETE: Durations(0.5, 60.0),
    CLUSTERLINT_RUN: Durations(0.5, 30.0),
}

NODE_NAME_ALPHABET = string.ascii_lowercase + string.digits


# Scheduling


def provision_cluster(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str
) -> None:
    lifecycle.schedule(
        connection, CLUSTER_PROVISION, "cluster", cluster_id, "running", account_id=account_id
    )


def provision_nodes(
    connection: Connection, lifecycle: Lifecycle, account_id: str, node_ids: Iterable[str]
) -> None:
    for node_id in node_ids:
        lifecycle.schedule(
            connection, NODE_PROVISION, "node", node_id, "running", account_id=account_id
        )


def retire_node(
    connection: Connection,
    lifecycle: Lifecycle,
    account_id: str,
    node: Row[Any],
    skip_drain: bool,
    now: float,
) -> None:
    """A node goes: draining first unless told to skip it, then deleted."""
    if node.state in ("draining", "deleting"):
        return
    lifecycle.cancel(connection, "node", [node.id])
    store.change_node(connection, node.id, state="deleting" if skip_drain else "draining",
                      updated_at=now)  # fmt: skip
    lifecycle.schedule(connection, NODE_DELETE, "node", node.id, "deleted", account_id=account_id)


def upgrade_cluster(
    connection: Connection,
    lifecycle: Lifecycle,
    cluster: Row[Any],
    version: str,
    now: float,
) -> None:
    store.change(connection, cluster.id, state="upgrading", status_message="upgrading",
                 updated_at=now)  # fmt: skip
    store.add_event(connection, cluster.id, f"Upgrading from {cluster.version} to {version}", now)
    lifecycle.schedule(
        connection, CLUSTER_UPGRADE, "cluster", cluster.id, "running", {"version": version},
        account_id=cluster.account_id,
    )  # fmt: skip


def run_clusterlint(
    connection: Connection,
    lifecycle: Lifecycle,
    cluster: Row[Any],
    request: dict[str, list[str]],
    now: float,
) -> str:
    run_id = str(uuid.uuid4())
    store.add_run(connection, id=run_id, cluster_id=cluster.id, request=request,
                  diagnostics=None, requested_at=now, completed_at=None)  # fmt: skip
    lifecycle.schedule(
        connection, CLUSTERLINT_RUN, "clusterlint", run_id, "completed",
        account_id=cluster.account_id,
    )  # fmt: skip
    return run_id


def cancel_cluster(connection: Connection, lifecycle: Lifecycle, cluster_id: str) -> None:
    """Nothing scheduled for the cluster, its nodes or its clusterlint runs happens any more."""
    pools = store.pools_of(connection, [cluster_id])
    node_ids = [node.id for node in store.nodes_of(connection, [p.id for p in pools])]
    lifecycle.cancel(connection, "cluster", [cluster_id])
    lifecycle.cancel(connection, "node", node_ids)
    lifecycle.cancel(connection, "clusterlint", store.run_ids(connection, cluster_id))


# Applying


def _bring_up(
    connection: Connection,
    lifecycle: Lifecycle,
    node: Row[Any],
    pool_row: Row[Any] | None,
    cluster: Row[Any] | None,
    at: float,
) -> None:
    """A provisioning node runs: named as DOKS names nodes (`<pool>-<5 characters>`), on a
    droplet of its own in the cluster's VPC, tagged as DOKS tags its workers."""
    if pool_row is None or cluster is None or node.state != "provisioning":
        return
    suffix = "".join(secrets.choice(NODE_NAME_ALPHABET) for _ in range(5))
    name = f"{pool_row.name}-{suffix}"
    droplet_id = _node_droplet(connection, lifecycle, cluster, pool_row, name, at)
    store.change_node(connection, node.id, state="running", updated_at=at, name=name,
                      droplet_id=str(droplet_id))  # fmt: skip


def provision(connection: Connection, lifecycle: Lifecycle, cluster_id: str, at: float) -> None:
    """Bring a provisioning cluster and its nodes to running."""
    cluster = store.get_any(connection, cluster_id)
    if cluster is None or cluster.state != "provisioning":
        return
    ipv4 = "" if cluster.ha else f"164.92.{secrets.randbelow(254) + 1}.{secrets.randbelow(254) + 1}"
    store.change(connection, cluster.id, state="running", status_message="", ipv4=ipv4,
                 updated_at=at)  # fmt: skip
    pools = {pool.id: pool for pool in store.pools_of(connection, [cluster.id])}
    for node in store.nodes_of(connection, list(pools)):
        _bring_up(connection, lifecycle, node, pools[node.pool_id], cluster, at)
    store.add_event(connection, cluster.id, "Cluster is running", at)


def cluster_provisioned(
    connection: Connection, transition: Row[Any], _payload: dict, lifecycle: Lifecycle
) -> None:
    provision(connection, lifecycle, transition.resource_id, transition.due_at)


def _node_droplet(
    connection: Connection, lifecycle: Lifecycle, cluster: Row[Any], pool_row: Row[Any], name: str,
    at: float,
) -> int:  # fmt: skip
    """A droplet for a node of the pool, tagged as DOKS tags its workers."""
    pool_tags = tags.names_for(connection, cluster.account_id, POOL_TAGS, [pool_row.id])
    droplet_tags = specs.auto_pool_tags(cluster.id) + pool_tags[pool_row.id]
    return droplets.create_for_node(
        connection, cluster.account_id, name=name, region=cluster.region, size=pool_row.size,
        vpc_id=cluster.vpc_uuid, tag_names=droplet_tags, now=at,
        public_range=lifecycle.settings.public_ipv4_range,
    )  # fmt: skip


def cluster_upgraded(
    connection: Connection, transition: Row[Any], payload: dict, lifecycle: Lifecycle
) -> None:
    """The new version runs on new droplets: each node's droplet is replaced."""
    cluster = store.get_any(connection, transition.resource_id)
    if cluster is None or cluster.state != "upgrading":
        return
    at = transition.due_at
    pools = {pool.id: pool for pool in store.pools_of(connection, [cluster.id])}
    for node in store.nodes_of(connection, list(pools)):
        if node.state != "running" or not node.droplet_id:
            continue
        droplets_store.remove_many(connection, [int(node.droplet_id)])
        replaced = _node_droplet(connection, lifecycle, cluster, pools[node.pool_id], node.name, at)
        store.change_node(connection, node.id, droplet_id=str(replaced), updated_at=at)
    store.change(connection, cluster.id, state="running", status_message="",
                 version=payload["version"], updated_at=at)  # fmt: skip
    store.add_event(connection, cluster.id, f"Upgraded to {payload['version']}", transition.due_at)


def node_provisioned(
    connection: Connection, transition: Row[Any], _payload: dict, lifecycle: Lifecycle
) -> None:
    node = store.node_by_id(connection, transition.resource_id)
    if node is None:
        return
    pool_row = store.pool_by_id(connection, node.pool_id)
    cluster = store.get_any(connection, pool_row.cluster_id) if pool_row is not None else None
    _bring_up(connection, lifecycle, node, pool_row, cluster, transition.due_at)


def node_droplet_gone(
    connection: Connection, transition: Row[Any], _payload: dict, lifecycle: Lifecycle
) -> None:
    """A user deleted a node's droplet: DOKS manages its pools, so the node leaves its pool and
    a new node (with a new droplet) takes its place, keeping the pool's count."""
    node = store.node_by_droplet(connection, int(transition.resource_id))
    if node is None:
        return
    if node.state in ("draining", "deleting"):
        # Going anyway: its replacement (if any) was decided when it was retired.
        lifecycle.cancel(connection, "node", [node.id])
        store.delete_node(connection, node.id)
        return
    pool_row = store.pool_by_id(connection, node.pool_id)
    cluster = store.get_any(connection, pool_row.cluster_id) if pool_row is not None else None
    lifecycle.cancel(connection, "node", [node.id])
    store.delete_node(connection, node.id)
    if pool_row is None or cluster is None:
        return
    replacement = str(uuid.uuid4())
    store.add_node(
        connection, id=replacement, pool_id=pool_row.id, name="", droplet_id="",
        state="provisioning", created_at=transition.due_at, updated_at=transition.due_at,
    )  # fmt: skip
    provision_nodes(connection, lifecycle, cluster.account_id, [replacement])
    store.add_event(
        connection, cluster.id, f"Replacing node {node.name}: its droplet was deleted",
        transition.due_at,
    )  # fmt: skip


def node_deleted(
    connection: Connection, transition: Row[Any], _payload: dict, _lifecycle: Lifecycle
) -> None:
    store.delete_node(connection, transition.resource_id)


def clusterlint_ran(
    connection: Connection, transition: Row[Any], _payload: dict, _lifecycle: Lifecycle
) -> None:
    run = store.run_by_id(connection, transition.resource_id)
    cluster = store.get_any(connection, run.cluster_id) if run is not None else None
    if run is not None and cluster is not None:
        found = diagnostics(connection, cluster, run.request)
        store.finish_run(connection, run.id, found, transition.due_at)


HANDLERS = {
    CLUSTER_PROVISION: cluster_provisioned,
    CLUSTER_UPGRADE: cluster_upgraded,
    NODE_PROVISION: node_provisioned,
    NODE_DELETE: node_deleted,
    CLUSTERLINT_RUN: clusterlint_ran,
    droplets.GONE: node_droplet_gone,
}
