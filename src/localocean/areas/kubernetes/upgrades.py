"""Upgrades: the versions a cluster may move to, and starting an upgrade."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from localocean.areas.kubernetes import catalog, clusters, transitions
from localocean.core.errors import Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body


def upgrades(connection: Connection, account_id: str, cluster_id: str) -> dict[str, Any]:
    cluster = clusters.get(connection, account_id, cluster_id)
    newer = catalog.upgrades(cluster.version)
    return {"available_upgrade_versions": [catalog.render_version(v) for v in newer] or None}


def upgrade(
    connection: Connection, lifecycle: Lifecycle, account_id: str, cluster_id: str, payload: Any,
    now: float,
) -> None:  # fmt: skip
    cluster = clusters.get(connection, account_id, cluster_id)
    requested = Body(payload).str("version", required=True) or ""
    version = catalog.resolve(requested)
    if version is None or version not in catalog.upgrades(cluster.version):
        raise Unprocessable(
            f"{requested!r} is not an available upgrade for version {cluster.version}"
        )
    if cluster.state != "running":
        raise Unprocessable(f"the cluster is {cluster.state}; it can be upgraded when running")
    transitions.upgrade_cluster(connection, lifecycle, cluster, version, now)
