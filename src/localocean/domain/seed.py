"""Seeding: a whole starting state from one YAML or JSON document.

    accounts:
      - name: team-a                      # created if new
        tokens: [dop_v1_team_a]           # bearer tokens that reach it (scopes: "*")
        vpcs: [{name: net, region: nyc1, ip_range: 10.10.0.0/16}]
        tags: [prod]
        images: [{name: base, type: snapshot, region: nyc3, min_disk_size: 25}]
        clusters:
          - name: prod
            region: nyc1
            version: latest
            vpc: net                      # a seeded VPC by name (or vpc_uuid)
            node_pools: [{name: pool, size: s-2vcpu-4gb, count: 3}]
            state: running                # or provisioning (then the timing profile applies)
            associated:
              load_balancers: [{name: lb-1}]
              volumes: [{id: my-volume, name: pvc-1}]
              volume_snapshots: [{name: snap-1}]

Everything goes through the same rules as the API; an invalid document changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

from localocean.domain import accounts, images, kubernetes, regions, vpcs
from localocean.domain import tags as tag_rules
from localocean.domain.validation import Body
from localocean.errors import Unprocessable
from localocean.lifecycle.engine import Engine
from localocean.store import images as image_store
from localocean.store import kubernetes as k8s_store
from localocean.store import tags as tag_store

IMAGE_TYPES = ("custom", "snapshot", "backup")


def _items(body: Body, field: str, where: str) -> list[dict[str, Any]]:
    values = body.list(field) or []
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            raise Unprocessable(f"{where}.{field}[{index}] must be an object")
    return values


@contextmanager
def _at(where: str) -> Iterator[None]:
    """Name the place in the document in any error raised inside."""
    try:
        yield
    except Unprocessable as exc:
        raise Unprocessable(f"{where}: {exc.message}") from exc


def apply(connection: Connection, engine: Engine, document: Any, now: float) -> dict[str, Any]:
    """Create what the document describes; returns counts and the tokens it made valid."""
    if not isinstance(document, dict):
        raise Unprocessable("a seed document must be an object with an `accounts` list")
    counts = {"accounts": 0, "vpcs": 0, "tags": 0, "images": 0, "clusters": 0, "associated": 0}
    token_hashes: list[str] = []
    for index, entry in enumerate(_items(Body(document), "accounts", "seed")):
        where = f"accounts[{index}]"
        body = Body(entry)
        with _at(where):
            name = body.str("name", required=True, max_length=255)
            account = accounts.ensure_account(connection, name, now)
            counts["accounts"] += 1
            for token in body.str_list("tokens") or []:
                if not token.strip():
                    raise Unprocessable("tokens must not be empty")
                scopes = list(accounts.ALL_SCOPES)
                token_hashes.append(
                    accounts.grant_token(connection, token, account.id, scopes, now)
                )
            for tag in body.str_list("tags") or []:
                if not tag_rules.valid_name(tag):
                    raise Unprocessable(f"tags: {tag!r} is not a valid tag name")
                tag_rules.ensure(connection, account.id, tag, now)
                counts["tags"] += 1
        vpc_ids: dict[str, str] = {}
        for i, vpc in enumerate(_items(body, "vpcs", where)):
            with _at(f"{where}.vpcs[{i}]"):
                row = vpcs.create(connection, account.id, vpc, now)
            vpc_ids[row.name] = row.id
            counts["vpcs"] += 1
        for i, image in enumerate(_items(body, "images", where)):
            with _at(f"{where}.images[{i}]"):
                _image(connection, account.id, image, now)
            counts["images"] += 1
        for i, cluster in enumerate(_items(body, "clusters", where)):
            with _at(f"{where}.clusters[{i}]"):
                counts["associated"] += _cluster(
                    connection, engine, account.id, cluster, vpc_ids, now
                )
            counts["clusters"] += 1
    return {"seeded": counts, "token_hashes": token_hashes}


def _image(connection: Connection, account_id: str, entry: dict[str, Any], now: float) -> None:
    body = Body(entry)
    name = body.str("name", required=True, max_length=images.MAX_NAME)
    kind = body.str("type") or "custom"
    if kind not in IMAGE_TYPES:
        raise Unprocessable(f"type must be one of {', '.join(IMAGE_TYPES)}")
    image_regions = body.str_list("regions") or [body.str("region") or "nyc3"]
    for region in image_regions:
        if not regions.is_available(region):
            raise Unprocessable(f"region {region!r} is not an available region")
    size = body.data.get("size_gigabytes", 2.0)
    if isinstance(size, bool) or not isinstance(size, int | float) or size <= 0:
        raise Unprocessable("size_gigabytes must be a positive number")
    row = image_store.add(
        connection,
        account_id=account_id,
        name=name,
        type=kind,
        distribution=images.distribution(body.str("distribution")),
        description=body.str("description") or "",
        status="available",
        regions=json.dumps(image_regions),
        url=None,
        source_region=image_regions[0],
        min_disk_size=body.int("min_disk_size", minimum=1) or 10,
        size_gigabytes=float(size),
        error_message="",
        created_at=now,
    )
    for tag in body.str_list("tags") or []:
        if not tag_rules.valid_name(tag):
            raise Unprocessable(f"tags: {tag!r} is not a valid tag name")
        tag_store.tag(
            connection,
            tag_rules.ensure(connection, account_id, tag, now).id,
            "image",
            str(row.id),
            now,
        )


def _cluster(
    connection: Connection,
    engine: Engine,
    account_id: str,
    entry: dict[str, Any],
    vpc_ids: dict[str, str],
    now: float,
) -> int:
    payload = {k: v for k, v in entry.items() if k not in ("state", "associated", "vpc")}
    vpc_name = entry.get("vpc")
    if vpc_name is not None:
        if vpc_name not in vpc_ids:
            raise Unprocessable(f"vpc {vpc_name!r} is not a VPC seeded for this account")
        payload["vpc_uuid"] = vpc_ids[vpc_name]
    state = entry.get("state", "running")
    if state not in ("running", "provisioning"):
        raise Unprocessable("state must be running or provisioning")
    cluster = kubernetes.create(connection, engine, account_id, payload, now)
    if state == "running":
        engine.cancel(connection, "cluster", cluster.id)
        kubernetes.provision(connection, cluster.id, now)
    associated = entry.get("associated") or {}
    if not isinstance(associated, dict):
        raise Unprocessable("associated must be an object")
    added = 0
    for key, kind in kubernetes.ASSOCIATED_KINDS.items():
        for index, resource in enumerate(associated.get(key) or []):
            body = Body(resource)
            name = body.str("name", required=True, max_length=255)
            resource_id = body.str("id") or str(uuid.uuid4())
            if not resource_id.strip():
                raise Unprocessable(f"associated.{key}[{index}].id must not be empty")
            k8s_store.add_resource(
                connection,
                id=resource_id,
                account_id=account_id,
                cluster_id=cluster.id,
                kind=kind,
                name=name,
                created_at=now,
            )
            added += 1
    return added
