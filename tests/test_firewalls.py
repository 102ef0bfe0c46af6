"""Cloud firewalls: DigitalOcean's rules and the flows real tools run (pydo, the cloud controller
manager's firewall as godo sends it, Ansible), on spec-checked responses."""

from __future__ import annotations

import uuid

import httpx
import pydo
import pytest

from tests.conftest import new_token
from tests.support.ansible import run_module
from tests.test_conventions import assert_error
from tests.test_load_balancers import _godo, droplet, lb_body

ANYWHERE = ["0.0.0.0/0", "::/0"]
SSH = {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["18.0.0.0/8", "1.2.3.4"]}}
OUT = {"protocol": "tcp", "ports": "80", "destinations": {"addresses": ANYWHERE}}


def fw_body(**overrides) -> dict:
    return {"name": "fw-1", "inbound_rules": [SSH], "outbound_rules": [OUT], **overrides}


def create(http, **overrides) -> dict:
    response = http.post("/v2/firewalls", json=fw_body(**overrides))
    assert response.status_code == 202, response.text
    return response.json()["firewall"]


def get(http, firewall_id: str) -> dict:
    response = http.get(f"/v2/firewalls/{firewall_id}")
    assert response.status_code == 200, response.text
    return response.json()["firewall"]


def test_create_apply_update_and_delete(do: pydo.Client, http) -> None:
    web = droplet(http, "web")
    lb = http.post("/v2/load_balancers", json=lb_body()).json()["load_balancer"]
    body = fw_body(
        inbound_rules=[
            SSH,
            {"protocol": "udp", "ports": "all", "sources": {"tags": ["office"]}},
            {"protocol": "tcp", "ports": "8000-9000",
             "sources": {"load_balancer_uids": [lb["id"]], "droplet_ids": [web["id"]]}},
            {"protocol": "icmp", "ports": "", "sources": {"addresses": ANYWHERE}},
        ],
        droplet_ids=[web["id"]],
        tags=["frontend"],
    )  # fmt: skip
    created = do.firewalls.create(body)["firewall"]
    assert uuid.UUID(created["id"])
    assert created["status"] == "waiting"
    assert created["pending_changes"] == [
        {"droplet_id": web["id"], "removing": False, "status": "waiting"}
    ]
    assert [(r["protocol"], r["ports"]) for r in created["inbound_rules"]] == [
        ("tcp", "22"), ("udp", "0"), ("tcp", "8000-9000"), ("icmp", "0"),
    ], "DigitalOcean renders all ports, and an icmp rule's, as 0"  # fmt: skip
    assert created["inbound_rules"][0]["sources"] == {"addresses": ["18.0.0.0/8", "1.2.3.4"]}
    assert created["droplet_ids"] == [web["id"]] and created["tags"] == ["frontend"]
    assert do.tags.get("frontend")["tag"]["name"] == "frontend", "tags are made on use"
    assert do.tags.get("office")["tag"]["name"] == "office"

    applied = do.firewalls.get(created["id"])["firewall"]
    assert (applied["status"], applied["pending_changes"]) == ("succeeded", [])
    assert do.firewalls.list()["firewalls"] == [applied]
    (listed,) = do.droplets.list_firewalls(web["id"])["firewalls"]
    assert listed["id"] == created["id"]

    # PUT replaces: what is left out (the tags, the outbound rules) is gone.
    updated = do.firewalls.update(
        created["id"], {"name": "fw-renamed", "inbound_rules": [SSH], "droplet_ids": [web["id"]]}
    )["firewall"]
    assert updated["name"] == "fw-renamed" and updated["tags"] == []
    assert updated["outbound_rules"] == [] and updated["status"] == "waiting"
    assert do.firewalls.get(created["id"])["firewall"]["status"] == "succeeded"

    do.firewalls.delete(created["id"])
    assert_error(http.get(f"/v2/firewalls/{created['id']}"), 404, "not_found")
    assert_error(http.delete(f"/v2/firewalls/{created['id']}"), 404, "not_found")
    assert do.droplets.list_firewalls(web["id"])["firewalls"] == []


