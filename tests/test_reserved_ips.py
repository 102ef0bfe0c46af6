"""Reserved IPs (and the floating IP paths), reserved IPv6s and their actions: DigitalOcean's
rules and the flows real tools run, through pydo, plain HTTP (spec-checked responses),
python-digitalocean and Ansible."""

from __future__ import annotations

import ipaddress

import pydo
import pytest

from tests.conftest import new_token
from tests.test_conventions import assert_error

UBUNTU = "ubuntu-24-04-x64"
SMALL = "s-1vcpu-1gb"
POOL = [ipaddress.ip_network(n) for n in ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24")]


def droplet(http, name: str = "web-1", region: str = "nyc3", **extra) -> dict:
    body = {"name": name, "region": region, "size": SMALL, "image": UBUNTU, **extra}
    response = http.post("/v2/droplets", json=body)
    assert response.status_code == 202, response.text
    made = response.json()["droplet"]
    assert http.get(f"/v2/droplets/{made['id']}").json()["droplet"]["status"] == "active"
    return made


def reserve(http, base: str = "/v2/reserved_ips", **body) -> dict:
    response = http.post(base, json=body)
    assert response.status_code == 202, response.text
    return response.json()


def networks(http, droplet_id: int) -> dict:
    return http.get(f"/v2/droplets/{droplet_id}").json()["droplet"]["networks"]


def public_v4(http, droplet_id: int) -> list[str]:
    return [n["ip_address"] for n in networks(http, droplet_id)["v4"] if n["type"] == "public"]


def test_create_in_a_region_then_assign_move_unassign_delete(do: pydo.Client, http) -> None:
    created = do.reserved_ips.create({"region": "nyc3"})
    ip = created["reserved_ip"]
    assert created["links"] == {}
    assert (ip["droplet"], ip["locked"], ip["region"]["slug"]) == (None, False, "nyc3")
    address = ipaddress.ip_address(ip["ip"])
    assert any(address in net for net in POOL), "documentation space: routes nowhere"
    assert ip["project_id"]
    assert do.reserved_ips.get(ip["ip"])["reserved_ip"] == ip
    listed = do.reserved_ips.list()
    assert listed["reserved_ips"] == [ip] and listed["meta"]["total"] == 1
    (reserved,) = do.reserved_ips_actions.list(ip["ip"])["actions"]
    assert (reserved["type"], reserved["status"], reserved["resource_type"]) == (
        "reserve_ip",
        "completed",
        "reserved_ip",
    )
    assert reserved["resource_id"] == int(address), "DigitalOcean names the IP as an integer"

    first, second = droplet(http, "a"), droplet(http, "b")
    own = public_v4(http, first["id"])
    assign = do.reserved_ips_actions.post(ip["ip"], {"type": "assign", "droplet_id": first["id"]})
    action = assign["action"]
    assert (action["type"], action["resource_type"]) == ("assign_ip", "reserved_ip")
    assert action["region_slug"] == "nyc3" and action["project_id"] == ip["project_id"]
    done = do.reserved_ips_actions.get(ip["ip"], action["id"])["action"]
    assert done["status"] == "completed" and done["completed_at"]
    assert do.actions.get(action["id"])["action"]["status"] == "completed"
    assigned = do.reserved_ips.get(ip["ip"])["reserved_ip"]
    assert assigned["droplet"]["id"] == first["id"] and assigned["locked"] is False
    assert assigned["droplet"]["networks"]["v4"] == networks(http, first["id"])["v4"]
    assert public_v4(http, first["id"]) == [*own, ip["ip"]], "the droplet's own address first"

    # Assigning an assigned address moves it.
    do.reserved_ips_actions.post(ip["ip"], {"type": "assign", "droplet_id": second["id"]})
    assert do.reserved_ips.get(ip["ip"])["reserved_ip"]["droplet"]["id"] == second["id"]
    assert ip["ip"] not in public_v4(http, first["id"])
    assert ip["ip"] in public_v4(http, second["id"])

    unassign = do.reserved_ips_actions.post(ip["ip"], {"type": "unassign"})["action"]
    assert unassign["type"] == "unassign_ip"
    assert do.reserved_ips.get(ip["ip"])["reserved_ip"]["droplet"] is None
    assert ip["ip"] not in public_v4(http, second["id"])
    history = do.reserved_ips_actions.list(ip["ip"])
    assert [a["type"] for a in history["actions"]] == [
        "unassign_ip", "assign_ip", "assign_ip", "reserve_ip",
    ]  # fmt: skip
    assert history["meta"]["total"] == 4

    assert do.reserved_ips.delete(ip["ip"]) is None
    assert do.reserved_ips.get(ip["ip"])["id"] == "not_found"  # pydo hands back the error
    assert_error(http.get(f"/v2/reserved_ips/{ip['ip']}"), 404, "not_found")
    assert do.reserved_ips.list()["reserved_ips"] == []


def test_create_with_a_droplet_assigns_it_through_an_action(do: pydo.Client, http) -> None:
    target = droplet(http, "with-ip", region="ams3")
    created = do.reserved_ips.create({"droplet_id": target["id"]})
    ip = created["reserved_ip"]
    # As DigitalOcean answers: locked, not yet on the droplet, links to both.
    assert (ip["locked"], ip["droplet"], ip["region"]["slug"]) == (True, None, "ams3")
    (link,) = created["links"]["actions"]
    assert link["rel"] == "assign_ip" and link["href"].endswith(f"/v2/actions/{link['id']}")
    (drop,) = created["links"]["droplets"]
    assert drop["id"] == target["id"] and drop["href"].endswith(f"/v2/droplets/{target['id']}")
    assert do.actions.get(link["id"])["action"]["status"] == "completed"
    now = do.reserved_ips.get(ip["ip"])["reserved_ip"]
    assert now["droplet"]["id"] == target["id"] and now["locked"] is False
    assert ip["ip"] in public_v4(http, target["id"])

    # An assigned IPv4 can be deleted: it leaves its droplet.
    assert http.delete(f"/v2/reserved_ips/{ip['ip']}").status_code == 204
    assert ip["ip"] not in public_v4(http, target["id"])


def test_floating_ip_paths_answer_with_their_own_keys(http) -> None:
    target = droplet(http, "fip")
    created = reserve(http, "/v2/floating_ips", droplet_id=target["id"])
    fip = created["floating_ip"]
    assert "reserved_ip" not in created and created["links"]["actions"][0]["rel"] == "assign_ip"
    listed = http.get("/v2/floating_ips").json()
    assert [f["ip"] for f in listed["floating_ips"]] == [fip["ip"]]
    assert listed["floating_ips"][0]["droplet"]["id"] == target["id"]
    # The same address under both names.
    shown = http.get(f"/v2/floating_ips/{fip['ip']}").json()["floating_ip"]
    assert shown == http.get(f"/v2/reserved_ips/{fip['ip']}").json()["reserved_ip"]
    actions = http.get(f"/v2/floating_ips/{fip['ip']}/actions").json()["actions"]
    assert [(a["type"], a["resource_type"]) for a in actions] == [("assign_ip", "floating_ip")]
    posted = http.post(f"/v2/floating_ips/{fip['ip']}/actions", json={"type": "unassign"})
    assert posted.status_code == 201
    action = posted.json()["action"]
    assert action["resource_type"] == "floating_ip"
    got = http.get(f"/v2/floating_ips/{fip['ip']}/actions/{action['id']}").json()["action"]
    assert got["status"] == "completed"
    assert http.get(f"/v2/floating_ips/{fip['ip']}").json()["floating_ip"]["droplet"] is None
    assert http.delete(f"/v2/floating_ips/{fip['ip']}").status_code == 204
    assert_error(http.get(f"/v2/floating_ips/{fip['ip']}"), 404, "not_found")


def test_validation_errors_are_digitaloceans(server, clients, http) -> None:
    nyc3 = droplet(http, "n")
    sfo3 = droplet(http, "s", region="sfo3")
    for body, why in [
        ({}, "region or droplet_id"),
        ({"region": "nowhere"}, "region"),
        ({"droplet_id": 999_999_999}, "could not be found"),
        ({"droplet_id": "abc"}, "droplet_id"),
        ({"droplet_id": True}, "droplet_id"),
        ({"region": "nyc1", "droplet_id": nyc3["id"]}, "same region"),
        ({"region": "nyc3", "project_id": "not-a-uuid"}, "project_id"),
    ]:
        response = http.post("/v2/reserved_ips", json=body)
        assert why in assert_error(response, 422, "unprocessable_entity")["message"], body
    assert http.get("/v2/reserved_ips").json()["meta"]["total"] == 0, "nothing stored"
    assert_error(http.post("/v2/reserved_ips", json=[1]), 422, "unprocessable_entity")
    assert_error(http.post("/v2/reserved_ips", content=b"{"), 400, "bad_request")

    ip = reserve(http, region="nyc3")["reserved_ip"]["ip"]
    act = f"/v2/reserved_ips/{ip}/actions"
    for body, why in [
        ({"type": "explode"}, "type"),
        ({}, "type"),
        ({"type": "assign"}, "droplet_id"),
        ({"type": "assign", "droplet_id": sfo3["id"]}, "same region"),
        ({"type": "unassign"}, "not assigned"),
    ]:
        assert (
            why in assert_error(http.post(act, json=body), 422, "unprocessable_entity")["message"]
        )
    # `droplet_id` may be a string of digits (Ansible sends one, to the floating IP paths).
    as_text = {"type": "assign", "droplet_id": str(nyc3["id"])}
    assert http.post(f"/v2/floating_ips/{ip}/actions", json=as_text).status_code == 201
    # One reserved IP per droplet.
    other = reserve(http, region="nyc3")["reserved_ip"]["ip"]
    second = http.post(
        f"/v2/reserved_ips/{other}/actions", json={"type": "assign", "droplet_id": nyc3["id"]}
    )
    assert (
        "already has a reserved IP" in assert_error(second, 422, "unprocessable_entity")["message"]
    )
    with_one = http.post("/v2/reserved_ips", json={"droplet_id": nyc3["id"]})
    assert_error(with_one, 422, "unprocessable_entity")

    # The account's limit (`floating_ip_limit` of `GET /v2/account`).
    limit = http.get("/v2/account").json()["account"]["floating_ip_limit"]
    assert limit == 3
    reserve(http, region="nyc3")
    over = http.post("/v2/reserved_ips", json={"region": "nyc3"})
    assert "limit" in assert_error(over, 422, "unprocessable_entity")["message"]
    assert http.get("/v2/reserved_ips").json()["meta"]["total"] == 3

    for path in (
        "/v2/reserved_ips/1.2.3.4",
        "/v2/reserved_ips/nonsense",
        "/v2/reserved_ips/2001:db8::1",
    ):
        assert_error(http.get(path), 404, "not_found")
    assert_error(http.get(f"/v2/reserved_ips/{ip}/actions/12345"), 404, "not_found")
    assert_error(http.get(f"/v2/reserved_ips/{ip}/actions/nope"), 404, "not_found")
    # Another account sees none of it.
    with clients.http(server.url, new_token()) as stranger:
        assert_error(stranger.get(f"/v2/reserved_ips/{ip}"), 404, "not_found")
        assert_error(stranger.delete(f"/v2/reserved_ips/{ip}"), 404, "not_found")


def test_reserved_ipv6(do: pydo.Client, http) -> None:
    created = do.reserved_ipv6.create({"region_slug": "nyc3"})["reserved_ipv6"]
    address = ipaddress.ip_address(created["ip"])
    assert address.version == 6 and address in ipaddress.ip_network("2001:db8::/32")
    assert created["region_slug"] == "nyc3" and created["reserved_at"]
    assert do.reserved_ipv6.get(created["ip"])["reserved_ipv6"]["droplet"] is None
    listed = do.reserved_ipv6.list()
    assert [r["ip"] for r in listed["reserved_ipv6s"]] == [created["ip"]]
    assert listed["meta"]["total"] == 1
    assert http.get("/v2/reserved_ips").json()["reserved_ips"] == [], "IPv4s are apart"

    without = droplet(http, "no-v6")
    with_v6 = droplet(http, "v6", ipv6=True)
    refused = http.post(
        f"/v2/reserved_ipv6/{created['ip']}/actions",
        json={"type": "assign", "droplet_id": without["id"]},
    )
    assert "IPv6" in assert_error(refused, 422, "unprocessable_entity")["message"]
    action = do.reserved_ipv6_actions.post(
        created["ip"], {"type": "assign", "droplet_id": with_v6["id"]}
    )["action"]
    assert (action["type"], action["resource_type"]) == ("assign_ip", "reserved_ipv6")
    # Terraform polls an IPv6 action at /v2/actions/{id}.
    assert do.actions.get(action["id"])["action"]["status"] == "completed"
    assigned = do.reserved_ipv6.get(created["ip"])["reserved_ipv6"]
    assert assigned["droplet"]["id"] == with_v6["id"]
    v6 = [n["ip_address"] for n in networks(http, with_v6["id"])["v6"]]
    assert len(v6) == 2 and v6[1] == created["ip"]
    # An assigned reserved IPv6 cannot be released.
    assert_error(http.delete(f"/v2/reserved_ipv6/{created['ip']}"), 422, "unprocessable_entity")
    # Non-canonical spellings name the same address.
    spelled = created["ip"].replace("::", ":0:0:0:").upper()
    assert http.get(f"/v2/reserved_ipv6/{spelled}").status_code == 200

    do.reserved_ipv6_actions.post(created["ip"], {"type": "unassign"})
    assert do.reserved_ipv6.get(created["ip"])["reserved_ipv6"]["droplet"] is None
    assert len(networks(http, with_v6["id"])["v6"]) == 1
    assert do.reserved_ipv6.delete(created["ip"]) is None
    assert_error(http.get(f"/v2/reserved_ipv6/{created['ip']}"), 404, "not_found")
    for body in ({}, {"region_slug": "nowhere"}, {"region": "nyc3"}):
        assert_error(http.post("/v2/reserved_ipv6", json=body), 422, "unprocessable_entity")
    assert_error(http.get("/v2/reserved_ipv6/203.0.113.9"), 404, "not_found")


def test_destroying_a_droplet_unassigns_and_associated_resources_release(http) -> None:
    kept = droplet(http, "kept", ipv6=True)
    ip = reserve(http, droplet_id=kept["id"])["reserved_ip"]["ip"]
    v6 = http.post("/v2/reserved_ipv6", json={"region_slug": "nyc3"}).json()["reserved_ipv6"]
    http.post(
        f"/v2/reserved_ipv6/{v6['ip']}/actions", json={"type": "assign", "droplet_id": kept["id"]}
    )
    assert http.delete(f"/v2/droplets/{kept['id']}").status_code == 204
    left = http.get(f"/v2/reserved_ips/{ip}").json()["reserved_ip"]
    assert left["droplet"] is None, "the IP stays, unassigned"
    assert http.get(f"/v2/reserved_ipv6/{v6['ip']}").json()["reserved_ipv6"]["droplet"] is None

    # Listed with the droplet's associated resources, and released with it when chosen.
    second = droplet(http, "second")
    http.post(f"/v2/reserved_ips/{ip}/actions", json={"type": "assign", "droplet_id": second["id"]})
    path = f"/v2/droplets/{second['id']}/destroy_with_associated_resources"
    associated = http.get(path).json()
    (entry,) = associated["reserved_ips"]
    assert entry["name"] == ip and entry["id"].isdigit() and entry["cost"]
    assert associated["floating_ips"] == associated["reserved_ips"]
    wrong = http.request("DELETE", path + "/selective", json={"reserved_ips": ["1"]})
    assert_error(wrong, 422, "unprocessable_entity")
    assert (
        http.request(
            "DELETE", path + "/selective", json={"reserved_ips": [entry["id"]]}
        ).status_code
        == 202
    )
    status = http.get(path + "/status").json()
    assert [r["name"] for r in status["resources"]["reserved_ips"]] == [ip]
    assert_error(http.get(f"/v2/reserved_ips/{ip}"), 404, "not_found")

    # Selectively destroyed without it, the IP stays.
    third = droplet(http, "third")
    other = reserve(http, droplet_id=third["id"])["reserved_ip"]["ip"]
    third_path = f"/v2/droplets/{third['id']}/destroy_with_associated_resources"
    assert http.request("DELETE", third_path + "/selective", json={}).status_code == 202
    assert http.get(f"/v2/reserved_ips/{other}").json()["reserved_ip"]["droplet"] is None
    # Dangerously, it goes.
    fourth = droplet(http, "fourth")
    http.post(
        f"/v2/reserved_ips/{other}/actions", json={"type": "assign", "droplet_id": fourth["id"]}
    )
    dangerous = f"/v2/droplets/{fourth['id']}/destroy_with_associated_resources/dangerous"
    assert http.delete(dangerous, headers={"X-Dangerous": "true"}).status_code == 202
    assert_error(http.get(f"/v2/reserved_ips/{other}"), 404, "not_found")
    assert http.get("/v2/reserved_ips").json()["meta"]["total"] == 0


def test_terraform_reserved_ip_and_assignment(http) -> None:
    """`digitalocean_reserved_ip` (in a region) + `digitalocean_reserved_ip_assignment`, as the
    provider drives them through godo."""
    web = droplet(http, "tf-web")
    # Create: godo always sends `project_id`, empty when not set.
    created = http.post("/v2/reserved_ips", json={"region": "nyc3", "project_id": ""})
    assert created.status_code == 202
    ip = created.json()["reserved_ip"]["ip"]
    assert http.get(f"/v2/reserved_ips/{ip}").json()["reserved_ip"]["region"]["slug"] == "nyc3"
    # The assignment waits for the droplet's pending events, then assigns and polls.
    pending = http.get(f"/v2/droplets/{web['id']}/actions", params={"per_page": 50}).json()
    assert all(a["status"] != "in-progress" for a in pending["actions"])
    action = http.post(
        f"/v2/reserved_ips/{ip}/actions", json={"type": "assign", "droplet_id": web["id"]}
    )
    assert action.status_code == 201
    action_id = action.json()["action"]["id"]
    polled = http.get(f"/v2/reserved_ips/{ip}/actions/{action_id}").json()["action"]
    assert polled["status"] == "completed"
    read = http.get(f"/v2/reserved_ips/{ip}").json()["reserved_ip"]
    assert read["droplet"]["id"] == web["id"]
    # What the droplet resource reads back: its first public address is its own.
    v4 = http.get(f"/v2/droplets/{web['id']}").json()["droplet"]["networks"]["v4"]
    publics = [n["ip_address"] for n in v4 if n["type"] == "public"]
    assert publics[1] == ip and ipaddress.ip_address(publics[0]) in ipaddress.ip_network(
        "198.18.0.0/15"
    )
    # Destroy: the assignment unassigns and polls; the reserved IP then goes.
    gone = http.post(f"/v2/reserved_ips/{ip}/actions", json={"type": "unassign"}).json()["action"]
    assert http.get(f"/v2/reserved_ips/{ip}/actions/{gone['id']}").json()["action"]["status"] == (
        "completed"
    )
    # The reserved IP's own delete unassigns first and takes a 422 as "already unassigned".
    again = http.post(f"/v2/reserved_ips/{ip}/actions", json={"type": "unassign"})
    assert again.status_code == 422
    assert http.delete(f"/v2/reserved_ips/{ip}").status_code == 204
    assert http.get(f"/v2/reserved_ips/{ip}").status_code == 404


def test_manual_timing_keeps_an_assign_in_progress(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        http.post(
            "/v2/droplets", json={"name": "m", "region": "nyc3", "size": SMALL, "image": UBUNTU}
        )
        (target,) = http.get("/v2/droplets").json()["droplets"]
        ip = reserve(http, region="nyc3")["reserved_ip"]["ip"]
        # A droplet still being created has a pending event.
        early = http.post(
            f"/v2/reserved_ips/{ip}/actions", json={"type": "assign", "droplet_id": target["id"]}
        )
        assert "pending event" in assert_error(early, 422, "unprocessable_entity")["message"]
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        action = http.post(
            f"/v2/reserved_ips/{ip}/actions", json={"type": "assign", "droplet_id": target["id"]}
        ).json()["action"]
        assert action["status"] == "in-progress"
        shown = http.get(f"/v2/reserved_ips/{ip}").json()["reserved_ip"]
        assert (shown["locked"], shown["droplet"]) == (True, None)
        busy = http.post(f"/v2/reserved_ips/{ip}/actions", json={"type": "unassign"})
        assert "pending event" in assert_error(busy, 422, "unprocessable_entity")["message"]
        assert_error(http.delete(f"/v2/reserved_ips/{ip}"), 422, "unprocessable_entity")
        assert ip not in public_v4(http, target["id"])
        assert http.get(f"/v2/actions/{action['id']}").json()["action"]["status"] == "in-progress"

        http.post("/_localocean/clock/advance", json={"seconds": 60})
        done = http.get(f"/v2/actions/{action['id']}").json()["action"]
        assert done["status"] == "completed"
        shown = http.get(f"/v2/reserved_ips/{ip}").json()["reserved_ip"]
        assert (shown["locked"], shown["droplet"]["id"]) == (False, target["id"])
        assert ip in public_v4(http, target["id"])

        # A droplet destroyed while its assign is pending: the action errs, the IP unlocks.
        other = reserve(http, region="nyc3")["reserved_ip"]["ip"]
        http.post(
            "/v2/droplets", json={"name": "n", "region": "nyc3", "size": SMALL, "image": UBUNTU}
        )
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        second = next(d for d in http.get("/v2/droplets").json()["droplets"] if d["name"] == "n")
        moving = http.post(
            f"/v2/reserved_ips/{other}/actions", json={"type": "assign", "droplet_id": second["id"]}
        ).json()["action"]
        assert http.delete(f"/v2/droplets/{second['id']}").status_code == 204
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        assert http.get(f"/v2/actions/{moving['id']}").json()["action"]["status"] == "errored"
        assert http.get(f"/v2/reserved_ips/{other}").json()["reserved_ip"]["locked"] is False


def test_a_fault_rule_on_reserved_ip_create(start_server, clients) -> None:
    server = start_server("--timing", "instant")
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        rule = {"operation": "reservedIPs_create", "status": 503, "times": 1}
        assert control.post("/_localocean/faults", json=rule).status_code == 201
        assert_error(
            http.post("/v2/reserved_ips", json={"region": "nyc3"}), 503, "service_unavailable"
        )
        assert http.get("/v2/reserved_ips").json()["meta"]["total"] == 0
        assert http.post("/v2/reserved_ips", json={"region": "nyc3"}).status_code == 202
        # The floating IP path is another operation: the rule named only one.
        control.post("/_localocean/faults", json={"operation": "floatingIPs_list", "status": 500})
        assert http.get("/v2/floating_ips").status_code == 500
        assert http.get("/v2/reserved_ips").status_code == 200
        control.delete("/_localocean/faults")


def test_seed_status_export_reset_and_import(start_server, clients, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: team\n"
        "    tokens: [dop_v1_seeded_reserved_ips]\n"
        f"    droplets: [{{name: app, region: fra1, size: {SMALL}, image: {UBUNTU}, ipv6: true}}]\n"
        "    reserved_ips:\n"
        "      - {droplet: app}\n"
        "      - {region: fra1, ip: 198.51.100.7}\n"
        "      - {droplet: app, ipv6: true}\n"
    )
    server = start_server("--seed", str(seed), "--timing", "realistic")
    with clients.http(server.url, "dop_v1_seeded_reserved_ips") as http:
        (app,) = http.get("/v2/droplets").json()["droplets"]
        ips = http.get("/v2/reserved_ips").json()["reserved_ips"]
        assert [i["droplet"]["id"] if i["droplet"] else None for i in ips] == [app["id"], None]
        assert ips[1]["ip"] == "198.51.100.7"
        (v6,) = http.get("/v2/reserved_ipv6").json()["reserved_ipv6s"]
        assert v6["droplet"]["id"] == app["id"] and v6["region_slug"] == "fra1"
        assert ips[0]["ip"] in [n["ip_address"] for n in app["networks"]["v4"]]

        (status,) = [
            a for a in http.get("/_localocean/status").json()["accounts"] if a["account"] == "team"
        ]
        assert (status["reserved_ips"], status["reserved_ipv6s"]) == (2, 1)

        state = http.get("/_localocean/state").json()
        assert len(state["tables"]["reserved_ips"]) == 3
        before = {
            path: http.get(path).json()
            for path in ("/v2/reserved_ips", "/v2/reserved_ipv6", "/v2/droplets")
        }
        assert http.post("/_localocean/reset", json={}).status_code == 200
        assert http.get("/v2/reserved_ips").json()["reserved_ips"] == []
        assert http.put("/_localocean/state", json=state).status_code == 200
        after = {path: http.get(path).json() for path in before}
        assert after == before
        # Counts come back with the state: the limit still holds.
        reserve(http, region="fra1")
        assert_error(
            http.post("/v2/reserved_ips", json={"region": "fra1"}), 422, "unprocessable_entity"
        )

    with clients.http(server.url, None) as control:
        for bad in (
            {"region": "fra1", "ip": "8.8.8.8"},
            {"region": "fra1", "ip": "198.51.100.7"},
            {"droplet": "nobody"},
            {"region": "fra1", "ipv6": True, "ip": "2001:db8:0:1::5"},
        ):
            document = {"accounts": [{"name": "other", "reserved_ips": [bad]}]}
            error = assert_error(
                control.post("/_localocean/seed", json=document), 422, "unprocessable_entity"
            )
            assert error["message"].startswith("accounts[0].reserved_ips[0]"), bad


def test_reset_one_account_clears_its_addresses(start_server, clients) -> None:
    server = start_server("--timing", "instant")
    with (
        clients.http(server.url, new_token()) as first,
        clients.http(server.url, new_token()) as second,
        clients.http(server.url, None) as control,
    ):
        mine = droplet(first, "mine")
        ip = reserve(first, droplet_id=mine["id"])["reserved_ip"]["ip"]
        theirs = reserve(second, region="nyc3")["reserved_ip"]["ip"]
        assert ip != theirs
        account = first.get("/v2/account").json()["account"]["uuid"]
        assert control.post("/_localocean/reset", json={"account": account}).status_code == 200
        assert first.get("/v2/reserved_ips").json() == {
            "reserved_ips": [], "links": {}, "meta": {"total": 0}
        }  # fmt: skip
        assert second.get(f"/v2/reserved_ips/{theirs}").status_code == 200
        # Its address is free again: the round-robin comes back to it after the others.
        assert reserve(first, region="nyc3")["reserved_ip"]["ip"] not in (theirs,)


def test_addresses_are_unique_and_never_a_droplets(start_server, clients) -> None:
    """With droplets' public range moved onto the reserved IPs' space, the two still never
    share an address."""
    server = start_server("--timing", "instant", "--public-ip-range", "203.0.113.0/24")
    with clients.http(server.url, new_token()) as http:
        made = [droplet(http, f"d{i}") for i in range(3)]
        droplet_ips = {a for d in made for a in public_v4(http, d["id"])}
        tokens = [new_token() for _ in range(4)]
        reserved = set()
        for token in tokens:
            with clients.http(server.url, token) as each:
                for _ in range(3):
                    reserved.add(reserve(each, region="nyc3")["reserved_ip"]["ip"])
        assert len(reserved) == 12
        assert not reserved & droplet_ips
        assert all(
            ipaddress.ip_address(ip) not in ipaddress.ip_network("203.0.113.0/24")
            for ip in reserved
        )


def test_python_digitalocean_floating_ip(start_server, clients, monkeypatch) -> None:
    import digitalocean

    server = start_server("--timing", "instant")
    token = new_token()
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"{server.url}/v2/")
    with clients.http(server.url, token) as http:
        target = droplet(http, "pdo")
    reserved = digitalocean.FloatingIP(token=token, region_slug="nyc3").reserve()
    assert reserved.ip and reserved.region["slug"] == "nyc3"
    loaded = digitalocean.FloatingIP.get_object(token, reserved.ip)
    assert loaded.droplet is None
    result = loaded.assign(target["id"])
    assert result["action"]["type"] == "assign_ip"
    assert digitalocean.FloatingIP.get_object(token, reserved.ip).droplet["id"] == target["id"]
    assert loaded.unassign()["action"]["type"] == "unassign_ip"
    assert digitalocean.FloatingIP.get_object(token, reserved.ip).droplet is None

    created = digitalocean.FloatingIP(token=token, droplet_id=target["id"]).create()
    manager = digitalocean.Manager(token=token)
    listed = {f.ip: f for f in manager.get_all_floating_ips()}
    assert set(listed) == {reserved.ip, created.ip}
    assert listed[created.ip].droplet["id"] == target["id"]
    assert manager.get_account().floating_ip_limit == 3
    assert loaded.destroy() is True
    with pytest.raises(digitalocean.NotFoundError):
        digitalocean.FloatingIP.get_object(token, reserved.ip)
    assert clients.check_journal(server.url) > 0


def test_ansible_digital_ocean_floating_ip(proxied, clients, tmp_path) -> None:
    from tests.support.ansible import run_module

    server, exported, _data_dir = proxied
    token = exported["DIGITALOCEAN_ACCESS_TOKEN"]
    with clients.http(server.url, token) as http:
        target = droplet(http, "ansible")

        # With a droplet: created and assigned (Ansible sends the id as a string).
        made = run_module(
            "digital_ocean_floating_ip", {"droplet_id": target["id"]}, token, tmp_path
        )
        assert not made.get("failed"), made
        assert made["changed"] is True
        ip = made["data"]["floating_ip"]["ip"]
        assert (
            http.get(f"/v2/floating_ips/{ip}").json()["floating_ip"]["droplet"]["id"]
            == target["id"]
        )
        # Again: it finds the droplet's address and changes nothing.
        again = run_module(
            "digital_ocean_floating_ip", {"droplet_id": target["id"]}, token, tmp_path
        )
        assert not again.get("failed") and again["changed"] is False, again
        assert again["data"]["floating_ip"]["ip"] == ip
        assert http.get("/v2/floating_ips").json()["meta"]["total"] == 1

        # In a region: unassigned.
        regional = run_module("digital_ocean_floating_ip", {"region": "nyc3"}, token, tmp_path)
        assert not regional.get("failed") and regional["changed"] is True, regional
        free = regional["data"]["floating_ip"]["ip"]
        assert http.get(f"/v2/floating_ips/{free}").json()["floating_ip"]["droplet"] is None

        # Attach it to another droplet (the assign action is polled), then detach it.
        other = droplet(http, "ansible-2")
        attached = run_module(
            "digital_ocean_floating_ip",
            {"state": "attached", "ip": free, "droplet_id": other["id"]},
            token,
            tmp_path,
        )
        assert not attached.get("failed") and attached["changed"] is True, attached
        assert attached["data"]["action"]["status"] == "completed"
        shown = http.get(f"/v2/floating_ips/{free}").json()["floating_ip"]
        assert shown["droplet"]["id"] == other["id"]
        # A droplet holds one reserved IP: the module reports DigitalOcean's refusal.
        refused = run_module(
            "digital_ocean_floating_ip",
            {"state": "attached", "ip": free, "droplet_id": target["id"]},
            token,
            tmp_path,
        )
        assert refused.get("failed") and "422" in refused["msg"], refused
        detached = run_module(
            "digital_ocean_floating_ip", {"state": "detached", "ip": free}, token, tmp_path
        )
        assert not detached.get("failed") and detached["changed"] is True, detached

        # Delete, twice: the second finds nothing to do.
        for address in (ip, free):
            gone = run_module(
                "digital_ocean_floating_ip", {"state": "absent", "ip": address}, token, tmp_path
            )
            assert not gone.get("failed") and gone["changed"] is True, gone
        twice = run_module(
            "digital_ocean_floating_ip", {"state": "absent", "ip": ip}, token, tmp_path
        )
        assert not twice.get("failed") and twice["changed"] is False, twice
        assert http.get("/v2/floating_ips").json()["floating_ips"] == []
    assert clients.check_journal(server.url) > 0
