"""Droplet actions: each is an action row, `in-progress` while the droplet is locked, and its
effect applied when the lifecycle engine completes it (or `errored`, where DigitalOcean fails
it). Backups are taken on the clock while a droplet has them enabled."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.actions import rules as action_rules
from localocean.areas.droplets import catalog, rules, store
from localocean.areas.images import rules as image_rules
from localocean.areas.images import store as image_store
from localocean.areas.sizes import catalog as sizes
from localocean.core.db import savepoint, transient
from localocean.core.errors import Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body

log = logging.getLogger(__name__)

CREATE = "droplet.create"
ACT = "droplet.action"
SNAPSHOT = "droplet.snapshot"
BACKUP = "droplet.backup"

TYPES = (
    "enable_backups", "disable_backups", "change_backup_policy", "reboot", "power_cycle",
    "shutdown", "power_off", "power_on", "restore", "password_reset", "resize", "rebuild",
    "rename", "change_kernel", "enable_ipv6", "enable_private_networking", "snapshot",
)  # fmt: skip
# What `POST /v2/droplets/actions?tag_name=` accepts.
BY_TAG = (
    "power_cycle", "power_on", "power_off", "shutdown", "enable_ipv6", "enable_backups",
    "disable_backups", "snapshot",
)  # fmt: skip
# A share of the disk a snapshot of a fresh system takes.
SNAPSHOT_SHARE = 0.08


def start(
    connection: Connection,
    lifecycle: Lifecycle,
    droplet: Row[Any],
    type: str,
    payload: dict[str, Any] | None = None,
    *,
    kind: str = ACT,
    lock: bool = True,
) -> Row[Any]:
    # Locked in one statement: of two actions requested at once, one gets the droplet.
    if lock and not store.lock(connection, droplet.id):
        raise Unprocessable("Droplet already has a pending event.")
    started_at = lifecycle.clock.now()
    return action_rules.start(
        connection, lifecycle, droplet.account_id, type=type, resource_type="droplet",
        resource_id=droplet.id, region_slug=droplet.region, completion=kind,
        payload={"droplet_id": droplet.id, "type": type, "started_at": started_at,
                 **(payload or {})},
    )  # fmt: skip


def request(
    connection: Connection,
    lifecycle: Lifecycle,
    droplet: Row[Any],
    given: Any,
    allowed: tuple[str, ...] = TYPES,
) -> Row[Any]:
    """`POST /v2/droplets/{id}/actions`: checked as DigitalOcean checks it, then started."""
    body = Body(given)
    type = body.str("type", required=True) or ""
    if type not in allowed:
        raise Unprocessable(f"type must be one of {', '.join(allowed)}")
    if droplet.locked or droplet.status == "new":  # a new droplet's create is pending
        raise Unprocessable("Droplet already has a pending event.")
    payload: dict[str, Any] = {}
    kind = ACT
    if type == "rename":
        name = body.str("name", required=True, max_length=255) or ""
        if not rules.HOSTNAME.fullmatch(name):
            raise Unprocessable(rules.HOSTNAME_HINT)
        payload["name"] = name
    elif type == "resize":
        size = body.str("size", required=True) or ""
        if not sizes.exists(size) or droplet.region not in sizes.render(size)["regions"]:
            raise Unprocessable("You specified an invalid size for Droplet resize.")
        if droplet.status != "off":
            raise Unprocessable("Droplet is currently on. Please power it off to run this event.")
        payload.update(size=size, disk=bool(body.bool("disk")))
    elif type in ("rebuild", "restore"):
        if not body.has("image"):
            raise Unprocessable("image is required")
        image = rules.image_for(connection, droplet.account_id, body.data["image"], droplet.region)
        if type == "restore" and (
            image.get("type") != "backup"
            or image["id"] not in store.image_ids(connection, [droplet.id])[droplet.id]["backup"]
        ):
            raise Unprocessable("restore needs a backup image of this droplet")
        payload["image"] = image
    elif type == "snapshot":
        payload["name"] = body.str("name", max_length=255) or ""
        kind = SNAPSHOT
    elif type == "change_kernel":
        kernel = body.int("kernel", required=True)
        if kernel not in catalog.KERNEL_IDS:
            raise Unprocessable("kernel is not a kernel this droplet can boot")
        payload["kernel"] = kernel
    elif type in ("enable_backups", "change_backup_policy"):
        if type == "change_backup_policy" and "backups" not in droplet.features:
            raise Unprocessable("Backups are not enabled on this droplet.")
        given_policy = body.data.get("backup_policy")
        policy = (
            rules.backup_policy(given_policy)
            if given_policy is not None
            else dict(droplet.backup_policy or catalog.DEFAULT_POLICY)
        )
        payload["backup_policy"] = policy
    return start(connection, lifecycle, droplet, type, payload, kind=kind)


def _with_feature(droplet: Row[Any], feature: str, present: bool) -> list[str]:
    features = [f for f in droplet.features if f != feature]
    return [*features, feature] if present else features


def snapshot_image(
    connection: Connection, droplet: Row[Any], name: str, kind: str, at: float
) -> int:
    image = image_store.add(
        connection,
        account_id=droplet.account_id, name=name, type=kind,
        distribution=droplet.image.get("distribution") or "Unknown", description="",
        status="available", regions=[droplet.region], url=None, source_region=droplet.region,
        min_disk_size=droplet.disk, size_gigabytes=round(droplet.disk * SNAPSHOT_SHARE, 2),
        error_message="", created_at=at, removed_at=None, droplet_id=droplet.id,
    )  # fmt: skip
    return int(image.id)


def _apply(
    connection: Connection, lifecycle: Lifecycle, droplet: Row[Any], payload: dict, at: float
) -> str:
    """Apply an action's effect; the action's final status."""
    type = payload["type"]
    change: dict[str, Any] = {}
    if type in ("power_off", "shutdown"):
        change["status"] = "off"
    elif type in ("power_on", "reboot", "power_cycle", "create"):
        change["status"] = "active"
    elif type == "rename":
        change["name"] = payload["name"]
    elif type == "resize":
        size = sizes.render(payload["size"])
        if size["disk"] < droplet.disk:
            return "errored"  # a disk never shrinks
        change["size_slug"] = payload["size"]
        if payload["disk"]:
            change["disk"] = size["disk"]
    elif type in ("rebuild", "restore"):
        change.update(image=payload["image"], status="active")
    elif type == "snapshot":
        # Dated as the action's start: Terraform finds its snapshot by that time.
        started = payload.get("started_at", at)
        name = payload["name"] or f"{droplet.name[:240]}-{int(started * 1000)}"
        snapshot_image(connection, droplet, name, "snapshot", started)
    elif type in ("enable_backups", "change_backup_policy"):
        change.update(
            features=_with_feature(droplet, "backups", True),
            backup_policy=payload["backup_policy"],
        )
        lifecycle.cancel(connection, "droplet", [droplet.id])
        schedule_backup(connection, lifecycle, droplet, payload["backup_policy"], at)
    elif type == "disable_backups":
        change.update(features=_with_feature(droplet, "backups", False), backup_policy=None)
        lifecycle.cancel(connection, "droplet", [droplet.id])
    elif type == "enable_ipv6":
        change.update(
            features=_with_feature(droplet, "ipv6", True),
            ipv6=droplet.ipv6 or rules.ipv6_address(droplet.id),
        )
    elif type == "change_kernel":
        change["kernel"] = next(k for k in catalog.KERNELS if k["id"] == payload["kernel"])
    store.change(connection, droplet.id, **change)
    return "completed"


def completed(
    connection: Connection, transition: Row[Any], payload: dict, lifecycle: Lifecycle
) -> None:
    action_id = int(transition.resource_id)
    droplet = store.get_any(connection, payload["droplet_id"])
    if droplet is None:  # destroyed meanwhile
        action_rules.finish(connection, action_id, transition.due_at, "errored")
        return
    try:
        with savepoint(connection):
            status = _apply(connection, lifecycle, droplet, payload, transition.due_at)
    except Exception as exc:
        if transient(exc):
            raise  # the transition is tried again, the action goes on
        # Whatever else went wrong, the action ends and the droplet is usable again.
        log.exception("droplet action %s (%s) failed", action_id, payload["type"])
        status = "errored"
    store.change(connection, droplet.id, locked=False)
    action_rules.finish(connection, action_id, transition.due_at, status)


# Backups


def schedule_backup(
    connection: Connection, lifecycle: Lifecycle, droplet: Row[Any], policy: dict, now: float
) -> None:
    _start, end = catalog.next_window(policy, now)
    lifecycle.schedule(
        connection, BACKUP, "droplet", droplet.id, "backup", None, end - now,
        account_id=droplet.account_id,
    )  # fmt: skip


def take_backup(
    connection: Connection, transition: Row[Any], _payload: dict, lifecycle: Lifecycle
) -> None:
    droplet = store.get_any(connection, int(transition.resource_id))
    if droplet is None or "backups" not in droplet.features or not droplet.backup_policy:
        return
    at = transition.due_at
    policy = droplet.backup_policy
    name = f"{droplet.name[:240]} {catalog.month_day(at)}"
    snapshot_image(connection, droplet, name, "backup", at)
    # Weekly backups are kept four weeks, daily ones a week.
    keep = 4 if policy["plan"] == "weekly" else 7
    backups = store.image_ids(connection, [droplet.id])[droplet.id].get("backup", [])
    for image_id in backups[: max(0, len(backups) - keep)]:
        image = image_store.get_any(connection, image_id)
        if image is not None:
            image_rules.remove(connection, lifecycle, image, at)
    schedule_backup(connection, lifecycle, droplet, policy, at)
