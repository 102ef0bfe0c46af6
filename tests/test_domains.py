"""Domains and domain records (`/v2/domains`): zones with DigitalOcean's default records and zone
files, records of every type with DigitalOcean's checks, through pydo and httpx; Terraform's,
external-dns's and cert-manager's sequences; real Ansible; seeds, reset, export and faults."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pydo
import pytest
import yaml

from tests.conftest import new_token
from tests.support.ansible import run_module, run_play
from tests.test_conventions import assert_error

NS = ["ns1.digitalocean.com", "ns2.digitalocean.com", "ns3.digitalocean.com"]
NO_EXTRAS = {"priority": None, "port": None, "weight": None, "flags": None, "tag": None}


def zone() -> str:
    """A domain name of its own: names are unique across every account of a server."""
    return f"z{uuid.uuid4().hex[:12]}.com"


def add_domain(http: httpx.Client, name: str, **extra) -> dict:
    response = http.post("/v2/domains", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()["domain"]


def add_record(http: httpx.Client, domain: str, **body) -> dict:
    response = http.post(f"/v2/domains/{domain}/records", json=body)
    assert response.status_code == 201, response.text
    return response.json()["domain_record"]


def records(http: httpx.Client, domain: str, **params) -> list[dict]:
    response = http.get(f"/v2/domains/{domain}/records", params={"per_page": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["domain_records"]


def test_domain_lifecycle_through_pydo(do: pydo.Client) -> None:
    name = zone()
    created = do.domains.create({"name": name.upper(), "ip_address": "192.0.2.10"})["domain"]
    # Lower-cased; the zone file is null in the create's answer, as on DigitalOcean.
    assert created == {"name": name, "ttl": 1800, "zone_file": None}
    domain = do.domains.get(name)["domain"]
    lines = domain["zone_file"].splitlines()
    assert lines[:2] == [f"$ORIGIN {name}.", "$TTL 1800"]
    soa = lines[2].split()
    assert soa[:5] == [f"{name}.", "IN", "SOA", "ns1.digitalocean.com.", f"hostmaster.{name}."]
    assert soa[5].isdigit() and soa[6:] == ["10800", "3600", "604800", "1800"]
    assert lines[3:] == [
        *(f"{name}. 1800 IN NS {server}." for server in NS),
        f"{name}. 1800 IN A 192.0.2.10",
    ]
    assert do.domains.list()["domains"] == [domain]

    listed = do.domains.list_records(name)
    assert listed["meta"]["total"] == 5
    shown = [(r["type"], r["name"], r["data"], r["ttl"]) for r in listed["domain_records"]]
    assert shown == [
        ("SOA", "@", "1800", 1800),
        *(("NS", "@", server, 1800) for server in NS),
        ("A", "@", "192.0.2.10", 1800),
    ]
    for record in listed["domain_records"]:
        assert isinstance(record["id"], int)
        assert {k: record[k] for k in NO_EXTRAS} == NO_EXTRAS

    do.domains.delete(name)
    # pydo answers a documented 404 with its body rather than raising.
    assert do.domains.get(name)["id"] == "not_found"
    assert do.domains.list_records(name)["id"] == "not_found"
    assert do.domains.delete(name)["id"] == "not_found"
    assert do.domains.list()["meta"]["total"] == 0
    # The name is free again, and the new zone has none of the old records.
    do.domains.create({"name": name})
    assert do.domains.list_records(name)["meta"]["total"] == 4


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "localhost"},
        {"name": "-bad.com"},
        {"name": "bad-.com"},
        {"name": "exa mple.com"},
        {"name": "example.c0m"},
        {"name": "under_score.com"},
        {"name": "a" * 64 + ".com"},
        {"name": "ok.com", "ip_address": "300.1.1.1"},
        {"name": "ok.com", "ip_address": "2001:db8::1"},
        {"name": 42},
    ],
)
def test_invalid_domains_are_refused(http, body) -> None:
    assert_error(http.post("/v2/domains", json=body), 422, "unprocessable_entity")
    assert http.get("/v2/domains").json()["meta"]["total"] == 0


def test_a_domain_name_belongs_to_one_account(http, server, clients) -> None:
    name = zone()
    add_domain(http, f"{name}.")  # a final dot is dropped
    body = assert_error(http.post("/v2/domains", json={"name": name}), 422, "unprocessable_entity")
    assert "already exists" in body["message"]
    with clients.http(server.url, new_token()) as other:
        taken = other.post("/v2/domains", json={"name": name.upper()})
        assert "already exists" in assert_error(taken, 422, "unprocessable_entity")["message"]
        assert other.get("/v2/domains").json()["meta"]["total"] == 0
        assert_error(other.get(f"/v2/domains/{name}"), 404, "not_found")
        assert_error(other.get(f"/v2/domains/{name}/records"), 404, "not_found")
        assert_error(other.delete(f"/v2/domains/{name}"), 404, "not_found")
    assert http.get(f"/v2/domains/{name.upper()}").json()["domain"]["name"] == name
    # A subdomain is a zone of its own.
    add_domain(http, f"sub.{name}")
    listed = [d["name"] for d in http.get("/v2/domains").json()["domains"]]
    assert listed == sorted([name, f"sub.{name}"])


def test_records_of_every_type(do: pydo.Client) -> None:
    name = zone()
    do.domains.create({"name": name})
    bodies = [
        {"type": "A", "name": "www", "data": "192.0.2.1"},
        {"type": "AAAA", "name": "www", "data": "2001:DB8::1", "ttl": 60},
        {"type": "CAA", "name": "@", "data": "letsencrypt.org.", "flags": 0, "tag": "issue"},
        {"type": "CAA", "name": "@", "data": "mailto:ops@example.org", "flags": 128,
         "tag": "iodef"},
        {"type": "CNAME", "name": "blog", "data": f"{name}."},
        {"type": "CNAME", "name": "docs", "data": "Pages.Example.org."},
        {"type": "MX", "data": "mail.example.org.", "priority": 10},
        {"type": "NS", "name": "delegated", "data": "ns1.example.org."},
        {"type": "SRV", "name": "_sip._tcp", "data": "sip.example.org.", "priority": 10,
         "port": 5060, "weight": 5},
        {"type": "TXT", "name": "@", "data": 'v=spf1 include:"Mixed.Case" -all'},
        {"type": "A", "name": f"api.{name}.", "data": "192.0.2.2"},
        {"type": "A", "name": "*", "data": "192.0.2.3"},
    ]  # fmt: skip
    made = [do.domains.create_record(name, body)["domain_record"] for body in bodies]
    shown = [
        (r["type"], r["name"], r["data"], r["priority"], r["port"], r["weight"], r["flags"],
         r["tag"], r["ttl"])
        for r in made
    ]  # fmt: skip
    assert shown == [
        ("A", "www", "192.0.2.1", None, None, None, None, None, 1800),
        ("AAAA", "www", "2001:db8::1", None, None, None, None, None, 60),
        ("CAA", "@", "letsencrypt.org", None, None, None, 0, "issue", 1800),
        ("CAA", "@", "mailto:ops@example.org", None, None, None, 128, "iodef", 1800),
        ("CNAME", "blog", "@", None, None, None, None, None, 1800),
        ("CNAME", "docs", "pages.example.org", None, None, None, None, None, 1800),
        ("MX", "@", "mail.example.org", 10, None, None, None, None, 1800),
        ("NS", "delegated", "ns1.example.org", None, None, None, None, None, 1800),
        ("SRV", "_sip._tcp", "sip.example.org", 10, 5060, 5, None, None, 1800),
        ("TXT", "@", 'v=spf1 include:"Mixed.Case" -all', None, None, None, None, None, 1800),
        ("A", "api", "192.0.2.2", None, None, None, None, None, 1800),
        ("A", "*", "192.0.2.3", None, None, None, None, None, 1800),
    ]
    for record in made:
        assert do.domains.get_record(name, record["id"])["domain_record"] == record
    zone_file = do.domains.get(name)["domain"]["zone_file"].splitlines()
    assert zone_file[-12:] == [
        f"www.{name}. 1800 IN A 192.0.2.1",
        f"www.{name}. 60 IN AAAA 2001:db8::1",
        f'{name}. 1800 IN CAA 0 issue "letsencrypt.org"',
        f'{name}. 1800 IN CAA 128 iodef "mailto:ops@example.org"',
        f"blog.{name}. 1800 IN CNAME {name}.",
        f"docs.{name}. 1800 IN CNAME pages.example.org.",
        f"{name}. 1800 IN MX 10 mail.example.org.",
        f"delegated.{name}. 1800 IN NS ns1.example.org.",
        f"_sip._tcp.{name}. 1800 IN SRV 10 5 5060 sip.example.org.",
        f'{name}. 1800 IN TXT "v=spf1 include:\\"Mixed.Case\\" -all"',
        f"api.{name}. 1800 IN A 192.0.2.2",
        f"*.{name}. 1800 IN A 192.0.2.3",
    ]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "www", "data": "192.0.2.1"}, "type"),
        ({"type": "PTR", "name": "www", "data": "x."}, "type"),
        ({"type": "SOA", "name": "@", "data": "1800", "ttl": 1800}, "SOA"),
        ({"type": "A", "data": "192.0.2.1"}, "name"),
        ({"type": "A", "name": "www"}, "data"),
        ({"type": "A", "name": "www", "data": "192.0.2.256"}, "IPv4"),
        ({"type": "A", "name": "www", "data": "2001:db8::1"}, "IPv4"),
        ({"type": "AAAA", "name": "www", "data": "192.0.2.1"}, "IPv6"),
        ({"type": "CNAME", "name": "www", "data": "example.org"}, "end with a dot"),
        ({"type": "CNAME", "name": "www", "data": "bad host.org."}, "host"),
        ({"type": "MX", "name": "@", "data": "mail.example.org."}, "priority"),
        ({"type": "MX", "name": "@", "data": "mail.example.org", "priority": 1}, "dot"),
        ({"type": "MX", "name": "@", "data": "mx.org.", "priority": 70000}, "priority"),
        ({"type": "NS", "name": "sub", "data": "ns1.example.org"}, "dot"),
        ({"type": "SRV", "name": "_x._tcp", "data": "h.org.", "priority": 1}, "port"),
        ({"type": "SRV", "name": "_x._tcp", "data": "h.org", "priority": 1, "port": 1}, "dot"),
        ({"type": "CAA", "name": "@", "data": "ca.org.", "flags": 0, "tag": "bogus"}, "tag"),
        ({"type": "CAA", "name": "@", "data": "ca.org.", "tag": "issue"}, "flags"),
        ({"type": "CAA", "name": "@", "data": "ca.org.", "flags": 256, "tag": "issue"}, "flags"),
        ({"type": "CAA", "name": "@", "data": "ca.org", "flags": 0, "tag": "issue"}, "dot"),
        ({"type": "CAA", "name": "@", "data": "ca.org.", "flags": 0, "tag": "iodef"}, "iodef"),
        ({"type": "TXT", "name": "www", "data": "x", "ttl": 29}, "ttl"),
        ({"type": "TXT", "name": "www", "data": "x", "ttl": "60"}, "ttl"),
        ({"type": "TXT", "name": "www.elsewhere.org.", "data": "x"}, "zone"),
        ({"type": "TXT", "name": "bad name", "data": "x"}, "name"),
        ({"type": "TXT", "name": "www", "data": ""}, "data"),
    ],
)
def test_invalid_records_are_refused(http, body, fragment) -> None:
    name = zone()
    add_domain(http, name)
    refused = http.post(f"/v2/domains/{name}/records", json=body)
    assert fragment in assert_error(refused, 422, "unprocessable_entity")["message"]
    assert len(records(http, name)) == 4, "nothing stored"


def test_record_filters_and_pages(do: pydo.Client, http) -> None:
    name = zone()
    add_domain(http, name, ip_address="192.0.2.1")
    add_record(http, name, type="A", name="www", data="192.0.2.2")
    add_record(http, name, type="TXT", name="www", data="hello")
    add_record(http, name, type="TXT", name="@", data="apex")
    by_name = do.domains.list_records(name, name=f"www.{name}")["domain_records"]
    assert [(r["type"], r["data"]) for r in by_name] == [("A", "192.0.2.2"), ("TXT", "hello")]
    both = do.domains.list_records(name, name=f"www.{name}", type="TXT")["domain_records"]
    assert [r["data"] for r in both] == ["hello"]
    apex = do.domains.list_records(name, name=name, type="A")["domain_records"]
    assert [r["data"] for r in apex] == ["192.0.2.1"]
    assert [r["data"] for r in do.domains.list_records(name, type="TXT")["domain_records"]] == [
        "hello",
        "apex",
    ]
    # The name filter takes a full name: a relative one or another zone's matches nothing.
    assert do.domains.list_records(name, name="www")["domain_records"] == []
    assert do.domains.list_records(name, name="www.elsewhere.org")["meta"]["total"] == 0

    first = do.domains.list_records(name, per_page=3)
    assert first["meta"]["total"] == 8 and len(first["domain_records"]) == 3
    assert first["links"]["pages"]["next"].endswith("page=2")
    assert first["links"]["pages"]["last"].endswith("page=3")
    last = do.domains.list_records(name, per_page=3, page=3)
    assert [r["data"] for r in last["domain_records"]] == ["hello", "apex"]
    assert "next" not in last["links"]["pages"]


def test_update_delete_and_the_soa_record(do: pydo.Client, http) -> None:
    name = zone()
    add_domain(http, name)
    base = f"/v2/domains/{name}/records"
    a = add_record(http, name, type="A", name="www", data="192.0.2.1")
    put = http.put(f"{base}/{a['id']}", json={"name": "web", "data": "192.0.2.9", "ttl": 300})
    assert put.status_code == 200, put.text
    assert put.json()["domain_record"] == {
        **a, "name": "web", "data": "192.0.2.9", "ttl": 300
    }  # fmt: skip
    patched = do.domains.patch_record(name, a["id"], {"ttl": 120})["domain_record"]
    assert (patched["name"], patched["data"], patched["ttl"]) == ("web", "192.0.2.9", 120)
    updated = do.domains.update_record(name, a["id"], {"type": "A", "data": "192.0.2.7"})
    assert updated["domain_record"]["data"] == "192.0.2.7"
    assert f"web.{name}. 120 IN A 192.0.2.7" in do.domains.get(name)["domain"]["zone_file"]
    refused = http.patch(f"{base}/{a['id']}", json={"data": "not-an-ip"})
    assert "IPv4" in assert_error(refused, 422, "unprocessable_entity")["message"]
    assert_error(http.patch(f"{base}/{a['id']}", json={"type": "TXT"}), 422,
                 "unprocessable_entity")  # fmt: skip
    assert do.domains.get_record(name, a["id"])["domain_record"] == patched | {"data": "192.0.2.7"}

    # Host-name data must be given again with its dot, as DigitalOcean requires.
    cname = add_record(http, name, type="CNAME", name="blog", data="pages.example.org.")
    body = assert_error(http.patch(f"{base}/{cname['id']}", json={"ttl": 60}), 422,
                        "unprocessable_entity")  # fmt: skip
    assert body["message"] == "Data needs to end with a dot (.)"
    again = http.patch(f"{base}/{cname['id']}", json={"ttl": 60, "data": "pages.example.org."})
    assert again.json()["domain_record"]["ttl"] == 60

    soa = records(http, name, type="SOA")[0]
    assert http.put(f"{base}/{soa['id']}", json={"ttl": 3600}).json()["domain_record"] == {
        **soa, "ttl": 3600
    }  # fmt: skip
    assert_error(http.delete(f"{base}/{soa['id']}"), 422, "unprocessable_entity")
    # The default NS records are records like any other.
    ns = records(http, name, type="NS")
    assert http.delete(f"{base}/{ns[2]['id']}").status_code == 204
    assert [r["data"] for r in records(http, name, type="NS")] == NS[:2]

    do.domains.delete_record(name, a["id"])
    assert_error(http.get(f"{base}/{a['id']}"), 404, "not_found")
    assert_error(http.delete(f"{base}/{a['id']}"), 404, "not_found")
    assert_error(http.put(f"{base}/{a['id']}", json={"ttl": 60}), 404, "not_found")
    assert_error(http.get(f"{base}/not-a-number"), 404, "not_found")
    assert_error(http.get(f"{base}/{cname['id']}0"), 404, "not_found")
    other = zone()
    add_domain(http, other)
    assert_error(http.get(f"/v2/domains/{other}/records/{cname['id']}"), 404, "not_found")


def test_scopes_of_record_operations(start_server, clients, tmp_path: Path) -> None:
    """Creating or deleting a record takes `domain:create` (or `domain:delete`) or
    `domain:update`: the spec lists them as alternatives."""
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(
        "tokens:\n"
        "  - {token: dop_v1_dns_admin, account: dns}\n"
        "  - {token: dop_v1_dns_updater, account: dns, scopes: [domain:read, domain:update]}\n"
        "  - {token: dop_v1_dns_reader, account: dns, scopes: [domain:read]}\n"
    )
    server = start_server("--auth", "strict", "--tokens", str(tokens))
    with (
        clients.http(server.url, "dop_v1_dns_admin") as admin,
        clients.http(server.url, "dop_v1_dns_updater") as updater,
        clients.http(server.url, "dop_v1_dns_reader") as reader,
    ):
        add_domain(admin, "scoped.example")
        body = {"type": "TXT", "name": "t", "data": "x"}
        made = updater.post("/v2/domains/scoped.example/records", json=body)
        assert made.status_code == 201, made.text
        refused = reader.post("/v2/domains/scoped.example/records", json=body)
        assert "domain:update" in assert_error(refused, 403, "forbidden")["message"]
        assert_error(updater.post("/v2/domains", json={"name": "new.example"}), 403, "forbidden")
        record_id = made.json()["domain_record"]["id"]
        path = f"/v2/domains/scoped.example/records/{record_id}"
        assert_error(reader.delete(path), 403, "forbidden")
        assert updater.delete(path).status_code == 204
        assert_error(updater.delete("/v2/domains/scoped.example"), 403, "forbidden")


def test_terraform_sequence_droplet_key_domain_and_records(http) -> None:
    """The Terraform example: an SSH key, a droplet with IPv6, a domain and A and AAAA records
    at the droplet's addresses; then a refresh and a destroy, with the bodies godo sends."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    key = http.post("/v2/account/keys", json={"name": "tf", "public_key": public}).json()
    droplet = http.post(
        "/v2/droplets",
        json={"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb",
              "image": "ubuntu-24-04-x64", "ssh_keys": [key["ssh_key"]["id"]], "ipv6": True,
              "backups": False, "monitoring": False, "with_droplet_agent": False},
    ).json()["droplet"]  # fmt: skip
    droplet = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
    assert droplet["status"] == "active"
    ipv4 = next(n["ip_address"] for n in droplet["networks"]["v4"] if n["type"] == "public")
    ipv6 = next(n["ip_address"] for n in droplet["networks"]["v6"] if n["type"] == "public")

    name = zone()
    assert http.post("/v2/domains", json={"name": name}).json()["domain"]["name"] == name
    assert http.get(f"/v2/domains/{name}").json()["domain"]["ttl"] == 1800
    # godo's DomainRecordEditRequest: zeros for the integers, `ttl` and `tag` left out.
    godo = {"priority": 0, "port": 0, "weight": 0, "flags": 0}
    made = [
        add_record(http, name, type=kind, name="www", data=address, **godo)
        for kind, address in (("A", ipv4), ("AAAA", ipv6))
    ]
    for record in made:
        read = http.get(f"/v2/domains/{name}/records/{record['id']}").json()["domain_record"]
        assert read == record and read["ttl"] == 1800 and read["priority"] is None
    assert made[1]["data"] == ipv6.lower()

    # Refresh, then an update of the A record's TTL (godo's PUT: the whole request again).
    assert http.get(f"/v2/domains/{name}").status_code == 200
    edit = {"name": "www", "data": ipv4, "ttl": 600, **godo}
    put = http.put(f"/v2/domains/{name}/records/{made[0]['id']}", json=edit)
    assert put.status_code == 200 and put.json()["domain_record"]["ttl"] == 600
    zone_file = http.get(f"/v2/domains/{name}").json()["domain"]["zone_file"]
    assert f"www.{name}. 600 IN A {ipv4}" in zone_file
    assert f"www.{name}. 1800 IN AAAA {ipv6.lower()}" in zone_file

    for record in made:
        assert http.delete(f"/v2/domains/{name}/records/{record['id']}").status_code == 204
    assert http.delete(f"/v2/domains/{name}").status_code == 204
    assert http.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
    assert http.delete(f"/v2/account/keys/{key['ssh_key']['id']}").status_code == 204
    assert_error(http.get(f"/v2/domains/{name}"), 404, "not_found")


