"""Tags: case-stable labels on resources, with per-type counts of what they label."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from localocean.domain.validation import Body
from localocean.errors import NotFound, TagBadRequest, Unprocessable
from localocean.store import tags as store
from localocean.store.models import Tag, TaggedResource

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
Resolver = Callable[[Session, str, str], bool]
RESOLVERS: dict[str, Resolver] = {}


def valid_name(name: Any) -> bool:
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and bool(NAME.fullmatch(name))


def create(session: Session, account_id: str, payload: Any, now: float) -> Tag:
    body = Body(payload)
    name = body.data.get("name")
    if not valid_name(name):
        if name is None or name == "":
            raise TagBadRequest("Error validating resource tag: name is required")
        raise TagBadRequest(f'Error validating resource tag: "{name}" contains invalid characters')
    return ensure(session, account_id, name, now)


def ensure(session: Session, account_id: str, name: str, now: float) -> Tag:
    """The tag with this name, created if needed; the first spelling stays canonical."""
    found = store.find(session, account_id, name.lower())
    if found is not None:
        return found
    try:
        with session.begin_nested():
            return store.add(
                session,
                Tag(account_id=account_id, name=name, name_key=name.lower(), created_at=now),
            )
    except IntegrityError:
        tag = store.find(session, account_id, name.lower())
        assert tag is not None
        return tag


def get(session: Session, account_id: str, name: str) -> Tag:
    tag = store.find(session, account_id, name.lower()) if valid_name(name) else None
    if tag is None or tag.name != name:
        raise NotFound()
    return tag


def delete(session: Session, account_id: str, name: str) -> None:
    store.delete(session, get(session, account_id, name))


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


def _check_exists(session: Session, account_id: str, resource_type: str, resource_id: str) -> None:
    resolver = RESOLVERS.get(resource_type)
    if resolver is not None and not resolver(session, account_id, resource_id):
        raise NotFound(f"{resource_type} {resource_id} not found")


def assign(session: Session, account_id: str, name: str, payload: Any, now: float) -> None:
    tag = get(session, account_id, name)
    for resource_type, resource_id in _resources(payload):
        _check_exists(session, account_id, resource_type, resource_id)
        if store.find_tagging(session, tag.id, resource_type, resource_id) is None:
            store.add_tagging(
                session,
                TaggedResource(
                    tag_id=tag.id,
                    resource_type=resource_type,
                    resource_id=resource_id,
                    tagged_at=now,
                ),
            )


def unassign(session: Session, account_id: str, name: str, payload: Any) -> None:
    tag = get(session, account_id, name)
    for resource_type, resource_id in _resources(payload):
        _check_exists(session, account_id, resource_type, resource_id)
        tagging = store.find_tagging(session, tag.id, resource_type, resource_id)
        if tagging is not None:
            store.remove_tagging(session, tagging)


def render_many(session: Session, tags: list[Tag], base_url: str) -> list[dict[str, Any]]:
    """Render a page of tags with their counts, from one query for all of them."""
    by_tag: dict[int, list[TaggedResource]] = {tag.id: [] for tag in tags}
    for tagging in store.tagged(session, list(by_tag)):
        by_tag[tagging.tag_id].append(tagging)
    return [_render(tag, by_tag[tag.id], base_url) for tag in tags]


def _render(tag: Tag, taggings: list[TaggedResource], base_url: str) -> dict[str, Any]:
    def uri(tagging: TaggedResource) -> str:
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
