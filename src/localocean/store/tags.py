"""Tags and the resources they are on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from localocean.store.paging import PagedQuery
from localocean.store.schema import tagged_resources, tags

_OF_ACCOUNT = tags.c.account_id == bindparam("account_id")
_LIST = PagedQuery(select(tags).where(_OF_ACCOUNT).order_by(tags.c.id))
_FIND = select(tags).where(_OF_ACCOUNT, tags.c.name_key == bindparam("name_key"))
_TAGGED = (
    select(tagged_resources)
    .where(tagged_resources.c.tag_id.in_(bindparam("tag_ids", expanding=True)))
    .order_by(tagged_resources.c.id)
)


def list_page(
    connection: Connection, account_id: str, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, offset, limit)


def find(connection: Connection, account_id: str, name_key: str) -> Row[Any] | None:
    return connection.execute(_FIND, {"account_id": account_id, "name_key": name_key}).first()


def add(connection: Connection, **values: Any) -> None:
    connection.execute(tags.insert().values(**values))


def delete(connection: Connection, tag_id: int) -> None:
    connection.execute(tagged_resources.delete().where(tagged_resources.c.tag_id == tag_id))
    connection.execute(tags.delete().where(tags.c.id == tag_id))


def tagged(connection: Connection, tag_ids: list[int]) -> list[Row[Any]]:
    """Every tagging of these tags, oldest first: one query for a whole page of tags."""
    if not tag_ids:
        return []
    return list(connection.execute(_TAGGED, {"tag_ids": tag_ids}))


def _tagging(tag_id: int, resource_type: str, resource_id: str) -> Any:
    return (
        (tagged_resources.c.tag_id == tag_id)
        & (tagged_resources.c.resource_type == resource_type)
        & (tagged_resources.c.resource_id == resource_id)
    )


def is_tagged(connection: Connection, tag_id: int, resource_type: str, resource_id: str) -> bool:
    stmt = select(tagged_resources.c.id).where(_tagging(tag_id, resource_type, resource_id))
    return connection.execute(stmt).first() is not None


def tag(connection: Connection, tag_id: int, resource_type: str, resource_id: str, now: float):
    connection.execute(
        tagged_resources.insert().values(
            tag_id=tag_id, resource_type=resource_type, resource_id=resource_id, tagged_at=now
        )
    )


def untag(connection: Connection, tag_id: int, resource_type: str, resource_id: str) -> None:
    connection.execute(
        tagged_resources.delete().where(_tagging(tag_id, resource_type, resource_id))
    )


_NAMES_FOR = (
    select(tagged_resources.c.resource_id, tags.c.name)
    .join(tags, tags.c.id == tagged_resources.c.tag_id)
    .where(
        tags.c.account_id == bindparam("account_id"),
        tagged_resources.c.resource_type == bindparam("resource_type"),
        tagged_resources.c.resource_id.in_(bindparam("resource_ids", expanding=True)),
    )
    .order_by(tagged_resources.c.id)
)


def names_for(
    connection: Connection, account_id: str, resource_type: str, resource_ids: list[str]
) -> dict[str, list[str]]:
    """Tag names on each of these resources, oldest tagging first: one query for a page."""
    found: dict[str, list[str]] = {resource_id: [] for resource_id in resource_ids}
    if resource_ids:
        params = {
            "account_id": account_id,
            "resource_type": resource_type,
            "resource_ids": resource_ids,
        }
        for resource_id, name in connection.execute(_NAMES_FOR, params):
            found[resource_id].append(name)
    return found


def untag_resource(connection: Connection, resource_type: str, resource_id: str) -> None:
    """Remove every tag from a resource (it is deleted or leaves the account)."""
    connection.execute(
        tagged_resources.delete().where(
            tagged_resources.c.resource_type == resource_type,
            tagged_resources.c.resource_id == resource_id,
        )
    )
