"""Load balancers: DigitalOcean's rules and the flows real tools run (pydo, the cloud controller
manager's requests as godo sends them, Ansible), on spec-checked responses."""

from __future__ import annotations

import ipaddress
import uuid

import httpx
import pydo
import pytest

from tests.conftest import new_token
from tests.support.ansible import run_module
from tests.test_conventions import assert_error

UBUNTU = "ubuntu-24-04-x64"
SMALL = "s-1vcpu-1gb"
HTTP_RULE = {"entry_protocol": "http", "entry_port": 80, "target_protocol": "http",
             "target_port": 8080}  # fmt: skip
PUBLIC_RANGE = ipaddress.ip_network("198.18.0.0/15")


def droplet(http, name: str = "web-1", region: str = "nyc3", **extra) -> dict:
    body = {"name": name, "region": region, "size": SMALL, "image": UBUNTU, **extra}
    response = http.post("/v2/droplets", json=body)
    assert response.status_code == 202, response.text
    return response.json()["droplet"]


def lb_body(**overrides) -> dict:
    return {
        "name": "lb-1",
        "region": "nyc3",
        "forwarding_rules": [HTTP_RULE],
        "droplet_ids": [],
        **overrides,
    }


def create(http, **overrides) -> dict:
    response = http.post("/v2/load_balancers", json=lb_body(**overrides))
    assert response.status_code == 202, response.text
    return response.json()["load_balancer"]


def test_create_poll_to_active_update_and_delete(do: pydo.Client, http) -> None:
    first, second = droplet(http, "web-1"), droplet(http, "web-2")
    body = lb_body(
        droplet_ids=[first["id"], second["id"]],
        health_check={"protocol": "http", "port": 8080, "path": "/healthz",
                      "check_interval_seconds": 5},
        sticky_sessions={"type": "cookies", "cookie_name": "LB", "cookie_ttl_seconds": 300},
        size_unit=2,
        enable_proxy_protocol=True,
        http_idle_timeout_seconds=90,
        firewall={"allow": ["ip:1.2.3.4", "cidr:2.3.0.0/16"], "deny": []},
    )  # fmt: skip
    created = do.load_balancers.create(body)["load_balancer"]
    assert uuid.UUID(created["id"])
    assert (created["status"], created["ip"]) == ("new", ""), "the address comes when it is up"
    assert created["droplet_ids"] == [first["id"], second["id"]]
    assert created["forwarding_rules"] == [
        {**HTTP_RULE, "certificate_id": "", "tls_passthrough": False}
    ]
    assert created["health_check"] == {
        "protocol": "http", "port": 8080, "path": "/healthz", "check_interval_seconds": 5,
        "response_timeout_seconds": 5, "unhealthy_threshold": 5, "healthy_threshold": 3,
    }  # fmt: skip
    assert created["sticky_sessions"]["cookie_name"] == "LB"
    assert (created["size_unit"], created["http_idle_timeout_seconds"]) == (2, 90)
    assert created["enable_proxy_protocol"] and not created["redirect_http_to_https"]
    assert created["region"]["slug"] == "nyc3" and created["type"] == "REGIONAL"
    assert created["network"] == "EXTERNAL" and "ipv6" not in created
    vpc = do.vpcs.get(created["vpc_uuid"])["vpc"]
    assert vpc["default"] and vpc["region"] == "nyc3"

    active = do.load_balancers.get(created["id"])["load_balancer"]
    assert active["status"] == "active"
    assert ipaddress.ip_address(active["ip"]) in PUBLIC_RANGE
    droplet_addresses = {
        net["ip_address"] for d in do.droplets.list()["droplets"] for net in d["networks"]["v4"]
    }
    assert active["ip"] not in droplet_addresses
    (listed,) = do.load_balancers.list()["load_balancers"]
    assert listed == active
    # godo's ListByNames and ListByUUIDs filter the list.
    by_name = http.get("/v2/load_balancers", params=[("names", "lb-1"), ("names", "other")])
    assert by_name.json()["load_balancers"] == [active]
    assert http.get("/v2/load_balancers?names=other").json()["meta"]["total"] == 0
    by_id = http.get("/v2/load_balancers", params={"uuids": created["id"], "names": "lb-1"})
    assert by_id.json()["load_balancers"] == [active]

    # PUT replaces the configuration: what it leaves out is back to its default.
    https_passthrough = {
        "entry_protocol": "https",
        "entry_port": 443,
        "target_protocol": "https",
        "target_port": 443,
        "tls_passthrough": True,
    }
    updated = do.load_balancers.update(
        created["id"],
        {"name": "lb-renamed", "region": "nyc3", "droplet_ids": [first["id"]],
         "forwarding_rules": [HTTP_RULE, https_passthrough]},
    )["load_balancer"]  # fmt: skip
    assert updated["name"] == "lb-renamed" and updated["droplet_ids"] == [first["id"]]
    assert updated["sticky_sessions"] == {"type": "none"} and updated["size_unit"] == 1
    assert updated["enable_proxy_protocol"] is False and updated["firewall"] == {
        "deny": [], "allow": []
    }  # fmt: skip
    assert (updated["ip"], updated["vpc_uuid"], updated["status"]) == (
        active["ip"], active["vpc_uuid"], "active",
    )  # fmt: skip

    tcp = {"entry_protocol": "tcp", "entry_port": 5432, "target_protocol": "tcp",
           "target_port": 5432}  # fmt: skip
    do.load_balancers.add_forwarding_rules(created["id"], {"forwarding_rules": [tcp]})
    do.load_balancers.remove_forwarding_rules(
        created["id"], {"forwarding_rules": [https_passthrough]}
    )
    rules = do.load_balancers.get(created["id"])["load_balancer"]["forwarding_rules"]
    assert [(r["entry_protocol"], r["entry_port"]) for r in rules] == [("http", 80), ("tcp", 5432)]
    do.load_balancers.add_droplets(created["id"], {"droplet_ids": [second["id"]]})
    do.load_balancers.remove_droplets(created["id"], {"droplet_ids": [first["id"]]})
    assert do.load_balancers.get(created["id"])["load_balancer"]["droplet_ids"] == [second["id"]]

    do.load_balancers.delete(created["id"])
    assert_error(http.get(f"/v2/load_balancers/{created['id']}"), 404, "not_found")
    assert_error(http.delete(f"/v2/load_balancers/{created['id']}"), 404, "not_found")
    assert do.load_balancers.list()["meta"]["total"] == 0


