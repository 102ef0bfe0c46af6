"""Droplets, droplet actions and snapshots: DigitalOcean's compute core.

`rules.py` the checks of a create and droplets as DigitalOcean renders them; `actions.py` the
droplet actions and their effects (and backups on the clock); `store.py` the rows; `catalog.py`
kernels and backup policies.
"""

from __future__ import annotations

from typing import Any

from localocean.areas.actions import rules as action_rules
from localocean.areas.actions import store as action_store
from localocean.areas.droplets import actions, catalog, rules, store
from localocean.areas.images import rules as image_rules
from localocean.areas.images import store as image_store
from localocean.areas.volumes import rules as volume_rules
from localocean.areas.volumes import store as volume_store
from localocean.core import tags
from localocean.core.area import Area, ProjectResources, SeedSection, Taggable
from localocean.core.clock import rfc3339
from localocean.core.errors import BadRequest, Conflict, NotFound, Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.router import header
from localocean.core.seed import SeedContext
from localocean.core.timing import Durations
from localocean.core.validation import Body, integer_id

routes = Operations()
DROPLET = "/v2/droplets/{droplet_id}"
ASSOCIATED = DROPLET + "/destroy_with_associated_resources"
DELETE_ALL = (
    "droplet:delete", "block_storage:delete", "block_storage_snapshot:delete", "image:delete",
    "reserved_ip:delete",
)  # fmt: skip


def _droplet(call: Call) -> Any:
    return rules.get(call.db, call.account_id, call.params["droplet_id"])


def _links(call: Call, started: list[Any]) -> dict[str, Any]:
    base = call.base_url()
    return {
        "actions": [
            {"id": action.id, "rel": "create", "href": f"{base}/v2/actions/{action.id}"}
            for action in started
        ]
    }


