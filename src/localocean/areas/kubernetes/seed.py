"""The `clusters` section of a seed document: clusters running (or provisioning) at once, with
the load balancers, volumes and snapshots they created."""

from __future__ import annotations

import uuid
from typing import Any

from localocean.areas.kubernetes import clusters, store, transitions
from localocean.core.errors import Unprocessable
from localocean.core.seed import SeedContext
from localocean.core.validation import Body


def load(context: SeedContext, entry: Any) -> int:
    """One cluster; returns how many associated resources it was given."""
    payload = context.request(entry, own=("state", "associated"))
    state = entry.get("state", "running")
    if state not in ("running", "provisioning"):
        raise Unprocessable("state must be running or provisioning")
    connection, lifecycle = context.connection, context.lifecycle
    cluster = clusters.create(connection, lifecycle, context.account_id, payload, context.now)
    if state == "running":
        lifecycle.cancel(connection, "cluster", [cluster.id])
        transitions.provision(connection, lifecycle, cluster.id, context.now)
    associated = entry.get("associated") or {}
    if not isinstance(associated, dict):
        raise Unprocessable("associated must be an object")
    added = 0
    for key, kind in clusters.ASSOCIATED_KINDS.items():
        for index, resource in enumerate(associated.get(key) or []):
            body = Body(resource)
            name = body.str("name", required=True, max_length=255)
            resource_id = body.str("id") or str(uuid.uuid4())
            if not resource_id.strip():
                raise Unprocessable(f"associated.{key}[{index}].id must not be empty")
            store.add_resource(
                connection,
                id=resource_id,
                account_id=context.account_id,
                cluster_id=cluster.id,
                kind=kind,
                name=name,
                created_at=context.now,
            )
            added += 1
    return added