def test_droplets_by_tag_and_destroyed_droplets(http) -> None:
    tagged = droplet(http, "a", tags=["web"])
    droplet(http, "b")
    by_tag = create(http, name="by-tag", droplet_ids=None, tag="web")
    assert by_tag["tag"] == "web" and by_tag["droplet_ids"] == [tagged["id"]]
    later = droplet(http, "c", tags=["WEB"])  # tags match without regard to case
    got = http.get(f"/v2/load_balancers/{by_tag['id']}").json()["load_balancer"]
    assert got["droplet_ids"] == [tagged["id"], later["id"]], "droplets join as they are tagged"
    refused = http.post(f"/v2/load_balancers/{by_tag['id']}/droplets",
                        json={"droplet_ids": [later["id"]]})  # fmt: skip
    assert_error(refused, 422, "unprocessable_entity")

    by_id = create(http, name="by-id", droplet_ids=[tagged["id"], later["id"]])
    assert http.delete(f"/v2/droplets/{tagged['id']}").status_code == 204
    for lb in (by_tag, by_id):
        got = http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]
        assert got["droplet_ids"] == [later["id"]], "a destroyed droplet leaves its LBs"
    # The tag exists once used by a load balancer.
    assert (
        http.post(
            "/v2/load_balancers", json=lb_body(name="t2", tag="fresh-tag", droplet_ids=None)
        ).status_code
        == 202
    )
    assert http.get("/v2/tags/fresh-tag").status_code == 200