def _api(exported: dict[str, str]) -> httpx.Client:
    """A plain httpx client for api.digitalocean.com, as the tools' own HTTP clients are: it
    reaches LocalOcean only through the environment (HTTPS_PROXY, SSL_CERT_FILE)."""
    token = exported["DIGITALOCEAN_ACCESS_TOKEN"]
    return httpx.Client(
        base_url="https://api.digitalocean.com/v2",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )


def test_external_dns_sequence(proxied, clients) -> None:
    """external-dns (godo): zones and records paginated, then A and TXT (its registry) records
    created, updated and deleted."""
    server, exported, _ = proxied
    with _api(exported) as api:
        zones = [f"ext{i}-{zone()}" for i in range(3)]
        for name in zones:
            assert api.post("/domains", json={"name": name}).status_code == 201
        seen: list[str] = []
        page = 1
        while True:  # godo's paging: follow `links.pages.next` until there is none
            body = api.get("/domains", params={"page": page, "per_page": 2}).json()
            seen += [d["name"] for d in body["domains"]]
            if "next" not in body["links"].get("pages", {}):
                break
            page += 1
        assert seen == sorted(zones) and page == 2
        name = zones[0]
        godo = {"priority": 0, "port": 0, "weight": 0, "flags": 0}
        created = api.post(
            f"/domains/{name}/records",
            json={"type": "A", "name": "app", "data": "192.0.2.4", "ttl": 300, **godo},
        )
        assert created.status_code == 201
        txt = api.post(
            f"/domains/{name}/records",
            json={"type": "TXT", "name": "a-app",
                  "data": '"heritage=external-dns,external-dns/owner=default"', "ttl": 300,
                  **godo},
        )  # fmt: skip
        assert txt.status_code == 201
        listed = api.get(f"/domains/{name}/records", params={"page": 1, "per_page": 50}).json()
        mine = [r for r in listed["domain_records"] if r["name"] in ("app", "a-app")]
        assert [(r["type"], r["ttl"]) for r in mine] == [("A", 300), ("TXT", 300)]
        record_id = created.json()["domain_record"]["id"]
        updated = api.put(
            f"/domains/{name}/records/{record_id}",
            json={"type": "A", "name": "app", "data": "192.0.2.5", "ttl": 300, **godo},
        )
        assert updated.json()["domain_record"]["data"] == "192.0.2.5"
        for record in mine:
            assert api.delete(f"/domains/{name}/records/{record['id']}").status_code == 204
        assert len(api.get(f"/domains/{name}/records").json()["domain_records"]) == 4
    assert clients.check_journal(server.url) >= 12


