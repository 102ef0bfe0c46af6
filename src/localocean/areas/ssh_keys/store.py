"""SSH key rows: the public keys of an account, unique per account by fingerprint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
)

from localocean.core import tallies
from localocean.core.db import change_row, next_id, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query
from localocean.core.tables import account_id_column, metadata

# Real key ids are 8-digit integers; starting there makes ids look like DigitalOcean's.
SSH_KEY_IDS_START = 41_000_000

ssh_keys = Table(
    "ssh_keys",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("public_key", Text, nullable=False),
    # 16 bytes of MD5 as colon-separated hex pairs: 47 characters.
    Column("fingerprint", String(47), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "fingerprint", name="uq_ssh_keys_account_fingerprint"),
    Index("ix_ssh_keys_account_id", "account_id", "id"),
)

_OF_ACCOUNT = ssh_keys.c.account_id == bindparam("account_id")
_LIST = PagedQuery(select(ssh_keys).where(_OF_ACCOUNT).order_by(ssh_keys.c.id), tally="ssh_keys")
_BY_ID = Query(select(ssh_keys).where(_OF_ACCOUNT, ssh_keys.c.id == bindparam("key_id")))
_BY_FINGERPRINT = Query(
    select(ssh_keys).where(_OF_ACCOUNT, ssh_keys.c.fingerprint == bindparam("fingerprint"))
)


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def by_id(connection: Connection, account_id: str, key_id: int) -> Row[Any] | None:
    return _BY_ID.first(connection, {"account_id": account_id, "key_id": key_id})


def by_fingerprint(connection: Connection, account_id: str, fingerprint: str) -> Row[Any] | None:
    return _BY_FINGERPRINT.first(connection, {"account_id": account_id, "fingerprint": fingerprint})


def add(connection: Connection, **values: Any) -> int:
    """Raises Duplicate if the account already has a key with this fingerprint; the id counter
    is taken inside the savepoint too, so a refused key leaves no trace."""
    with savepoint(connection):
        key_id = next_id(connection, "ssh_key", SSH_KEY_IDS_START)
        connection.execute(ssh_keys.insert(), {"id": key_id, **values})
    tallies.add(connection, values["account_id"], "ssh_keys")
    return key_id


def rename(connection: Connection, key_id: int, name: str) -> None:
    change_row(connection, ssh_keys, key_id, {"name": name})


def delete(connection: Connection, key: Row[Any]) -> None:
    connection.execute(ssh_keys.delete().where(ssh_keys.c.id == key.id))
    tallies.add(connection, key.account_id, "ssh_keys", -1)


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(ssh_keys.delete().where(ssh_keys.c.account_id == account_id))


PER_ACCOUNT = select(ssh_keys.c.account_id, func.count()).group_by(ssh_keys.c.account_id)
