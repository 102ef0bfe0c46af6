"""The objects of every cluster's Kubernetes API, and the log of their changes that watches read.

Each write takes the next resource version from one counter row: the row stays locked until the
transaction commits, so versions are committed in order and a watch reading "everything after
N" never skips a change that commits late (a sequence would not promise that on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Row,
    String,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)

from localocean.areas.kubernetes.store import clusters
from localocean.core.db import next_id
from localocean.core.query import Query, Write
from localocean.core.tables import Json, counters, metadata

RESOURCE_VERSION = "kube_resource_version"


def _cluster_id(primary_key: bool = False) -> Column[str]:
    return Column(
        "cluster_id",
        String(36),
        ForeignKey("clusters.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


# What the API server keeps per cluster beside its objects.
kube_clusters = Table(
    "kube_clusters",
    metadata,
    _cluster_id(primary_key=True),
    # Watches from before this version get 410 Gone: their changes are no longer in the log.
    Column("compacted_version", BigInteger, nullable=False),
    # The DOKS nodes the Node objects were last made from (see nodes.py).
    Column("nodes_seen", String(64), nullable=False),
    Column("next_pod_address", BigInteger, nullable=False),
    Column("next_service_address", BigInteger, nullable=False),
)

kube_objects = Table(
    "kube_objects",
    metadata,
    _cluster_id(primary_key=True),
    Column("api_group", String(253), primary_key=True),
    Column("resource", String(100), primary_key=True),
    Column("namespace", String(63), primary_key=True),
    Column("name", String(253), primary_key=True),
    Column("uid", String(36), nullable=False),
    # The uid of the object's controller (or first owner): garbage collection finds dependents.
    Column("owner_uid", String(36), nullable=True),
    Column("resource_version", BigInteger, nullable=False),
    # What the scheduler reads of every pod, beside the body so that it reads no body: the node
    # it is bound to ("" while pending), whether it holds its node's resources (not finished,
    # not being deleted) and its CPU and memory requests. Null for other kinds.
    Column("node", String(253), nullable=True),
    Column("active", Boolean, nullable=True),
    Column("cpu", Float, nullable=True),
    Column("memory", Float, nullable=True),
    Column("body", Json, nullable=False),
    Index("ix_kube_objects_owner", "cluster_id", "owner_uid"),
    Index(
        "ix_kube_objects_node",
        "cluster_id",
        "api_group",
        "resource",
        "node",
        "active",
        "cpu",
        "memory",
    ),
)

kube_changes = Table(
    "kube_changes",
    metadata,
    Column("resource_version", BigInteger, primary_key=True, autoincrement=False),
    _cluster_id(),
    Column("api_group", String(253), nullable=False),
    Column("resource", String(100), nullable=False),
    Column("namespace", String(63), nullable=False),
    Column("type", String(16), nullable=False),
    Column("body", Json, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_kube_changes_cluster", "cluster_id", "resource_version"),
)

TABLES = (kube_clusters, kube_objects, kube_changes)

# `localocean status`: the Kubernetes objects of each account's clusters.
OBJECTS_PER_ACCOUNT = (
    select(clusters.c.account_id, func.count())
    .select_from(kube_objects.join(clusters, clusters.c.id == kube_objects.c.cluster_id))
    .group_by(clusters.c.account_id)
)

# Changes older than this (LocalOcean's clock) leave the log; kube-apiserver keeps about as much.
CHANGE_RETENTION = 600.0
# The log is compacted every thousand versions, and on the first write a minute (of
# LocalOcean's clock) after this process last did.
COMPACT_EVERY = 1000
COMPACT_SECONDS = 60.0
_last_compaction = [0.0]

_KEY = (
    (kube_objects.c.cluster_id == bindparam("cluster_id"))
    & (kube_objects.c.api_group == bindparam("api_group"))
    & (kube_objects.c.resource == bindparam("resource"))
)
_GET = Query(
    select(kube_objects.c.body).where(
        _KEY,
        kube_objects.c.namespace == bindparam("namespace"),
        kube_objects.c.name == bindparam("name"),
    )
)
_ORDER = (kube_objects.c.namespace, kube_objects.c.name)
_LIST_ALL = Query(select(kube_objects.c.body).where(_KEY).order_by(*_ORDER))
_LIST_NAMESPACE = Query(
    select(kube_objects.c.body)
    .where(_KEY, kube_objects.c.namespace == bindparam("namespace"))
    .order_by(*_ORDER)
)
_COUNT = Query(select(func.count()).select_from(kube_objects).where(_KEY))
_INSERT = Write(kube_objects.insert())
# UPDATE statements may not name parameters after the columns they set.
_UPDATE = Write(
    update(kube_objects)
    .where(
        kube_objects.c.cluster_id == bindparam("in_cluster"),
        kube_objects.c.api_group == bindparam("in_group"),
        kube_objects.c.resource == bindparam("in_resource"),
        kube_objects.c.namespace == bindparam("in_namespace"),
        kube_objects.c.name == bindparam("in_name"),
    )
    .values(
        resource_version=bindparam("version"),
        owner_uid=bindparam("owner"),
        node=bindparam("node"),
        active=bindparam("active"),
        cpu=bindparam("cpu"),
        memory=bindparam("memory"),
        body=bindparam("object"),
    )
)
_DELETE = Write(
    delete(kube_objects).where(
        _KEY,
        kube_objects.c.namespace == bindparam("namespace"),
        kube_objects.c.name == bindparam("name"),
    )
)
_DEPENDENTS = Query(
    select(kube_objects.c.api_group, kube_objects.c.resource, kube_objects.c.body).where(
        kube_objects.c.cluster_id == bindparam("cluster_id"),
        kube_objects.c.owner_uid == bindparam("owner_uid"),
    )
)
_IN_NAMESPACE = Query(
    select(kube_objects.c.api_group, kube_objects.c.resource, kube_objects.c.body).where(
        kube_objects.c.cluster_id == bindparam("cluster_id"),
        kube_objects.c.namespace == bindparam("namespace"),
    )
)
_CHANGE = Write(kube_changes.insert())
_CHANGES = Query(
    select(
        kube_changes.c.resource_version,
        kube_changes.c.api_group,
        kube_changes.c.resource,
        kube_changes.c.namespace,
        kube_changes.c.type,
        kube_changes.c.body,
    )
    .where(
        kube_changes.c.cluster_id == bindparam("cluster_id"),
        kube_changes.c.resource_version > bindparam("after"),
    )
    .order_by(kube_changes.c.resource_version)
    .limit(500)
)
_STATE = Query(select(kube_clusters).where(kube_clusters.c.cluster_id == bindparam("cluster_id")))
_ADD_STATE = Write(kube_clusters.insert())
_LATEST = Query(select(counters.c.value).where(counters.c.name == RESOURCE_VERSION))
_BUMP_POD = Write(
    update(kube_clusters)
    .where(kube_clusters.c.cluster_id == bindparam("in_cluster"))
    .values(next_pod_address=kube_clusters.c.next_pod_address + 1)
    .returning(kube_clusters.c.next_pod_address)
)
_BUMP_SERVICE = Write(
    update(kube_clusters)
    .where(kube_clusters.c.cluster_id == bindparam("in_cluster"))
    .values(next_service_address=kube_clusters.c.next_service_address + 1)
    .returning(kube_clusters.c.next_service_address)
)


def state(connection: Connection, cluster_id: str) -> Row[Any] | None:
    return _STATE.first(connection, {"cluster_id": cluster_id})


def add_state(connection: Connection, cluster_id: str) -> None:
    _ADD_STATE.run(
        connection,
        {
            "cluster_id": cluster_id,
            "compacted_version": 0,
            "nodes_seen": "",
            "next_pod_address": 0,
            "next_service_address": 0,
        },
    )


def set_nodes_seen(connection: Connection, cluster_id: str, seen: str) -> None:
    connection.execute(
        update(kube_clusters)
        .where(kube_clusters.c.cluster_id == cluster_id)
        .values(nodes_seen=seen)
    )


def next_pod_address(connection: Connection, cluster_id: str) -> int:
    return int(_BUMP_POD.returned(connection, {"in_cluster": cluster_id}))


def next_service_address(connection: Connection, cluster_id: str) -> int:
    return int(_BUMP_SERVICE.returned(connection, {"in_cluster": cluster_id}))


def get(
    connection: Connection, cluster_id: str, group: str, resource: str, namespace: str, name: str
) -> dict[str, Any] | None:
    row = _GET.first(
        connection,
        {
            "cluster_id": cluster_id,
            "api_group": group,
            "resource": resource,
            "namespace": namespace,
            "name": name,
        },
    )
    return row.body if row is not None else None


def list_objects(
    connection: Connection, cluster_id: str, group: str, resource: str, namespace: str | None
) -> list[dict[str, Any]]:
    """The objects of one resource, in one namespace (or all), ordered by namespace and name as
    kube-apiserver lists them."""
    params = {"cluster_id": cluster_id, "api_group": group, "resource": resource}
    if namespace is None:
        return [row.body for row in _LIST_ALL.all(connection, params)]
    return [row.body for row in _LIST_NAMESPACE.all(connection, {**params, "namespace": namespace})]


_RAW_COLUMNS = (kube_objects.c.namespace, kube_objects.c.name, cast(kube_objects.c.body, Text))
_RAW_ALL = Query(select(*_RAW_COLUMNS).where(_KEY).order_by(*_ORDER))
_RAW_NAMESPACE = Query(
    select(*_RAW_COLUMNS)
    .where(_KEY, kube_objects.c.namespace == bindparam("namespace"))
    .order_by(*_ORDER)
)


def list_json(
    connection: Connection, cluster_id: str, group: str, resource: str, namespace: str | None
) -> list[tuple[str, str, str]]:
    """(namespace, name, the object's JSON text) in list order: a list answered without decoding
    and encoding every object again."""
    params = {"cluster_id": cluster_id, "api_group": group, "resource": resource}
    if namespace is None:
        rows = _RAW_ALL.all(connection, params)
    else:
        rows = _RAW_NAMESPACE.all(connection, {**params, "namespace": namespace})
    return [(row[0], row[1], row[2]) for row in rows]


def count(connection: Connection, cluster_id: str, group: str, resource: str) -> int:
    params = {"cluster_id": cluster_id, "api_group": group, "resource": resource}
    return int(_COUNT.scalar(connection, params))


def dependents(connection: Connection, cluster_id: str, owner_uid: str) -> list[Row[Any]]:
    """(api_group, resource, body) of the objects whose controller is `owner_uid`."""
    return _DEPENDENTS.all(connection, {"cluster_id": cluster_id, "owner_uid": owner_uid})


def in_namespace(connection: Connection, cluster_id: str, namespace: str) -> list[Row[Any]]:
    return _IN_NAMESPACE.all(connection, {"cluster_id": cluster_id, "namespace": namespace})


_NO_PLACEMENT = {"node": None, "active": None, "cpu": None, "memory": None}
# The `node` of a pod the scheduler found no room for: tried again only when room may appear.
UNSCHEDULABLE = "?"


def _placement(group: str, resource: str, body: dict[str, Any]) -> dict[str, Any]:
    if (group, resource) != ("", "pods"):
        return _NO_PLACEMENT
    from localocean.areas.kubeapi import quantity

    spec = body.get("spec") or {}
    cpu, memory = quantity.pod_requests(spec)
    status = body.get("status") or {}
    phase = status.get("phase")
    deleting = bool(body["metadata"].get("deletionTimestamp"))
    node = spec.get("nodeName") or ""
    if not node and any(
        c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable"
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    ):
        node = UNSCHEDULABLE
    return {
        "node": node,
        "active": phase not in ("Succeeded", "Failed") and not deleting,
        "cpu": cpu,
        "memory": memory,
    }


_PODS = (
    (kube_objects.c.cluster_id == bindparam("cluster_id"))
    & (kube_objects.c.api_group == "")
    & (kube_objects.c.resource == "pods")
    & kube_objects.c.active.is_(True)
)
_NODE_USAGE = Query(
    select(
        kube_objects.c.node,
        func.count(),
        func.coalesce(func.sum(kube_objects.c.cpu), 0.0),
        func.coalesce(func.sum(kube_objects.c.memory), 0.0),
    )
    .where(_PODS, kube_objects.c.node.not_in(["", UNSCHEDULABLE]))
    .group_by(kube_objects.c.node)
)
_UNBOUND = Query(select(kube_objects.c.body).where(_PODS, kube_objects.c.node == ""))
# A retry takes the first few thousand: a cluster with more pods than room waits its turn.
_UNBOUND_ALL = Query(
    select(kube_objects.c.body)
    .where(_PODS, kube_objects.c.node.in_(["", UNSCHEDULABLE]))
    .limit(2000)
)


def node_usage(connection: Connection, cluster_id: str) -> dict[str, tuple[int, float, float]]:
    """node -> (pods, CPU requested, memory requested) of the pods holding each node."""
    return {
        row[0]: (int(row[1]), float(row[2]), float(row[3]))
        for row in _NODE_USAGE.all(connection, {"cluster_id": cluster_id})
    }


def unbound_pods(
    connection: Connection, cluster_id: str, retry: bool = False
) -> list[dict[str, Any]]:
    """The pods no node holds yet and the scheduler has not tried; with `retry`, also those
    it found no room for."""
    query = _UNBOUND_ALL if retry else _UNBOUND
    return [row.body for row in query.all(connection, {"cluster_id": cluster_id})]


def _owner(body: dict[str, Any]) -> str | None:
    owners = body.get("metadata", {}).get("ownerReferences") or []
    for owner in owners:
        if owner.get("controller"):
            return str(owner.get("uid"))
    return str(owners[0].get("uid")) if owners else None


def _version(connection: Connection) -> int:
    return next_id(connection, RESOURCE_VERSION, 0)


def _log(
    connection: Connection,
    cluster_id: str,
    version: int,
    group: str,
    resource: str,
    kind: str,
    body: dict[str, Any],
    now: float,
) -> None:
    _CHANGE.run(
        connection,
        {
            "resource_version": version,
            "cluster_id": cluster_id,
            "api_group": group,
            "resource": resource,
            "namespace": body["metadata"].get("namespace", ""),
            "type": kind,
            "body": body,
            "created_at": now,
        },
    )
    if version % COMPACT_EVERY == 0 or now - _last_compaction[0] >= COMPACT_SECONDS:
        _last_compaction[0] = now
        compact(connection, now)


def insert(
    connection: Connection,
    cluster_id: str,
    group: str,
    resource: str,
    body: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    """Store a new object (the caller has checked it does not exist); returns it with its
    resourceVersion."""
    version = _version(connection)
    metadata_ = body["metadata"]
    metadata_["resourceVersion"] = str(version)
    _INSERT.run(
        connection,
        {
            "cluster_id": cluster_id,
            "api_group": group,
            "resource": resource,
            "namespace": metadata_.get("namespace", ""),
            "name": metadata_["name"],
            "uid": metadata_["uid"],
            "owner_uid": _owner(body),
            "resource_version": version,
            **_placement(group, resource, body),
            "body": body,
        },
    )
    _log(connection, cluster_id, version, group, resource, "ADDED", body, now)
    return body


def replace(
    connection: Connection,
    cluster_id: str,
    group: str,
    resource: str,
    body: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    version = _version(connection)
    metadata_ = body["metadata"]
    metadata_["resourceVersion"] = str(version)
    _UPDATE.run(
        connection,
        {
            "in_cluster": cluster_id,
            "in_group": group,
            "in_resource": resource,
            "in_namespace": metadata_.get("namespace", ""),
            "in_name": metadata_["name"],
            "version": version,
            "owner": _owner(body),
            **_placement(group, resource, body),
            "object": body,
        },
    )
    _log(connection, cluster_id, version, group, resource, "MODIFIED", body, now)
    return body


def remove(
    connection: Connection,
    cluster_id: str,
    group: str,
    resource: str,
    body: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    """Delete an object; the DELETED change carries its last state with a new version."""
    version = _version(connection)
    metadata_ = body["metadata"]
    _DELETE.run(
        connection,
        {
            "cluster_id": cluster_id,
            "api_group": group,
            "resource": resource,
            "namespace": metadata_.get("namespace", ""),
            "name": metadata_["name"],
        },
    )
    metadata_["resourceVersion"] = str(version)
    _log(connection, cluster_id, version, group, resource, "DELETED", body, now)
    return body


def latest_version(connection: Connection) -> int:
    """The newest resource version given out (what a list is "as of")."""
    return int(_LATEST.scalar(connection) or 0)


def changes_after(connection: Connection, cluster_id: str, after: int) -> list[Row[Any]]:
    """Up to 500 changes of the cluster after version `after`, oldest first."""
    return _CHANGES.all(connection, {"cluster_id": cluster_id, "after": after})


def compact(connection: Connection, now: float) -> None:
    """Forget changes older than the retention: each cluster remembers the newest version it
    forgot, so a watch from before it gets 410 Gone."""
    cutoff = now - CHANGE_RETENTION
    forgotten = (
        select(kube_changes.c.cluster_id, func.max(kube_changes.c.resource_version))
        .where(kube_changes.c.created_at < cutoff)
        .group_by(kube_changes.c.cluster_id)
    )
    for cluster_id, version in connection.execute(forgotten).all():
        connection.execute(
            update(kube_clusters)
            .where(kube_clusters.c.cluster_id == cluster_id)
            .values(compacted_version=version)
        )
    connection.execute(delete(kube_changes).where(kube_changes.c.created_at < cutoff))


def remove_cluster_objects(connection: Connection, cluster_ids: Iterable[str]) -> None:
    ids = list(cluster_ids)
    if not ids:
        return
    for table in (kube_changes, kube_objects, kube_clusters):
        connection.execute(delete(table).where(table.c.cluster_id.in_(ids)))