def test_cert_manager_dns01_sequence(proxied, clients) -> None:
    """cert-manager's DNS01 solver: a TXT `_acme-challenge` record named by its full name,
    found again by name, and deleted."""
    server, exported, _ = proxied
    with _api(exported) as api:
        name = zone()
        assert api.post("/domains", json={"name": name}).status_code == 201
        fqdn = f"_acme-challenge.{name}."
        for value in ("token-one", "token-two"):
            created = api.post(
                f"/domains/{name}/records",
                json={"type": "TXT", "name": fqdn, "data": value, "ttl": 60, "priority": 0,
                      "port": 0, "weight": 0, "flags": 0},
            )  # fmt: skip
            assert created.status_code == 201, created.text
            assert created.json()["domain_record"]["name"] == "_acme-challenge"
        found = api.get(
            f"/domains/{name}/records",
            params={"per_page": 1000, "type": "TXT", "name": fqdn.removesuffix(".")},
        ).json()["domain_records"]
        assert sorted(r["data"] for r in found) == ["token-one", "token-two"]
        for record in found:
            assert api.delete(f"/domains/{name}/records/{record['id']}").status_code == 204
        listed = api.get(f"/domains/{name}/records", params={"type": "TXT"}).json()
        assert listed["domain_records"] == []
    assert clients.check_journal(server.url) == 7