def test_droplets_tags_and_rules_added_and_removed(do: pydo.Client, http) -> None:
    first, second = droplet(http, "a"), droplet(http, "b", tags=["db"])
    firewall = create(http)
    do.firewalls.assign_droplets(firewall["id"], {"droplet_ids": [first["id"], second["id"]]})
    assert get(http, firewall["id"])["droplet_ids"] == [first["id"], second["id"]]
    do.firewalls.delete_droplets(firewall["id"], {"droplet_ids": [second["id"]]})
    assert get(http, firewall["id"])["droplet_ids"] == [first["id"]]

    do.firewalls.add_tags(firewall["id"], {"tags": ["db", "new-tag"]})
    assert get(http, firewall["id"])["tags"] == ["db", "new-tag"]
    assert http.get("/v2/tags/new-tag").status_code == 200
    # The droplet is reached through its tag.
    (by_tag,) = do.droplets.list_firewalls(second["id"])["firewalls"]
    assert by_tag["id"] == firewall["id"]
    do.firewalls.delete_tags(firewall["id"], {"tags": ["DB"]})
    assert get(http, firewall["id"])["tags"] == ["new-tag"]
    assert do.droplets.list_firewalls(second["id"])["meta"]["total"] == 0

    mysql_in = {"protocol": "tcp", "ports": "3306", "sources": {"droplet_ids": [second["id"]]}}
    mysql_out = {"protocol": "tcp", "ports": "3306",
                 "destinations": {"droplet_ids": [second["id"]]}}  # fmt: skip
    do.firewalls.add_rules(
        firewall["id"], {"inbound_rules": [mysql_in], "outbound_rules": [mysql_out]}
    )
    got = get(http, firewall["id"])
    assert got["inbound_rules"] == [SSH, mysql_in] and got["outbound_rules"] == [OUT, mysql_out]
    again = http.post(f"/v2/firewalls/{firewall['id']}/rules", json={"inbound_rules": [SSH]})
    assert "twice" in assert_error(again, 422, "unprocessable_entity")["message"]
    do.firewalls.delete_rules(firewall["id"], {"inbound_rules": [SSH], "outbound_rules": [OUT]})
    got = get(http, firewall["id"])
    assert got["inbound_rules"] == [mysql_in] and got["outbound_rules"] == [mysql_out]

    # A destroyed droplet leaves the firewall.
    assert http.delete(f"/v2/droplets/{first['id']}").status_code == 204
    assert get(http, firewall["id"])["droplet_ids"] == []
    assert_error(http.get(f"/v2/droplets/{first['id']}/firewalls"), 404, "not_found")
    for path in ("not-a-uuid", str(uuid.uuid4())):
        assert_error(http.post(f"/v2/firewalls/{path}/droplets",
                               json={"droplet_ids": [second["id"]]}), 404, "not_found")  # fmt: skip


def test_limits_per_firewall(http) -> None:
    droplets = [droplet(http, f"d{i}") for i in range(11)]
    firewall = create(http, droplet_ids=[d["id"] for d in droplets[:10]])
    more = http.post(f"/v2/firewalls/{firewall['id']}/droplets",
                     json={"droplet_ids": [droplets[10]["id"]]})  # fmt: skip
    assert "at most 10" in assert_error(more, 422, "unprocessable_entity")["message"]
    assert len(get(http, firewall["id"])["droplet_ids"]) == 10, "nothing half-done"
    tagged = create(http, name="fw-2", tags=["t1", "t2", "t3", "t4", "t5"])
    sixth = http.post(f"/v2/firewalls/{tagged['id']}/tags", json={"tags": ["t6"]})
    assert "at most 5" in assert_error(sixth, 422, "unprocessable_entity")["message"]
    many = [{**SSH, "ports": str(port)} for port in range(1, 52)]
    too_many = http.post("/v2/firewalls", json=fw_body(name="fw-3", inbound_rules=many))
    assert "at most 50" in assert_error(too_many, 422, "unprocessable_entity")["message"]


def _rule(**overrides) -> dict:
    return {**SSH, **overrides}


