"""The one tags mechanism, for every taggable resource (images, clusters, node pools, ...).

A tag belongs to an account, keeps the spelling it was first created with, and is matched
case-insensitively. Taggings are rows (tag, resource type, resource id), in the order they were
made. Areas declare their taggable kinds (`Area.taggables`); the `/v2/tags` API is the `tags`
area.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeGuard

from sqlalchemy import Connection, Row, bindparam, func, select

from localocean.core import tallies
from localocean.core.db import Duplicate, savepoint
from localocean.core.errors import Unprocessable
from localocean.core.query import Query, Write
from localocean.core.tables import tagged_resources, tags
from localocean.core.validation import Body

NAME = re.compile(r"[a-zA-Z0-9_\-:]+")
MAX_NAME = 255

_FIND = Query(
    select(tags).where(
        tags.c.account_id == bindparam("account_id"), tags.c.name_key == bindparam("name_key")
    )
)
_INSERT_TAG = Write(tags.insert())
_INSERT_TAGGING = Write(tagged_resources.insert())
_TAGGED = Query(
    select(tagged_resources.c.id).where(
        tagged_resources.c.tag_id == bindparam("tag_id"),
        tagged_resources.c.resource_type == bindparam("resource_type"),
        tagged_resources.c.resource_id == bindparam("resource_id"),
    )
)
_NAMES_FOR = Query(
    select(tagged_resources.c.resource_type, tagged_resources.c.resource_id, tags.c.name)
    .join(tags, tags.c.id == tagged_resources.c.tag_id)
    .where(
        tags.c.account_id == bindparam("account_id"),
        tagged_resources.c.resource_type.in_(bindparam("resource_types", expanding=True)),
        tagged_resources.c.resource_id.in_(bindparam("resource_ids", expanding=True)),
    )
    .order_by(tagged_resources.c.id)
)


def valid_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME and bool(NAME.fullmatch(name))


def names_in(body: Body, field: str = "tags") -> list[str] | None:
    """A request's list of tag names, checked, without repeats; None if not given."""
    names = body.str_list(field)
    if names is None:
        return None
    for name in names:
        if not valid_name(name):
            raise Unprocessable(f"{field}: {name!r} is not a valid tag name")
    return list(dict.fromkeys(names))


def find(connection: Connection, account_id: str, name: str) -> Row[Any] | None:
    return _FIND.first(connection, {"account_id": account_id, "name_key": name.lower()})


def ensure(connection: Connection, account_id: str, name: str, now: float) -> Row[Any]:
    """The tag with this name, created if needed; the first spelling stays canonical."""
    found = find(connection, account_id, name)
    if found is None:
        try:
            with savepoint(connection):
                _INSERT_TAG.run(
                    connection,
                    {
                        "account_id": account_id,
                        "name": name,
                        "name_key": name.lower(),
                        "created_at": now,
                    },
                )
            tallies.add(connection, account_id, "tags")
        except Duplicate:
            pass  # created meanwhile under another spelling: that one is canonical
        found = find(connection, account_id, name)
    assert found is not None
    return found


def _tagging(tag_id: int, resource_type: str, resource_id: str) -> Any:
    return (
        (tagged_resources.c.tag_id == tag_id)
        & (tagged_resources.c.resource_type == resource_type)
        & (tagged_resources.c.resource_id == resource_id)
    )


def add(
    connection: Connection,
    account_id: str,
    resource_type: str,
    resource_id: str | int,
    names: Iterable[str],
    now: float,
) -> None:
    """Tag a resource with these names (tags created on use); existing taggings stay."""
    for name in names:
        tag = ensure(connection, account_id, name, now)
        tagging = {
            "tag_id": tag.id,
            "resource_type": resource_type,
            "resource_id": str(resource_id),
        }
        if _TAGGED.first(connection, tagging) is None:
            _INSERT_TAGGING.run(connection, {**tagging, "tagged_at": now})


def remove(connection: Connection, tag_id: int, resource_type: str, resource_id: str) -> None:
    connection.execute(
        tagged_resources.delete().where(_tagging(tag_id, resource_type, resource_id))
    )


def replace(
    connection: Connection,
    account_id: str,
    resource_type: str,
    resource_id: str | int,
    names: Iterable[str],
    now: float,
) -> None:
    """Make these names, in this order, the resource's tags."""
    untag(connection, resource_type, [resource_id])
    add(connection, account_id, resource_type, resource_id, names, now)


def untag(connection: Connection, resource_type: str, resource_ids: Iterable[str | int]) -> None:
    """Remove every tag from these resources (they are deleted or leave the account)."""
    ids = [str(resource_id) for resource_id in resource_ids]
    if ids:
        connection.execute(
            tagged_resources.delete().where(
                tagged_resources.c.resource_type == resource_type,
                tagged_resources.c.resource_id.in_(ids),
            )
        )


_CARRYING = Query(
    select(tagged_resources.c.resource_id)
    .join(tags, tags.c.id == tagged_resources.c.tag_id)
    .where(
        tags.c.account_id == bindparam("account_id"),
        tags.c.name_key == bindparam("name_key"),
        tagged_resources.c.resource_type == bindparam("resource_type"),
    )
    .order_by(tagged_resources.c.id)
)


def carrying(connection: Connection, account_id: str, name: str, resource_type: str) -> list[str]:
    """The ids of the account's resources of a type that carry the tag, oldest tagging first."""
    params = {"account_id": account_id, "name_key": name.lower(), "resource_type": resource_type}
    return [row.resource_id for row in _CARRYING.all(connection, params)]


def names_for(
    connection: Connection, account_id: str, resource_type: str, resource_ids: Iterable[str | int]
) -> dict[str, list[str]]:
    """Tag names on each of these resources, oldest tagging first: one query for a page."""
    return names_by_type(connection, account_id, {resource_type: resource_ids})[resource_type]


def names_by_type(
    connection: Connection, account_id: str, wanted: dict[str, Iterable[str | int]]
) -> dict[str, dict[str, list[str]]]:
    """`names_for` for resources of several types (a cluster and its node pools) in one query."""
    found: dict[str, dict[str, list[str]]] = {
        kind: {str(id_): [] for id_ in ids} for kind, ids in wanted.items()
    }
    resource_ids = [id_ for of_kind in found.values() for id_ in of_kind]
    if resource_ids:
        params = {
            "account_id": account_id,
            "resource_types": list(found),
            "resource_ids": resource_ids,
        }
        for resource_type, resource_id, name in _NAMES_FOR.all(connection, params):
            of_kind = found[resource_type]
            # Ids of different types may coincide: the pair names the resource.
            if resource_id in of_kind:
                of_kind[resource_id].append(name)
    return found


PER_ACCOUNT = select(tags.c.account_id, func.count()).group_by(tags.c.account_id)
