"""Clusterlint: checks computed from what LocalOcean knows of the cluster (it runs no
workloads), and the results of a run."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.kubernetes import catalog, store
from localocean.core.clock import rfc3339
from localocean.core.errors import NotFound, Unprocessable


def diagnostics(connection: Connection, cluster: Row[Any], request: dict) -> list[dict]:
    pools = store.pools_of(connection, [cluster.id])
    nodes = sum(store.pool_count(p) for p in pools)
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


def results(connection: Connection, cluster: Row[Any], run_id: str | None) -> dict[str, Any]:
    run = store.run(connection, cluster.id, run_id)
    if run is None:
        raise NotFound("no clusterlint run found for this cluster")
    result: dict[str, Any] = {"run_id": run.id, "requested_at": rfc3339(run.requested_at)}
    if run.completed_at is None:
        raise Unprocessable("the clusterlint run is still in progress")
    result["completed_at"] = rfc3339(run.completed_at)
    result["diagnostics"] = run.diagnostics or []
    return result