def test_a_vpc_with_a_load_balancer_is_in_use(http) -> None:
    vpc = http.post("/v2/vpcs", json={"name": "net", "region": "ams3"}).json()["vpc"]
    other = http.post("/v2/vpcs", json={"name": "net2", "region": "ams3"}).json()["vpc"]
    lb = create(http, region="ams3", vpc_uuid=other["id"])
    assert lb["vpc_uuid"] == other["id"]
    members = http.get(f"/v2/vpcs/{other['id']}/members").json()
    assert [m["urn"] for m in members["members"]] == [f"do:loadbalancer:{lb['id']}"]
    assert members["members"][0]["name"] == "lb-1"
    assert_error(http.delete(f"/v2/vpcs/{other['id']}"), 409, "conflict")
    assert http.delete(f"/v2/load_balancers/{lb['id']}").status_code == 204
    assert http.delete(f"/v2/vpcs/{other['id']}").status_code == 204
    assert vpc["default"]


def test_droplets_and_load_balancers_never_share_an_address(http) -> None:
    tiny = http.post("/v2/vpcs", json={"name": "tiny-lb", "region": "nyc3",
                                       "ip_range": "10.31.0.0/28"}).json()["vpc"]  # fmt: skip
    first = create(http, name="first", network="INTERNAL", vpc_uuid=tiny["id"])
    first = http.get(f"/v2/load_balancers/{first['id']}").json()["load_balancer"]
    assert first["status"] == "active"
    # 13 addresses (.0 network, .1 gateway, .15 broadcast): 12 left for droplets, 10 a request
    for names in ([f"n{i}" for i in range(10)], ["n10", "n11"]):
        body = {"names": names, "region": "nyc3", "size": SMALL, "image": UBUNTU,
                "vpc_uuid": tiny["id"]}  # fmt: skip
        assert http.post("/v2/droplets", json=body).status_code == 202
    droplets = [d for d in http.get("/v2/droplets").json()["droplets"]
                if d["vpc_uuid"] == tiny["id"]]  # fmt: skip
    addresses = {n["ip_address"] for d in droplets for n in d["networks"]["v4"]
                 if n["type"] == "private"}  # fmt: skip
    assert len(addresses) == 12 and first["ip"] not in addresses
    assert ipaddress.ip_address(first["ip"]) in ipaddress.ip_network(tiny["ip_range"])
    one_more = {"name": "n12", "region": "nyc3", "size": SMALL, "image": UBUNTU,
                "vpc_uuid": tiny["id"]}  # fmt: skip
    message = assert_error(http.post("/v2/droplets", json=one_more), 422,
                           "unprocessable_entity")["message"]  # fmt: skip
    assert "no free address" in message
    full = create(http, name="full", network="INTERNAL", vpc_uuid=tiny["id"])
    full = http.get(f"/v2/load_balancers/{full['id']}").json()["load_balancer"]
    assert full["status"] == "errored" and not full["ip"], "no address left for it"


def test_internal_dualstack_global_and_cache(http) -> None:
    internal = create(http, name="inside", network="INTERNAL")
    internal = http.get(f"/v2/load_balancers/{internal['id']}").json()["load_balancer"]
    vpc = http.get(f"/v2/vpcs/{internal['vpc_uuid']}").json()["vpc"]
    assert ipaddress.ip_address(internal["ip"]) in ipaddress.ip_network(vpc["ip_range"])

    dual = create(http, name="dual", network_stack="DUALSTACK")
    dual = http.get(f"/v2/load_balancers/{dual['id']}").json()["load_balancer"]
    assert ipaddress.ip_address(dual["ipv6"]).version == 6

    changed = http.put(f"/v2/load_balancers/{dual['id']}",
                       json=lb_body(name="dual", network_stack="IPV4"))  # fmt: skip
    assert "network_stack" in assert_error(changed, 422, "unprocessable_entity")["message"]
    assert_error(http.delete(f"/v2/load_balancers/{dual['id']}/cache"), 422,
                 "unprocessable_entity")  # fmt: skip

    body = {
        "name": "global", "type": "GLOBAL", "region": "nyc3", "forwarding_rules": [HTTP_RULE],
        "droplet_ids": [], "target_load_balancer_ids": [dual["id"]],
        "glb_settings": {"target_protocol": "http", "target_port": 80,
                         "cdn": {"is_enabled": True}},
        "domains": [{"name": "example.com", "is_managed": False}],
    }  # fmt: skip
    response = http.post("/v2/load_balancers", json=body)
    assert response.status_code == 202, response.text
    glb = http.get(f"/v2/load_balancers/{response.json()['load_balancer']['id']}").json()
    glb = glb["load_balancer"]
    assert "region" not in glb and "vpc_uuid" not in glb and glb["status"] == "active"
    assert glb["target_load_balancer_ids"] == [dual["id"]]
    assert glb["glb_settings"]["cdn"] == {"is_enabled": True}
    assert http.delete(f"/v2/load_balancers/{glb['id']}/cache").status_code == 204
    assert_error(http.delete(f"/v2/load_balancers/{uuid.uuid4()}/cache"), 404, "not_found")


