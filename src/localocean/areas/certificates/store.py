"""Certificate rows: an account's TLS certificates, unique per account by name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    Row,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
)

from localocean.core import tallies
from localocean.core.db import change_row, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query
from localocean.core.tables import Json, account_id_column, metadata

certificates = Table(
    "certificates",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("dns_names", Json, nullable=False),
    # Known once the certificate is issued (a Let's Encrypt one while pending has neither).
    Column("not_after", Float, nullable=True),
    Column("sha1_fingerprint", String(40), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_certificates_account_name"),
    Index("ix_certificates_account_created", "account_id", "created_at", "name"),
)

_OF_ACCOUNT = certificates.c.account_id == bindparam("account_id")
# Names are unique per account: they order certificates made at the same moment (a seed).
_ORDER = (certificates.c.created_at, certificates.c.name)
_LIST = PagedQuery(select(certificates).where(_OF_ACCOUNT).order_by(*_ORDER), tally="certificates")
_NAMED = PagedQuery(
    select(certificates)
    .where(_OF_ACCOUNT, certificates.c.name == bindparam("name"))
    .order_by(*_ORDER)
)
_GET = Query(select(certificates).where(_OF_ACCOUNT, certificates.c.id == bindparam("cert_id")))
_ANY = Query(select(certificates).where(certificates.c.id == bindparam("cert_id")))


def list_page(
    connection: Connection, account_id: str, page: Page, name: str | None = None
) -> tuple[list[Row[Any]], int]:
    if name is not None:
        return _NAMED.fetch(connection, {"account_id": account_id, "name": name}, page)
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def get(connection: Connection, account_id: str, certificate_id: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "cert_id": certificate_id})


def get_any(connection: Connection, certificate_id: str) -> Row[Any] | None:
    return _ANY.first(connection, {"cert_id": certificate_id})


def add(connection: Connection, **values: Any) -> None:
    """Raises Duplicate if the account has a certificate of this name."""
    with savepoint(connection):
        connection.execute(certificates.insert(), values)
    tallies.add(connection, values["account_id"], "certificates")


def change(connection: Connection, certificate_id: str, **values: Any) -> None:
    change_row(connection, certificates, certificate_id, values)


def delete(connection: Connection, certificate: Row[Any]) -> None:
    connection.execute(certificates.delete().where(certificates.c.id == certificate.id))
    tallies.add(connection, certificate.account_id, "certificates", -1)


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(certificates.delete().where(certificates.c.account_id == account_id))


PER_ACCOUNT = select(certificates.c.account_id, func.count()).group_by(certificates.c.account_id)
