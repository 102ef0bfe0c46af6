"""VPC rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from localocean.store.models import Vpc
from localocean.store.paging import fetch_page


def list_page(session: Session, account_id: str, offset: int, limit: int) -> tuple[list[Vpc], int]:
    stmt = select(Vpc).where(Vpc.account_id == account_id).order_by(Vpc.created_at, Vpc.id)
    return fetch_page(session, stmt, offset, limit)


def get(session: Session, account_id: str, vpc_id: str) -> Vpc | None:
    return session.execute(
        select(Vpc).where(Vpc.account_id == account_id, Vpc.id == vpc_id)
    ).scalar_one_or_none()


def in_region(session: Session, account_id: str, region: str) -> list[Vpc]:
    stmt = select(Vpc).where(Vpc.account_id == account_id, Vpc.region == region)
    return list(session.execute(stmt).scalars())


def all_of(session: Session, account_id: str) -> list[Vpc]:
    return list(session.execute(select(Vpc).where(Vpc.account_id == account_id)).scalars())


def add(session: Session, vpc: Vpc) -> Vpc:
    session.add(vpc)
    session.flush()
    return vpc


def delete(session: Session, vpc: Vpc) -> None:
    session.delete(vpc)
    session.flush()