BAD_CREATES = [
    ({"region": None}, "region"),
    ({"region": "mars1"}, "region"),
    ({"name": None}, "name"),
    ({"name": "bad name!"}, "name"),
    ({"forwarding_rules": None}, "forwarding_rules"),
    ({"forwarding_rules": []}, "forwarding_rules"),
    ({"forwarding_rules": [{**HTTP_RULE, "entry_port": 0}]}, "entry_port"),
    ({"forwarding_rules": [{**HTTP_RULE, "target_port": 70000}]}, "target_port"),
    ({"forwarding_rules": [{**HTTP_RULE, "entry_protocol": "ftp"}]}, "entry_protocol"),
    ({"forwarding_rules": [{**HTTP_RULE, "entry_protocol": "https"}]}, "certificate_id"),
    ({"forwarding_rules": [{**HTTP_RULE, "entry_protocol": "udp"}]}, "udp"),
    ({"forwarding_rules": [HTTP_RULE, {**HTTP_RULE, "target_port": 81}]}, "entry port 80"),
    ({"forwarding_rules": [{**HTTP_RULE, "tls_passthrough": True}]}, "tls_passthrough"),
    ({"forwarding_rules": ["http"]}, "forwarding_rules[0]"),
    ({"droplet_ids": [1], "tag": "web"}, "mutually exclusive"),
    ({"droplet_ids": [12345]}, "droplet_ids"),
    ({"droplet_ids": ["x"]}, "droplet_ids"),
    ({"tag": "bad tag!"}, "tag"),
    ({"health_check": {"protocol": "icmp"}}, "health_check.protocol"),
    ({"health_check": {"check_interval_seconds": 1}}, "health_check.check_interval_seconds"),
    ({"health_check": "yes"}, "health_check"),
    ({"sticky_sessions": {"type": "cookies"}}, "cookie_name"),
    ({"size_unit": 0}, "size_unit"),
    ({"size_unit": 101}, "size_unit"),
    ({"size": "lb-huge"}, "size"),
    ({"size": "lb-small", "size_unit": 1}, "size"),
    ({"http_idle_timeout_seconds": 10}, "http_idle_timeout_seconds"),
    ({"firewall": {"allow": ["host:1.2.3.4"]}}, "firewall.allow[0]"),
    ({"vpc_uuid": str(uuid.uuid4())}, "vpc_uuid"),
    ({"type": "REGIONAL_NETWORK"}, "REGIONAL_NETWORK"),
    ({"network": "PRIVATE"}, "network"),
    ({"project_id": "not-a-uuid"}, "project_id"),
]


@pytest.mark.parametrize(("overrides", "named"), BAD_CREATES)
def test_invalid_create_is_422_and_stores_nothing(http, overrides, named) -> None:
    body = {k: v for k, v in lb_body(**overrides).items() if v is not None}
    error = assert_error(http.post("/v2/load_balancers", json=body), 422, "unprocessable_entity")
    assert named in error["message"]
    assert http.get("/v2/load_balancers").json()["meta"]["total"] == 0
    assert http.get("/v2/vpcs").json()["vpcs"] == [], "no default VPC made half-way"


