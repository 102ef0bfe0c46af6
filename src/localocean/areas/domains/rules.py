"""Domains (DNS zones) and their records, checked as DigitalOcean checks them.

A new zone gets DigitalOcean's SOA record and its three NS records (TTL 1800), and an A record
for `@` when created with `ip_address`. Record names are kept relative to the zone (`@` for the
apex; a name ending in a dot is taken as fully qualified and made relative). Host names in the
data of CNAME, MX, NS, SRV and CAA `issue`/`issuewild` records must end with a dot, and are
answered without it, as DigitalOcean does; all data but TXT is kept in lower case.

Other areas ask `holds` (is this zone the account's?) and `zone_of` (the account's zone that a
host name is, or is under: Let's Encrypt certificates).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.domains import store
from localocean.core.db import Duplicate
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.validation import Body, integer_id

TYPES = ("A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT")
NAMESERVERS = ("ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com")
DEFAULT_TTL = 1800
MIN_TTL = 30
MAX_TTL = 2**31 - 1
CAA_TAGS = ("issue", "issuewild", "iodef")
MAX_NAME = 253
MAX_TXT = 4096
# The SOA's refresh, retry and expire times, as DigitalOcean's zones have them.
SOA_TIMES = "10800 3600 604800"
# Host names in record data: the types whose data is one, and must end with a dot.
HOST_DATA = ("CNAME", "MX", "NS", "SRV")
# The fields each type keeps beside type, name, data and ttl; the others are null.
EXTRA_FIELDS = {"MX": ("priority",), "SRV": ("priority", "port", "weight"), "CAA": ("flags", "tag")}
ALL_EXTRA = ("priority", "port", "weight", "flags", "tag")

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
# Owner names and host names in data may carry underscores (`_acme-challenge`, `_sip._tcp`).
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_DOT = "Data needs to end with a dot (.)"


def domain_name(text: str) -> str | None:
    """A domain name as DigitalOcean keeps it (lower case, no final dot), or None if `text` is
    not one: labels of letters, digits and inner hyphens, at least two, the last a real TLD."""
    name = text.strip().lower().removesuffix(".")
    if not name or len(name) > MAX_NAME or not name.isascii():
        return None
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return name if _TLD.fullmatch(labels[-1]) else None


def _is_host(name: str) -> bool:
    labels = name.split(".")
    return (
        bool(name)
        and len(name) <= MAX_NAME
        and name.isascii()
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
    )


def _suffixes(host: str) -> list[str]:
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


# Other areas


def zone_of(connection: Connection, account_id: str, host: str) -> str | None:
    """The account's zone that `host` is, or is under (`*.` wildcards included); None if the
    account holds no such zone."""
    name = host.strip().lower().removesuffix(".").removeprefix("*.")
    if not _is_host(name):
        return None
    held = set(store.held_among(connection, account_id, _suffixes(name) or [name]))
    # The most specific zone wins (`sub.example.com` over `example.com`).
    return next((zone for zone in _suffixes(name) if zone in held), None)


# Domains


def get(connection: Connection, account_id: str, name: str) -> Row[Any]:
    found = store.get(connection, account_id, name.strip().lower().removesuffix("."))
    if found is None:
        raise NotFound()
    return found


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    text = body.str("name", required=True, max_length=MAX_NAME + 1) or ""
    name = domain_name(text)
    if name is None:
        raise Unprocessable(f"name {text!r} is not a valid domain name")
    address = body.str("ip_address")
    if address:
        _ipv4(address, "ip_address")
    try:
        store.add(
            connection,
            name=name,
            account_id=account_id,
            ttl=DEFAULT_TTL,
            serial=int(now),
            created_at=now,
        )
    except Duplicate as exc:
        raise Unprocessable(f"Domain {name} already exists") from exc
    base = {"domain": name, "account_id": account_id, **dict.fromkeys(ALL_EXTRA)}
    store.add_record(connection, **base, type="SOA", name="@", data=str(DEFAULT_TTL),
                     ttl=DEFAULT_TTL)  # fmt: skip
    for server in NAMESERVERS:
        store.add_record(connection, **base, type="NS", name="@", data=server, ttl=DEFAULT_TTL)
    if address:
        store.add_record(connection, **base, type="A", name="@", data=address, ttl=DEFAULT_TTL)
    return get(connection, account_id, name)


def delete(connection: Connection, account_id: str, name: str) -> None:
    store.delete(connection, get(connection, account_id, name))


def render(domain: Row[Any], records: list[Row[Any]] | None) -> dict[str, Any]:
    """A domain; `records` None renders `zone_file` null, as DigitalOcean answers a create
    before the zone file is generated."""
    return {
        "name": domain.name,
        "ttl": domain.ttl,
        "zone_file": None if records is None else zone_file(domain, records),
    }


def render_rows(connection: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    records = store.records_of(connection, [row.name for row in rows])
    return [render(row, records[row.name]) for row in rows]


def render_one(connection: Connection, domain: Row[Any]) -> dict[str, Any]:
    return render_rows(connection, [domain])[0]


# Zone files


def _fqdn(name: str, zone: str) -> str:
    return f"{zone}." if name == "@" else f"{name}.{zone}."


def _host(data: str, zone: str) -> str:
    return f"{zone}." if data == "@" else f"{data}."


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    # A TXT string holds at most 255 characters: longer data is several strings.
    chunks = [escaped[i : i + 255] for i in range(0, len(escaped), 255)] or [""]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def _rdata(record: Row[Any], zone: str) -> str:
    kind, data = record.type, record.data
    if kind in ("CNAME", "NS"):
        return _host(data, zone)
    if kind == "MX":
        return f"{record.priority} {_host(data, zone)}"
    if kind == "SRV":
        return f"{record.priority} {record.weight} {record.port} {_host(data, zone)}"
    if kind == "CAA":
        return f"{record.flags} {record.tag} {_quoted(data)}"
    if kind == "TXT":
        return _quoted(data)
    return str(data)


def zone_file(domain: Row[Any], records: Iterable[Row[Any]]) -> str:
    zone = domain.name
    rows = list(records)
    minimum = next((r.data for r in rows if r.type == "SOA"), str(DEFAULT_TTL))
    lines = [
        f"$ORIGIN {zone}.",
        f"$TTL {domain.ttl}",
        f"{zone}. IN SOA {NAMESERVERS[0]}. hostmaster.{zone}. {domain.serial} {SOA_TIMES} "
        f"{minimum}",
    ]
    lines += [
        f"{_fqdn(r.name, zone)} {r.ttl} IN {r.type} {_rdata(r, zone)}"
        for r in rows
        if r.type != "SOA"
    ]
    return "\n".join(lines) + "\n"


# Records


def _ipv4(text: str, field: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError as exc:
        raise Unprocessable(f"{field} {text!r} is not a valid IPv4 address") from exc


def _ipv6(text: str) -> str:
    try:
        ipaddress.IPv6Address(text)
    except ValueError as exc:
        raise Unprocessable(f"data {text!r} is not a valid IPv6 address") from exc
    return text.lower()


def record_name(text: str, zone: str) -> str:
    """A record's name relative to the zone: `@`, a relative name, or a fully qualified one
    (ending in a dot) in the zone."""
    name = text.strip().lower()
    if not name:
        raise Unprocessable("name is required")
    if name == "@":
        return name
    if name.endswith("."):
        absolute = name[:-1]
        if absolute == zone:
            return "@"
        if not absolute.endswith("." + zone):
            raise Unprocessable(f"name {text!r} is not in the zone {zone}")
        name = absolute[: -len(zone) - 1]
    labels = name.split(".")
    if labels[0] == "*":
        labels = labels[1:]
    if (labels and not _is_host(".".join(labels))) or len(name) + len(zone) + 1 > MAX_NAME:
        raise Unprocessable(f"name {text!r} is not a valid record name")
    return name


def _host_data(text: str, zone: str) -> str:
    """Host-name data: `@` (the zone itself) or a name ending in a dot, kept without it."""
    if text == "@":
        return text
    if not text.endswith("."):
        raise Unprocessable(_DOT)
    host = text[:-1].lower()
    if not _is_host(host):
        raise Unprocessable(f"data {text!r} is not a valid host name")
    return "@" if host == zone else host


def _ranged(body: Body, field: str, low: int, high: int, *, default: int | None = None) -> int:
    value = body.int(field, minimum=low, maximum=high)
    if value is None:
        if default is None:
            raise Unprocessable(f"{field} is required for this record type")
        return default
    return value


def _checked(kind: str, body: Body, zone: str, current: Row[Any] | None) -> dict[str, Any]:
    """The stored values of a record of type `kind` from `body`, with `current`'s values for
    what the body leaves out (an update)."""
    merged = Body({**({} if current is None else _values(current)), **body.data, "type": kind})
    name = merged.str("name") if kind != "MX" else merged.str("name") or "@"
    values: dict[str, Any] = {"type": kind, **dict.fromkeys(ALL_EXTRA)}
    values["name"] = record_name(name or "", zone)
    data = merged.str("data", max_length=MAX_TXT if kind == "TXT" else MAX_NAME + 1)
    if not data:
        raise Unprocessable("data is required")
    values["ttl"] = merged.int("ttl", minimum=MIN_TTL, maximum=MAX_TTL) or DEFAULT_TTL
    if kind == "A":
        data = _ipv4(data, "data")
    elif kind == "AAAA":
        data = _ipv6(data)
    elif kind in HOST_DATA:
        data = _host_data(data, zone)
    elif kind == "CAA":
        tag = merged.str("tag")
        if tag not in CAA_TAGS:
            raise Unprocessable(f"tag must be one of {', '.join(CAA_TAGS)}")
        values["tag"] = tag
        values["flags"] = _ranged(merged, "flags", 0, 255)
        if tag == "iodef":
            if not data.startswith(("mailto:", "http://", "https://")):
                raise Unprocessable("data of an iodef CAA record must be a mailto: or http(s) URL")
        elif data != ";":
            data = _host_data(data, zone)
    if kind == "MX":
        values["priority"] = _ranged(merged, "priority", 0, 65535)
    elif kind == "SRV":
        values["priority"] = _ranged(merged, "priority", 0, 65535)
        values["port"] = _ranged(merged, "port", 0, 65535)
        values["weight"] = _ranged(merged, "weight", 0, 65535, default=0)
    values["data"] = data
    return values


def _values(record: Row[Any]) -> dict[str, Any]:
    """A stored record as the request that would make it (host names get their dot back)."""
    values = {field: getattr(record, field) for field in ("name", "data", "ttl", *ALL_EXTRA)}
    return {k: v for k, v in values.items() if v is not None}


def _type(body: Body) -> str:
    text = body.str("type", required=True) or ""
    kind = text.upper()
    if kind not in TYPES:
        raise Unprocessable(f"type must be one of {', '.join(TYPES)}")
    return kind


def create_record(
    connection: Connection, account_id: str, name: str, payload: Any, now: float
) -> Row[Any]:
    domain = get(connection, account_id, name)
    body = Body(payload)
    kind = _type(body)
    if kind == "SOA":
        raise Unprocessable("SOA records are created with the domain and cannot be added")
    values = _checked(kind, body, domain.name, None)
    record_id = store.add_record(connection, domain=domain.name, account_id=account_id, **values)
    store.touch(connection, domain, now)
    return get_record(connection, account_id, domain.name, str(record_id))


def get_record(connection: Connection, account_id: str, name: str, record_id: str) -> Row[Any]:
    domain = get(connection, account_id, name)
    number = integer_id(record_id)
    found = store.record(connection, domain.name, number) if number is not None else None
    if found is None:
        raise NotFound()
    return found


def update_record(
    connection: Connection, account_id: str, name: str, record_id: str, payload: Any, now: float
) -> Row[Any]:
    """PUT and PATCH alike: what the body gives replaces the record's values, which are then
    checked as a new record's would be. Host names given again need their dot; a record whose
    stored host-name data is not given again is refused as on DigitalOcean."""
    domain = get(connection, account_id, name)
    record = get_record(connection, account_id, domain.name, record_id)
    body = Body(payload)
    if body.has("type") and _type(body) != record.type:
        raise Unprocessable("type of a record cannot be changed")
    if record.type == "SOA":
        # Only the TTL of the zone's SOA record can change.
        ttl = body.int("ttl", minimum=MIN_TTL, maximum=MAX_TTL)
        values: dict[str, Any] = {} if ttl is None else {"ttl": ttl}
    else:
        values = _checked(record.type, body, domain.name, record)
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    if changed:
        store.change_record(connection, record.id, changed)
        store.touch(connection, domain, now)
    return get_record(connection, account_id, domain.name, record_id)


def delete_record(
    connection: Connection, account_id: str, name: str, record_id: str, now: float
) -> None:
    domain = get(connection, account_id, name)
    record = get_record(connection, account_id, domain.name, record_id)
    if record.type == "SOA":
        raise Unprocessable("SOA records cannot be deleted")
    store.delete_record(connection, record.id)
    store.touch(connection, domain, now)


def filters(zone: str, query: Any) -> tuple[str | None, str | None, bool]:
    """The list's `type` and `name` filters as stored values (`name` is a fully qualified
    name, e.g. `www.example.com`), and whether any record can match them."""
    kind = query.get("type") or None
    full = query.get("name") or None
    if kind is not None:
        kind = kind.upper()
        if kind not in TYPES:
            return kind, None, False
    if full is None:
        return kind, None, True
    name = full.strip().lower().removesuffix(".")
    if name == zone:
        return kind, "@", True
    if name.endswith("." + zone):
        return kind, name[: -len(zone) - 1], True
    return kind, None, False


def render_record(record: Row[Any]) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": record.type,
        "name": record.name,
        "data": record.data,
        "priority": record.priority,
        "port": record.port,
        "ttl": record.ttl,
        "weight": record.weight,
        "flags": record.flags,
        "tag": record.tag,
    }
