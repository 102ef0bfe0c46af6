"""Accounts, tokens and scopes: who is calling, and what they may do."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from localocean.core.db import next_id
from localocean.core.documents import read_document
from localocean.core.query import Query
from localocean.core.tables import accounts, tokens

ALL_SCOPES = ("*",)
ACCOUNT_NUMBERS_START = 10_000_000


@dataclass(frozen=True)
class Principal:
    account_id: str
    account_number: int
    token_hash: str
    scopes: tuple[str, ...]
    created_at: float

    def allows(self, needed: tuple[str, ...]) -> bool:
        return all(scope_allows(self.scopes, scope) for scope in needed)

    def allows_any(self, needed: tuple[str, ...]) -> bool:
        return any(scope_allows(self.scopes, scope) for scope in needed)


def scope_allows(granted: tuple[str, ...], needed: str) -> bool:
    """`*` grants everything, `image:*` every image scope; the legacy `read`/`write` scopes grant
    every `:read` scope and everything, as on DigitalOcean."""
    resource, _, verb = needed.partition(":")
    for scope in granted:
        if scope in ("*", "write", needed, f"{resource}:*"):
            return True
        if scope == "read" and verb == "read":
            return True
    return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(account: Row[Any], token_hash: str, scopes: list[str]) -> Principal:
    return Principal(account.id, account.number, token_hash, tuple(scopes), account.created_at)


def _new_account(connection: Connection, slug: str, now: float) -> Row[Any]:
    return _add(
        connection,
        id=secrets.token_hex(20),
        slug=slug,
        number=next_id(connection, "account", ACCOUNT_NUMBERS_START),
        name=slug,
        email=f"{slug}@localocean.dev",
        created_at=now,
    )


def find(connection: Connection, token: str) -> Principal | None:
    token_hash = hash_token(token)
    found = _find_token(connection, token_hash)
    if found is None:
        return None
    return _principal(found, token_hash, list(found.scopes))


def grant_token(
    connection: Connection, token: str, account_id: str, scopes: list[str], now: float
) -> str:
    """Bind a bearer token to an account with these scopes; returns the token's hash."""
    token_hash = hash_token(token)
    _put_token(connection, token_hash, account_id, scopes, now)
    return token_hash


def open_account(connection: Connection, token: str, now: float) -> Principal:
    """Open mode: any token is welcome and owns its own account, the same one every time."""
    found = find(connection, token)
    if found is not None:
        return found
    from localocean.core.db import Duplicate, savepoint

    scopes = list(ALL_SCOPES)
    try:
        with savepoint(connection):
            account = _new_account(connection, f"user-{hash_token(token)[:12]}", now)
            token_hash = grant_token(connection, token, account.id, scopes, now)
    except Duplicate:
        # Another process (sharing the database) opened it at the same moment.
        found = find(connection, token)
        if found is None:
            raise
        return found
    return _principal(account, token_hash, scopes)


@dataclass(frozen=True)
class TokenGrant:
    token: str
    account: str
    scopes: tuple[str, ...]


def read_tokens_file(path: Path) -> list[TokenGrant]:
    """Parse a `--tokens` YAML file; raises ValueError with a message for the user."""
    document = read_document(path, "tokens file")
    entries = document.get("tokens") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected a 'tokens:' list with at least one entry")
    grants = []
    for index, entry in enumerate(entries):
        where = f"{path}: tokens[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            raise ValueError(f"{where}: needs a 'token' string")
        token = entry["token"].strip()
        if not token:
            raise ValueError(f"{where}: 'token' is empty")
        account = entry.get("account") or f"account-{hash_token(token)[:12]}"
        scopes = entry.get("scopes", list(ALL_SCOPES))
        if not isinstance(account, str) or not isinstance(scopes, list):
            raise ValueError(f"{where}: 'account' must be a string and 'scopes' a list")
        if not all(isinstance(s, str) and s for s in scopes):
            raise ValueError(f"{where}: every scope must be a non-empty string")
        grants.append(TokenGrant(token, account, tuple(scopes)))
    return grants


def ensure_account(connection: Connection, slug: str, now: float) -> Row[Any]:
    return _find_by_slug(connection, slug) or _new_account(connection, slug, now)


def install_grants(connection: Connection, grants: list[TokenGrant], now: float) -> None:
    """Strict mode: create the accounts named in the tokens file and (re)bind their tokens."""
    for grant in grants:
        account = ensure_account(connection, grant.account, now)
        grant_token(connection, grant.token, account.id, list(grant.scopes), now)


def team_uuid(account_id: str) -> str:
    """Each account is its own team; this is the team's uuid, as `GET /v2/account` shows it."""
    return hashlib.sha1(account_id.encode()).hexdigest()


# Storage

_BY_TOKEN = Query(
    select(accounts, tokens.c.scopes)
    .join(tokens, tokens.c.account_id == accounts.c.id)
    .where(tokens.c.token_hash == bindparam("token_hash"))
)
_BY_ID = Query(select(accounts).where(accounts.c.id == bindparam("account_id")))


def _find_token(connection: Connection, token_hash: str) -> Row[Any] | None:
    """The account reached by a token, with the token's `scopes` column."""
    return _BY_TOKEN.first(connection, {"token_hash": token_hash})


def get(connection: Connection, account_id: str) -> Row[Any] | None:
    return _BY_ID.first(connection, {"account_id": account_id})


def _find_by_slug(connection: Connection, slug: str) -> Row[Any] | None:
    return connection.execute(select(accounts).where(accounts.c.slug == slug)).first()


def find_account(connection: Connection, key: str) -> str | None:
    """An account id from its id (uuid) or its name (slug)."""
    row = connection.execute(
        select(accounts.c.id).where((accounts.c.id == key) | (accounts.c.slug == key))
    ).first()
    return row.id if row else None


def _add(connection: Connection, **values: Any) -> Row[Any]:
    connection.execute(accounts.insert().values(**values))
    row = get(connection, values["id"])
    assert row is not None
    return row


def _put_token(
    connection: Connection, token_hash: str, account_id: str, scopes: list[str], now: float
) -> None:
    connection.execute(tokens.delete().where(tokens.c.token_hash == token_hash))
    connection.execute(
        tokens.insert().values(
            token_hash=token_hash, account_id=account_id, scopes=scopes, created_at=now
        )
    )