BAD_CREATES = [
    ({"name": None}, "name"),
    ({"name": "a"}, "name"),
    ({"name": "-fw"}, "name"),
    ({"name": "bad name"}, "name"),
    ({"inbound_rules": [], "outbound_rules": []}, "at least one"),
    ({"inbound_rules": [_rule(protocol="sctp")]}, "protocol"),
    ({"inbound_rules": [_rule(ports="0")]}, "positive value for ports"),
    ({"inbound_rules": [_rule(ports="0-80")]}, "positive value for ports"),
    ({"inbound_rules": [_rule(ports="70000")]}, "ports"),
    ({"inbound_rules": [_rule(ports="90-80")]}, "ports"),
    ({"inbound_rules": [_rule(ports="http")]}, "ports"),
    ({"inbound_rules": [_rule(ports="")]}, "ports"),
    ({"inbound_rules": [_rule(protocol="icmp", ports="all")]}, "positive value for ports"),
    ({"inbound_rules": [_rule(sources={})]}, "sources"),
    ({"inbound_rules": [_rule(sources={"addresses": ["300.1.1.1"]})]}, "addresses[0]"),
    ({"inbound_rules": [_rule(sources={"addresses": ["10.0.0.0/33"]})]}, "addresses[0]"),
    ({"inbound_rules": [_rule(sources={"addresses": ["fe80::/200"]})]}, "addresses[0]"),
    ({"inbound_rules": [_rule(sources={"droplet_ids": [123]})]}, "droplet 123"),
    ({"inbound_rules": [_rule(sources={"load_balancer_uids": ["x"]})]}, "load_balancer_uids"),
    ({"inbound_rules": [_rule(sources={"kubernetes_ids": ["x"]})]}, "kubernetes_ids"),
    ({"inbound_rules": [_rule(sources={"tags": ["bad tag"]})]}, "tags"),
    ({"inbound_rules": [SSH, SSH]}, "twice"),
    ({"outbound_rules": [{"protocol": "tcp", "ports": "80"}]}, "destinations"),
    ({"droplet_ids": [123]}, "droplet 123"),
    ({"droplet_ids": "all"}, "droplet_ids"),
    ({"tags": ["ok", "not ok"]}, "tags"),
]


@pytest.mark.parametrize(("overrides", "named"), BAD_CREATES)
def test_invalid_create_is_422_and_stores_nothing(http, overrides, named) -> None:
    body = {k: v for k, v in fw_body(**overrides).items() if v is not None}
    error = assert_error(http.post("/v2/firewalls", json=body), 422, "unprocessable_entity")
    assert named in error["message"]
    assert http.get("/v2/firewalls").json()["meta"]["total"] == 0
    assert http.get("/v2/tags").json()["tags"] == [], "no tag made half-way"


