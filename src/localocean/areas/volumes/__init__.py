"""Block storage: volumes, volume actions (attach, detach, resize) and volume snapshots.

`rules.py` volumes and snapshots as DigitalOcean checks and renders them (and what other areas
ask of them: a droplet's `volume_ids`, volumes named in a droplet create, a droplet destroyed
with its volumes); `actions.py` the actions and their effects on the clock; `store.py` the rows.
Volume snapshots are also served under `/v2/snapshots` (the droplets area).
"""

from __future__ import annotations

from typing import Any

from localocean.areas.actions import rules as action_rules
from localocean.areas.droplets import store as droplet_store
from localocean.areas.volumes import actions, rules, store
from localocean.core.area import Area, ClusterResources, ProjectResources, SeedSection, Taggable
from localocean.core.errors import BadRequest, NotFound, Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.seed import SeedContext
from localocean.core.timing import Durations
from localocean.core.validation import Body, integer_id

routes = Operations()
VOLUME = "/v2/volumes/{volume_id}"
SNAPSHOT = "/v2/volumes/snapshots/{snapshot_id}"


def _volume(call: Call) -> Any:
    return rules.get(call.db, call.account_id, call.params["volume_id"])


# The spec lists the legacy `api:*` scopes beside these four operations' own: either will do.
@routes.get(
    "/v2/volumes", "volumes_list", "api:read", "api:write", "block_storage:read", any_scope=True
)
def list_volumes(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    rows, total = store.list_page(
        call.db, call.account_id, page.offset, page.size,
        name=call.query.get("name") or None, region=call.query.get("region") or None,
    )  # fmt: skip
    return listing(call, "volumes", rules.render_many(call.db, call.account_id, rows), total, page)


@routes.post(
    "/v2/volumes", "volumes_create", "api:write", "block_storage:create", status=201,
    any_scope=True,
)  # fmt: skip
def create_volume(call: Call) -> dict[str, Any]:
    volume = rules.create(call.db, call.account_id, call.body, call.now())
    return {"volume": rules.render_one(call.db, volume)}


@routes.get(VOLUME, "volumes_get", "block_storage:read")
def get_volume(call: Call) -> dict[str, Any]:
    return {"volume": rules.render_one(call.db, _volume(call))}


@routes.delete(VOLUME, "volumes_delete", "block_storage:delete", status=204)
def delete_volume(call: Call) -> None:
    rules.delete(call.db, _volume(call))


@routes.delete(
    "/v2/volumes", "volumes_delete_byName", "api:write", "block_storage:delete", status=204,
    any_scope=True,
)  # fmt: skip
def delete_volume_by_name(call: Call) -> None:
    name, region = call.query.get("name"), call.query.get("region")
    if not name or not region:
        raise BadRequest("name and region are required to delete a volume by name")
    rules.delete(call.db, rules.by_name(call.db, call.account_id, name, region))


# Actions


@routes.get(VOLUME + "/actions", "volumeActions_list", "block_storage_action:read")
def list_volume_actions(call: Call) -> dict[str, Any]:
    volume = _volume(call)
    page = Page.of(call)
    rows, total = store.actions_of(call.db, call.account_id, volume.id, page.offset, page.size)
    return listing(call, "actions", action_rules.render_rows(call.db, rows), total, page)


@routes.post(
    VOLUME + "/actions", "volumeActions_post_byId", "block_storage_action:create", status=202
)
def post_volume_action(call: Call) -> dict[str, Any]:
    action = actions.request(call.db, call.services.lifecycle, _volume(call), call.body)
    return {"action": action_rules.render(action)}


@routes.post(
    "/v2/volumes/actions", "volumeActions_post", "api:write", "block_storage_action:create",
    status=202, any_scope=True,
)  # fmt: skip
def post_action_by_name(call: Call) -> dict[str, Any]:
    payload = call.body
    volume = actions.volume_by_name(call.db, call.account_id, payload)
    action = actions.request(call.db, call.services.lifecycle, volume, payload, actions.BY_NAME)
    return {"action": action_rules.render(action)}


@routes.get(VOLUME + "/actions/{action_id}", "volumeActions_get", "block_storage_action:read")
def get_volume_action(call: Call) -> dict[str, Any]:
    volume = _volume(call)
    number = integer_id(call.params["action_id"])
    if number is None or not store.is_action_of(call.db, volume.id, number):
        raise NotFound()
    return {"action": action_rules.render(action_rules.get(call.db, call.account_id, number))}


# Snapshots


@routes.get(VOLUME + "/snapshots", "volumeSnapshots_list", "block_storage_snapshot:read")
def list_volume_snapshots(call: Call) -> dict[str, Any]:
    volume = _volume(call)
    page = Page.of(call)
    rows, total = store.snapshots_of(call.db, call.account_id, volume.id, page.offset, page.size)
    items = rules.render_snapshots(call.db, call.account_id, rows)
    return listing(call, "snapshots", items, total, page)


@routes.post(
    VOLUME + "/snapshots", "volumeSnapshots_create", "block_storage_snapshot:create", status=201
)
def create_volume_snapshot(call: Call) -> dict[str, Any]:
    snapshot = rules.create_snapshot(call.db, _volume(call), call.body, call.now())
    return {"snapshot": rules.render_snapshots(call.db, call.account_id, [snapshot])[0]}


@routes.get(SNAPSHOT, "volumeSnapshots_get_byId", "block_storage_snapshot:read")
def get_volume_snapshot(call: Call) -> dict[str, Any]:
    snapshot = rules.get_snapshot(call.db, call.account_id, call.params["snapshot_id"])
    return {"snapshot": rules.render_snapshots(call.db, call.account_id, [snapshot])[0]}


@routes.delete(SNAPSHOT, "volumeSnapshots_delete_byId", "block_storage_snapshot:delete", status=204)
def delete_volume_snapshot(call: Call) -> None:
    snapshot = rules.get_snapshot(call.db, call.account_id, call.params["snapshot_id"])
    rules.remove_snapshot(call.db, snapshot)


# Seeding: attachments are made at once (no waiting in a seeded world).


def _seed(context: SeedContext, entry: Any) -> int:
    """A volume entry is a create request, plus `droplet` (a droplet seeded above, by name, to
    attach it to) and `snapshots` (names of snapshots to have); returns the snapshots made."""
    payload = context.request(entry, own=("droplet", "snapshots"))
    own = Body({"droplet": entry.get("droplet"), "snapshots": entry.get("snapshots")})
    droplet_name = own.str("droplet")
    snapshots = own.str_list("snapshots") or []
    volume = rules.create(context.connection, context.account_id, payload, context.now)
    for name in snapshots:
        rules.create_snapshot(context.connection, volume, {"name": name}, context.now)
    if droplet_name is not None:
        droplet = droplet_store.seeded(context.connection, context.account_id, droplet_name)
        checked = rules.for_new_droplet(
            context.connection, context.account_id, [volume.id], droplet.region, 1
        )
        if len(store.of_droplet(context.connection, droplet.id)) >= rules.MAX_PER_DROPLET:
            raise Unprocessable(rules.TOO_MANY)
        rules.attach_at_create(context.connection, checked, droplet.id)
    return len(snapshots)


AREA = Area(
    "volumes",
    operations=routes,
    tables=(store.volumes, store.volume_snapshots, store.volume_actions),
    transitions={kind: actions.completed for kind in actions.KINDS.values()},
    durations={
        actions.ATTACH: Durations(1.0, 10.0),
        actions.DETACH: Durations(1.0, 10.0),
        actions.RESIZE: Durations(1.0, 15.0),
    },
    taggables=(
        Taggable(rules.VOLUME, "volumes", "volumes", exists=rules.exists),
        Taggable(rules.SNAPSHOT, "volume_snapshots", "snapshots", exists=rules.snapshot_exists),
    ),
    project_resources=(ProjectResources("volume", store.volumes, "/v2/volumes/{}"),),
    cluster_resources=(
        ClusterResources("volumes", rules.tagged_volumes, rules.destroy_volume),
        ClusterResources("volume_snapshots", rules.tagged_snapshots, rules.destroy_snapshot),
    ),
    seed=SeedSection("volumes", _seed, extra="volume_snapshots"),
    reset_account=store.delete_account,
    counts={"volumes": store.PER_ACCOUNT, "volume_snapshots": store.SNAPSHOTS_PER_ACCOUNT},
    tallies={store.VOLUMES: store.PER_ACCOUNT, store.SNAPSHOTS: store.SNAPSHOTS_PER_ACCOUNT},
)
