"""Parsing of the request blocks of clusters and node pools into checked, typed values, with
DigitalOcean's 422 naming the field. Nothing here reads or writes the database."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from localocean.areas.kubernetes import catalog
from localocean.areas.vpcs import rules as vpcs
from localocean.core import tags
from localocean.core.errors import Unprocessable
from localocean.core.validation import Body

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
TEN = ipaddress.IPv4Network("10.0.0.0/8")

# Resource types of clusters and node pools in the tags mechanism.
CLUSTER_TAGS = "kubernetes_cluster"
POOL_TAGS = "kubernetes_node_pool"


def auto_cluster_tags(cluster_id: str) -> list[str]:
    return ["k8s", f"k8s:{cluster_id}"]


def auto_pool_tags(cluster_id: str) -> list[str]:
    return ["k8s", f"k8s:{cluster_id}", "k8s:worker"]


def _is_auto_tag(tag: str) -> bool:
    """Tags DigitalOcean adds itself; given back by clients, they are not stored twice."""
    return tag in ("k8s", "k8s-worker") or tag.startswith("k8s:")


def user_tags(body: Body) -> list[str] | None:
    """The tags a request gives, without the ones DigitalOcean adds itself."""
    names = tags.names_in(body)
    return None if names is None else [name for name in names if not _is_auto_tag(name)]


# Validation of the nested blocks


def _object(body: Body, field: str) -> Body | None:
    if not body.has(field):
        return None
    value = body.data[field]
    if not isinstance(value, dict):
        raise Unprocessable(f"{field} must be an object")
    return Body(value)


def maintenance(body: Body, current: dict[str, Any] | None = None) -> dict[str, Any]:
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


def settings(body: Body, current: dict[str, Any]) -> dict[str, Any]:
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


def labels(body: Body, field: str = "labels") -> dict[str, str] | None:
    if not body.has(field):
        return None
    labels = body.data[field]
    if not isinstance(labels, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in labels.items()
    ):
        raise Unprocessable(f"{field} must be an object of string keys and string values")
    return labels


def taints(body: Body) -> list[dict[str, str]] | None:
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


def scaling(body: Body, count: int, current: Row[Any] | None = None) -> tuple[bool, int, int]:
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


@dataclass(frozen=True)
class PoolSpec:
    name: str
    size: str
    count: int
    tags: list[str]
    labels: dict[str, str] | None
    taints: list[dict[str, str]]
    auto_scale: bool
    min_nodes: int
    max_nodes: int


def pool_spec(payload: Any, where: str = "") -> PoolSpec:
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
    auto_scale, min_nodes, max_nodes = scaling(body, count or 0)
    return PoolSpec(
        name=name or "",
        size=size or "",
        count=count or 0,
        tags=user_tags(body) or [],
        labels=labels(body),
        taints=taints(body) or [],
        auto_scale=auto_scale,
        min_nodes=min_nodes,
        max_nodes=max_nodes,
    )


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


def subnets(body: Body, vpc: Row[Any]) -> tuple[str, str]:
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
        chosen.append(_free_default(default, [vpc_range, *chosen], field))
    return str(chosen[0]), str(chosen[1])


def _free_default(
    default: str, taken: list[ipaddress.IPv4Network | ipaddress.IPv6Network], field: str
) -> ipaddress.IPv4Network:
    """The default /16 or the next free private /16 after it: the rest of 10.0.0.0/8 (wrapping
    around), then 172.16.0.0/12, then 192.168.0.0/16."""
    for candidate in _private_sixteens(ipaddress.IPv4Network(default)):
        if not any(candidate.overlaps(network) for network in taken):
            return candidate
    raise Unprocessable(f"no private /16 is free for {field}; give {field}")


def _private_sixteens(first: ipaddress.IPv4Network) -> Iterator[ipaddress.IPv4Network]:
    """Made one at a time: the default is almost always free."""
    ten = int(ipaddress.IPv4Address("10.0.0.0"))
    start = (int(first.network_address) - ten) >> 16 if first.subnet_of(TEN) else 0
    for index in (*range(start, 256), *range(start)):
        yield ipaddress.IPv4Network((ten + (index << 16), 16))
    yield from ipaddress.IPv4Network("172.16.0.0/12").subnets(new_prefix=16)
    yield ipaddress.IPv4Network("192.168.0.0/16")
