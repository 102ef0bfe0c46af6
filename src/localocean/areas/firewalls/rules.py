"""Cloud firewalls: DigitalOcean's checks of rules and targets, the changes it applies (status
`waiting` with `pending_changes`, then `succeeded`), and firewalls as it renders them."""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.firewalls import store
from localocean.areas.kubernetes import store as cluster_store
from localocean.areas.load_balancers import store as lb_store
from localocean.core import tags
from localocean.core.clock import rfc3339
from localocean.core.db import lock_at_once
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.validation import Body, numeric_id

NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.\-]+")
NAME_HINT = (
    "must begin with an alphanumeric character, followed by alphanumeric characters, periods "
    "and dashes"
)
PROTOCOLS = ("tcp", "udp", "icmp")
# DigitalOcean's limits: droplets by id and tags per firewall, rules per firewall, entries in
# one rule's sources or destinations.
MAX_DROPLETS = 10
MAX_TAGS = 5
MAX_RULES = 50
MAX_ENTRIES = 1000
# What DigitalOcean answers for a port of 0 (it renders "all" as "0" but does not take "0"
# back) and for ports on an icmp rule.
POSITIVE_PORTS = "You must specify a positive value for ports."
PORTS = re.compile(r"([0-9]{1,5})(?:-([0-9]{1,5}))?")
# Transition kind: a change to a firewall has reached its droplets.
APPLY = "firewall.apply"
SIDES = (("inbound_rules", "sources"), ("outbound_rules", "destinations"))


# Reading rules


def _ports(rule: Body, protocol: str, where: str) -> str:
    value = rule.data.get("ports")
    if value is None or value == "":
        if protocol == "icmp":
            return "0"  # how DigitalOcean renders an icmp rule
        raise Unprocessable(f"{where}.ports is required for {protocol} rules")
    if not isinstance(value, str):
        raise Unprocessable(f"{where}.ports must be a string")
    if protocol == "icmp":
        raise Unprocessable(POSITIVE_PORTS)
    if value == "all":
        return "0"
    match = PORTS.fullmatch(value)
    if match is None:
        raise Unprocessable(
            f'{where}.ports {value!r} must be a port, a range ("8000-9000") or "all"'
        )
    low = int(match[1])
    high = int(match[2]) if match[2] is not None else low
    if low < 1 or high < 1:
        raise Unprocessable(POSITIVE_PORTS)
    if high > 65535 or low > high:
        raise Unprocessable(f"{where}.ports {value!r} is not a valid port range (1-65535)")
    return str(low) if match[2] is None else f"{low}-{high}"


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Unprocessable(f"{where} must be a string")
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError as exc:
        raise Unprocessable(
            f"{where}: {value!r} is not an IPv4 or IPv6 address or CIDR block"
        ) from exc
    return value


def droplet_id_list(values: Any, where: str) -> list[int]:
    """Droplet ids as numbers, or as strings of digits (Ansible's firewall module sends
    strings), without repeats."""
    if not isinstance(values, list):
        raise Unprocessable(f"{where} must be an array")
    ids: list[int] = []
    for value in values:
        number = numeric_id(value)
        if number is None:
            raise Unprocessable(f"{where} must be an array of droplet ids")
        ids.append(number)
    return list(dict.fromkeys(ids))


def check_droplets(connection: Connection, account_id: str, ids: list[int], where: str) -> None:
    found = lb_store.existing_droplets(connection, account_id, ids)
    for droplet_id in ids:
        if droplet_id not in found:
            raise Unprocessable(f"{where}: droplet {droplet_id} was not found")