def test_droplets_in_another_region_names_taken_and_odd_ids(http) -> None:
    far = droplet(http, "far", region="fra1")
    error = assert_error(
        http.post("/v2/load_balancers", json=lb_body(droplet_ids=[far["id"]])), 422,
        "unprocessable_entity",
    )  # fmt: skip
    assert "fra1" in error["message"]
    other_vpc = http.post("/v2/vpcs", json={"name": "lon", "region": "lon1"}).json()["vpc"]
    wrong_vpc = http.post("/v2/load_balancers", json=lb_body(vpc_uuid=other_vpc["id"]))
    assert_error(wrong_vpc, 422, "unprocessable_entity")
    first = create(http)
    assert_error(http.post("/v2/load_balancers", json=lb_body()), 422, "unprocessable_entity")
    second = create(http, name="lb-2")
    taken = http.put(f"/v2/load_balancers/{second['id']}", json=lb_body(name="lb-1"))
    assert "already exists" in assert_error(taken, 422, "unprocessable_entity")["message"]
    moved = http.put(f"/v2/load_balancers/{first['id']}", json=lb_body(region="sfo3"))
    assert "region" in assert_error(moved, 422, "unprocessable_entity")["message"]
    for path in ("not-a-uuid", "9" * 40, str(uuid.uuid4())):
        assert_error(http.get(f"/v2/load_balancers/{path}"), 404, "not_found")
        assert_error(http.put(f"/v2/load_balancers/{path}", json=lb_body()), 404, "not_found")
    assert_error(http.post(f"/v2/load_balancers/{first['id']}/droplets", json={}), 422,
                 "unprocessable_entity")  # fmt: skip
    emptied = http.request("DELETE", f"/v2/load_balancers/{first['id']}/forwarding_rules",
                           json={"forwarding_rules": [HTTP_RULE]})  # fmt: skip
    assert "at least one" in assert_error(emptied, 422, "unprocessable_entity")["message"]
    malformed = http.post("/v2/load_balancers", content=b"{nope",
                          headers={"content-type": "application/json"})  # fmt: skip
    assert_error(malformed, 400, "bad_request")


def test_manual_timing_keeps_it_new_until_the_clock_moves(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        lb = create(http)
        assert http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]["status"] == "new"
        busy = http.put(f"/v2/load_balancers/{lb['id']}", json=lb_body(name="renamed"))
        assert "previous actions" in assert_error(busy, 403, "forbidden")["message"]
        rules = http.post(
            f"/v2/load_balancers/{lb['id']}/forwarding_rules",
            json={"forwarding_rules": [{**HTTP_RULE, "entry_port": 81}]},
        )
        assert_error(rules, 403, "forbidden")  # fmt: skip
        http.post("/_localocean/clock/advance", json={"seconds": 30})
        assert http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]["ip"] == ""
        http.post("/_localocean/clock/advance", json={"seconds": 30})
        got = http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]
        assert got["status"] == "active" and got["ip"]
        assert http.put(f"/v2/load_balancers/{lb['id']}", json=lb_body(name="renamed")).is_success

        # A load balancer deleted while coming up leaves nothing scheduled behind.
        gone = create(http, name="gone")
        assert http.delete(f"/v2/load_balancers/{gone['id']}").status_code == 204
        assert http.post("/_localocean/clock/settle").status_code == 200
        assert http.get("/v2/load_balancers").json()["meta"]["total"] == 1


def test_a_fault_rule_on_create(start_server, clients) -> None:
    server = start_server()
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        rule = {"operation": "loadBalancers_create", "status": 503, "times": 1}
        assert control.post("/_localocean/faults", json=rule).status_code == 201
        assert_error(http.post("/v2/load_balancers", json=lb_body()), 503, "service_unavailable")
        assert http.get("/v2/load_balancers").json()["meta"]["total"] == 0
        assert http.post("/v2/load_balancers", json=lb_body()).status_code == 202


