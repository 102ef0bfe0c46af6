"""Clusters: create (with their node pools and nodes), get, update, delete, associated
resources, status messages. A cluster's tags go through the one tags mechanism."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.kubernetes import catalog, specs, store, transitions
from localocean.areas.kubernetes.specs import CLUSTER_TAGS, POOL_TAGS
from localocean.areas.regions import catalog as regions
from localocean.areas.vpcs import rules as vpcs
from localocean.areas.vpcs import store as vpc_store
from localocean.core import tags
from localocean.core.area import ClusterResources
from localocean.core.clock import parse_rfc3339, rfc3339
from localocean.core.db import Duplicate
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body

ASSOCIATED_KINDS = {"load_balancers": "load_balancer", "volumes": "volume",
                    "volume_snapshots": "volume_snapshot"}  # fmt: skip


def get(connection: Connection, account_id: str, cluster_id: str) -> Row[Any]:
    cluster = store.get(connection, account_id, cluster_id)
    if cluster is None:
        raise NotFound()
    return cluster


def new_pool(
    connection: Connection, account_id: str, cluster_id: str, spec: specs.PoolSpec, now: float
) -> tuple[str, list[str]]:
    """A pool's row and its nodes' rows (provisioning); returns the pool's and nodes' ids."""
    pool_id = str(uuid.uuid4())
    try:
        store.add_pool(
            connection, id=pool_id, cluster_id=cluster_id, name=spec.name, size=spec.size,
            count=spec.count, labels=spec.labels, taints=spec.taints, auto_scale=spec.auto_scale,
            min_nodes=spec.min_nodes, max_nodes=spec.max_nodes, created_at=now,
        )  # fmt: skip
    except Duplicate as exc:
        raise Unprocessable(f"a node pool named {spec.name!r} already exists") from exc
    tags.add(connection, account_id, POOL_TAGS, pool_id, spec.tags, now)
    return pool_id, [new_node(connection, pool_id, now) for _ in range(spec.count)]


def new_node(connection: Connection, pool_id: str, now: float) -> str:
    node_id = str(uuid.uuid4())
    store.add_node(
        connection, id=node_id, pool_id=pool_id, name="", droplet_id="", state="provisioning",
        created_at=now, updated_at=now,
    )  # fmt: skip
    return node_id


def create(
    connection: Connection, lifecycle: Lifecycle, account_id: str, payload: Any, now: float
) -> Row[Any]:
    body = Body(payload)
    name = body.str("name", required=True, max_length=255) or ""
    region = body.str("region", required=True) or ""
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a region where Kubernetes is available")
    requested = body.str("version", required=True) or ""
    version = catalog.resolve(requested)
    if version is None:
        raise Unprocessable(
            f"version {requested!r} is not available; see GET /v2/kubernetes/options"
        )
    pool_payloads = body.list("node_pools", required=True) or []
    if not pool_payloads:
        raise Unprocessable("node_pools must contain at least one node pool")
    pools = [specs.pool_spec(p, f"node_pools[{i}]") for i, p in enumerate(pool_payloads)]
    if len({p.name for p in pools}) != len(pools):
        raise Unprocessable("node pool names must be unique within the cluster")
    if sum(p.count for p in pools) < 1:
        raise Unprocessable("the cluster needs at least one node")
    if store.named(connection, account_id, name) is not None:
        raise Unprocessable(f"a cluster with this name already exists: {name!r}")
    vpc_id = body.str("vpc_uuid")
    if vpc_id:
        vpc = vpc_store.get(connection, account_id, vpc_id)
        if vpc is None or vpc.region != region:
            raise Unprocessable(f"vpc_uuid {vpc_id!r} is not a VPC of this account in {region}")
    else:
        vpc = vpcs.default_for(connection, account_id, region, now)
    worker_subnet = body.str("worker_subnet_uuid")
    if worker_subnet is not None:
        if not vpc_id:
            raise Unprocessable("worker_subnet_uuid needs vpc_uuid")
        try:
            uuid.UUID(worker_subnet)
        except ValueError as exc:
            raise Unprocessable("worker_subnet_uuid must be a UUID") from exc
    cluster_subnet, service_subnet = specs.subnets(body, vpc)
    ha = body.bool("ha")
    cluster_tags = specs.user_tags(body) or []
    cluster_id = str(uuid.uuid4())
    store.add(
        connection,
        id=cluster_id, account_id=account_id, name=name, region=region, version=version,
        cluster_subnet=cluster_subnet, service_subnet=service_subnet, vpc_uuid=vpc.id,
        worker_subnet_uuid=worker_subnet, ipv4="", state="provisioning",
        status_message="provisioning",
        ha=catalog.ha_default(version) if ha is None else ha,
        auto_upgrade=bool(body.bool("auto_upgrade")),
        surge_upgrade=bool(body.bool("surge_upgrade")),
        isolated_workers=bool(body.bool("isolated_workers")),
        maintenance=specs.maintenance(body), settings=specs.settings(body, {}),
        registry_enabled=False, registries=[],
        ca_certificate="", created_at=now, updated_at=now,
    )  # fmt: skip
    tags.add(connection, account_id, CLUSTER_TAGS, cluster_id, cluster_tags, now)
    for spec in pools:
        new_pool(connection, account_id, cluster_id, spec, now)
    store.add_event(connection, cluster_id, f"Provisioning cluster {name} ({version})", now)
    transitions.provision_cluster(connection, lifecycle, account_id, cluster_id)
    return get(connection, account_id, cluster_id)


def update(
    connection: Connection, account_id: str, cluster_id: str, payload: Any, now: float
) -> Row[Any]:
    cluster = get(connection, account_id, cluster_id)
    body = Body(payload)
    name = body.str("name", required=True, max_length=255) or ""
    changes: dict[str, Any] = {"updated_at": now}
    if name != cluster.name:
        other = store.named(connection, account_id, name)
        if other is not None and other.id != cluster.id:
            raise Unprocessable(f"a cluster with this name already exists: {name!r}")
        changes["name"] = name
    new_tags = specs.user_tags(body)
    if body.has("maintenance_policy"):
        changes["maintenance"] = specs.maintenance(body, cluster.maintenance)
    for flag in ("auto_upgrade", "surge_upgrade"):
        value = body.bool(flag)
        if value is not None:
            changes[flag] = value
    ha = body.bool("ha")
    if ha is False and cluster.ha:
        raise Unprocessable("ha cannot be disabled once enabled")
    if ha:
        changes["ha"] = True
        changes["ipv4"] = ""
    changes["settings"] = specs.settings(body, cluster.settings)
    try:
        store.change(connection, cluster.id, **changes)
    except Duplicate as exc:
        raise Unprocessable(f"a cluster with this name already exists: {name!r}") from exc
    if new_tags is not None:
        tags.replace(connection, account_id, CLUSTER_TAGS, cluster.id, new_tags, now)
    return get(connection, account_id, cluster_id)


def delete(connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str) -> None:
    cluster = get(connection, account_id, cluster_id)
    transitions.cancel_cluster(connection, lifecycle, cluster.id)
    pool_ids = [pool.id for pool in store.pools_of(connection, [cluster.id])]
    tags.untag(connection, POOL_TAGS, pool_ids)
    tags.untag(connection, CLUSTER_TAGS, [cluster.id])
    store.delete(connection, cluster.id)


def _associated(
    connection: Connection, cluster: Row[Any], made: Sequence[ClusterResources]
) -> list[tuple[str, str, str, ClusterResources | None]]:
    """(key, id, name, the kind's hook) of what the cluster is associated with: what its
    workloads made (tagged `k8s:<cluster-id>`), then what was seeded."""
    tag = f"k8s:{cluster.id}"
    found: list[tuple[str, str, str, ClusterResources | None]] = [
        (kind.key, resource_id, name, kind)
        for kind in made
        for resource_id, name in kind.tagged(connection, cluster.account_id, tag)
    ]
    keys = {kind: key for key, kind in ASSOCIATED_KINDS.items()}
    for resource in store.associated(connection, cluster.id):
        found.append((keys[resource.kind], resource.id, resource.name, None))
    return found


def associated(
    connection: Connection, account_id: str, cluster_id: str, made: Sequence[ClusterResources]
) -> dict[str, Any]:
    cluster = get(connection, account_id, cluster_id)
    listing: dict[str, list[dict[str, str]]] = {key: [] for key in ASSOCIATED_KINDS}
    for key, resource_id, name, _ in _associated(connection, cluster, made):
        listing[key].append({"id": resource_id, "name": name})
    return listing


def _destroy_with(
    connection: Connection,
    account_id: str,
    chosen: list[tuple[str, str, str, ClusterResources | None]],
) -> None:
    for _, resource_id, _, kind in chosen:
        if kind is not None:
            kind.destroy(connection, account_id, resource_id)
    store.delete_resources(connection, [r[1] for r in chosen if r[3] is None])


def destroy_selective(
    connection: Connection,
    lifecycle: Lifecycle,
    account_id: str,
    cluster_id: str,
    payload: Any,
    made: Sequence[ClusterResources],
) -> None:
    cluster = get(connection, account_id, cluster_id)
    body = Body(payload)
    known = {(r[0], r[1]): r for r in _associated(connection, cluster, made)}
    chosen = []
    for key in ASSOCIATED_KINDS:
        for resource_id in body.str_list(key) or []:
            if (key, resource_id) not in known:
                raise Unprocessable(f"{key}: {resource_id!r} is not associated with this cluster")
            chosen.append(known[(key, resource_id)])
    _destroy_with(connection, account_id, chosen)
    delete(connection, lifecycle, account_id, cluster.id)


def destroy_dangerous(
    connection: Connection,
    lifecycle: Lifecycle,
    account_id: str,
    cluster_id: str,
    made: Sequence[ClusterResources],
) -> None:
    cluster = get(connection, account_id, cluster_id)
    _destroy_with(connection, account_id, _associated(connection, cluster, made))
    delete(connection, lifecycle, account_id, cluster.id)


def status_messages(
    connection: Connection, account_id: str, cluster_id: str, since: str | None
) -> dict[str, Any]:
    cluster = get(connection, account_id, cluster_id)
    moment = None
    if since:
        try:
            moment = parse_rfc3339(since)
        except ValueError as exc:
            raise Unprocessable("since must be an ISO 8601 timestamp") from exc
    return {
        "messages": [
            {"message": event.message, "timestamp": rfc3339(event.timestamp)}
            for event in store.events(connection, cluster.id, moment)
        ]
    }
