"""Tags: case-stable labels on resources, with per-type counts of what they label."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row
from sqlalchemy.exc import IntegrityError

from localocean.domain.validation import Body
from localocean.errors import NotFound, TagBadRequest, Unprocessable
from localocean.store import tags as store

NAME = re.compile(r"[a-zA-Z0-9_\-:]+")
MAX_NAME = 255

# resource_type -> (key in `resources`, path segment of its URI)
RESOURCE_TYPES = {
    "droplet": ("droplets", "droplets"),
    "image": ("images", "images"),
    "volume": ("volumes", "volumes"),
    "volume_snapshot": ("volume_snapshots", "snapshots"),
    "database": ("databases", "databases"),
}

# Resource types LocalOcean models register a check "does this account have resource id?".
# Types it does not model (droplets, databases, ...) are taken on trust and only counted.
Resolver = Callable[[Connection, str, str], bool]
RESOLVERS: dict[str, Resolver] = {}


def valid_name(name: Any) -> bool:
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and bool(NAME.fullmatch(name))


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = body.data.get("name")
    if not valid_name(name):
        if name is None or name == "":
            raise TagBadRequest("Error validating resource tag: name is required")
        raise TagBadRequest(f'Error validating resource tag: "{name}" contains invalid characters')
    return ensure(connection, account_id, name, now)


def ensure(connection: Connection, account_id: str, name: str, now: float) -> Row[Any]:
    """The tag with this name, created if needed; the first spelling stays canonical."""
    key = name.lower()
    found = store.find(connection, account_id, key)
    if found is None:
        try:
            with connection.begin_nested():
                store.add(
                    connection, account_id=account_id, name=name, name_key=key, created_at=now
                )
        except IntegrityError:
            pass  # created meanwhile under another spelling: that one is canonical
        found = store.find(connection, account_id, key)
    assert found is not None
    return found


def get(connection: Connection, account_id: str, name: str) -> Row[Any]:
    tag = store.find(connection, account_id, name.lower()) if valid_name(name) else None
    if tag is None or tag.name != name:
        raise NotFound()
    return tag


def delete(connection: Connection, account_id: str, name: str) -> None:
    store.delete(connection, get(connection, account_id, name).id)


def _resources(payload: Any) -> list[tuple[str, str]]:
    body = Body(payload)
    items = body.list("resources", required=True) or []
    if not items:
        raise Unprocessable("resources must contain at least one resource")
    parsed = []
    for index, item in enumerate(items):
        entry = Body(item) if isinstance(item, dict) else None
        if entry is None:
            raise Unprocessable(f"resources[{index}] must be an object")
        resource_id = entry.data.get("resource_id")
        resource_type = entry.data.get("resource_type")
        if isinstance(resource_id, int) and not isinstance(resource_id, bool):
            resource_id = str(resource_id)
        if not isinstance(resource_id, str) or not resource_id:
            raise Unprocessable(f"resources[{index}].resource_id is required")
        if resource_type not in RESOURCE_TYPES:
            raise Unprocessable(
                f"resources[{index}].resource_type must be one of {', '.join(RESOURCE_TYPES)}"
            )
        parsed.append((resource_type, resource_id))
    return parsed


def _check_exists(
    connection: Connection, account_id: str, resource_type: str, resource_id: str
) -> None:
    resolver = RESOLVERS.get(resource_type)
    if resolver is not None and not resolver(connection, account_id, resource_id):
        raise NotFound(f"{resource_type} {resource_id} not found")


def assign(connection: Connection, account_id: str, name: str, payload: Any, now: float) -> None:
    tag = get(connection, account_id, name)
    for resource_type, resource_id in _resources(payload):
        _check_exists(connection, account_id, resource_type, resource_id)
        if not store.is_tagged(connection, tag.id, resource_type, resource_id):
            store.tag(connection, tag.id, resource_type, resource_id, now)


def unassign(connection: Connection, account_id: str, name: str, payload: Any) -> None:
    tag = get(connection, account_id, name)
    for resource_type, resource_id in _resources(payload):
        _check_exists(connection, account_id, resource_type, resource_id)
        store.untag(connection, tag.id, resource_type, resource_id)


def render_many(
    connection: Connection, tags: list[Row[Any]], base_url: str
) -> list[dict[str, Any]]:
    """Render a page of tags with their counts, from one query for all of them."""
    by_tag: dict[int, list[Row[Any]]] = {tag.id: [] for tag in tags}
    for tagging in store.tagged(connection, list(by_tag)):
        by_tag[tagging.tag_id].append(tagging)
    return [_render(tag, by_tag[tag.id], base_url) for tag in tags]


def _render(tag: Row[Any], taggings: list[Row[Any]], base_url: str) -> dict[str, Any]:
    def uri(tagging: Row[Any]) -> str:
        return f"{base_url}/v2/{RESOURCE_TYPES[tagging.resource_type][1]}/{tagging.resource_id}"

    resources: dict[str, Any] = {"count": len(taggings)}
    if taggings:
        resources["last_tagged_uri"] = uri(taggings[-1])
    for resource_type, (key, _) in RESOURCE_TYPES.items():
        of_type = [t for t in taggings if t.resource_type == resource_type]
        stats: dict[str, Any] = {"count": len(of_type)}
        if of_type:
            stats["last_tagged_uri"] = uri(of_type[-1])
        resources[key] = stats
    return {"name": tag.name, "resources": resources}