def test_seeded_load_balancers_survive_export_reset_and_import(
    start_server, clients, tmp_path
) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: team\n"
        "    tokens: [dop_v1_seeded_lbs]\n"
        "    vpcs: [{name: net, region: fra1, ip_range: 10.30.0.0/24}]\n"
        "    droplets:\n"
        f"      - {{name: app, region: fra1, size: {SMALL}, image: {UBUNTU}, vpc: net}}\n"
        "    load_balancers:\n"
        "      - name: front\n"
        "        region: fra1\n"
        "        vpc: net\n"
        "        droplets: [app]\n"
        "        forwarding_rules:\n"
        "          - {entry_protocol: http, entry_port: 80, target_protocol: http,"
        " target_port: 80}\n"
    )
    server = start_server("--seed", str(seed), "--timing", "realistic")
    with clients.http(server.url, "dop_v1_seeded_lbs") as http:
        (app,) = http.get("/v2/droplets").json()["droplets"]
        (lb,) = http.get("/v2/load_balancers").json()["load_balancers"]
        assert (lb["name"], lb["status"], lb["droplet_ids"]) == ("front", "active", [app["id"]])
        assert lb["vpc_uuid"] == app["vpc_uuid"] and lb["ip"]
        status = http.get("/_localocean/status").json()
        (mine,) = [a for a in status["accounts"] if a.get("load_balancers")]
        assert mine["load_balancers"] == 1

        state = http.get("/_localocean/state").json()
        assert http.post("/_localocean/reset", json={}).status_code == 200
        assert http.get("/v2/load_balancers").json()["load_balancers"] == []
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert http.get("/v2/load_balancers").json()["load_balancers"] == [lb]
    entry = {"name": "x", "region": "fra1", "droplets": ["no"], "forwarding_rules": [HTTP_RULE]}
    bad = {"accounts": [{"name": "t", "load_balancers": [entry]}]}
    with clients.http(server.url, None) as control:
        refused = control.post("/_localocean/seed", json=bad)
        assert "no droplet named" in assert_error(refused, 422, "unprocessable_entity")["message"]


# The cloud controller manager, as godo sends its requests (cloud-controller-manager/do/
# loadbalancers.go): a LoadBalancerRequest with the nodes' droplet ids, the cluster's tag,
# `omitempty` fields left out, `disable_lets_encrypt_dns_records` as a pointer.


def _godo(server_url: str, token: str, clients) -> httpx.Client:
    """Responses checked against the spec; godo's request bodies are what they are."""

    def check(response: httpx.Response) -> None:
        response.read()
        clients._check(
            response.request.method, response.request.url.path, response.status_code,
            response.headers, response.content,
        )  # fmt: skip

    return httpx.Client(
        base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=30,
        event_hooks={"response": [check]},
    )  # fmt: skip


def _ccm_request(
    name: str, vpc_id: str, droplet_ids: list[int], node_ports: list[tuple[int, int]]
) -> dict:
    return {
        "name": name,
        "algorithm": "round_robin",
        "region": "nyc1",
        "forwarding_rules": [
            {"entry_protocol": "tcp", "entry_port": port, "target_protocol": "tcp",
             "target_port": node_port}
            for port, node_port in node_ports
        ],
        "health_check": {"protocol": "http", "port": 10256, "path": "/healthz",
                         "check_interval_seconds": 3, "response_timeout_seconds": 5,
                         "healthy_threshold": 5, "unhealthy_threshold": 3,
                         "proxy_protocol": False},
        "sticky_sessions": {"type": "none"},
        "droplet_ids": droplet_ids,
        "tags": ["k8s:cluster-id"],
        "disable_lets_encrypt_dns_records": False,
        "type": "REGIONAL",
        "network": "EXTERNAL",
        "network_stack": "IPV4",
        "firewall": {},  # no source-range annotations: godo leaves both lists out
        "vpc_uuid": vpc_id,  # the cluster's VPC
    }  # fmt: skip


