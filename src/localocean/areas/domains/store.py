"""Domain (zone) rows and their records. A domain name is unique across all accounts, as on
DigitalOcean: a zone belongs to one account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
    update,
)

from localocean.core import tallies
from localocean.core.db import change_row, next_id, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import account_id_column, metadata

# DigitalOcean's record ids are 9- and 10-digit integers today; these stay below 2^31 for
# clients that read them as 32-bit integers.
RECORD_IDS_START = 1_700_000_000

domains = Table(
    "domains",
    metadata,
    Column("name", String(253), primary_key=True),
    account_id_column(),
    Column("ttl", Integer, nullable=False),
    # The SOA serial: the time of the zone's last change, as an integer.
    Column("serial", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_domains_account_name", "account_id", "name"),
)

domain_records = Table(
    "domain_records",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("domain", String(253), ForeignKey("domains.name", ondelete="CASCADE"), nullable=False),
    account_id_column(),
    Column("type", String(8), nullable=False),
    # Relative to the zone: `@` for the apex.
    Column("name", String(253), nullable=False),
    Column("data", Text, nullable=False),
    Column("priority", Integer, nullable=True),
    Column("port", Integer, nullable=True),
    Column("ttl", Integer, nullable=False),
    Column("weight", Integer, nullable=True),
    Column("flags", Integer, nullable=True),
    Column("tag", String(16), nullable=True),
    Index("ix_domain_records_domain", "domain", "id"),
    Index("ix_domain_records_domain_name", "domain", "name", "type"),
)

_OF_ACCOUNT = domains.c.account_id == bindparam("account_id")
_LIST = PagedQuery(select(domains).where(_OF_ACCOUNT).order_by(domains.c.name), tally="domains")
_GET = Query(select(domains).where(_OF_ACCOUNT, domains.c.name == bindparam("name")))
_HELD_AMONG = Query(
    select(domains.c.name).where(
        _OF_ACCOUNT, domains.c.name.in_(bindparam("names", expanding=True))
    )
)
_TOUCH = Write(
    update(domains)
    .where(domains.c.name == bindparam("domain_name"))
    .values(serial=bindparam("new_serial"))
)

_OF_DOMAIN = domain_records.c.domain == bindparam("domain")
_RECORDS = select(domain_records).where(_OF_DOMAIN)
_ORDER = domain_records.c.id
_RECORDS_ALL = PagedQuery(_RECORDS.order_by(_ORDER))
_RECORDS_TYPED = PagedQuery(
    _RECORDS.where(domain_records.c.type == bindparam("type")).order_by(_ORDER)
)
_RECORDS_NAMED = PagedQuery(
    _RECORDS.where(domain_records.c.name == bindparam("name")).order_by(_ORDER)
)
_RECORDS_BOTH = PagedQuery(
    _RECORDS.where(
        domain_records.c.type == bindparam("type"), domain_records.c.name == bindparam("name")
    ).order_by(_ORDER)
)
_RECORDS_OF_MANY = Query(
    select(domain_records)
    .where(domain_records.c.domain.in_(bindparam("domains", expanding=True)))
    .order_by(_ORDER)
)
_RECORD = Query(
    select(domain_records).where(_OF_DOMAIN, domain_records.c.id == bindparam("record_id"))
)
_ADD_RECORD = Write(domain_records.insert())
_DELETE_RECORD = Write(domain_records.delete().where(domain_records.c.id == bindparam("record_id")))


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def get(connection: Connection, account_id: str, name: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "name": name})


def held_among(connection: Connection, account_id: str, names: list[str]) -> list[str]:
    """Which of `names` are zones of the account."""
    if not names:
        return []
    rows = _HELD_AMONG.all(connection, {"account_id": account_id, "names": names})
    return [row.name for row in rows]


def add(connection: Connection, **values: Any) -> None:
    """Raises Duplicate if any account holds a zone of this name."""
    with savepoint(connection):
        connection.execute(domains.insert(), values)
    tallies.add(connection, values["account_id"], "domains")


def touch(connection: Connection, domain: Row[Any], now: float) -> None:
    """A change to the zone: its SOA serial moves on (never backwards, at least by one)."""
    serial = max(int(now), int(domain.serial) + 1)
    _TOUCH.run(connection, {"domain_name": domain.name, "new_serial": serial})


def delete(connection: Connection, domain: Row[Any]) -> None:
    connection.execute(domain_records.delete().where(domain_records.c.domain == domain.name))
    connection.execute(domains.delete().where(domains.c.name == domain.name))
    tallies.add(connection, domain.account_id, "domains", -1)


def records_page(
    connection: Connection,
    domain: str,
    page: Page,
    *,
    record_type: str | None = None,
    name: str | None = None,
) -> tuple[list[Row[Any]], int]:
    params: dict[str, Any] = {"domain": domain}
    if record_type is not None:
        params["type"] = record_type
    if name is not None:
        params["name"] = name
    if record_type is not None and name is not None:
        return _RECORDS_BOTH.fetch(connection, params, page)
    if record_type is not None:
        return _RECORDS_TYPED.fetch(connection, params, page)
    if name is not None:
        return _RECORDS_NAMED.fetch(connection, params, page)
    return _RECORDS_ALL.fetch(connection, params, page)


def records_of(connection: Connection, domain_names: list[str]) -> dict[str, list[Row[Any]]]:
    """Every record of these zones, oldest first, in one query."""
    found: dict[str, list[Row[Any]]] = {name: [] for name in domain_names}
    if domain_names:
        for row in _RECORDS_OF_MANY.all(connection, {"domains": domain_names}):
            found[row.domain].append(row)
    return found


def record(connection: Connection, domain: str, record_id: int) -> Row[Any] | None:
    return _RECORD.first(connection, {"domain": domain, "record_id": record_id})


def add_record(connection: Connection, **values: Any) -> int:
    record_id = next_id(connection, "domain_record", RECORD_IDS_START)
    _ADD_RECORD.run(connection, {"id": record_id, **values})
    return record_id


def change_record(connection: Connection, record_id: int, values: dict[str, Any]) -> None:
    change_row(connection, domain_records, record_id, values)


def delete_record(connection: Connection, record_id: int) -> None:
    _DELETE_RECORD.run(connection, {"record_id": record_id})


def delete_account(connection: Connection, account_id: str) -> None:
    connection.execute(domain_records.delete().where(domain_records.c.account_id == account_id))
    connection.execute(domains.delete().where(domains.c.account_id == account_id))


PER_ACCOUNT = select(domains.c.account_id, func.count()).group_by(domains.c.account_id)
RECORDS_PER_ACCOUNT = select(domain_records.c.account_id, func.count()).group_by(
    domain_records.c.account_id
)
