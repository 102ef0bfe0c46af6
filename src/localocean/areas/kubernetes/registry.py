"""Container registry integration: which clusters may pull from the account's registries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from localocean.areas.kubernetes import clusters, store
from localocean.core.errors import Unprocessable
from localocean.core.validation import Body


def _cluster_ids(connection: Connection, account_id: str, body: Body) -> list[str]:
    ids = body.str_list("cluster_uuids", required=True) or []
    if not ids:
        raise Unprocessable("cluster_uuids must name at least one cluster")
    for cluster_id in ids:
        clusters.get(connection, account_id, cluster_id)
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
        current = list(clusters.get(connection, account_id, cluster_id).registries)
        if add:
            current += [n for n in names if n not in current]
        else:
            current = [n for n in current if n not in names]
        store.change(connection, cluster_id, registries=current, updated_at=now)