def test_cloud_controller_manager_sequence(server, clients) -> None:
    token = new_token()
    with clients.http(server.url, token) as http, _godo(server.url, token, clients) as godo:
        nodes = [droplet(http, f"pool-{i}", region="nyc1", tags=["k8s:cluster-id"])
                 for i in range(2)]  # fmt: skip
        ids = [node["id"] for node in nodes]
        vpc_id = nodes[0]["vpc_uuid"]
        name = "a" + uuid.uuid4().hex[:31]  # cloudprovider.DefaultLoadBalancerName

        # EnsureLoadBalancer: no load-balancer-id annotation yet, so it lists by name.
        listed = godo.get("/v2/load_balancers", params={"page": 1, "per_page": 200}).json()
        assert [lb for lb in listed["load_balancers"] if lb["name"] == name] == []
        created = godo.post(
            "/v2/load_balancers", json=_ccm_request(name, vpc_id, ids, [(80, 31000)])
        )
        assert created.status_code == 202, created.text
        lb = created.json()["load_balancer"]
        assert lb["status"] == "new" and lb["tag"] == ""

        # The next sync finds it by its id (the annotation) and PUTs the full request.
        got = godo.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]
        assert got["status"] == "active" and got["ip"], "EnsureLoadBalancer returns lb.IP"
        three = droplet(http, "pool-2", region="nyc1")
        request = _ccm_request(name, vpc_id, [*ids, three["id"]], [(80, 31000), (443, 31443)])
        request["health_check"]["path"] = "/ready"
        updated = godo.put(f"/v2/load_balancers/{lb['id']}", json=request)
        assert updated.status_code == 200, updated.text
        after = updated.json()["load_balancer"]
        assert after["droplet_ids"] == [*ids, three["id"]]
        assert [r["target_port"] for r in after["forwarding_rules"]] == [31000, 31443]
        assert after["health_check"]["path"] == "/ready" and after["ip"] == got["ip"]

        # A node goes: its droplet leaves the load balancer before the next sync.
        assert http.delete(f"/v2/droplets/{ids[0]}").status_code == 204
        got = godo.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]
        assert got["droplet_ids"] == [ids[1], three["id"]]

        # EnsureLoadBalancerDeleted: delete, and a 404 afterwards counts as done.
        assert godo.delete(f"/v2/load_balancers/{lb['id']}").status_code == 204
        assert godo.delete(f"/v2/load_balancers/{lb['id']}").status_code == 404


def test_ansible_load_balancer_create_rerun_delete(proxied, tmp_path) -> None:
    server, _exported, _data_dir = proxied
    token = new_token()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        web = droplet(http, "ansible-web", region="nyc3")
    args = {
        "name": "ansible-lb",
        "region": "nyc3",
        "droplet_ids": [web["id"]],
        # As the module's documentation writes them: DigitalOcean renders every field, and
        # the module compares the rules as given with those rendered.
        "forwarding_rules": [{"entry_protocol": "http", "entry_port": 80,
                              "target_protocol": "http", "target_port": 8080,
                              "certificate_id": "", "tls_passthrough": False}],
        "wait_timeout": 60,
    }  # fmt: skip
    made = run_module("digital_ocean_load_balancer", args, token, tmp_path)
    assert not made.get("failed"), made
    assert made["changed"] is True
    lb = made["data"]["load_balancer"]
    assert lb["name"] == "ansible-lb" and lb["droplet_ids"] == [web["id"]]

    again = run_module("digital_ocean_load_balancer", args, token, tmp_path)
    assert not again.get("failed"), again
    assert again["changed"] is False, again.get("msg")
    assert again["data"]["load_balancer"]["status"] == "active"

    changed = run_module(
        "digital_ocean_load_balancer", {**args, "enable_backend_keepalive": True}, token, tmp_path
    )
    assert not changed.get("failed") and changed["changed"] is True, changed
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        got = http.get(f"/v2/load_balancers/{lb['id']}").json()["load_balancer"]
        assert got["enable_backend_keepalive"] is True

    gone = run_module("digital_ocean_load_balancer", {**args, "state": "absent"}, token, tmp_path)
    assert not gone.get("failed") and gone["changed"] is True, gone
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/v2/load_balancers").json()["load_balancers"] == []


