"""Volume actions: attach, detach, resize. Each is an action of the `actions` area, `in-progress`
until the lifecycle engine completes it; its effect (the attachment, the new size) lands then.

While one is in flight the volume is busy (`pending`), and an attach or detach holds the droplet
as DigitalOcean does (its other actions, and other volumes' attach or detach, wait: "Droplet
already has a pending event").
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.actions import rules as action_rules
from localocean.areas.droplets import store as droplets
from localocean.areas.volumes import rules, store
from localocean.core.db import lock_at_once
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body, numeric_id

log = logging.getLogger(__name__)

ATTACH = "volume.attach"
DETACH = "volume.detach"
RESIZE = "volume.resize"
KINDS = {"attach": ATTACH, "detach": DETACH, "resize": RESIZE}
# The action types DigitalOcean records.
ACTION_TYPES = {"attach": "attach_volume", "detach": "detach_volume", "resize": "resize_volume"}
DROPLET_BUSY = "Droplet already has a pending event."


def _type(body: Body, allowed: tuple[str, ...]) -> str:
    type = body.str("type", required=True) or ""
    if type not in allowed:
        raise Unprocessable(f"type must be one of {', '.join(allowed)}")
    return type


def _droplet_id(body: Body) -> int:
    if not body.has("droplet_id"):
        raise Unprocessable("droplet_id is required")
    value = numeric_id(body.data["droplet_id"])
    if value is None:
        raise Unprocessable("droplet_id must be a Droplet's id")
    return value


def _region_matches(body: Body, volume: Row[Any]) -> None:
    region = body.str("region")
    if region and region != volume.region:
        raise Unprocessable(f"region must be the volume's region ({volume.region})")


def request(
    connection: Connection,
    lifecycle: Lifecycle,
    volume: Row[Any],
    given: Any,
    allowed: tuple[str, ...] = ("attach", "detach", "resize"),
) -> Row[Any]:
    """`POST /v2/volumes/{id}/actions`: checked as DigitalOcean checks it, then started."""
    body = Body(given)
    type = _type(body, allowed)
    _region_matches(body, volume)
    if type == "resize":
        return resize(connection, lifecycle, volume, body)
    return _attach_or_detach(connection, lifecycle, volume, type, _droplet_id(body))


BY_NAME = ("attach", "detach")


def volume_by_name(connection: Connection, account_id: str, given: Any) -> Row[Any]:
    """`POST /v2/volumes/actions`: the volume named by `volume_name` and `region` (the droplet's
    region when not given)."""
    body = Body(given)
    _type(body, BY_NAME)
    name = body.str("volume_name", required=True) or ""
    region = body.str("region")
    if not region:
        droplet = droplets.get(connection, account_id, _droplet_id(body))
        if droplet is None:
            raise NotFound(f"no Droplet {body.data['droplet_id']}")
        region = droplet.region
    return rules.by_name(connection, account_id, name, region)


def _attach_or_detach(
    connection: Connection, lifecycle: Lifecycle, volume: Row[Any], type: str, droplet_id: int
) -> Row[Any]:
    if type == "detach":
        if volume.droplet_id != droplet_id:
            raise Unprocessable("Attachment not found")
        if volume.pending is not None:
            raise Unprocessable(rules.PENDING)
    else:
        droplet = droplets.get(connection, volume.account_id, droplet_id)
        if droplet is None:
            raise NotFound(f"no Droplet {droplet_id}")
        _refuse_if_attached(volume, droplet_id)
        if volume.pending is not None:
            raise Unprocessable(rules.PENDING)
        if droplet.region != volume.region:
            raise Unprocessable("The volume and the Droplet must be in the same region.")
        if len(store.of_droplet(connection, droplet_id)) >= rules.MAX_PER_DROPLET:
            raise Unprocessable(rules.TOO_MANY)
    # In one statement: of two attaches to one droplet at once, one gets it.
    if not droplets.lock(connection, droplet_id):
        raise Unprocessable(DROPLET_BUSY)
    return _start(connection, lifecycle, volume, type, {"droplet_id": droplet_id})


def _refuse_if_attached(volume: Row[Any], droplet_id: int) -> None:
    if volume.droplet_id == droplet_id:
        raise Unprocessable("This volume is already attached to this Droplet.")
    if volume.droplet_id is not None:
        raise Unprocessable("This volume is already attached to another Droplet.")


def resize(connection: Connection, lifecycle: Lifecycle, volume: Row[Any], body: Body) -> Row[Any]:
    size = body.int("size_gigabytes", required=True, maximum=rules.MAX_SIZE)
    assert size is not None
    if size <= volume.size_gigabytes:
        raise Unprocessable(
            f"size_gigabytes must be larger than the volume's current size "
            f"({volume.size_gigabytes} GiB): volumes can only grow"
        )
    if volume.pending is not None:
        raise Unprocessable(rules.PENDING)
    return _start(connection, lifecycle, volume, "resize", {"size_gigabytes": size})


def _start(
    connection: Connection,
    lifecycle: Lifecycle,
    volume: Row[Any],
    type: str,
    payload: dict[str, Any],
) -> Row[Any]:
    if not store.claim(connection, volume, type):
        # Another action started, or ended, since the checks read the volume: what stands now.
        current = store.get_any(connection, volume.id)
        if type == "attach" and current is not None and current.pending is None:
            _refuse_if_attached(current, payload["droplet_id"])
        raise Unprocessable(rules.PENDING)
    action = action_rules.start(
        connection, lifecycle, volume.account_id, type=ACTION_TYPES[type],
        resource_type="volume", resource_id=None, region_slug=volume.region,
        completion=KINDS[type], payload={"volume_id": volume.id, "type": type, **payload},
    )  # fmt: skip
    store.add_action(connection, volume.account_id, volume.id, action.id)
    return action


def completed(
    connection: Connection, transition: Row[Any], payload: dict[str, Any], _lifecycle: Lifecycle
) -> None:
    """An action's effect lands; the droplet it held is free again."""
    action_id, at = int(transition.resource_id), transition.due_at
    type = payload["type"]
    droplet_id = payload.get("droplet_id")
    # Requests lock these rows (a droplet's destroy, the volume's and then the droplet's): the
    # handler takes them in that order, at once or not yet.
    volume = lock_at_once(connection, store.volumes, payload["volume_id"])
    droplet = None
    if droplet_id is not None:
        droplet = lock_at_once(connection, droplets.droplets, droplet_id)
    if droplet is not None:
        droplets.change(connection, droplet.id, locked=False)
    if volume is None:  # deleted meanwhile, with the droplet it was being attached to
        action_rules.finish(connection, action_id, at, "errored")
        return
    status = "completed"
    if type == "attach":
        if droplet is None:  # destroyed meanwhile
            status = "errored"
        else:
            store.change(connection, volume.id, droplet_id=droplet.id, pending=None)
    elif type == "detach":
        if volume.droplet_id == droplet_id:
            store.change(connection, volume.id, droplet_id=None, pending=None)
    elif type == "resize":
        size = max(volume.size_gigabytes, int(payload["size_gigabytes"]))
        store.change(connection, volume.id, size_gigabytes=size)
    store.change(connection, volume.id, pending=None)
    action_rules.finish(connection, action_id, at, status)
