"""DigitalOcean Kubernetes: clusters, node pools and nodes, access, upgrades, registry
integration, clusterlint, status messages and associated resources.

Every state change goes through the lifecycle engine: clusters are `provisioning` then
`running` (or `upgrading` then `running`), nodes `provisioning` then `running`, or `draining`/
`deleting` before they go. Only the cluster states godo can decode are ever produced.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import secrets
import string
import uuid
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError

from localocean.domain import kubernetes_catalog as catalog
from localocean.domain import regions, vpcs
from localocean.domain import tags as tag_rules
from localocean.domain.validation import Body
from localocean.errors import NotFound, Unprocessable
from localocean.lifecycle.clock import parse_rfc3339, rfc3339
from localocean.lifecycle.engine import Engine, on
from localocean.store import accounts as account_store
from localocean.store import kubernetes as store
from localocean.store import vpcs as vpc_store

DEFAULT_TOKEN_LIFETIME = 7 * 24 * 3600
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
DAYS = ("any", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EXPANDERS = ("random", "priority", "least_waste")
PLUGINS = (
    "routing_agent", "p2p_oci_registry_plugin", "amd_gpu_device_plugin",
    "amd_gpu_device_metrics_exporter_plugin", "nvidia_gpu_device_plugin",
    "rdma_shared_dev_plugin", "coredns_autoscaler",
)  # fmt: skip
SETTINGS = ("control_plane_firewall", "cluster_autoscaler_configuration", "sso", *PLUGINS)
START_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
DURATION = re.compile(r"(\d+h)?(\d+m)?(\d+(\.\d+)?s)?")
DEFAULT_SUBNETS = ("10.244.0.0/16", "10.245.0.0/16")
NODE_NAME_ALPHABET = string.ascii_lowercase + string.digits
ASSOCIATED_KINDS = {"load_balancers": "load_balancer", "volumes": "volume",
                    "volume_snapshots": "volume_snapshot"}  # fmt: skip


def _auto_cluster_tags(cluster_id: str) -> list[str]:
    return ["k8s", f"k8s:{cluster_id}"]


def _auto_pool_tags(cluster_id: str) -> list[str]:
    return ["k8s", f"k8s:{cluster_id}", "k8s:worker"]


def _is_auto_tag(tag: str) -> bool:
    """Tags DigitalOcean adds itself; given back by clients, they are not stored twice."""
    return tag in ("k8s", "k8s-worker") or tag.startswith("k8s:")


def _user_tags(body: Body, field: str = "tags") -> list[str] | None:
    values = body.str_list(field)
    if values is None:
        return None
    for tag in values:
        if not tag_rules.valid_name(tag):
            raise Unprocessable(f"{field}: {tag!r} is not a valid tag name")
    return [tag for tag in dict.fromkeys(values) if not _is_auto_tag(tag)]


# Validation of the nested blocks


def _object(body: Body, field: str) -> Body | None:
    if not body.has(field):
        return None
    value = body.data[field]
    if not isinstance(value, dict):
        raise Unprocessable(f"{field} must be an object")
    return Body(value)


def _maintenance(body: Body, current: dict[str, Any] | None = None) -> dict[str, Any]:
    policy = dict(current or {"start_time": "00:00", "day": "any"})
    block = _object(body, "maintenance_policy")
    if block is not None:
        start = block.str("start_time")
        if start is not None:
            if not START_TIME.fullmatch(start):
                raise Unprocessable("maintenance_policy.start_time must be HH:MM (UTC)")
            policy["start_time"] = start
        day = block.str("day")
        if day is not None:
            if day not in DAYS:
                raise Unprocessable(f"maintenance_policy.day must be one of {', '.join(DAYS)}")
            policy["day"] = day
    return policy


def _plugin(block: Body) -> dict[str, Any]:
    enabled = block.bool("enabled")
    return {"enabled": bool(enabled)}


def _firewall(block: Body) -> dict[str, Any]:
    addresses = block.str_list("allowed_addresses") or []
    for address in addresses:
        try:
            network = ipaddress.ip_network(address, strict=False)
        except ValueError as exc:
            raise Unprocessable(
                f"control_plane_firewall.allowed_addresses: {address!r} is not an IPv4 address "
                "or CIDR"
            ) from exc
        if network.version != 4:
            raise Unprocessable("control_plane_firewall.allowed_addresses must be IPv4")
    return {"enabled": bool(block.bool("enabled")), "allowed_addresses": addresses}


def _autoscaler(block: Body) -> dict[str, Any]:
    config: dict[str, Any] = {}
    threshold = block.data.get("scale_down_utilization_threshold")
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise Unprocessable("scale_down_utilization_threshold must be a number")
        if not 0 <= threshold <= 1:
            raise Unprocessable("scale_down_utilization_threshold must be between 0 and 1")
        config["scale_down_utilization_threshold"] = threshold
    unneeded = block.str("scale_down_unneeded_time")
    if unneeded is not None:
        if not unneeded or not DURATION.fullmatch(unneeded):
            raise Unprocessable("scale_down_unneeded_time must be a duration such as 1m0s")
        config["scale_down_unneeded_time"] = unneeded
    expanders = block.str_list("expanders")
    if expanders is not None:
        unknown = [e for e in expanders if e not in EXPANDERS]
        if unknown:
            raise Unprocessable(f"expanders must be among {', '.join(EXPANDERS)}")
        config["expanders"] = expanders
    return config


def _sso(block: Body) -> dict[str, Any]:
    enabled = bool(block.bool("enabled"))
    required = bool(block.bool("required"))
    if required and not enabled:
        raise Unprocessable("sso.required can only be true when sso.enabled is true")
    sso: dict[str, Any] = {"enabled": enabled, "required": required}
    issuer = block.str("issuer_url")
    client = block.str("client_id")
    if enabled and not (issuer and client):
        raise Unprocessable("sso.issuer_url and sso.client_id are required when sso is enabled")
    if issuer:
        if not issuer.startswith("https://"):
            raise Unprocessable("sso.issuer_url must be an https URL")
        sso["issuer_url"] = issuer
    if client:
        sso["client_id"] = client
    return sso


def _settings(body: Body, current: dict[str, Any]) -> dict[str, Any]:
    settings = dict(current)
    parsers = {
        "control_plane_firewall": _firewall,
        "cluster_autoscaler_configuration": _autoscaler,
        "sso": _sso,
    }
    for field in SETTINGS:
        block = _object(body, field)
        if block is not None:
            parser = parsers.get(field)
            settings[field] = parser(block) if parser else _plugin(block)
    return settings


def _labels(body: Body, field: str = "labels") -> dict[str, str] | None:
    if not body.has(field):
        return None
    labels = body.data[field]
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in labels.items()
    ):
        raise Unprocessable(f"{field} must be an object of string keys and string values")
    return labels


def _taints(body: Body) -> list[dict[str, str]] | None:
    values = body.list("taints")
    if values is None:
        return None
    taints = []
    for index, item in enumerate(values):
        if not isinstance(item, dict):
            raise Unprocessable(f"taints[{index}] must be an object")
        key, value, effect = item.get("key"), item.get("value", ""), item.get("effect")
        if not isinstance(key, str) or not key:
            raise Unprocessable(f"taints[{index}].key is required")
        if value is not None and not isinstance(value, str):
            raise Unprocessable(f"taints[{index}].value must be a string")
        if effect not in TAINT_EFFECTS:
            raise Unprocessable(f"taints[{index}].effect must be one of {', '.join(TAINT_EFFECTS)}")
        taints.append({"key": key, "value": value or "", "effect": effect})
    return taints


def _scaling(body: Body, count: int, current: Row[Any] | None = None) -> tuple[bool, int, int]:
    auto_scale = body.bool("auto_scale")
    if auto_scale is None:
        auto_scale = bool(current.auto_scale) if current is not None else False
    if not auto_scale:
        if count < 1:
            raise Unprocessable("count must be at least 1 unless the pool auto-scales from 0")
        return False, 0, 0
    min_nodes = body.int("min_nodes", minimum=0)
    max_nodes = body.int("max_nodes", minimum=1)
    min_nodes = min_nodes if min_nodes is not None else (current.min_nodes if current else count)
    max_nodes = max_nodes if max_nodes is not None else (current.max_nodes if current else count)
    if min_nodes > max_nodes:
        raise Unprocessable("min_nodes must not be greater than max_nodes")
    if not min_nodes <= count <= max_nodes:
        raise Unprocessable("count must be between min_nodes and max_nodes when auto_scale is on")
    if max_nodes < 1:
        raise Unprocessable("max_nodes must be at least 1")
    return True, min_nodes, max_nodes


def _pool_spec(payload: Any, where: str = "") -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Unprocessable(f"{where or 'node pool'} must be an object")
    body = Body(payload)
    prefix = f"{where}." if where else ""
    try:
        name = body.str("name", required=True, max_length=255)
        size = body.str("size", required=True)
        count = body.int("count", required=True, minimum=0, maximum=1000)
    except Unprocessable as exc:
        raise Unprocessable(prefix + exc.message) from exc
    if size not in catalog.NODE_SIZES:
        raise Unprocessable(f"{prefix}size {size!r} is not a Kubernetes node size")
    auto_scale, min_nodes, max_nodes = _scaling(body, count or 0)
    return {
        "name": name,
        "size": size,
        "count": count,
        "tags": _user_tags(body) or [],
        "labels": _labels(body),
        "taints": _taints(body) or [],
        "auto_scale": auto_scale,
        "min_nodes": min_nodes,
        "max_nodes": max_nodes,
    }


def _subnet(body: Body, field: str, max_prefix: int) -> ipaddress.IPv4Network | None:
    text = body.str(field)
    if text is None:
        return None
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise Unprocessable(f"{field} {text!r} is not a valid CIDR network") from exc
    if not isinstance(network, ipaddress.IPv4Network) or not any(
        network.subnet_of(private) for private in vpcs.PRIVATE_NETWORKS
    ):
        raise Unprocessable(f"{field} must be within a private range (RFC 1918)")
    if network.prefixlen > max_prefix:
        raise Unprocessable(f"{field} must be /{max_prefix} or larger")
    return network


def _subnets(body: Body, vpc: Row[Any]) -> tuple[str, str]:
    vpc_range = ipaddress.ip_network(vpc.ip_range)
    chosen: list[ipaddress.IPv4Network] = []
    for field, default, max_prefix in (
        ("cluster_subnet", DEFAULT_SUBNETS[0], 20),
        ("service_subnet", DEFAULT_SUBNETS[1], 24),
    ):
        given = _subnet(body, field, max_prefix)
        if given is not None:
            if given.overlaps(vpc_range) or any(given.overlaps(c) for c in chosen):
                raise Unprocessable(f"{field} overlaps the VPC or the other cluster subnet")
            chosen.append(given)
            continue
        candidate = ipaddress.ip_network(default)
        while candidate.overlaps(vpc_range) or any(candidate.overlaps(c) for c in chosen):
            candidate = ipaddress.ip_network((int(candidate.network_address) + (1 << 16), 16))
        chosen.append(candidate)
    return str(chosen[0]), str(chosen[1])


# Creating clusters and pools


def _ca_certificate(cluster_id: str, now: float) -> str:
    """A real CA certificate for the cluster (EC P-256), valid ten years; its key is not kept:
    LocalOcean signs nothing with it."""
    import datetime

    from cryptography.hazmat.primitives import serialization

    from localocean.tls import self_signed_ca

    start = datetime.datetime.fromtimestamp(now, datetime.UTC)
    _, certificate = self_signed_ca("DigitalOcean", f"k8saas Cluster CA {cluster_id[:8]}", start)
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _add_pool(
    connection: Connection, cluster_id: str, spec: dict[str, Any], now: float
) -> tuple[str, list[str]]:
    pool_id = str(uuid.uuid4())
    try:
        with connection.begin_nested():
            store.add_pool(
                connection, id=pool_id, cluster_id=cluster_id, name=spec["name"],
                size=spec["size"], count=spec["count"], tags=json.dumps(spec["tags"]),
                labels=json.dumps(spec["labels"]) if spec["labels"] is not None else None,
                taints=json.dumps(spec["taints"]), auto_scale=spec["auto_scale"],
                min_nodes=spec["min_nodes"], max_nodes=spec["max_nodes"], created_at=now,
            )  # fmt: skip
    except IntegrityError as exc:
        raise Unprocessable(f"a node pool named {spec['name']!r} already exists") from exc
    return pool_id, [_add_node(connection, pool_id, now) for _ in range(spec["count"])]


def _add_node(connection: Connection, pool_id: str, now: float) -> str:
    node_id = str(uuid.uuid4())
    store.add_node(
        connection, id=node_id, pool_id=pool_id, name="", droplet_id="", state="provisioning",
        created_at=now, updated_at=now,
    )  # fmt: skip
    return node_id


def _provision_nodes(connection: Connection, engine: Engine, node_ids: list[str]) -> None:
    for node_id in node_ids:
        engine.schedule(connection, "node.provision", "node", node_id, "running")


def create(connection: Connection, engine: Engine, account_id: str, payload: Any, now: float):
    body = Body(payload)
    name = body.str("name", required=True, max_length=255)
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
    pools = [_pool_spec(p, f"node_pools[{i}]") for i, p in enumerate(pool_payloads)]
    if len({p["name"] for p in pools}) != len(pools):
        raise Unprocessable("node pool names must be unique within the cluster")
    if sum(p["count"] for p in pools) < 1:
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
    cluster_subnet, service_subnet = _subnets(body, vpc)
    ha = body.bool("ha")
    cluster_id = str(uuid.uuid4())
    store.add(
        connection,
        id=cluster_id, account_id=account_id, name=name, region=region, version=version,
        cluster_subnet=cluster_subnet, service_subnet=service_subnet, vpc_uuid=vpc.id,
        worker_subnet_uuid=worker_subnet, ipv4="", state="provisioning",
        status_message="provisioning", tags=json.dumps(_user_tags(body) or []),
        ha=catalog.ha_default(version) if ha is None else ha,
        auto_upgrade=bool(body.bool("auto_upgrade")),
        surge_upgrade=bool(body.bool("surge_upgrade")),
        isolated_workers=bool(body.bool("isolated_workers")),
        maintenance=json.dumps(_maintenance(body)), settings=json.dumps(_settings(body, {})),
        registry_enabled=False, registries="[]",
        ca_certificate=_ca_certificate(cluster_id, now), created_at=now, updated_at=now,
    )  # fmt: skip
    for spec in pools:
        _add_pool(connection, cluster_id, spec, now)
    store.add_event(connection, cluster_id, f"Provisioning cluster {name} ({version})", now)
    engine.schedule(connection, "cluster.provision", "cluster", cluster_id, "running")
    return get(connection, account_id, cluster_id)


def get(connection: Connection, account_id: str, cluster_id: str) -> Row[Any]:
    cluster = store.get(connection, account_id, cluster_id)
    if cluster is None:
        raise NotFound()
    return cluster


# Rendering


def _render_node(node: Row[Any]) -> dict[str, Any]:
    return {
        "id": node.id,
        "name": node.name,
        "status": {"state": node.state},
        "droplet_id": node.droplet_id,
        "created_at": rfc3339(node.created_at),
        "updated_at": rfc3339(node.updated_at),
    }


def _render_pool(pool: Row[Any], pool_nodes: list[Row[Any]]) -> dict[str, Any]:
    return {
        "id": pool.id,
        "name": pool.name,
        "size": pool.size,
        "count": pool.count,
        "tags": json.loads(pool.tags) + _auto_pool_tags(pool.cluster_id),
        "labels": json.loads(pool.labels) if pool.labels is not None else None,
        "taints": json.loads(pool.taints),
        "auto_scale": pool.auto_scale,
        "min_nodes": pool.min_nodes,
        "max_nodes": pool.max_nodes,
        "nodes": [_render_node(node) for node in pool_nodes],
    }


def render_pools(connection: Connection, pools: list[Row[Any]]) -> list[dict[str, Any]]:
    """Pools with their nodes: one query for the nodes of all of them."""
    by_pool: dict[str, list[Row[Any]]] = {pool.id: [] for pool in pools}
    for node in store.nodes_of(connection, list(by_pool)):
        by_pool[node.pool_id].append(node)
    return [_render_pool(pool, by_pool[pool.id]) for pool in pools]


def _settings_view(settings: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "control_plane_firewall": {"enabled": False, "allowed_addresses": []},
        "cluster_autoscaler_configuration": {
            "scale_down_utilization_threshold": 0.5,
            "scale_down_unneeded_time": "10m0s",
        },
        "sso": {"enabled": False, "required": False},
        **{plugin: {"enabled": False} for plugin in PLUGINS},
    }
    for field, value in settings.items():
        if field == "cluster_autoscaler_configuration":
            view[field] = {**view[field], **value}
        else:
            view[field] = value
    return view


def render_many(connection: Connection, clusters: list[Row[Any]]) -> list[dict[str, Any]]:
    """Clusters with pools and nodes, in three queries for any number of clusters."""
    pools = store.pools_of(connection, [c.id for c in clusters])
    rendered = dict(zip((p.id for p in pools), render_pools(connection, pools), strict=True))
    by_cluster: dict[str, list[dict[str, Any]]] = {c.id: [] for c in clusters}
    for pool in pools:
        by_cluster[pool.cluster_id].append(rendered[pool.id])
    return [_render(cluster, by_cluster[cluster.id]) for cluster in clusters]


def render_one(connection: Connection, cluster: Row[Any]) -> dict[str, Any]:
    return render_many(connection, [cluster])[0]


def _render(cluster: Row[Any], pools: list[dict[str, Any]]) -> dict[str, Any]:
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
        "tags": _auto_cluster_tags(cluster.id) + json.loads(cluster.tags),
        "node_pools": pools,
        "maintenance_policy": {**json.loads(cluster.maintenance), "duration": "4h0m0s"},
        "auto_upgrade": cluster.auto_upgrade,
        "status": {"state": cluster.state, "message": cluster.status_message},
        "created_at": rfc3339(cluster.created_at),
        "updated_at": rfc3339(cluster.updated_at),
        "surge_upgrade": cluster.surge_upgrade,
        "registry_enabled": cluster.registry_enabled or bool(json.loads(cluster.registries)),
        "registries": json.loads(cluster.registries),
        "ha": cluster.ha,
        "isolated_workers": cluster.isolated_workers,
        **_settings_view(json.loads(cluster.settings)),
    }
    if cluster.worker_subnet_uuid:
        view["worker_subnet_uuid"] = cluster.worker_subnet_uuid
    return view


# Changing and deleting clusters


def update(connection: Connection, account_id: str, cluster_id: str, payload: Any, now: float):
    cluster = get(connection, account_id, cluster_id)
    body = Body(payload)
    name = body.str("name", required=True, max_length=255)
    changes: dict[str, Any] = {"updated_at": now}
    if name != cluster.name:
        other = store.named(connection, account_id, name)
        if other is not None and other.id != cluster.id:
            raise Unprocessable(f"a cluster with this name already exists: {name!r}")
        changes["name"] = name
    tags = _user_tags(body)
    if tags is not None:
        changes["tags"] = json.dumps(tags)
    if body.has("maintenance_policy"):
        changes["maintenance"] = json.dumps(_maintenance(body, json.loads(cluster.maintenance)))
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
    changes["settings"] = json.dumps(_settings(body, json.loads(cluster.settings)))
    try:
        with connection.begin_nested():
            store.change(connection, cluster.id, **changes)
    except IntegrityError as exc:
        raise Unprocessable(f"a cluster with this name already exists: {name!r}") from exc
    return get(connection, account_id, cluster_id)


def delete(connection: Connection, engine: Engine, account_id: str, cluster_id: str) -> None:
    cluster = get(connection, account_id, cluster_id)
    engine.cancel(connection, "cluster", cluster.id)
    store.delete(connection, cluster.id)


def associated(connection: Connection, account_id: str, cluster_id: str) -> dict[str, Any]:
    cluster = get(connection, account_id, cluster_id)
    listing: dict[str, list[dict[str, str]]] = {key: [] for key in ASSOCIATED_KINDS}
    kinds = {kind: key for key, kind in ASSOCIATED_KINDS.items()}
    for resource in store.associated(connection, cluster.id):
        listing[kinds[resource.kind]].append({"id": resource.id, "name": resource.name})
    return listing


def destroy_selective(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, payload: Any
) -> None:
    cluster = get(connection, account_id, cluster_id)
    body = Body(payload)
    known = {(r.kind, r.id) for r in store.associated(connection, cluster.id)}
    chosen = []
    for key, kind in ASSOCIATED_KINDS.items():
        for resource_id in body.str_list(key) or []:
            if (kind, resource_id) not in known:
                raise Unprocessable(f"{key}: {resource_id!r} is not associated with this cluster")
            chosen.append(resource_id)
    store.delete_resources(connection, chosen)
    delete(connection, engine, account_id, cluster.id)


def destroy_dangerous(connection: Connection, engine: Engine, account_id: str, cluster_id: str):
    cluster = get(connection, account_id, cluster_id)
    store.delete_resources(connection, [r.id for r in store.associated(connection, cluster.id)])
    delete(connection, engine, account_id, cluster.id)


vpcs.MEMBER_COUNTERS.append(store.in_vpc)


# Node pools and nodes


def pool(connection: Connection, account_id: str, cluster_id: str, pool_id: str) -> Row[Any]:
    cluster = get(connection, account_id, cluster_id)
    found = store.pool(connection, cluster.id, pool_id)
    if found is None:
        raise NotFound()
    return found


def add_pool(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, payload: Any,
    now: float,
) -> Row[Any]:  # fmt: skip
    cluster = get(connection, account_id, cluster_id)
    spec = _pool_spec(payload)
    pool_id, node_ids = _add_pool(connection, cluster.id, spec, now)
    _provision_nodes(connection, engine, node_ids)
    store.add_event(connection, cluster.id, f"Adding node pool {spec['name']}", now)
    return pool(connection, account_id, cluster_id, pool_id)


def update_pool(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, pool_id: str,
    payload: Any, now: float,
) -> Row[Any]:  # fmt: skip
    current = pool(connection, account_id, cluster_id, pool_id)
    body = Body(payload)
    name = body.str("name", required=True, max_length=255)
    count = body.int("count", required=True, minimum=0, maximum=1000) or 0
    auto_scale, min_nodes, max_nodes = _scaling(body, count, current)
    changes: dict[str, Any] = {
        "name": name, "count": count, "auto_scale": auto_scale, "min_nodes": min_nodes,
        "max_nodes": max_nodes,
    }  # fmt: skip
    tags = _user_tags(body)
    if tags is not None:
        changes["tags"] = json.dumps(tags)
    if body.has("labels"):
        changes["labels"] = json.dumps(_labels(body))
    taints = _taints(body)
    if taints is not None:
        changes["taints"] = json.dumps(taints)
    try:
        with connection.begin_nested():
            store.change_pool(connection, current.id, **changes)
    except IntegrityError as exc:
        raise Unprocessable(f"a node pool named {name!r} already exists") from exc
    _resize(connection, engine, current.id, count, now)
    return pool(connection, account_id, cluster_id, pool_id)


def _resize(connection: Connection, engine: Engine, pool_id: str, count: int, now: float) -> None:
    """Add provisioning nodes, or remove the newest ones, until the pool has `count` nodes."""
    present = [n for n in store.nodes_of(connection, [pool_id]) if n.state != "deleting"]
    if len(present) < count:
        added = [_add_node(connection, pool_id, now) for _ in range(count - len(present))]
        _provision_nodes(connection, engine, added)
    for node in reversed(present[count:]):
        engine.cancel(connection, "node", node.id)
        store.delete_node(connection, node.id)


def delete_pool(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, pool_id: str,
    now: float,
) -> None:  # fmt: skip
    current = pool(connection, account_id, cluster_id, pool_id)
    if len(store.pools_of(connection, [current.cluster_id])) == 1:
        raise Unprocessable("a cluster needs at least one node pool: delete the cluster instead")
    for node in store.nodes_of(connection, [current.id]):
        engine.cancel(connection, "node", node.id)
    store.delete_pool(connection, current.id)
    store.add_event(connection, current.cluster_id, f"Deleted node pool {current.name}", now)


def _flag(query: Any, name: str) -> bool:
    value = query.get(name, "0")
    if value not in ("0", "1", "true", "false"):
        raise Unprocessable(f"{name} must be 0 or 1")
    return value in ("1", "true")


def delete_node(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, pool_id: str,
    node_id: str, query: Any, now: float,
) -> None:  # fmt: skip
    current = pool(connection, account_id, cluster_id, pool_id)
    node = store.node(connection, current.id, node_id)
    if node is None:
        raise NotFound()
    skip_drain, replace = _flag(query, "skip_drain"), _flag(query, "replace")
    _retire(connection, engine, node, skip_drain, now)
    if replace:
        _provision_nodes(connection, engine, [_add_node(connection, current.id, now)])
    else:
        store.change_pool(connection, current.id, count=max(0, current.count - 1))


def _retire(connection: Connection, engine: Engine, node: Row[Any], skip_drain: bool, now: float):
    if node.state in ("draining", "deleting"):
        return
    engine.cancel(connection, "node", node.id)
    store.change_node(connection, node.id, state="deleting" if skip_drain else "draining",
                      updated_at=now)  # fmt: skip
    engine.schedule(connection, "node.delete", "node", node.id, "deleted")


def recycle(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, pool_id: str,
    payload: Any, now: float,
) -> None:  # fmt: skip
    current = pool(connection, account_id, cluster_id, pool_id)
    node_ids = Body(payload).str_list("nodes", required=True) or []
    found = [store.node(connection, current.id, node_id) for node_id in node_ids]
    if not node_ids or any(node is None for node in found):
        raise NotFound("every node to recycle must be a node of this pool")
    for node in found:
        assert node is not None
        _retire(connection, engine, node, False, now)
        _provision_nodes(connection, engine, [_add_node(connection, current.id, now)])


# Transitions


def _node_identity(pool_row: Row[Any]) -> dict[str, str]:
    """DOKS-style node name (`<pool>-<5 characters>`) and a Droplet id, as a string."""
    suffix = "".join(secrets.choice(NODE_NAME_ALPHABET) for _ in range(5))
    droplet_id = 10**8 + secrets.randbelow(9 * 10**8)
    return {"name": f"{pool_row.name}-{suffix}", "droplet_id": str(droplet_id)}


def _bring_up(connection: Connection, node: Row[Any], at: float) -> None:
    pool_row = store.pool_by_id(connection, node.pool_id)
    if pool_row is not None and node.state == "provisioning":
        store.change_node(connection, node.id, state="running", updated_at=at,
                          **_node_identity(pool_row))  # fmt: skip


@on("cluster.provision")
def _provisioned(connection: Connection, transition: Row[Any], _payload: dict) -> None:
    provision(connection, transition.resource_id, transition.due_at)


def provision(connection: Connection, cluster_id: str, at: float) -> None:
    """Bring a provisioning cluster and its nodes to running (what the transition does)."""
    cluster = store.get_any(connection, cluster_id)
    if cluster is None or cluster.state != "provisioning":
        return
    ipv4 = "" if cluster.ha else f"164.92.{secrets.randbelow(254) + 1}.{secrets.randbelow(254) + 1}"
    store.change(connection, cluster.id, state="running", status_message="", ipv4=ipv4,
                 updated_at=at)  # fmt: skip
    pools = store.pools_of(connection, [cluster.id])
    for node in store.nodes_of(connection, [p.id for p in pools]):
        _bring_up(connection, node, at)
    store.add_event(connection, cluster.id, "Cluster is running", at)


@on("node.provision")
def _node_provisioned(connection: Connection, transition: Row[Any], _payload: dict) -> None:
    node = store.node_by_id(connection, transition.resource_id)
    if node is not None:
        _bring_up(connection, node, transition.due_at)


@on("node.delete")
def _node_deleted(connection: Connection, transition: Row[Any], _payload: dict) -> None:
    store.delete_node(connection, transition.resource_id)


# Access


def _token(expiry_seconds: int, now: float) -> tuple[str, float]:
    lifetime = expiry_seconds or DEFAULT_TOKEN_LIFETIME
    return f"doks_{secrets.token_hex(32)}", now + lifetime


def _expiry(query: Any) -> int:
    text = query.get("expiry_seconds", "0") or "0"
    if not text.isdigit():
        raise Unprocessable("expiry_seconds must be an integer of 0 or more")
    return int(text)


def credentials(
    connection: Connection, account_id: str, cluster_id: str, query: Any, now: float
) -> dict[str, Any]:
    cluster = get(connection, account_id, cluster_id)
    token, expires = _token(_expiry(query), now)
    return {
        "server": f"https://{cluster.id}.k8s.ondigitalocean.com",
        "certificate_authority_data": base64.b64encode(cluster.ca_certificate.encode()).decode(),
        "client_certificate_data": None,
        "client_key_data": None,
        "token": token,
        "expires_at": rfc3339(expires),
    }


def kubeconfig(
    connection: Connection, account_id: str, cluster_id: str, query: Any, now: float
) -> str:
    import yaml

    cluster = get(connection, account_id, cluster_id)
    sso_enabled = bool(json.loads(cluster.settings).get("sso", {}).get("enabled"))
    kind = query.get("type") or ("sso" if sso_enabled else "token")
    if kind not in ("token", "sso"):
        raise Unprocessable("type must be token or sso")
    if kind == "sso" and not sso_enabled:
        raise Unprocessable("SSO is not enabled for this cluster")
    access = credentials(connection, account_id, cluster_id, query, now)
    name = f"do-{cluster.region}-{cluster.name}"
    user_name = f"{name}-admin"
    if kind == "sso":
        user: dict[str, Any] = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "doctl",
                "args": [
                    "kubernetes",
                    "cluster",
                    "kubeconfig",
                    "exec-credential",
                    "--version=v1beta1",
                    "--sso",
                    cluster.id,
                ],
                "interactiveMode": "IfAvailable",
            }
        }
    else:
        user = {"token": access["token"]}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "cluster": {
                    "certificate-authority-data": access["certificate_authority_data"],
                    "server": access["server"],
                },
                "name": name,
            }
        ],
        "contexts": [{"context": {"cluster": name, "user": user_name}, "name": name}],
        "current-context": name,
        "preferences": {},
        "users": [{"name": user_name, "user": user}],
    }
    return yaml.safe_dump(config, sort_keys=False)


def user(connection: Connection, account_id: str, cluster_id: str) -> dict[str, Any]:
    get(connection, account_id, cluster_id)
    account = account_store.get(connection, account_id)
    email = account.email if account is not None else ""
    return {"kubernetes_cluster_user": {"username": email, "groups": ["k8saas:authenticated"]}}


# Upgrades


def upgrades(connection: Connection, account_id: str, cluster_id: str) -> dict[str, Any]:
    cluster = get(connection, account_id, cluster_id)
    newer = catalog.upgrades(cluster.version)
    return {"available_upgrade_versions": [catalog.render_version(v) for v in newer] or None}


def upgrade(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, payload: Any,
    now: float,
) -> None:  # fmt: skip
    cluster = get(connection, account_id, cluster_id)
    requested = Body(payload).str("version", required=True) or ""
    version = catalog.resolve(requested)
    if version is None or version not in catalog.upgrades(cluster.version):
        raise Unprocessable(
            f"{requested!r} is not an available upgrade for version {cluster.version}"
        )
    if cluster.state != "running":
        raise Unprocessable(f"the cluster is {cluster.state}; it can be upgraded when running")
    store.change(connection, cluster.id, state="upgrading", status_message="upgrading",
                 updated_at=now)  # fmt: skip
    store.add_event(connection, cluster.id, f"Upgrading from {cluster.version} to {version}", now)
    engine.schedule(connection, "cluster.upgrade", "cluster", cluster.id, "running",
                    {"version": version})  # fmt: skip


@on("cluster.upgrade")
def _upgraded(connection: Connection, transition: Row[Any], payload: dict) -> None:
    cluster = store.get_any(connection, transition.resource_id)
    if cluster is None or cluster.state != "upgrading":
        return
    store.change(connection, cluster.id, state="running", status_message="",
                 version=payload["version"], updated_at=transition.due_at)  # fmt: skip
    store.add_event(connection, cluster.id, f"Upgraded to {payload['version']}", transition.due_at)


# Registry integration


def _cluster_ids(connection: Connection, account_id: str, body: Body) -> list[str]:
    ids = body.str_list("cluster_uuids", required=True) or []
    if not ids:
        raise Unprocessable("cluster_uuids must name at least one cluster")
    for cluster_id in ids:
        get(connection, account_id, cluster_id)
    return ids


def set_registry(connection: Connection, account_id: str, payload: Any, enabled: bool, now: float):
    for cluster_id in _cluster_ids(connection, account_id, Body(payload)):
        store.change(connection, cluster_id, registry_enabled=enabled, updated_at=now)


def set_registries(
    connection: Connection, account_id: str, payload: Any, add: bool, now: float
) -> None:
    body = Body(payload)
    names = body.str_list("registries", required=True) or []
    if not names or not all(names):
        raise Unprocessable("registries must name at least one registry")
    for cluster_id in _cluster_ids(connection, account_id, body):
        current = json.loads(get(connection, account_id, cluster_id).registries)
        if add:
            current += [n for n in names if n not in current]
        else:
            current = [n for n in current if n not in names]
        store.change(connection, cluster_id, registries=json.dumps(current), updated_at=now)


# Clusterlint: checks computed from what LocalOcean knows of the cluster


def _diagnostics(connection: Connection, cluster: Row[Any], request: dict) -> list[dict]:
    pools = store.pools_of(connection, [cluster.id])
    nodes = sum(p.count for p in pools)
    obj = {"name": cluster.name, "kind": "cluster", "namespace": ""}
    findings = [
        ("doks", "single-node-cluster", "warning", nodes == 1,
         "The cluster has a single node: a node failure or upgrade takes every workload down."),
        ("doks", "ha-control-plane", "suggestion", not cluster.ha,
         "The control plane is not highly available; enable ha to reduce control plane downtime."),
        ("doks", "surge-upgrade", "suggestion", not cluster.surge_upgrade,
         "Surge upgrades are off; upgrades replace nodes one at a time without spare capacity."),
        ("doks", "outdated-version", "suggestion", bool(catalog.upgrades(cluster.version)),
         f"Version {cluster.version} has an upgrade available."),
        ("doks", "node-pool-autoscaling", "suggestion", not any(p.auto_scale for p in pools),
         "No node pool auto-scales; the cluster cannot grow with its workload."),
    ]  # fmt: skip
    groups = set(request.get("include_groups") or ["doks"]) - set(request.get("exclude_groups", []))
    checks = set(request.get("include_checks", []))
    excluded = set(request.get("exclude_checks", []))
    return [
        {"check_name": check, "severity": severity, "message": message, "object": obj}
        for group, check, severity, found, message in findings
        if found and (group in groups or check in checks) and check not in excluded
    ]


def run_clusterlint(
    connection: Connection, engine: Engine, account_id: str, cluster_id: str, payload: Any,
    now: float,
) -> str:  # fmt: skip
    cluster = get(connection, account_id, cluster_id)
    body = Body(payload)
    request = {
        field: body.str_list(field) or []
        for field in ("include_groups", "include_checks", "exclude_groups", "exclude_checks")
    }
    run_id = str(uuid.uuid4())
    store.add_run(connection, id=run_id, cluster_id=cluster.id, request=json.dumps(request),
                  diagnostics=None, requested_at=now, completed_at=None)  # fmt: skip
    engine.schedule(connection, "clusterlint.run", "clusterlint", run_id, "completed")
    return run_id


@on("clusterlint.run")
def _linted(connection: Connection, transition: Row[Any], _payload: dict) -> None:
    run = store.run_by_id(connection, transition.resource_id)
    cluster = store.get_any(connection, run.cluster_id) if run is not None else None
    if run is not None and cluster is not None:
        found = _diagnostics(connection, cluster, json.loads(run.request))
        store.finish_run(connection, run.id, json.dumps(found), transition.due_at)


def clusterlint_results(
    connection: Connection, account_id: str, cluster_id: str, run_id: str | None
) -> dict[str, Any]:
    cluster = get(connection, account_id, cluster_id)
    run = store.run(connection, cluster.id, run_id)
    if run is None:
        raise NotFound("no clusterlint run found for this cluster")
    result: dict[str, Any] = {"run_id": run.id, "requested_at": rfc3339(run.requested_at)}
    if run.completed_at is None:
        raise Unprocessable("the clusterlint run is still in progress")
    result["completed_at"] = rfc3339(run.completed_at)
    result["diagnostics"] = json.loads(run.diagnostics or "[]")
    return result


# Status messages


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
