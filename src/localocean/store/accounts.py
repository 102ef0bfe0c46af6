"""Accounts and the tokens that reach them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from localocean.store.schema import accounts, tokens

_BY_TOKEN = (
    select(accounts, tokens.c.scopes)
    .join(tokens, tokens.c.account_id == accounts.c.id)
    .where(tokens.c.token_hash == bindparam("token_hash"))
)
_BY_ID = select(accounts).where(accounts.c.id == bindparam("account_id"))


def find_token(connection: Connection, token_hash: str) -> Row[Any] | None:
    """The account reached by a token, with the token's `scopes` column."""
    return connection.execute(_BY_TOKEN, {"token_hash": token_hash}).first()


def get(connection: Connection, account_id: str) -> Row[Any] | None:
    return connection.execute(_BY_ID, {"account_id": account_id}).first()


def find_by_slug(connection: Connection, slug: str) -> Row[Any] | None:
    return connection.execute(select(accounts).where(accounts.c.slug == slug)).first()


def add(connection: Connection, **values: Any) -> Row[Any]:
    connection.execute(accounts.insert().values(**values))
    row = get(connection, values["id"])
    assert row is not None
    return row


def put_token(connection: Connection, token_hash: str, account_id: str, scopes: str, now: float):
    connection.execute(tokens.delete().where(tokens.c.token_hash == token_hash))
    connection.execute(
        tokens.insert().values(
            token_hash=token_hash, account_id=account_id, scopes=scopes, created_at=now
        )
    )
