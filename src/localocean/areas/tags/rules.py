"""Tags as a resource: create, get, delete, tag and untag resources, render with counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from localocean.core import tags, tallies
from localocean.core.area import Taggable
from localocean.core.errors import NotFound, TagBadRequest, Unprocessable
from localocean.core.pagination import Page, PagedQuery
from localocean.core.tables import tagged_resources
from localocean.core.tables import tags as tag_table
from localocean.core.validation import Body

_LIST = PagedQuery(
    select(tag_table)
    .where(tag_table.c.account_id == bindparam("account_id"))
    .order_by(tag_table.c.id),
    tally="tags",
)
_TAGGED = (
    select(tagged_resources)
    .where(tagged_resources.c.tag_id.in_(bindparam("tag_ids", expanding=True)))
    .order_by(tagged_resources.c.id)
)


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = body.data.get("name")
    if not tags.valid_name(name):
        if name is None or name == "":
            raise TagBadRequest("Error validating resource tag: name is required")
        raise TagBadRequest(f'Error validating resource tag: "{name}" contains invalid characters')
    return tags.ensure(connection, account_id, name, now)


def get(connection: Connection, account_id: str, name: str) -> Row[Any]:
    tag = tags.find(connection, account_id, name) if tags.valid_name(name) else None
    if tag is None or tag.name != name:
        raise NotFound()
    return tag


def delete(connection: Connection, account_id: str, name: str) -> None:
    tag = get(connection, account_id, name)
    connection.execute(tagged_resources.delete().where(tagged_resources.c.tag_id == tag.id))
    connection.execute(tag_table.delete().where(tag_table.c.id == tag.id))
    tallies.add(connection, account_id, "tags", -1)


def _assignable(taggables: Mapping[str, Taggable]) -> list[str]:
    return [kind for kind, t in taggables.items() if t.exists is not None or t.on_trust]


def _resources(payload: Any, taggables: Mapping[str, Taggable]) -> list[tuple[str, str]]:
    body = Body(payload)
    items = body.list("resources", required=True) or []
    if not items:
        raise Unprocessable("resources must contain at least one resource")
    assignable = _assignable(taggables)
    parsed = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise Unprocessable(f"resources[{index}] must be an object")
        resource_id = item.get("resource_id")
        resource_type = item.get("resource_type")
        if isinstance(resource_id, int) and not isinstance(resource_id, bool):
            resource_id = str(resource_id)
        if not isinstance(resource_id, str) or not resource_id:
            raise Unprocessable(f"resources[{index}].resource_id is required")
        if resource_type not in assignable:
            raise Unprocessable(
                f"resources[{index}].resource_type must be one of {', '.join(assignable)}"
            )
        parsed.append((resource_type, resource_id))
    return parsed


def _check_exists(
    connection: Connection, account_id: str, taggable: Taggable, resource_id: str
) -> None:
    if taggable.exists is not None and not taggable.exists(connection, account_id, resource_id):
        raise NotFound(f"{taggable.resource_type} {resource_id} not found")


def assign(
    connection: Connection,
    account_id: str,
    name: str,
    payload: Any,
    taggables: Mapping[str, Taggable],
    now: float,
) -> None:
    tag = get(connection, account_id, name)
    for resource_type, resource_id in _resources(payload, taggables):
        _check_exists(connection, account_id, taggables[resource_type], resource_id)
        tags.add(connection, account_id, resource_type, resource_id, [tag.name], now)


def unassign(
    connection: Connection,
    account_id: str,
    name: str,
    payload: Any,
    taggables: Mapping[str, Taggable],
) -> None:
    tag = get(connection, account_id, name)
    for resource_type, resource_id in _resources(payload, taggables):
        _check_exists(connection, account_id, taggables[resource_type], resource_id)
        tags.remove(connection, tag.id, resource_type, resource_id)


def render_many(
    connection: Connection,
    rows: list[Row[Any]],
    taggables: Mapping[str, Taggable],
    base_url: str,
) -> list[dict[str, Any]]:
    """A page of tags with their counts, from one query for all of them."""
    by_tag: dict[int, list[Row[Any]]] = {tag.id: [] for tag in rows}
    if by_tag:
        for tagging in connection.execute(_TAGGED, {"tag_ids": list(by_tag)}):
            by_tag[tagging.tag_id].append(tagging)
    counted = [t for t in taggables.values() if t.listed_as is not None]
    return [_render(tag, by_tag[tag.id], counted, base_url) for tag in rows]


def _render(
    tag: Row[Any], taggings: list[Row[Any]], counted: list[Taggable], base_url: str
) -> dict[str, Any]:
    segments = {t.resource_type: t.uri_segment for t in counted}
    listed = [t for t in taggings if t.resource_type in segments]

    def uri(tagging: Row[Any]) -> str:
        return f"{base_url}/v2/{segments[tagging.resource_type]}/{tagging.resource_id}"

    resources: dict[str, Any] = {"count": len(listed)}
    if listed:
        resources["last_tagged_uri"] = uri(listed[-1])
    for taggable in counted:
        of_type = [t for t in listed if t.resource_type == taggable.resource_type]
        stats: dict[str, Any] = {"count": len(of_type)}
        if of_type:
            stats["last_tagged_uri"] = uri(of_type[-1])
        resources[str(taggable.listed_as)] = stats
    return {"name": tag.name, "resources": resources}
