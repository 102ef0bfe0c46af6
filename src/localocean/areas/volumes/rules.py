"""Volumes and volume snapshots: the rules DigitalOcean applies to them, and how it renders them.

Other areas use `attached_to` (a droplet's `volume_ids`), `for_new_droplet`/`attach_at_create`
(volumes named in a droplet create) and `remove`/`remove_snapshot` (a droplet destroyed with its
associated resources).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.account import VOLUME_LIMIT
from localocean.areas.regions import catalog as regions
from localocean.areas.volumes import store
from localocean.core import tags
from localocean.core.clock import rfc3339
from localocean.core.db import Duplicate
from localocean.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from localocean.core.validation import Body

VOLUME = "volume"  # the tags resource types
SNAPSHOT = "volume_snapshot"
NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")
NAME_HINT = (
    "name must start with a lowercase letter and hold only lowercase letters, numbers and "
    "dashes, at most 64 characters"
)
MIN_SIZE, MAX_SIZE = 1, 16_384  # GiB
MAX_DESCRIPTION = 1024
MAX_SNAPSHOT_NAME = 255
# Filesystem types a volume can be formatted with, and how long each one's label may be.
LABEL_LIMITS = {"ext4": 16, "xfs": 12}
MAX_PER_DROPLET = 7
TOO_MANY = f"cannot attach more than {MAX_PER_DROPLET} volumes to a single Droplet"
ATTACHED = (
    "A volume that's attached to a Droplet cannot be deleted. Please detach it first before "
    "deleting."
)
PENDING = "Volume already has a pending event."
# The share of a fresh volume's size its first snapshot holds (a formatted, empty filesystem).
SNAPSHOT_SHARE = 0.0504


# Volumes


def get(connection: Connection, account_id: str, volume_id: str) -> Row[Any]:
    volume = store.get(connection, account_id, volume_id)
    if volume is None:
        raise NotFound()
    return volume


def by_name(connection: Connection, account_id: str, name: str, region: str) -> Row[Any]:
    volume = store.by_name(connection, account_id, name, region)
    if volume is None:
        raise NotFound(f"no volume named {name!r} in {region}")
    return volume


def _filesystem(body: Body, inherited: Row[Any] | None) -> tuple[str, str]:
    fs_type = body.str("filesystem_type", allow_empty=True)
    label = body.str("filesystem_label", allow_empty=True)
    if fs_type is None and inherited is not None:
        fs_type = inherited.filesystem_type
        label = label if label is not None else inherited.filesystem_label
    fs_type = fs_type or ""
    label = label or ""
    if fs_type and fs_type not in LABEL_LIMITS:
        raise Unprocessable("filesystem_type must be one of ext4, xfs")
    if label and not fs_type:
        raise Unprocessable("filesystem_label can only be used with filesystem_type")
    if fs_type and len(label) > LABEL_LIMITS[fs_type]:
        raise Unprocessable(
            f"filesystem_label of an {fs_type} filesystem must be at most "
            f"{LABEL_LIMITS[fs_type]} characters"
        )
    return fs_type, label


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    """A volume, checked as DigitalOcean checks it; nothing stored on errors."""
    body = Body(payload)
    name = body.str("name", required=True) or ""
    if not NAME.fullmatch(name):
        raise Unprocessable(NAME_HINT)
    description = body.str("description", max_length=MAX_DESCRIPTION, allow_empty=True) or ""
    snapshot_id = body.str("snapshot_id")
    snapshot = None
    if snapshot_id:
        snapshot = store.snapshot(connection, account_id, snapshot_id)
        if snapshot is None:
            raise Unprocessable(f"snapshot_id: no volume snapshot {snapshot_id} in this account")
    size = body.int("size_gigabytes", required=snapshot is None, maximum=MAX_SIZE)
    if snapshot is not None:
        size = snapshot.min_disk_size if size is None else size
        if size < snapshot.min_disk_size:
            raise Unprocessable(
                f"size_gigabytes must be at least the snapshot's size "
                f"({snapshot.min_disk_size} GiB)"
            )
    assert size is not None
    if size < MIN_SIZE:
        raise Unprocessable(f"size_gigabytes must be at least {MIN_SIZE}")
    region = body.str("region", required=snapshot is None)
    if snapshot is not None:
        if region is not None and region != snapshot.region:
            raise Unprocessable(
                f"region must be the snapshot's region ({snapshot.region}) to create a volume "
                "from it"
            )
        region = snapshot.region
    assert region is not None
    if not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    fs_type, label = _filesystem(body, snapshot)
    tag_names = tags.names_in(body) or []
    if store.count(connection, account_id) >= VOLUME_LIMIT:
        raise Forbidden("failed to create volume: volume/snapshot capacity limit exceeded")
    volume_id = str(uuid.uuid4())
    try:
        store.add(
            connection, id=volume_id, account_id=account_id, name=name, region=region,
            size_gigabytes=size, description=description, filesystem_type=fs_type,
            filesystem_label=label, droplet_id=None, pending=None, created_at=now,
        )  # fmt: skip
    except Duplicate as exc:
        raise Conflict(
            f"failed to create volume: a volume named {name!r} already exists in {region}"
        ) from exc
    tags.add(connection, account_id, VOLUME, volume_id, tag_names, now)
    return get(connection, account_id, volume_id)


def delete(connection: Connection, volume: Row[Any]) -> None:
    if volume.droplet_id is not None:
        raise Conflict(ATTACHED)
    if volume.pending is not None:
        raise Conflict(f"{PENDING} Wait for it to finish before deleting.")
    remove(connection, volume)


def remove(connection: Connection, volume: Row[Any]) -> None:
    """The volume goes, attached or not (its droplet is being destroyed with it); its snapshots
    stay. An action still in flight on it ends `errored`."""
    tags.untag(connection, VOLUME, [volume.id])
    store.delete(connection, volume)


def exists(connection: Connection, account_id: str, volume_id: str) -> bool:
    return store.get(connection, account_id, volume_id) is not None


def render(volume: Row[Any], tag_names: list[str]) -> dict[str, Any]:
    return {
        "id": volume.id,
        "region": regions.render(volume.region),
        "droplet_ids": [volume.droplet_id] if volume.droplet_id is not None else [],
        "name": volume.name,
        "description": volume.description,
        "size_gigabytes": volume.size_gigabytes,
        "created_at": rfc3339(volume.created_at),
        "filesystem_type": volume.filesystem_type,
        "filesystem_label": volume.filesystem_label,
        "tags": tag_names,
    }


def render_many(
    connection: Connection, account_id: str, rows: list[Row[Any]]
) -> list[dict[str, Any]]:
    names = tags.names_for(connection, account_id, VOLUME, [row.id for row in rows])
    return [render(row, names[row.id]) for row in rows]


def render_one(connection: Connection, volume: Row[Any]) -> dict[str, Any]:
    return render_many(connection, volume.account_id, [volume])[0]


# Volumes named in a droplet create


def for_new_droplet(
    connection: Connection, account_id: str, references: list[Any], region: str, droplets: int
) -> list[Row[Any]]:
    """The volumes a droplet create names (`volumes`: ids, or `{"id": ...}`/`{"name": ...}` as
    godo sends them), checked: in the droplet's region, free, at most seven."""
    if not references:
        return []
    if droplets > 1:
        raise Unprocessable("volumes can only be attached when creating a single Droplet")
    if len(references) > MAX_PER_DROPLET:
        raise Unprocessable(f"volumes: {TOO_MANY}")
    found: list[Row[Any]] = []
    for reference in references:
        volume = None
        if isinstance(reference, dict):
            given = Body(reference)
            volume_id, name = given.str("id"), given.str("name")
            if volume_id:
                volume = store.get(connection, account_id, volume_id)
            elif name:
                volume = store.by_name(connection, account_id, name, region)
        elif isinstance(reference, str):
            volume = store.get(connection, account_id, reference)
        if volume is None:
            raise Unprocessable(f"volumes: {reference!r} is not a volume of this account")
        if volume.region != region:
            raise Unprocessable("volumes: a volume must be in the same region as the Droplet")
        if volume.droplet_id is not None or volume.pending is not None:
            raise Unprocessable(f"volumes: volume {volume.id} is already attached to a Droplet")
        if all(volume.id != other.id for other in found):
            found.append(volume)
    return found