def test_ansible_domain_and_records(proxied, tmp_path: Path) -> None:
    _server, exported, _ = proxied
    token = exported["DIGITALOCEAN_ACCESS_TOKEN"]
    name = zone()
    created = run_module("digital_ocean_domain", {"name": name, "ip": "192.0.2.20"}, token,
                         tmp_path)  # fmt: skip
    assert not created.get("failed"), created
    assert created["changed"] is True
    assert created["domain"]["name"] == name
    assert f"{name}. 1800 IN A 192.0.2.20" in created["domain"]["zone_file"]
    again = run_module("digital_ocean_domain", {"name": name, "ip": "192.0.2.20"}, token,
                       tmp_path)  # fmt: skip
    assert not again.get("failed") and again["changed"] is False, again
    moved = run_module("digital_ocean_domain", {"name": name, "ip": "192.0.2.21"}, token,
                       tmp_path)  # fmt: skip
    assert moved["changed"] is True, moved

    def record(**args) -> dict:
        result = run_module("digital_ocean_domain_record", {"domain": name, **args}, token,
                            tmp_path)  # fmt: skip
        assert not result.get("failed"), result
        return result

    a = {"type": "A", "name": "www", "data": "192.0.2.30"}
    assert record(**a)["changed"] is True
    assert record(**a)["changed"] is False, "idempotent"
    txt = {"type": "TXT", "name": "@", "data": "v=spf1 -all"}
    assert record(**txt)["changed"] is True
    assert record(**txt)["changed"] is False
    mx = {"type": "MX", "name": "@", "data": "mail.example.org", "priority": 10}
    made = record(**mx)
    assert made["changed"] is True and made["result"]["data"] == "mail.example.org"
    assert record(**mx)["changed"] is False
    updated = record(**{**a, "data": "192.0.2.31"}, force_update=True)
    assert updated["changed"] is True and updated["result"]["data"] == "192.0.2.31"
    assert record(**{**a, "data": "192.0.2.31"}, state="absent")["changed"] is True
    assert record(**{**a, "data": "192.0.2.31"}, state="absent")["changed"] is False

    with _api(exported) as api:
        listed = api.get(f"/domains/{name}/records").json()["domain_records"]
        kept = {(r["type"], r["name"], r["data"]) for r in listed}
        assert ("TXT", "@", "v=spf1 -all") in kept and ("MX", "@", "mail.example.org") in kept
        assert ("A", "@", "192.0.2.21") in kept and not any(r["name"] == "www" for r in listed)

    removed = run_module("digital_ocean_domain", {"name": name, "state": "absent"}, token,
                         tmp_path)  # fmt: skip
    assert removed["changed"] is True, removed
    gone = run_module("digital_ocean_domain", {"name": name, "state": "absent"}, token, tmp_path)
    assert gone["changed"] is False