@routes.get("/v2/droplets", "droplets_list", "droplet:read")
def list_droplets(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    items, total = rules.list_page(
        call.db, call.account_id, call.query, page.offset, page.size, call.now()
    )
    return listing(call, "droplets", items, total, page)


@routes.post("/v2/droplets", "droplets_create", "droplet:create", status=202)
def create_droplets(call: Call) -> dict[str, Any]:
    lifecycle = call.services.lifecycle
    payload = call.body
    created = rules.create(
        call.db,
        call.account_id,
        payload,
        call.now(),
        call.services.settings.public_ipv4_range,
    )
    started = [
        actions.start(call.db, lifecycle, droplet, "create", kind=actions.CREATE, lock=False)
        for droplet in created
    ]
    for droplet in created:
        if droplet.backup_policy:
            actions.schedule_backup(call.db, lifecycle, droplet, droplet.backup_policy, call.now())
    rendered = rules.render_many(call.db, call.account_id, created, call.now())
    links = _links(call, started)
    if isinstance(payload, dict) and "names" in payload and payload["names"] is not None:
        return {"droplets": rendered, "links": links}
    return {"droplet": rendered[0], "links": links}


@routes.get(DROPLET, "droplets_get", "droplet:read")
def get_droplet(call: Call) -> dict[str, Any]:
    return {"droplet": rules.render_one(call.db, _droplet(call), call.now())}


def _destroy(call: Call, droplet: Any) -> None:
    lifecycle = call.services.lifecycle
    lifecycle.cancel(call.db, "droplet", [droplet.id])
    rules.delete(call.db, lifecycle, droplet, call.now())
    # Whoever manages droplets (DOKS, for its nodes') hears of it once this commits.
    if rules.GONE in lifecycle.handlers:
        lifecycle.schedule(
            call.db, rules.GONE, "droplet_gone", droplet.id, "gone", None, 0.0,
            account_id=call.account_id,
        )  # fmt: skip


@routes.delete(DROPLET, "droplets_destroy", "droplet:delete", status=204)
def delete_droplet(call: Call) -> None:
    _destroy(call, _droplet(call))


@routes.delete("/v2/droplets", "droplets_destroy_byTag", "droplet:delete", status=204)
def delete_droplets_by_tag(call: Call) -> None:
    tag_name = call.query.get("tag_name")
    if not tag_name:
        raise BadRequest("tag_name is required to delete droplets by tag")
    for droplet in store.tagged(call.db, call.account_id, tag_name):
        _destroy(call, droplet)


# Images of a droplet


def _image_listing(call: Call, kind: str, key: str) -> dict[str, Any]:
    droplet = _droplet(call)
    page = Page.of(call)
    rows, total = store.images_of(
        call.db, call.account_id, droplet.id, kind, page.offset, page.size
    )
    items = image_rules.render_many(call.db, call.account_id, rows)
    return listing(call, key, items, total, page)


@routes.get(DROPLET + "/snapshots", "droplets_list_snapshots", "droplet:read")
def list_droplet_snapshots(call: Call) -> dict[str, Any]:
    return _image_listing(call, "snapshot", "snapshots")


@routes.get(DROPLET + "/backups", "droplets_list_backups", "droplet:read")
def list_droplet_backups(call: Call) -> dict[str, Any]:
    return _image_listing(call, "backup", "backups")


def _policy(call: Call, droplet: Any) -> dict[str, Any]:
    enabled = "backups" in droplet.features and droplet.backup_policy is not None
    body: dict[str, Any] = {"droplet_id": droplet.id, "backup_enabled": enabled}
    if enabled:
        start, end = catalog.next_window(droplet.backup_policy, call.now())
        body["backup_policy"] = catalog.full_policy(droplet.backup_policy)
        body["next_backup_window"] = {"start": rfc3339(start), "end": rfc3339(end)}
    return body


@routes.get(DROPLET + "/backups/policy", "droplets_get_backup_policy", "droplet:read")
def get_backup_policy(call: Call) -> dict[str, Any]:
    return {"policy": _policy(call, _droplet(call))}


@routes.get("/v2/droplets/backups/policies", "droplets_list_backup_policies", "droplet:read")
def list_backup_policies(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    rows, total = store.list_page(call.db, call.account_id, page.offset, page.size)
    policies = {str(row.id): _policy(call, row) for row in rows}
    body = listing(call, "policies", [], total, page)
    body["policies"] = policies
    return body


@routes.get(
    "/v2/droplets/backups/supported_policies",
    "droplets_list_supported_backup_policies",
    "droplet:read",
)
def list_supported_policies(_call: Call) -> dict[str, Any]:
    return {"supported_policies": catalog.SUPPORTED_POLICIES}


# What DigitalOcean's platform has and LocalOcean has nothing behind


@routes.get(DROPLET + "/kernels", "droplets_list_kernels", "droplet:read")
def list_kernels(call: Call) -> dict[str, Any]:
    _droplet(call)
    page = Page.of(call)
    kernels = catalog.KERNELS[page.offset : page.offset + page.size]
    return listing(call, "kernels", kernels, len(catalog.KERNELS), page)


@routes.get(DROPLET + "/neighbors", "droplets_list_neighbors", "droplet:read")
def list_neighbors(call: Call) -> dict[str, Any]:
    _droplet(call)  # every droplet has a host of its own here
    return {"droplets": []}


@routes.get("/v2/reports/droplet_neighbors_ids", "droplets_list_neighborsIds", "droplet:read")
def list_neighbor_ids(_call: Call) -> dict[str, Any]:
    return {"neighbor_ids": []}


# Actions


def _action(call: Call, droplet: Any) -> Any:
    action = action_rules.get(call.db, call.account_id, call.params["action_id"])
    if action.resource_type != "droplet" or action.resource_id != droplet.id:
        raise NotFound()
    return action


@routes.get(DROPLET + "/actions", "dropletActions_list", "droplet:read")
def list_droplet_actions(call: Call) -> dict[str, Any]:
    droplet = _droplet(call)
    page = Page.of(call)
    rows, total = action_store.list_for_resource(
        call.db, call.account_id, "droplet", droplet.id, page
    )
    return listing(call, "actions", action_rules.render_rows(call.db, rows), total, page)


@routes.post(DROPLET + "/actions", "dropletActions_post", "droplet:update", status=201)
def post_droplet_action(call: Call) -> dict[str, Any]:
    droplet = _droplet(call)
    action = actions.request(call.db, call.services.lifecycle, droplet, call.body)
    return {"action": action_rules.render(action)}


@routes.post("/v2/droplets/actions", "dropletActions_post_byTag", "droplet:update", status=201)
def post_actions_by_tag(call: Call) -> dict[str, Any]:
    tag_name = call.query.get("tag_name")
    if not tag_name:
        raise Unprocessable("tag_name is required")
    started = [
        actions.request(call.db, call.services.lifecycle, droplet, call.body, actions.BY_TAG)
        for droplet in store.tagged(call.db, call.account_id, tag_name)
    ]
    return {"actions": [action_rules.render(action) for action in started]}


@routes.get(DROPLET + "/actions/{action_id}", "dropletActions_get", "droplet:read")
def get_droplet_action(call: Call) -> dict[str, Any]:
    return {"action": action_rules.render(_action(call, _droplet(call)))}


# Destroying with associated resources


def _cost(image: Any) -> str:
    # Snapshots cost $0.06 per GB-month on DigitalOcean.
    return f"{(image.size_gigabytes or 0) * 0.06:.2f}"


def _snapshot_rows(call: Call, droplet: Any) -> list[Any]:
    rows, _total = store.images_of(call.db, call.account_id, droplet.id, "snapshot", 0, 1000)
    return rows


def _reserved_ips() -> Any:
    # The reserved_ips area comes after this one (it renders droplets): imported when used.
    from localocean.areas.reserved_ips import rules as reserved_ips

    return reserved_ips


@routes.get(ASSOCIATED, "droplets_list_associatedResources", "droplet:read")
def list_associated(call: Call) -> dict[str, Any]:
    droplet = _droplet(call)
    snapshots = [
        {"id": str(row.id), "name": row.name, "cost": _cost(row)}
        for row in _snapshot_rows(call, droplet)
    ]
    reserved = _reserved_ips().of_droplet(call.db, droplet)
    volumes, volume_snapshots = volume_rules.associated(call.db, call.account_id, droplet.id)
    return {
        "reserved_ips": reserved,
        "floating_ips": reserved,
        "snapshots": snapshots,
        "volumes": [
            {"id": v.id, "name": v.name, "cost": volume_rules.cost(v, volume_rules.VOLUME_COST)}
            for v in volumes
        ],
        "volume_snapshots": [
            {"id": s.id, "name": s.name, "cost": volume_rules.cost(s, volume_rules.SNAPSHOT_COST)}
            for s in volume_snapshots
        ],
    }


def _chosen(body: Body, field: str, known: list[Any]) -> set[str]:
    chosen = set(body.str_list(field) or [])
    unknown = chosen - {str(row.id) for row in known}
    if unknown:
        raise Unprocessable(f"{field}: {sorted(unknown)[0]} is not associated with this droplet")
    return chosen


def _destroy_with(call: Call, droplet: Any, chosen: dict[str, set[str]] | None) -> None:
    """Destroy the droplet and the chosen snapshots, volumes and volume snapshots, and release
    its reserved IP if chosen (all of them when `chosen` is None), recording what went for the
    status call."""
    now = call.now()
    stamp = rfc3339(now)

    def wanted(field: str, row: Any) -> bool:
        return chosen is None or str(row.id) in chosen[field]

    gone: dict[str, list[dict[str, Any]]] = {
        "reserved_ips": [], "floating_ips": [], "snapshots": [], "volumes": [],
        "volume_snapshots": [],
    }  # fmt: skip
    for row in _snapshot_rows(call, droplet):
        if wanted("snapshots", row):
            image_rules.remove(call.db, call.services.lifecycle, row, now)
            gone["snapshots"].append({"id": str(row.id), "name": row.name, "destroyed_at": stamp})
    volumes, volume_snapshots = volume_rules.associated(call.db, call.account_id, droplet.id)
    for snapshot in volume_snapshots:
        if wanted("volume_snapshots", snapshot):
            volume_rules.remove_snapshot(call.db, snapshot)
            gone["volume_snapshots"].append(
                {"id": snapshot.id, "name": snapshot.name, "destroyed_at": stamp}
            )
    for volume in volumes:
        if wanted("volumes", volume):
            volume_rules.remove(call.db, volume)
            gone["volumes"].append({"id": volume.id, "name": volume.name, "destroyed_at": stamp})
    if chosen is None or chosen["reserved_ips"]:
        released = _reserved_ips().release_with(call.db, droplet, now)
        gone["reserved_ips"] = gone["floating_ips"] = released
    store.record_destroy(
        call.db, droplet_id=droplet.id, account_id=call.account_id, name=droplet.name,
        destroyed_at=now, resources=gone, failures=0,
    )  # fmt: skip
    _destroy(call, droplet)


@routes.delete(
    ASSOCIATED + "/selective",
    "droplets_destroy_withAssociatedResourcesSelective",
    *DELETE_ALL,
    status=202,
)
def destroy_selective(call: Call) -> None:
    droplet = _droplet(call)
    body = Body(call.body)
    volumes, volume_snapshots = volume_rules.associated(call.db, call.account_id, droplet.id)
    reserved = {*(body.str_list("reserved_ips") or []), *(body.str_list("floating_ips") or [])}
    # A reserved IP is named by its id or its address.
    ours = {
        value
        for ip in _reserved_ips().of_droplet(call.db, droplet)
        for value in (ip["id"], ip["name"])
    }
    if reserved - ours:
        raise Unprocessable(
            f"reserved_ips: {sorted(reserved - ours)[0]} is not assigned to this droplet"
        )
    chosen = {
        "snapshots": _chosen(body, "snapshots", _snapshot_rows(call, droplet)),
        "volumes": _chosen(body, "volumes", volumes),
        "volume_snapshots": _chosen(body, "volume_snapshots", volume_snapshots),
        "reserved_ips": reserved,
    }
    _destroy_with(call, droplet, chosen)


@routes.delete(
    ASSOCIATED + "/dangerous",
    "droplets_destroy_withAssociatedResourcesDangerous",
    *DELETE_ALL,
    status=202,
)
def destroy_dangerous(call: Call) -> None:
    droplet = _droplet(call)
    if (header(call.scope, b"x-dangerous") or b"").decode("latin-1").lower() != "true":
        raise BadRequest("X-Dangerous: true is required to destroy every associated resource")
    _destroy_with(call, droplet, None)


def _destroyed(call: Call) -> Any:
    number = integer_id(call.params["droplet_id"])
    record = store.destroyed(call.db, call.account_id, number) if number is not None else None
    if record is None:
        raise NotFound()
    return record


@routes.get(
    ASSOCIATED + "/status", "droplets_get_DestroyAssociatedResourcesStatus", "droplet:delete"
)
def destroy_status(call: Call) -> dict[str, Any]:
    record = _destroyed(call)
    return {
        "droplet": {
            "id": str(record.droplet_id),
            "name": record.name,
            "destroyed_at": rfc3339(record.destroyed_at),
        },
        "resources": record.resources,
        "completed_at": rfc3339(record.destroyed_at),
        "failures": record.failures,
    }


@routes.post(
    ASSOCIATED + "/retry", "droplets_destroy_retryWithAssociatedResources", *DELETE_ALL,
    status=202,
)  # fmt: skip
def destroy_retry(call: Call) -> None:
    record = _destroyed(call)
    if not record.failures:
        raise Conflict("There are no failed resources to retry destroying.")


# Snapshots


def render_snapshot(row: Any, tag_names: list[str]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "regions": row.regions,
        "created_at": rfc3339(row.created_at),
        "resource_id": str(row.droplet_id),
        "resource_type": "droplet",
        "min_disk_size": row.min_disk_size,
        "size_gigabytes": row.size_gigabytes,
        "tags": tag_names,
    }


def _render_snapshots(call: Call, rows: list[Any]) -> list[dict[str, Any]]:
    names = tags.names_for(call.db, call.account_id, "image", [row.id for row in rows])
    return [render_snapshot(row, names[str(row.id)]) for row in rows]


@routes.get("/v2/snapshots", "snapshots_list", "snapshot:read")
def list_snapshots(call: Call) -> dict[str, Any]:
    """Droplet snapshots, then volume snapshots (`resource_type` picks one kind)."""
    kind = call.query.get("resource_type")
    if kind not in (None, "droplet", "volume"):
        raise Unprocessable("resource_type must be one of droplet, volume")
    page = Page.of(call)
    offset, size = page.offset, page.size
    droplet_rows: list[Any] = []
    volume_rows: list[Any] = []
    total = 0
    if kind != "volume":
        droplet_rows, total = store.snapshots_page(call.db, call.account_id, offset, size)
    if kind != "droplet":
        before = total  # the droplet snapshots listed ahead of the volume ones
        start = max(0, offset - before)
        wanted = size - len(droplet_rows)
        volume_rows, count = volume_store.snapshots_page(call.db, call.account_id, start, wanted)
        total += count
    items = _render_snapshots(call, droplet_rows) + volume_rules.render_snapshots(
        call.db, call.account_id, volume_rows
    )
    return listing(call, "snapshots", items, total, page)


def _snapshot(call: Call) -> Any:
    number = integer_id(call.params["snapshot_id"])
    if number is None:
        raise NotFound()
    image = image_store.get(call.db, call.account_id, number)
    if image is None or image.type != "snapshot" or image.droplet_id is None:
        raise NotFound()
    return image


def _volume_snapshot(call: Call) -> Any:
    """The volume snapshot the path names (their ids are UUIDs), or None."""
    snapshot_id = call.params["snapshot_id"]
    if integer_id(snapshot_id) is not None:
        return None
    return volume_rules.get_snapshot(call.db, call.account_id, snapshot_id)


@routes.get(
    "/v2/snapshots/{snapshot_id}", "snapshots_get", "snapshot:read", "block_storage_snapshot:read"
)
def get_snapshot(call: Call) -> dict[str, Any]:
    volume_snapshot = _volume_snapshot(call)
    if volume_snapshot is not None:
        rendered = volume_rules.render_snapshots(call.db, call.account_id, [volume_snapshot])
        return {"snapshot": rendered[0]}
    return {"snapshot": _render_snapshots(call, [_snapshot(call)])[0]}


@routes.delete(
    "/v2/snapshots/{snapshot_id}", "snapshots_delete", "image:delete", "snapshot:delete", status=204
)
def delete_snapshot(call: Call) -> None:
    volume_snapshot = _volume_snapshot(call)
    if volume_snapshot is not None:
        volume_rules.remove_snapshot(call.db, volume_snapshot)
        return
    image = _snapshot(call)
    image_rules.delete(call.db, call.services.lifecycle, call.account_id, str(image.id), call.now())


# Seeding: droplets come up at once (their create needs no waiting in a seeded world).


def _seed(context: SeedContext, entry: Any) -> int:
    """A droplet entry is a create request, plus `vpc` (a VPC seeded above, by name),
    `status` (`active`, the default, or `off`) and `snapshots` (names of snapshots to have)."""
    payload = context.request(entry, own=("status", "snapshots"))
    status = entry.get("status", "active")
    if status not in ("active", "off"):
        raise Unprocessable("status must be active or off")
    snapshots = Body({"snapshots": entry.get("snapshots")}).str_list("snapshots") or []
    created = rules.create(
        context.connection,
        context.account_id,
        payload,
        context.now,
        context.settings.public_ipv4_range,
    )
    for droplet in created:
        store.change(context.connection, droplet.id, status=status)
        for name in snapshots:
            actions.snapshot_image(context.connection, droplet, name, "snapshot", context.now)
        if droplet.backup_policy:
            actions.schedule_backup(
                context.connection,
                context.lifecycle,
                droplet,
                droplet.backup_policy,
                context.now,
            )
    return 0


AREA = Area(
    "droplets",
    operations=routes,
    tables=(store.droplets, store.droplet_destroys),
    transitions={
        actions.CREATE: actions.completed,
        actions.ACT: actions.completed,
        actions.SNAPSHOT: actions.completed,
        actions.BACKUP: actions.take_backup,
    },
    durations={
        actions.CREATE: Durations(1.0, 30.0),
        actions.ACT: Durations(1.0, 10.0),
        actions.SNAPSHOT: Durations(1.0, 60.0),
        # Backups fall due on their window's clock; the delay is given when scheduled.
        actions.BACKUP: Durations(0.0, 0.0),
    },
    recurring=(actions.BACKUP,),
    taggables=(Taggable("droplet", "droplets", "droplets", exists=rules.exists),),
    vpc_members=(store.in_vpc,),
    project_resources=(ProjectResources("droplet", store.droplets, "/v2/droplets/{}"),),
    seed=SeedSection("droplets", _seed),
    reset_account=store.delete_account,
    counts={"droplets": store.PER_ACCOUNT},
    tallies={"droplets": store.PER_ACCOUNT},
)