def attach_at_create(connection: Connection, volumes: list[Row[Any]], droplet_id: int) -> None:
    for volume in volumes:
        store.change(connection, volume.id, droplet_id=droplet_id)


# Snapshots


def get_snapshot(connection: Connection, account_id: str, snapshot_id: str) -> Row[Any]:
    snapshot = store.snapshot(connection, account_id, snapshot_id)
    if snapshot is None:
        raise NotFound()
    return snapshot


def create_snapshot(connection: Connection, volume: Row[Any], payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = body.str("name", required=True, max_length=MAX_SNAPSHOT_NAME) or ""
    if not name.strip():
        raise Unprocessable("name is required")
    tag_names = tags.names_in(body) or []
    snapshot_id = str(uuid.uuid4())
    try:
        store.add_snapshot(
            connection, id=snapshot_id, account_id=volume.account_id, volume_id=volume.id,
            name=name, region=volume.region, min_disk_size=volume.size_gigabytes,
            size_gigabytes=round(volume.size_gigabytes * SNAPSHOT_SHARE, 4),
            filesystem_type=volume.filesystem_type, filesystem_label=volume.filesystem_label,
            created_at=now,
        )  # fmt: skip
    except Duplicate as exc:
        raise Conflict(f"a snapshot named {name!r} already exists") from exc
    tags.add(connection, volume.account_id, SNAPSHOT, snapshot_id, tag_names, now)
    return get_snapshot(connection, volume.account_id, snapshot_id)


def remove_snapshot(connection: Connection, snapshot: Row[Any]) -> None:
    tags.untag(connection, SNAPSHOT, [snapshot.id])
    store.delete_snapshot(connection, snapshot)


def snapshot_exists(connection: Connection, account_id: str, snapshot_id: str) -> bool:
    return store.snapshot(connection, account_id, snapshot_id) is not None


def render_snapshot(snapshot: Row[Any], tag_names: list[str]) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "name": snapshot.name,
        "regions": [snapshot.region],
        "created_at": rfc3339(snapshot.created_at),
        "resource_id": snapshot.volume_id,
        "resource_type": "volume",
        "min_disk_size": snapshot.min_disk_size,
        "size_gigabytes": snapshot.size_gigabytes,
        "tags": tag_names,
    }