def test_manual_timing_shows_pending_changes(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        first, second = droplet(http, "a"), droplet(http, "b")
        firewall = create(http, droplet_ids=[first["id"]])
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        assert get(http, firewall["id"])["status"] == "succeeded"
        http.put(f"/v2/firewalls/{firewall['id']}", json=fw_body(droplet_ids=[second["id"]]))
        waiting = get(http, firewall["id"])
        assert waiting["status"] == "waiting"
        assert waiting["pending_changes"] == [
            {"droplet_id": second["id"], "removing": False, "status": "waiting"},
            {"droplet_id": first["id"], "removing": True, "status": "waiting"},
        ]
        http.post("/_localocean/clock/advance", json={"seconds": 5})
        assert get(http, firewall["id"])["status"] == "waiting"
        http.post("/_localocean/clock/advance", json={"seconds": 5})
        done = get(http, firewall["id"])
        assert (done["status"], done["pending_changes"]) == ("succeeded", [])


def test_a_transition_waits_for_the_request_holding_its_row(
    backend, start_server, clients, tmp_path
) -> None:
    """While a transaction holds the firewall's row (as a request changing it does), its
    transition is left for later, and a settle of the clock returns rather than waiting or
    spinning; once the row is free the transition applies."""
    if backend.name != "postgresql":
        pytest.skip("on SQLite one process's writes take turns: no row is held by another")
    from sqlalchemy import create_engine, text

    database, url = backend.durable(tmp_path)
    server = start_server("--timing", "manual", database=database)
    engine = create_engine(url)
    try:
        with clients.http(server.url, new_token()) as http:
            firewall = create(http)
            with engine.connect() as holder:
                holder.execute(text("SELECT id FROM firewalls WHERE id = :id FOR UPDATE"),
                               {"id": firewall["id"]})  # fmt: skip
                settled = http.post("/_localocean/clock/settle").json()
                assert settled["pending"] == 1, "left for later, not dropped"
                assert get(http, firewall["id"])["status"] == "waiting"
                holder.rollback()
            settled = http.post("/_localocean/clock/settle").json()
            assert settled["pending"] == 0
            assert get(http, firewall["id"])["status"] == "succeeded"
    finally:
        engine.dispose()


def test_a_fault_rule_on_an_update(start_server, clients) -> None:
    server = start_server()
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        firewall = create(http)
        rule = {"operation": "firewalls_add_tags", "status": 500, "times": 1}
        assert control.post("/_localocean/faults", json=rule).status_code == 201
        path = f"/v2/firewalls/{firewall['id']}/tags"
        assert_error(http.post(path, json={"tags": ["x"]}), 500, "server_error")
        assert get(http, firewall["id"])["tags"] == []
        assert http.post(path, json={"tags": ["x"]}).status_code == 204
        assert get(http, firewall["id"])["tags"] == ["x"]


def test_seeded_firewalls_survive_export_reset_and_import(start_server, clients, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: team\n"
        "    tokens: [dop_v1_seeded_firewalls]\n"
        "    droplets:\n"
        "      - {name: app, region: fra1, size: s-1vcpu-1gb, image: ubuntu-24-04-x64}\n"
        "    firewalls:\n"
        "      - name: base\n"
        "        droplets: [app]\n"
        "        tags: [seeded]\n"
        "        inbound_rules:\n"
        "          - {protocol: tcp, ports: '22', sources: {addresses: ['0.0.0.0/0']}}\n"
    )
    server = start_server("--seed", str(seed), "--timing", "realistic")
    with clients.http(server.url, "dop_v1_seeded_firewalls") as http:
        (app,) = http.get("/v2/droplets").json()["droplets"]
        (firewall,) = http.get("/v2/firewalls").json()["firewalls"]
        assert (firewall["name"], firewall["status"]) == ("base", "succeeded")
        assert firewall["droplet_ids"] == [app["id"]] and firewall["tags"] == ["seeded"]
        status = http.get("/_localocean/status").json()
        assert [a["firewalls"] for a in status["accounts"] if a.get("firewalls")] == [1]

        state = http.get("/_localocean/state").json()
        assert http.post("/_localocean/reset", json={}).status_code == 200
        assert http.get("/v2/firewalls").json()["firewalls"] == []
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert http.get("/v2/firewalls").json()["firewalls"] == [firewall]
        assert http.get(f"/v2/droplets/{app['id']}/firewalls").json()["firewalls"] == [firewall]


def test_cloud_controller_manager_firewall(server, clients) -> None:
    """The CCM's worker firewall (firewall_controller.go): found by name in the list, created
    with NodePort inbound rules and allow-all outbound rules (icmp without ports, "all" for
    tcp and udp, as godo sends them), then kept up to date with PUTs by id."""
    token = new_token()
    name = "k8s-cluster-id-worker"
    outbound = [
        {"protocol": "tcp", "ports": "all", "destinations": {"addresses": ANYWHERE}},
        {"protocol": "udp", "ports": "all", "destinations": {"addresses": ANYWHERE}},
        {"protocol": "icmp", "destinations": {"addresses": ANYWHERE}},
    ]
    with clients.http(server.url, token) as http, _godo(server.url, token, clients) as godo:
        node = droplet(http, "pool-1", tags=["k8s:cluster-id"])
        listed = godo.get("/v2/firewalls", params={"page": 1, "per_page": 200}).json()
        assert [fw for fw in listed["firewalls"] if fw["name"] == name] == []
        request = {"name": name, "outbound_rules": outbound, "tags": ["k8s:cluster-id"]}
        created = godo.post("/v2/firewalls", json=request)
        assert created.status_code == 202, created.text
        firewall = created.json()["firewall"]
        assert firewall["inbound_rules"] == [] and firewall["tags"] == ["k8s:cluster-id"]
        assert [r["ports"] for r in firewall["outbound_rules"]] == ["0", "0", "0"]
        assert firewall["pending_changes"] == [
            {"droplet_id": node["id"], "removing": False, "status": "waiting"}
        ], "the tag's droplets are reached"

        # A NodePort service appears: the reconciled request goes out as a PUT by id.
        node_port = {"protocol": "tcp", "ports": "30080", "sources": {"addresses": ANYWHERE}}
        updated = godo.put(
            f"/v2/firewalls/{firewall['id']}", json={**request, "inbound_rules": [node_port]}
        )
        assert updated.status_code == 200, updated.text
        got = godo.get(f"/v2/firewalls/{firewall['id']}").json()["firewall"]
        assert got["inbound_rules"] == [node_port] and got["status"] == "succeeded"
        (by_tag,) = godo.get(f"/v2/droplets/{node['id']}/firewalls").json()["firewalls"]
        assert by_tag["id"] == firewall["id"]

        # The firewall was deleted behind its back: the PUT is a 404, and the CCM creates anew.
        assert godo.delete(f"/v2/firewalls/{firewall['id']}").status_code == 204
        missing = godo.put(f"/v2/firewalls/{firewall['id']}", json=request)
        assert_error(missing, 404, "not_found")
        assert godo.post("/v2/firewalls", json=request).status_code == 202


def test_ansible_firewall_create_rerun_delete(proxied, tmp_path) -> None:
    server, _exported, _data_dir = proxied
    token = new_token()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        web = droplet(http, "ansible-web")
    args = {
        "name": "ansible-fw",
        "droplet_ids": [str(web["id"])],  # the module sends droplet ids as strings
        "tags": ["ansible"],
        "inbound_rules": [
            {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["1.2.3.0/24"]}},
            {"protocol": "tcp", "ports": "80", "sources": {"tags": ["lb"]}},
        ],
        "outbound_rules": [
            {"protocol": "udp", "ports": "53", "destinations": {"addresses": ANYWHERE}}
        ],
    }
    made = run_module("digital_ocean_firewall", args, token, tmp_path)
    assert not made.get("failed"), made
    assert made["changed"] is True and made["data"]["droplet_ids"] == [web["id"]]

    again = run_module("digital_ocean_firewall", args, token, tmp_path)
    assert not again.get("failed"), again
    assert again["changed"] is False, again
    assert again["data"]["status"] == "succeeded"

    more = {**args, "tags": ["ansible", "second"]}
    changed = run_module("digital_ocean_firewall", more, token, tmp_path)
    assert not changed.get("failed") and changed["changed"] is True, changed
    assert changed["data"]["tags"] == ["ansible", "second"]

    gone = run_module("digital_ocean_firewall", {**args, "state": "absent"}, token, tmp_path)
    assert not gone.get("failed") and gone["changed"] is True, gone
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/v2/firewalls").json()["firewalls"] == []