def test_ansible_playbook_domain_then_record(proxied, tmp_path: Path) -> None:
    """The same modules under the real engine: `ansible-playbook`, a task using what an
    earlier task registered."""
    _server, exported, _ = proxied
    token = exported["DIGITALOCEAN_ACCESS_TOKEN"]
    name = zone()
    domain = {"name": name, "ip": "192.0.2.40", "oauth_token": token}
    record = {"domain": "{{ made.domain.name }}", "type": "CNAME", "name": "docs",
              "data": "www.example.org", "oauth_token": token}  # fmt: skip
    made, cname, again = run_play(
        [
            {"community.digitalocean.digital_ocean_domain": domain, "register": "made"},
            {"community.digitalocean.digital_ocean_domain_record": record},
            {"community.digitalocean.digital_ocean_domain_record": record},
        ],
        tmp_path,
    )
    assert made["changed"] is True and made["domain"]["name"] == name, made
    assert cname["changed"] is True and cname["result"]["data"] == "www.example.org", cname
    assert again["changed"] is False, again
    with _api(exported) as api:
        listed = api.get(f"/domains/{name}/records", params={"type": "CNAME"}).json()
        assert [r["name"] for r in listed["domain_records"]] == ["docs"]


def test_seeded_domains_survive_export_reset_and_import(start_server, clients, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        yaml.safe_dump(
            {
                "accounts": [
                    {
                        "name": "dns-team",
                        "tokens": ["dop_v1_seeded_domains"],
                        "domains": [
                            {
                                "name": "seeded.example",
                                "ip_address": "192.0.2.40",
                                "records": [
                                    {"type": "CNAME", "name": "www", "data": "seeded.example."},
                                    {"type": "TXT", "name": "@", "data": "hello"},
                                ],
                            },
                            {"name": "empty.example"},
                        ],
                    }
                ]
            }
        )
    )
    server = start_server("--seed", str(seed))
    with clients.http(server.url, "dop_v1_seeded_domains") as http:
        domains = http.get("/v2/domains").json()["domains"]
        assert [d["name"] for d in domains] == ["empty.example", "seeded.example"]
        seeded = records(http, "seeded.example")
        assert [(r["type"], r["name"], r["data"]) for r in seeded][-3:] == [
            ("A", "@", "192.0.2.40"),
            ("CNAME", "www", "@"),
            ("TXT", "@", "hello"),
        ]
        (account,) = [
            a
            for a in http.get("/_localocean/status").json()["accounts"]
            if a["account"] == "dns-team"
        ]
        assert (account["domains"], account["domain_records"]) == (2, 11)

        state = http.get("/_localocean/state").json()
        assert {"domains", "domain_records"} <= set(state["tables"])
        assert http.post("/_localocean/reset", json={"account": "dns-team"}).status_code == 200
        assert http.get("/v2/domains").json() == {"domains": [], "links": {}, "meta": {"total": 0}}
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert http.get("/v2/domains").json()["domains"] == domains
        assert records(http, "seeded.example") == seeded
        # Ids go on after the loaded ones.
        new = add_record(http, "seeded.example", type="A", name="new", data="192.0.2.41")
        assert new["id"] > max(r["id"] for r in seeded)

        bad = {"accounts": [{"name": "dns-team", "domains": [
            {"name": "third.example", "records": [{"type": "A", "name": "x", "data": "nope"}]}
        ]}]}  # fmt: skip
        refused = http.post("/_localocean/seed", json=bad)
        assert "records[0]" in assert_error(refused, 422, "unprocessable_entity")["message"]
        assert_error(http.get("/v2/domains/third.example"), 404, "not_found")


def test_a_fault_rule_on_record_creation(http, server, clients) -> None:
    name = zone()
    add_domain(http, name)
    with clients.http(server.url, None) as control:
        token = http.headers["Authorization"].removeprefix("Bearer ")
        rule = {"operation": "domains_create_record", "status": 503, "times": 1, "token": token}
        assert control.post("/_localocean/faults", json=rule).status_code == 201
        body = {"type": "A", "name": "www", "data": "192.0.2.1"}
        failed = http.post(f"/v2/domains/{name}/records", json=body)
        assert_error(failed, 503, "service_unavailable")
        assert len(records(http, name)) == 4, "the faulted request changed nothing"
        add_record(http, name, **body)
        assert len(records(http, name)) == 5
