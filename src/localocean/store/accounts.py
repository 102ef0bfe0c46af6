"""Accounts and the tokens that reach them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from localocean.store.models import Account, Token


def find_token(session: Session, token_hash: str) -> tuple[Account, str] | None:
    row = session.execute(
        select(Account, Token.scopes)
        .join(Token, Token.account_id == Account.id)
        .where(Token.token_hash == token_hash)
    ).first()
    return (row[0], row[1]) if row else None


def get(session: Session, account_id: str) -> Account | None:
    return session.get(Account, account_id)


def find_by_slug(session: Session, slug: str) -> Account | None:
    return session.execute(select(Account).where(Account.slug == slug)).scalar_one_or_none()


def add(session: Session, account: Account) -> Account:
    session.add(account)
    session.flush()
    return account


def put_token(session: Session, token: Token) -> None:
    session.merge(token)
    session.flush()
