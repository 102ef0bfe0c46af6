"""Load balancers: DigitalOcean's checks of a create or an update (PUT replaces the whole
configuration), the settings as it renders them, and the address a load balancer gets when it
becomes active."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.certificates import rules as certificates
from localocean.areas.droplets import rules as droplet_rules
from localocean.areas.load_balancers import store
from localocean.areas.projects import rules as projects
from localocean.areas.regions import catalog as regions
from localocean.areas.vpcs import rules as vpcs
from localocean.areas.vpcs import store as vpc_store
from localocean.core import tags
from localocean.core.clock import rfc3339
from localocean.core.db import next_id
from localocean.core.errors import Forbidden, NotFound, Unprocessable
from localocean.core.validation import Body, numeric_id

NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.\-]*")
NAME_HINT = "may only contain alphanumeric characters, dashes, and periods"
TYPES = ("REGIONAL", "REGIONAL_NETWORK", "GLOBAL")
NETWORKS = ("EXTERNAL", "INTERNAL")
STACKS = ("IPV4", "DUALSTACK")
ENTRY_PROTOCOLS = ("http", "https", "http2", "http3", "tcp", "udp")
TARGET_PROTOCOLS = ("http", "https", "http2", "tcp", "udp")
HEALTH_PROTOCOLS = ("http", "https", "tcp")
STICKY_TYPES = ("none", "cookies")
CIPHER_POLICIES = ("DEFAULT", "STRONG")
ALGORITHMS = ("round_robin", "least_connections")
# The legacy sizes, as nodes.
SIZES = {"lb-small": 1, "lb-medium": 3, "lb-large": 6}
MAX_SIZE_UNIT = 100
# Every load balancer's IPv6 address is in this /64 of RFC 3849 documentation space.
IPV6_NETWORK = ipaddress.IPv6Network("2001:db8:0:2::/64")
BUSY = "Load Balancer can't be updated while it processes previous actions"
# Transition kind: a new load balancer comes up.
ACTIVATE = "load_balancer.activate"


@contextmanager
def _within(where: str) -> Iterator[None]:
    """Name the part of the request a nested field belongs to in the 422's message."""
    try:
        yield
    except Unprocessable as exc:
        raise Unprocessable(f"{where}.{exc.message}") from exc


def _object(value: Any, where: str) -> Body:
    if not isinstance(value, dict):
        raise Unprocessable(f"{where} must be an object")
    return Body(value)