def render_snapshots(
    connection: Connection, account_id: str, rows: list[Row[Any]]
) -> list[dict[str, Any]]:
    names = tags.names_for(connection, account_id, SNAPSHOT, [row.id for row in rows])
    return [render_snapshot(row, names[row.id]) for row in rows]


# What a droplet destroyed with its associated resources takes along

VOLUME_COST = 0.10  # dollars per GiB-month
SNAPSHOT_COST = 0.06


def associated(
    connection: Connection, account_id: str, droplet_id: int
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """The droplet's volumes and their snapshots."""
    volumes = store.of_droplet(connection, droplet_id)
    snapshots = store.snapshots_of_volumes(connection, account_id, [v.id for v in volumes])
    return volumes, snapshots


def cost(row: Row[Any], per_gigabyte: float) -> str:
    return f"{row.size_gigabytes * per_gigabyte:.2f}"


# What a Kubernetes cluster's CSI driver made: tagged `k8s:<cluster-id>`


def tagged_volumes(connection: Connection, account_id: str, tag: str) -> list[tuple[str, str]]:
    return store.names(connection, tags.carrying(connection, account_id, tag, VOLUME))


def tagged_snapshots(connection: Connection, account_id: str, tag: str) -> list[tuple[str, str]]:
    ids = tags.carrying(connection, account_id, tag, SNAPSHOT)
    return store.names(connection, ids, snapshots=True)


def destroy_volume(connection: Connection, account_id: str, volume_id: str) -> None:
    volume = store.get(connection, account_id, volume_id)
    if volume is not None:
        remove(connection, volume)


def destroy_snapshot(connection: Connection, account_id: str, snapshot_id: str) -> None:
    snapshot = store.snapshot(connection, account_id, snapshot_id)
    if snapshot is not None:
        remove_snapshot(connection, snapshot)
