"""Tags and the resources they are on."""

from __future__ import annotations

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from localocean.store.models import Tag, TaggedResource
from localocean.store.paging import fetch_page


def list_page(session: Session, account_id: str, offset: int, limit: int) -> tuple[list[Tag], int]:
    stmt = select(Tag).where(Tag.account_id == account_id).order_by(Tag.id)
    return fetch_page(session, stmt, offset, limit)


def find(session: Session, account_id: str, name_key: str) -> Tag | None:
    return session.execute(
        select(Tag).where(Tag.account_id == account_id, Tag.name_key == name_key)
    ).scalar_one_or_none()


def add(session: Session, tag: Tag) -> Tag:
    session.add(tag)
    session.flush()
    return tag


def delete(session: Session, tag: Tag) -> None:
    session.execute(sql_delete(TaggedResource).where(TaggedResource.tag_id == tag.id))
    session.delete(tag)
    session.flush()


def tagged(session: Session, tag_ids: list[int]) -> list[TaggedResource]:
    """Every tagging of these tags, oldest first: one query for a whole page of tags."""
    if not tag_ids:
        return []
    stmt = (
        select(TaggedResource).where(TaggedResource.tag_id.in_(tag_ids)).order_by(TaggedResource.id)
    )
    return list(session.execute(stmt).scalars())


def find_tagging(
    session: Session, tag_id: int, resource_type: str, resource_id: str
) -> TaggedResource | None:
    return session.execute(
        select(TaggedResource).where(
            TaggedResource.tag_id == tag_id,
            TaggedResource.resource_type == resource_type,
            TaggedResource.resource_id == resource_id,
        )
    ).scalar_one_or_none()


def add_tagging(session: Session, tagging: TaggedResource) -> None:
    session.add(tagging)
    session.flush()


def remove_tagging(session: Session, tagging: TaggedResource) -> None:
    session.delete(tagging)
    session.flush()


def names_on(session: Session, account_id: str, resource_type: str, resource_id: str) -> list[str]:
    stmt = (
        select(Tag.name)
        .join(TaggedResource, TaggedResource.tag_id == Tag.id)
        .where(
            Tag.account_id == account_id,
            TaggedResource.resource_type == resource_type,
            TaggedResource.resource_id == resource_id,
        )
        .order_by(TaggedResource.id)
    )
    return list(session.execute(stmt).scalars())