def _enum(body: Body, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = body.str(name, required=default is None)
    if value is None:
        assert default is not None
        return default
    if value not in choices:
        raise Unprocessable(f"{name} must be one of {', '.join(choices)}")
    return value


URN_KIND = "loadbalancer"

# Reading a request


def forwarding_rule(value: Any, where: str, lb_type: str) -> dict[str, Any]:
    rule = _object(value, where)
    with _within(where):
        entry = _enum(rule, "entry_protocol", ENTRY_PROTOCOLS)
        entry_port = rule.int("entry_port", required=True, minimum=1, maximum=65535)
        target = _enum(rule, "target_protocol", TARGET_PROTOCOLS)
        target_port = rule.int("target_port", required=True, minimum=1, maximum=65535)
        certificate_id = rule.str("certificate_id", max_length=64) or ""
        passthrough = bool(rule.bool("tls_passthrough"))
    if (entry == "udp") != (target == "udp"):
        raise Unprocessable(f"{where}: udp must be both the entry and the target protocol")
    if lb_type == "REGIONAL_NETWORK" and entry not in ("tcp", "udp"):
        raise Unprocessable(f"{where}: a REGIONAL_NETWORK load balancer forwards tcp and udp only")
    if certificate_id and passthrough:
        raise Unprocessable(
            f"{where}: either certificate_id should be set or tls_passthrough enabled, not both"
        )
    if entry == "https" and not (certificate_id or passthrough):
        raise Unprocessable(f"{where}: an https entry needs a certificate_id or tls_passthrough")
    if entry == "http3" and not certificate_id:
        raise Unprocessable(f"{where}: an http3 entry needs a certificate_id")
    if passthrough and (entry, target) != ("https", "https"):
        raise Unprocessable(f"{where}: tls_passthrough needs https as entry and target protocol")
    if certificate_id and entry not in ("https", "http2", "http3"):
        raise Unprocessable(f"{where}: a certificate_id is used by https, http2 or http3 entries")
    return {
        "entry_protocol": entry,
        "entry_port": entry_port,
        "target_protocol": target,
        "target_port": target_port,
        "certificate_id": certificate_id,
        "tls_passthrough": passthrough,
    }


def forwarding_rules(values: Any, lb_type: str, *, field: str = "forwarding_rules") -> list[dict]:
    if not isinstance(values, list):
        raise Unprocessable(f"{field} must be an array")
    rules = [forwarding_rule(value, f"{field}[{i}]", lb_type) for i, value in enumerate(values)]
    check_entry_ports(rules, field)
    return rules


def check_certificates(connection: Connection, account_id: str, ids: list[str]) -> None:
    """Every certificate a rule (or a GLOBAL load balancer's domain) names is the account's."""
    for certificate_id in ids:
        if certificate_id and certificates.find(connection, account_id, certificate_id) is None:
            raise Unprocessable(f"certificate {certificate_id} was not found")


def check_entry_ports(rules: list[dict[str, Any]], field: str = "forwarding_rules") -> None:
    """An entry port listens once per transport (tcp and udp may share a number)."""
    seen: set[tuple[bool, int]] = set()
    for rule in rules:
        key = (rule["entry_protocol"] == "udp", rule["entry_port"])
        if key in seen:
            raise Unprocessable(f"{field}: entry port {rule['entry_port']} is used by two rules")
        seen.add(key)


def _health_check(value: Any) -> dict[str, Any]:
    check = _object(value if value is not None else {}, "health_check")
    with _within("health_check"):
        protocol = _enum(check, "protocol", HEALTH_PROTOCOLS, "http")
        port = check.int("port", minimum=1, maximum=65535)
        path = check.str("path", max_length=1024)
        interval = check.int("check_interval_seconds", minimum=3, maximum=300)
        timeout = check.int("response_timeout_seconds", minimum=3, maximum=300)
        unhealthy = check.int("unhealthy_threshold", minimum=2, maximum=10)
        healthy = check.int("healthy_threshold", minimum=2, maximum=10)
        proxy_protocol = check.bool("proxy_protocol")
    if path and not path.startswith("/"):
        raise Unprocessable("health_check.path must start with /")
    rendered: dict[str, Any] = {
        "protocol": protocol,
        "port": 80 if port is None else port,
        "path": path or "/",
        "check_interval_seconds": 10 if interval is None else interval,
        "response_timeout_seconds": 5 if timeout is None else timeout,
        "unhealthy_threshold": 5 if unhealthy is None else unhealthy,
        "healthy_threshold": 3 if healthy is None else healthy,
    }
    if proxy_protocol is not None:
        rendered["proxy_protocol"] = proxy_protocol
    return rendered


def _sticky_sessions(value: Any) -> dict[str, Any]:
    sticky = _object(value if value is not None else {}, "sticky_sessions")
    with _within("sticky_sessions"):
        kind = _enum(sticky, "type", STICKY_TYPES, "none")
        if kind == "none":
            return {"type": "none"}
        name = sticky.str("cookie_name", required=True, max_length=40) or ""
        ttl = sticky.int("cookie_ttl_seconds", required=True, minimum=1)
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise Unprocessable("sticky_sessions.cookie_name may only contain letters, digits, - and _")
    return {"type": "cookies", "cookie_name": name, "cookie_ttl_seconds": ttl}


def _firewall_rule(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise Unprocessable(f"{where} must be a string")
    kind, _, value = text.partition(":")
    try:
        if kind == "ip":
            ipaddress.ip_address(value)
            return text
        if kind == "cidr":
            ipaddress.ip_network(value, strict=False)
            return text
    except ValueError:
        pass
    raise Unprocessable(f"{where}: {text!r} is not of the form ip:<address> or cidr:<network>")


def _firewall(value: Any) -> dict[str, list[str]]:
    rules = _object(value if value is not None else {}, "firewall")
    found: dict[str, list[str]] = {}
    for key in ("deny", "allow"):
        given = rules.list(key) or []
        found[key] = [_firewall_rule(rule, f"firewall.{key}[{i}]") for i, rule in enumerate(given)]
    return found


def _size(body: Body) -> tuple[int, str | None]:
    unit = body.int("size_unit", minimum=1, maximum=MAX_SIZE_UNIT)
    slug = body.str("size")
    if slug is not None and slug not in SIZES:
        raise Unprocessable(f"size must be one of {', '.join(SIZES)}")
    if unit is not None and slug is not None:
        raise Unprocessable("give either size_unit or size, not both")
    if slug is not None:
        return SIZES[slug], slug
    return (1 if unit is None else unit), None


def _droplet_ids(body: Body) -> list[int]:
    given = body.list("droplet_ids") or []
    ids: list[int] = []
    for value in given:
        number = None if isinstance(value, str) else numeric_id(value)  # numbers only here
        if number is None:
            raise Unprocessable("droplet_ids must be an array of droplet ids")
        ids.append(number)
    return list(dict.fromkeys(ids))


def check_droplets(
    connection: Connection, account_id: str, droplet_ids: list[int], region: str | None
) -> None:
    """Each droplet is the account's, in the load balancer's region."""
    found = store.droplet_regions(connection, account_id, droplet_ids)
    for droplet_id in droplet_ids:
        if droplet_id not in found:
            raise Unprocessable(f"droplet_ids: droplet {droplet_id} was not found")
        if found[droplet_id] != region:
            raise Unprocessable(
                f"droplet_ids: droplet {droplet_id} is in {found[droplet_id]}, not in the load "
                f"balancer's region {region}"
            )


def _global_settings(
    connection: Connection, account_id: str, body: Body, lb_type: str
) -> dict[str, Any]:
    """A global load balancer's own settings (domains, CDN, the regional ones it targets)."""
    given = [
        key for key in ("domains", "glb_settings", "target_load_balancer_ids") if body.has(key)
    ]
    if lb_type != "GLOBAL":
        if given:
            raise Unprocessable(f"{given[0]} is only for a GLOBAL load balancer")
        return {}
    domains = []
    for i, value in enumerate(body.list("domains") or []):
        domain = _object(value, f"domains[{i}]")
        with _within(f"domains[{i}]"):
            name = domain.str("name", required=True, max_length=253) or ""
            managed = bool(domain.bool("is_managed"))
            certificate_id = domain.str("certificate_id", max_length=64)
        entry: dict[str, Any] = {"name": name, "is_managed": managed}
        if certificate_id:
            check_certificates(connection, account_id, [certificate_id])
            entry["certificate_id"] = certificate_id
        domains.append(entry)
    glb = _object(body.data.get("glb_settings", {}), "glb_settings")
    with _within("glb_settings"):
        settings: dict[str, Any] = {
            "target_protocol": _enum(glb, "target_protocol", ("http", "https", "http2"), "http"),
            "target_port": glb.int("target_port", minimum=1, maximum=65535) or 80,
            "cdn": {"is_enabled": bool(_object(glb.data.get("cdn", {}), "cdn").bool("is_enabled"))},
        }
        priorities = glb.data.get("region_priorities")
        if priorities is not None:
            if not isinstance(priorities, dict) or not all(
                regions.exists(k) and isinstance(v, int) and not isinstance(v, bool)
                for k, v in priorities.items()
            ):
                raise Unprocessable("region_priorities must map region slugs to integers")
            settings["region_priorities"] = priorities
        threshold = glb.int("failover_threshold", minimum=1, maximum=99)
        if threshold is not None:
            settings["failover_threshold"] = threshold
    targets = body.str_list("target_load_balancer_ids") or []
    for target in targets:
        found = store.get(connection, account_id, target)
        if found is None or found.type == "GLOBAL":
            raise Unprocessable(
                f"target_load_balancer_ids: {target} is not a regional load balancer of this "
                "account"
            )
    return {
        "domains": domains,
        "glb_settings": settings,
        "target_load_balancer_ids": list(dict.fromkeys(targets)),
    }


def _project_id(body: Body) -> str | None:
    project_id = body.str("project_id")
    if not project_id:
        return None
    try:
        uuid.UUID(project_id)
    except ValueError as exc:
        raise Unprocessable("project_id must be a project's id (a UUID)") from exc
    return project_id


def _read(
    connection: Connection,
    account_id: str,
    payload: Any,
    now: float,
    current: Row[Any] | None,
) -> dict[str, Any]:
    """The columns a create or a PUT (a full representation: what it leaves out is reset to
    its default) stands for; the load balancer's region, type and networks stay as created."""
    body = Body(payload)
    name = body.str("name", required=True, max_length=255, pattern=NAME, pattern_hint=NAME_HINT)
    assert name is not None
    clash = store.named(connection, account_id, name)
    if clash is not None and (current is None or clash != current.id):
        raise Unprocessable(f"a load balancer named {name!r} already exists in this account")
    lb_type = _enum(body, "type", TYPES, current.type if current is not None else "REGIONAL")
    network = _enum(
        body, "network", NETWORKS, current.network if current is not None else "EXTERNAL"
    )
    stack = _enum(
        body, "network_stack", STACKS, current.network_stack if current is not None else "IPV4"
    )
    if current is not None:
        for field, old, new in (
            ("type", current.type, lb_type),
            ("network", current.network, network),
            ("network_stack", current.network_stack, stack),
        ):
            if old != new:
                raise Unprocessable(f"{field} cannot be changed after the load balancer is created")
    region = body.str("region")
    if lb_type == "GLOBAL":
        region = None  # it answers from every region: one given (the spec asks for it) is moot
    elif current is not None:
        if region is not None and region != current.region:
            raise Unprocessable("region cannot be changed after the load balancer is created")
        region = current.region
    elif not region:
        raise Unprocessable("region is required")
    elif not regions.is_available(region):
        raise Unprocessable(f"region {region!r} is not a valid, available region slug")
    if network == "INTERNAL" and lb_type == "GLOBAL":
        raise Unprocessable("network: a GLOBAL load balancer is EXTERNAL")
    unit, size = _size(body)
    algorithm = body.str("algorithm")  # deprecated: accepted, and round_robin it stays
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise Unprocessable(f"algorithm must be one of {', '.join(ALGORITHMS)}")
    if not body.has("forwarding_rules"):
        raise Unprocessable("forwarding_rules is required")
    rules = forwarding_rules(body.data["forwarding_rules"], lb_type)
    check_certificates(connection, account_id, [rule["certificate_id"] for rule in rules])
    if not rules:
        raise Unprocessable("forwarding_rules must have at least one rule")
    droplet_ids = _droplet_ids(body)
    tag = body.str("tag", max_length=255) or ""
    if droplet_ids and tag:
        raise Unprocessable("droplet_ids and tag are mutually exclusive: give one or the other")
    if tag and not tags.valid_name(tag):
        raise Unprocessable(f"tag: {tag!r} is not a valid tag name")
    if lb_type == "GLOBAL" and (droplet_ids or tag):
        raise Unprocessable("a GLOBAL load balancer targets load balancers, not droplets")
    check_droplets(connection, account_id, droplet_ids, region)
    tags.names_in(body)  # checked here; kept by `keep_tags` once the load balancer is stored
    idle = body.int("http_idle_timeout_seconds", minimum=30, maximum=600)
    vpc_id = body.str("vpc_uuid") or None
    if lb_type == "GLOBAL":
        if vpc_id:
            raise Unprocessable("vpc_uuid: a GLOBAL load balancer is in no VPC")
    elif current is not None:
        if vpc_id is not None and vpc_id != current.vpc_uuid:
            raise Unprocessable("vpc_uuid cannot be changed after the load balancer is created")
        vpc_id = current.vpc_uuid
    elif vpc_id:
        vpc = vpc_store.get(connection, account_id, vpc_id)
        if vpc is None:
            raise Unprocessable(f"vpc_uuid {vpc_id!r} is not a VPC of this account")
        if vpc.region != region:
            raise Unprocessable("The VPC must be in the same region as the load balancer.")
    else:
        assert region is not None
        vpc_id = vpcs.default_for(connection, account_id, region, now).id
    settings: dict[str, Any] = {
        "forwarding_rules": rules,
        "health_check": _health_check(body.data.get("health_check")),
        "sticky_sessions": _sticky_sessions(body.data.get("sticky_sessions")),
        "redirect_http_to_https": bool(body.bool("redirect_http_to_https")),
        "enable_proxy_protocol": bool(body.bool("enable_proxy_protocol")),
        "enable_backend_keepalive": bool(body.bool("enable_backend_keepalive")),
        "disable_lets_encrypt_dns_records": bool(body.bool("disable_lets_encrypt_dns_records")),
        "http_idle_timeout_seconds": 60 if idle is None else idle,
        "firewall": _firewall(body.data.get("firewall")),
        "tls_cipher_policy": _enum(body, "tls_cipher_policy", CIPHER_POLICIES, "DEFAULT"),
        **_global_settings(connection, account_id, body, lb_type),
    }
    if tag:
        tag = tags.ensure(connection, account_id, tag, now).name
    return {
        "name": name,
        "type": lb_type,
        "region": region,
        "vpc_uuid": vpc_id,
        "size_unit": unit,
        "size": size,
        "network": network,
        "network_stack": stack,
        "droplet_ids": droplet_ids,
        "tag": tag,
        "settings": settings,
    }


# Changing


def get(connection: Connection, account_id: str, lb_id: str) -> Row[Any]:
    found = store.get(connection, account_id, lb_id)
    if found is None:
        raise NotFound()
    return found


def changeable(connection: Connection, account_id: str, lb_id: str) -> Row[Any]:
    """The load balancer (its row locked until the change commits), refused (403) while it is
    still being created, as DigitalOcean does."""
    found = store.get(connection, account_id, lb_id, lock=True)
    if found is None:
        raise NotFound()
    if found.status != "active":
        raise Forbidden(BUSY)
    return found


TAGS = "load_balancer"  # the tags resource type


def keep_tags(
    connection: Connection, account_id: str, lb_id: str, payload: Any, now: float
) -> None:
    """DigitalOcean takes `tags` on a load balancer though the spec leaves them out (and shows
    none): the CCM's `k8s:<cluster-id>` makes it one of its cluster's associated resources. A
    PUT without `tags` keeps them."""
    names = tags.names_in(Body(payload))
    if names is not None:
        tags.replace(connection, account_id, TAGS, lb_id, names, now)


def urn(lb_id: str) -> str:
    return f"do:{URN_KIND}:{lb_id}"


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    values = _read(connection, account_id, payload, now, None)
    lb_id = str(uuid.uuid4())
    store.add(
        connection, id=lb_id, account_id=account_id, status="new", ip="", ipv6=None,
        created_at=now, **values,
    )  # fmt: skip
    keep_tags(connection, account_id, lb_id, payload, now)
    project_id = _project_id(Body(payload))
    projects.place(connection, account_id, urn(lb_id), URN_KIND, project_id, now)
    return get(connection, account_id, lb_id)


def update(
    connection: Connection, account_id: str, lb_id: str, payload: Any, now: float
) -> Row[Any]:
    current = changeable(connection, account_id, lb_id)
    values = _read(connection, account_id, payload, now, current)
    store.change(connection, current.id, **values)
    keep_tags(connection, account_id, current.id, payload, now)
    project_id = _project_id(Body(payload))
    if project_id:
        projects.place(connection, account_id, urn(current.id), URN_KIND, project_id, now)
    return get(connection, account_id, lb_id)


def add_droplets(connection: Connection, account_id: str, lb_id: str, payload: Any) -> None:
    lb = changeable(connection, account_id, lb_id)
    body = Body(payload)
    if not body.has("droplet_ids"):
        raise Unprocessable("droplet_ids is required")
    droplet_ids = _droplet_ids(body)
    if lb.tag:
        raise Unprocessable(
            "droplets cannot be added to a load balancer that balances the droplets of a tag"
        )
    if lb.type == "GLOBAL":
        raise Unprocessable("a GLOBAL load balancer targets load balancers, not droplets")
    check_droplets(connection, account_id, droplet_ids, lb.region)
    kept = list(dict.fromkeys([*lb.droplet_ids, *droplet_ids]))
    store.change(connection, lb.id, droplet_ids=kept)


def remove_droplets(connection: Connection, account_id: str, lb_id: str, payload: Any) -> None:
    lb = changeable(connection, account_id, lb_id)
    body = Body(payload)
    if not body.has("droplet_ids"):
        raise Unprocessable("droplet_ids is required")
    gone = set(_droplet_ids(body))
    if lb.tag and gone:
        raise Unprocessable(
            "droplets cannot be removed from a load balancer that balances the droplets of a tag"
        )
    store.change(connection, lb.id, droplet_ids=[d for d in lb.droplet_ids if d not in gone])


def _rules_of(body: Body, lb_type: str) -> list[dict[str, Any]]:
    if not body.has("forwarding_rules"):
        raise Unprocessable("forwarding_rules is required")
    return forwarding_rules(body.data["forwarding_rules"], lb_type)


def add_forwarding_rules(connection: Connection, account_id: str, lb_id: str, payload: Any) -> None:
    lb = changeable(connection, account_id, lb_id)
    added = _rules_of(Body(payload), lb.type)
    check_certificates(connection, account_id, [rule["certificate_id"] for rule in added])
    rules = [*lb.settings["forwarding_rules"], *added]
    check_entry_ports(rules)
    store.change(connection, lb.id, settings={**lb.settings, "forwarding_rules": rules})


def _same_rule(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("entry_protocol", "entry_port", "target_protocol", "target_port")
    return all(a[key] == b[key] for key in keys)


def remove_forwarding_rules(
    connection: Connection, account_id: str, lb_id: str, payload: Any
) -> None:
    lb = changeable(connection, account_id, lb_id)
    removed = _rules_of(Body(payload), lb.type)
    rules = [
        rule
        for rule in lb.settings["forwarding_rules"]
        if not any(_same_rule(rule, gone) for gone in removed)
    ]
    if not rules:
        raise Unprocessable("forwarding_rules: a load balancer keeps at least one rule")
    store.change(connection, lb.id, settings={**lb.settings, "forwarding_rules": rules})


def delete(connection: Connection, account_id: str, lb_id: str) -> Row[Any]:
    lb = get(connection, account_id, lb_id)
    remove(connection, lb)
    return lb


def tagged(connection: Connection, account_id: str, tag: str) -> list[tuple[str, str]]:
    """(id, name) of the account's load balancers created or updated with this tag."""
    return store.names(connection, tags.carrying(connection, account_id, tag, TAGS))


def remove(connection: Connection, lb: Row[Any]) -> None:
    tags.untag(connection, TAGS, [lb.id])
    store.delete(connection, lb)


def destroy(connection: Connection, account_id: str, lb_id: str) -> None:
    """Destroyed with its cluster (its activation, if pending, then finds nothing to do)."""
    lb = store.get(connection, account_id, lb_id)
    if lb is not None:
        remove(connection, lb)


def purge_cache(connection: Connection, account_id: str, lb_id: str) -> None:
    lb = get(connection, account_id, lb_id)
    if lb.type != "GLOBAL":
        raise Unprocessable("only a GLOBAL load balancer has a CDN cache to purge")


# Coming up


def activate(connection: Connection, lb: Row[Any], public_range: str) -> None:
    """The load balancer is up: it has its address (a private one for an INTERNAL one)."""
    if lb.network == "INTERNAL":
        vpc = vpc_store.get(connection, lb.account_id, lb.vpc_uuid)
        assert vpc is not None, "a VPC with a load balancer in it stays"
        ip, _netmask = droplet_rules.private_address(connection, vpc)
    else:
        ip = droplet_rules.public_address(connection, public_range)
    ipv6 = None
    if lb.network_stack == "DUALSTACK" and lb.network == "EXTERNAL":
        ipv6 = str(IPV6_NETWORK.network_address + next_id(connection, "load_balancer_ipv6", 0))
    store.change(connection, lb.id, status="active", ip=ip, ipv6=ipv6)


# Rendering


def render_many(connection: Connection, account_id: str, rows: list[Row[Any]]) -> list[dict]:
    """A page of load balancers: the droplets of each (by id, or by its tag) read in two
    statements for the whole page."""
    given = sorted({droplet_id for row in rows for droplet_id in row.droplet_ids})
    existing = store.existing_droplets(connection, account_id, given)
    tagged = store.tagged_droplets(connection, account_id, [row.tag for row in rows if row.tag])
    found = projects.projects_of(
        connection, account_id, [(urn(row.id), row.created_at) for row in rows]
    )
    rendered = []
    for row in rows:
        if row.tag:
            droplet_ids = tagged[row.tag.lower()]
        else:
            droplet_ids = [d for d in row.droplet_ids if d in existing]
        rendered.append(render(row, droplet_ids, found[urn(row.id)]))
    return rendered


def render_one(connection: Connection, row: Row[Any]) -> dict[str, Any]:
    return render_many(connection, row.account_id, [row])[0]


def render(row: Row[Any], droplet_ids: list[int], project_id: str | None) -> dict[str, Any]:
    settings = row.settings
    rendered: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "ip": row.ip,
        "size_unit": row.size_unit,
        "type": row.type,
        "algorithm": "round_robin",
        "status": row.status,
        "created_at": rfc3339(row.created_at),
        "forwarding_rules": settings["forwarding_rules"],
        "health_check": settings["health_check"],
        "sticky_sessions": settings["sticky_sessions"],
        "tag": row.tag,
        "droplet_ids": droplet_ids,
        "redirect_http_to_https": settings["redirect_http_to_https"],
        "enable_proxy_protocol": settings["enable_proxy_protocol"],
        "enable_backend_keepalive": settings["enable_backend_keepalive"],
        "http_idle_timeout_seconds": settings["http_idle_timeout_seconds"],
        "disable_lets_encrypt_dns_records": settings["disable_lets_encrypt_dns_records"],
        "firewall": settings["firewall"],
        "network": row.network,
        "network_stack": row.network_stack,
        "tls_cipher_policy": settings["tls_cipher_policy"],
    }
    if row.size is not None:
        rendered["size"] = row.size
    if row.ipv6:
        rendered["ipv6"] = row.ipv6
    if row.region is not None:
        rendered["region"] = regions.render(row.region)
    if row.vpc_uuid is not None:
        rendered["vpc_uuid"] = row.vpc_uuid
    if project_id is not None:
        rendered["project_id"] = project_id
    for key in ("domains", "glb_settings", "target_load_balancer_ids"):
        if key in settings:
            rendered[key] = settings[key]
    return rendered