ODD_BODIES = [
    "not an object",
    [SSH],
    {**fw_body(), "inbound_rules": "all"},
    {**fw_body(), "inbound_rules": [{**SSH, "sources": "everywhere"}]},
    {**fw_body(), "inbound_rules": [{**SSH, "sources": {"addresses": "1.2.3.4"}}]},
    {**fw_body(), "inbound_rules": [{**SSH, "sources": {"droplet_ids": [10**30]}}]},
    {**fw_body(), "inbound_rules": [{**SSH, "sources": {"droplet_ids": ["9" * 40]}}]},
    {**fw_body(), "inbound_rules": [{**SSH, "ports": 22}]},
    {**fw_body(), "inbound_rules": [{**SSH, "ports": "99999999999999999999"}]},
    {**fw_body(), "inbound_rules": [{**SSH, "sources": {"kubernetes_ids": [5]}}]},
    {**fw_body(), "inbound_rules": [{**SSH, "sources": {"addresses": ["\u0661.2.3.4"]}}]},
    {**fw_body(), "droplet_ids": [True]},
    {**fw_body(), "tags": "prod"},
    {"droplet_ids": None, "tags": None},
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_are_client_errors(http, body) -> None:
    firewall = create(http, name="target")
    requests = [("POST", "/v2/firewalls"), ("PUT", f"/v2/firewalls/{firewall['id']}")]
    requests += [
        (method, f"/v2/firewalls/{firewall['id']}/{part}")
        for part in ("droplets", "tags", "rules")
        for method in ("POST", "DELETE")
    ]
    for method, path in requests:
        response = http.request(method, path, json=body)
        # A create always needs more than these bodies give; elsewhere one may be harmless.
        refused = response.status_code >= 400
        assert refused or method != "POST" or path != "/v2/firewalls", response.text
        assert response.status_code < 500, (method, path, response.text)
        if refused:
            assert response.json()["id"] and response.json()["message"]