ODD_BODIES = [
    "not an object",
    [HTTP_RULE],
    {**lb_body(), "forwarding_rules": [{**HTTP_RULE, "entry_port": 10**30}]},
    {**lb_body(), "forwarding_rules": {"entry_port": 80}},
    {**lb_body(), "droplet_ids": [10**30]},
    {**lb_body(), "droplet_ids": "all"},
    {**lb_body(), "health_check": []},
    {
        **lb_body(),
        "sticky_sessions": {"type": "cookies", "cookie_name": 5, "cookie_ttl_seconds": 1},
    },
    {**lb_body(), "firewall": {"allow": "ip:1.2.3.4"}},
    {**lb_body(), "firewall": {"deny": [None]}},
    {**lb_body(), "type": "GLOBAL", "glb_settings": 5},
    {**lb_body(), "type": "GLOBAL", "domains": [5]},
    {**lb_body(), "type": "GLOBAL", "glb_settings": {"region_priorities": {"nyc3": "1"}}},
    {**lb_body(), "type": "GLOBAL", "target_load_balancer_ids": ["x" * 5000]},
    {**lb_body(), "tag": "t" * 300},
    {**lb_body(), "name": "n" * 300},
    {**lb_body(), "vpc_uuid": "\u00e9" * 40},
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_are_client_errors(http, body) -> None:
    response = http.post("/v2/load_balancers", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["id"] and response.json()["message"]
    lb = create(http, name="target")
    http.post("/_localocean/clock/settle")
    for path in ("/droplets", "/forwarding_rules"):
        for method in ("POST", "DELETE"):
            answer = http.request(method, f"/v2/load_balancers/{lb['id']}{path}", json=body)
            assert answer.status_code < 500, answer.text
            if answer.status_code >= 400:
                assert answer.json()["id"] and answer.json()["message"]


def test_https_rules_name_the_accounts_certificates_and_keep_them(http) -> None:
    """An HTTPS rule's certificate must be the account's; a certificate in use stays; a load
    balancer goes to the project it is created with and shows it."""
    from tests.test_certificates import issue

    made = http.post("/v2/certificates", json=issue(["shop.example.com"]).body("shop"))
    assert made.status_code == 201, made.text
    certificate_id = made.json()["certificate"]["id"]
    https = {"entry_protocol": "https", "entry_port": 443, "target_protocol": "http",
             "target_port": 80, "certificate_id": certificate_id}  # fmt: skip
    unknown = {**https, "certificate_id": str(uuid.uuid4())}
    refused = http.post("/v2/load_balancers", json=lb_body(forwarding_rules=[unknown]))
    assert_error(refused, 422, "unprocessable_entity")
    assert http.get("/v2/load_balancers").json()["load_balancers"] == [], "nothing stored"
    project = http.post("/v2/projects", json={"name": "shop", "purpose": "Web Application"}).json()[
        "project"
    ]
    lb = create(http, forwarding_rules=[https], project_id=project["id"])
    assert lb["forwarding_rules"][0]["certificate_id"] == certificate_id
    assert lb["project_id"] == project["id"]
    listed = http.get(f"/v2/projects/{project['id']}/resources").json()["resources"]
    assert [r["urn"] for r in listed] == [f"do:loadbalancer:{lb['id']}"]
    assert_error(http.delete(f"/v2/certificates/{certificate_id}"), 403, "forbidden")
    added = http.post(
        f"/v2/load_balancers/{lb['id']}/forwarding_rules",
        json={"forwarding_rules": [{**unknown, "entry_port": 8443}]},
    )
    assert_error(added, 422, "unprocessable_entity")
    assert http.delete(f"/v2/load_balancers/{lb['id']}").status_code == 204
    assert http.delete(f"/v2/certificates/{certificate_id}").status_code == 204