def _strings(values: Any, where: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Unprocessable(f"{where} must be an array of strings")
    return list(dict.fromkeys(values))


def _tag_names(values: Any, where: str) -> list[str]:
    names = _strings(values, where)
    for name in names:
        if not tags.valid_name(name):
            raise Unprocessable(f"{where}: {name!r} is not a valid tag name")
    return names


class Reader:
    """Reads a request's rules and targets for one account; with `check`, ids must name the
    account's resources and tags are created (a removal names what is there, and checks none)."""

    def __init__(self, connection: Connection, account_id: str, now: float, *, check: bool):
        self.connection = connection
        self.account_id = account_id
        self.now = now
        self.check = check

    def tags(self, values: Any, where: str) -> list[str]:
        names = _tag_names(values, where)
        if not self.check:
            return names
        return [
            tags.ensure(self.connection, self.account_id, name, self.now).name for name in names
        ]

    def targets(self, value: Any, where: str) -> dict[str, list[Any]]:
        if not isinstance(value, dict):
            raise Unprocessable(f"{where} is required, an object")
        given = {key: v for key, v in value.items() if v is not None}
        found: dict[str, list[Any]] = {}
        if "addresses" in given:
            addresses = _strings(given["addresses"], f"{where}.addresses")
            found["addresses"] = [
                _address(a, f"{where}.addresses[{i}]") for i, a in enumerate(addresses)
            ]
        if "droplet_ids" in given:
            ids = droplet_id_list(given["droplet_ids"], f"{where}.droplet_ids")
            if self.check:
                check_droplets(self.connection, self.account_id, ids, f"{where}.droplet_ids")
            found["droplet_ids"] = ids
        if "load_balancer_uids" in given:
            uids = _strings(given["load_balancer_uids"], f"{where}.load_balancer_uids")
            for uid in uids if self.check else ():
                if lb_store.get(self.connection, self.account_id, uid) is None:
                    raise Unprocessable(f"{where}.load_balancer_uids: {uid} was not found")
            found["load_balancer_uids"] = uids
        if "kubernetes_ids" in given:
            ids_ = _strings(given["kubernetes_ids"], f"{where}.kubernetes_ids")
            for cluster_id in ids_ if self.check else ():
                if cluster_store.get(self.connection, self.account_id, cluster_id) is None:
                    raise Unprocessable(f"{where}.kubernetes_ids: {cluster_id} was not found")
            found["kubernetes_ids"] = ids_
        if "tags" in given:
            found["tags"] = self.tags(given["tags"], f"{where}.tags")
        found = {key: values for key, values in found.items() if values}
        if not found:
            raise Unprocessable(
                f"{where} must name at least one address, droplet, load balancer, Kubernetes "
                "cluster or tag"
            )
        if sum(len(values) for values in found.values()) > MAX_ENTRIES:
            raise Unprocessable(f"{where} may have at most {MAX_ENTRIES} entries")
        return found

    def rule(self, value: Any, where: str, side: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Unprocessable(f"{where} must be an object")
        body = Body(value)
        protocol = body.str("protocol", required=True)
        if protocol not in PROTOCOLS:
            raise Unprocessable(f"{where}.protocol must be one of tcp, udp, icmp")
        ports = _ports(body, protocol, where)
        return {
            "protocol": protocol,
            "ports": ports,
            side: self.targets(value.get(side), f"{where}.{side}"),
        }

    def rules(self, body: Body) -> dict[str, list[dict[str, Any]]]:
        """Both lists of rules of a request, each without repeats."""
        found: dict[str, list[dict[str, Any]]] = {}
        for field, side in SIDES:
            given = body.list(field) or []
            rules = [self.rule(value, f"{field}[{i}]", side) for i, value in enumerate(given)]
            _no_repeats(rules, field)
            found[field] = rules
        return found


def _key(rule: dict[str, Any]) -> tuple[Any, ...]:
    side = "sources" if "sources" in rule else "destinations"
    targets = tuple(sorted((k, tuple(sorted(map(str, v)))) for k, v in rule[side].items()))
    return rule["protocol"], rule["ports"], targets


def _no_repeats(rules: list[dict[str, Any]], field: str) -> None:
    seen: set[tuple[Any, ...]] = set()
    for rule in rules:
        key = _key(rule)
        if key in seen:
            raise Unprocessable(f"{field}: the same rule is given twice")
        seen.add(key)


def _limits(inbound: list[Any], outbound: list[Any], droplet_ids: list[int], names: list[str]):
    if len(inbound) + len(outbound) > MAX_RULES:
        raise Unprocessable(f"a firewall may have at most {MAX_RULES} rules")
    if len(droplet_ids) > MAX_DROPLETS:
        raise Unprocessable(
            f"droplet_ids: a firewall applies to at most {MAX_DROPLETS} droplets by id; tag "
            "the droplets and add the tag instead"
        )
    if len(names) > MAX_TAGS:
        raise Unprocessable(f"tags: a firewall applies to at most {MAX_TAGS} tags")


# Changes


def get(
    connection: Connection, account_id: str, firewall_id: str, *, lock: bool = False
) -> Row[Any]:
    found = store.get(connection, account_id, firewall_id, lock=lock)
    if found is None:
        raise NotFound()
    return found


def _read(
    connection: Connection, account_id: str, payload: Any, now: float
) -> tuple[str, dict[str, list[Any]], list[int], list[str]]:
    """A create or a PUT: the whole firewall (what is left out is reset)."""
    body = Body(payload)
    name = body.str("name", required=True, max_length=255, pattern=NAME, pattern_hint=NAME_HINT)
    assert name is not None
    reader = Reader(connection, account_id, now, check=True)
    rules = reader.rules(body)
    if not rules["inbound_rules"] and not rules["outbound_rules"]:
        raise Unprocessable("a firewall needs at least one inbound or outbound rule")
    droplet_ids = droplet_id_list(body.data.get("droplet_ids", []), "droplet_ids")
    check_droplets(connection, account_id, droplet_ids, "droplet_ids")
    names = reader.tags(body.data.get("tags", []), "tags")
    _limits(rules["inbound_rules"], rules["outbound_rules"], droplet_ids, names)
    return name, rules, droplet_ids, names


def tagged_droplet_ids(connection: Connection, account_id: str, names: list[str]) -> list[int]:
    found = lb_store.tagged_droplets(connection, account_id, names)
    return sorted({droplet_id for ids in found.values() for droplet_id in ids})


def pending(
    connection: Connection,
    account_id: str,
    before: tuple[list[int], list[str]],
    after: tuple[list[int], list[str]],
) -> list[dict[str, Any]]:
    """The droplets a change reaches: those the firewall applies to afterwards (directly or by
    a tag), and those it no longer applies to, being removed."""
    old = set(before[0]) | set(tagged_droplet_ids(connection, account_id, before[1]))
    new = [*after[0], *tagged_droplet_ids(connection, account_id, after[1])]
    kept = list(dict.fromkeys(new))
    return [
        *({"droplet_id": d, "removing": False, "status": "waiting"} for d in kept),
        *(
            {"droplet_id": d, "removing": True, "status": "waiting"}
            for d in sorted(old - set(kept))
        ),
    ]


def create(connection: Connection, account_id: str, payload: Any, now: float) -> str:
    name, rules, droplet_ids, names = _read(connection, account_id, payload, now)
    firewall_id = str(uuid.uuid4())
    store.add(
        connection, id=firewall_id, account_id=account_id, name=name, status="waiting",
        created_at=now, pending_changes=pending(connection, account_id, ([], []),
                                                (droplet_ids, names)),
        **rules,
    )  # fmt: skip
    store.set_targets(connection, firewall_id, droplet_ids, names)
    return firewall_id


def current_targets(connection: Connection, firewall_id: str) -> tuple[list[int], list[str]]:
    droplet_ids, names = store.targets(connection, [firewall_id])
    return droplet_ids[firewall_id], names[firewall_id]


def change(
    connection: Connection,
    firewall: Row[Any],
    *,
    targets: tuple[list[int], list[str]] | None = None,
    **values: Any,
) -> None:
    """Record a change (new rules, targets or name): the firewall is `waiting` until the
    change reaches its droplets."""
    before = current_targets(connection, firewall.id)
    after = before if targets is None else targets
    inbound = values.get("inbound_rules", firewall.inbound_rules)
    outbound = values.get("outbound_rules", firewall.outbound_rules)
    _limits(inbound, outbound, after[0], after[1])
    if targets is not None:
        store.set_targets(connection, firewall.id, *targets)
    changes = pending(connection, firewall.account_id, before, after)
    store.change(connection, firewall.id, status="waiting", pending_changes=changes, **values)


def update(
    connection: Connection, account_id: str, firewall_id: str, payload: Any, now: float
) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    name, rules, droplet_ids, names = _read(connection, account_id, payload, now)
    change(connection, firewall, targets=(droplet_ids, names), name=name, **rules)


def add_droplets(connection: Connection, account_id: str, firewall_id: str, payload: Any) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    body = Body(payload)
    ids = droplet_id_list(body.list("droplet_ids", required=True), "droplet_ids")
    check_droplets(connection, account_id, ids, "droplet_ids")
    droplet_ids, names = current_targets(connection, firewall.id)
    change(connection, firewall, targets=(list(dict.fromkeys([*droplet_ids, *ids])), names))


def remove_droplets(
    connection: Connection, account_id: str, firewall_id: str, payload: Any
) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    gone = set(droplet_id_list(Body(payload).list("droplet_ids", required=True), "droplet_ids"))
    droplet_ids, names = current_targets(connection, firewall.id)
    change(connection, firewall, targets=([d for d in droplet_ids if d not in gone], names))


def add_tags(
    connection: Connection, account_id: str, firewall_id: str, payload: Any, now: float
) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    reader = Reader(connection, account_id, now, check=True)
    added = reader.tags(Body(payload).list("tags", required=True), "tags")
    droplet_ids, names = current_targets(connection, firewall.id)
    known = {name.lower() for name in names}
    kept = [*names, *(name for name in added if name.lower() not in known)]
    change(connection, firewall, targets=(droplet_ids, kept))


def remove_tags(connection: Connection, account_id: str, firewall_id: str, payload: Any) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    gone = {name.lower() for name in _tag_names(Body(payload).list("tags", required=True), "tags")}
    droplet_ids, names = current_targets(connection, firewall.id)
    change(connection, firewall, targets=(droplet_ids, [n for n in names if n.lower() not in gone]))


def _rules_given(body: Body) -> None:
    if not (body.list("inbound_rules") or body.list("outbound_rules")):
        raise Unprocessable("give inbound_rules or outbound_rules")


def add_rules(
    connection: Connection, account_id: str, firewall_id: str, payload: Any, now: float
) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    body = Body(payload)
    _rules_given(body)
    added = Reader(connection, account_id, now, check=True).rules(body)
    values: dict[str, Any] = {}
    for field, _side in SIDES:
        rules = [*getattr(firewall, field), *added[field]]
        _no_repeats(rules, field)
        values[field] = rules
    change(connection, firewall, **values)


def remove_rules(
    connection: Connection, account_id: str, firewall_id: str, payload: Any, now: float
) -> None:
    firewall = get(connection, account_id, firewall_id, lock=True)
    body = Body(payload)
    _rules_given(body)
    removed = Reader(connection, account_id, now, check=False).rules(body)
    values: dict[str, Any] = {}
    for field, _side in SIDES:
        gone = {_key(rule) for rule in removed[field]}
        values[field] = [rule for rule in getattr(firewall, field) if _key(rule) not in gone]
    change(connection, firewall, **values)


def delete(connection: Connection, account_id: str, firewall_id: str) -> Row[Any]:
    firewall = get(connection, account_id, firewall_id, lock=True)
    store.delete(connection, firewall)
    return firewall


def applied(connection: Connection, firewall_id: str) -> None:
    if lock_at_once(connection, store.firewalls, firewall_id) is not None:
        store.change(connection, firewall_id, status="succeeded", pending_changes=[])


# Rendering


def render_many(connection: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    """A page of firewalls, their droplets and tags read in two statements."""
    droplet_ids, names = store.targets(connection, [row.id for row in rows])
    return [render(row, droplet_ids[row.id], names[row.id]) for row in rows]


def render(row: Row[Any], droplet_ids: list[int], tag_names: list[str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "inbound_rules": row.inbound_rules,
        "outbound_rules": row.outbound_rules,
        "created_at": rfc3339(row.created_at),
        "droplet_ids": droplet_ids,
        "tags": tag_names,
        "pending_changes": row.pending_changes,
    }
