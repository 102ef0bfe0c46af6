"""Droplets, droplet actions and snapshots: DigitalOcean's rules and the flows real tools run,
through pydo, python-digitalocean and plain HTTP (spec-checked responses)."""

from __future__ import annotations

import ipaddress

import pydo
import pytest

from tests.conftest import new_token
from tests.test_conventions import assert_error

UBUNTU = "ubuntu-24-04-x64"
SMALL = "s-1vcpu-1gb"


def droplet_body(**overrides) -> dict:
    return {"name": "web-1", "region": "nyc3", "size": SMALL, "image": UBUNTU, **overrides}


def create(http, **overrides) -> dict:
    response = http.post("/v2/droplets", json=droplet_body(**overrides))
    assert response.status_code == 202, response.text
    return response.json()["droplet"]


def act(http, droplet_id: int, **body) -> dict:
    response = http.post(f"/v2/droplets/{droplet_id}/actions", json=body)
    assert response.status_code == 201, response.text
    return response.json()["action"]


def test_create_poll_to_active_and_read_networks(do: pydo.Client, http) -> None:
    created = do.droplets.create(droplet_body(tags=["web", "env:prod"], ipv6=True))
    droplet = created["droplet"]
    assert droplet["status"] == "new" and droplet["locked"] is False
    assert droplet["networks"] == {"v4": [], "v6": []}, "addresses come with the droplet"
    (link,) = created["links"]["actions"]
    assert link["rel"] == "create" and link["href"].endswith(f"/v2/actions/{link['id']}")
    assert (droplet["memory"], droplet["vcpus"], droplet["disk"]) == (1024, 1, 25)
    assert droplet["image"]["slug"] == UBUNTU and droplet["size"]["slug"] == SMALL
    assert droplet["region"]["slug"] == "nyc3" and droplet["tags"] == ["web", "env:prod"]

    active = do.droplets.get(droplet["id"])["droplet"]
    assert active["status"] == "active" and active["locked"] is False
    v4 = {net["type"]: net for net in active["networks"]["v4"]}
    public = ipaddress.ip_address(v4["public"]["ip_address"])
    assert public in ipaddress.ip_network("198.18.0.0/15"), "a range that routes nowhere"
    vpc = do.vpcs.get(active["vpc_uuid"])["vpc"]
    assert vpc["default"] is True and vpc["region"] == "nyc3"
    private = ipaddress.ip_address(v4["private"]["ip_address"])
    assert private in ipaddress.ip_network(vpc["ip_range"])
    (v6,) = active["networks"]["v6"]
    assert v6["type"] == "public" and ipaddress.ip_address(v6["ip_address"]).version == 6
    action = do.actions.get(link["id"])["action"]
    assert (action["type"], action["status"], action["resource_type"]) == (
        "create",
        "completed",
        "droplet",
    )
    assert http.get("/v2/tags/web").json()["tag"]["resources"]["droplets"]["count"] == 1


def test_several_at_once_lists_and_filters(do: pydo.Client, http) -> None:
    made = do.droplets.create(droplet_body(name=None, names=["a-1", "a-2", "b-1"], tags=["t"]))
    assert [d["name"] for d in made["droplets"]] == ["a-1", "a-2", "b-1"]
    assert len(made["links"]["actions"]) == 3
    create(http, name="a-1")
    assert do.droplets.list()["meta"]["total"] == 4
    assert [d["name"] for d in do.droplets.list(name="a-1")["droplets"]] == ["a-1", "a-1"]
    assert len(do.droplets.list(tag_name="t")["droplets"]) == 3
    assert do.droplets.list(type="gpus")["droplets"] == []
    page = http.get("/v2/droplets", params={"per_page": 2, "page": 2}).json()
    assert [d["name"] for d in page["droplets"]] == ["b-1", "a-1"]
    assert page["meta"]["total"] == 4 and "prev" in page["links"]["pages"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"size": "s-99vcpu"}, "invalid size"),
        ({"region": "nowhere"}, "invalid region"),
        ({"image": "no-such-image"}, "invalid image"),
        ({"image": 999_999_999}, "invalid image"),
        ({"name": "under_score"}, "hostname"),
        ({"name": None, "names": [f"n{i}" for i in range(11)]}, "at most 10"),
        ({"ssh_keys": [12345]}, "key"),
        ({"user_data": "x" * (64 * 1024 + 1)}, "user_data"),
        ({"backup_policy": {"plan": "weekly"}}, "backups"),
        ({"backups": True, "backup_policy": {"plan": "daily", "hour": 3}}, "hour"),
        ({"image": "gitlab-gitlabenterprise-20-04"}, "disk"),
    ],
)
def test_bad_creates_are_422_and_store_nothing(http, change, why) -> None:
    response = http.post("/v2/droplets", json=droplet_body(**change))
    assert why in assert_error(response, 422, "unprocessable_entity")["message"]
    assert http.get("/v2/droplets").json()["meta"]["total"] == 0
    assert http.get("/v2/vpcs").json()["vpcs"] == [], "no default VPC made half-way"


def test_droplet_limit_and_vpc_rules(http) -> None:
    for batch in range(2):
        names = [f"d{batch}-{i}" for i in range(10)]
        assert http.post("/v2/droplets", json=droplet_body(name=None, names=names)).is_success
    over = http.post(
        "/v2/droplets", json=droplet_body(name=None, names=[f"x{i}" for i in range(6)])
    )
    assert "droplet limit" in assert_error(over, 422, "unprocessable_entity")["message"]
    assert http.get("/v2/droplets").json()["meta"]["total"] == 20

    other = http.post("/v2/vpcs", json={"name": "far", "region": "ams3"}).json()["vpc"]
    wrong = http.post("/v2/droplets", json=droplet_body(vpc_uuid=other["id"]))
    assert "same region" in assert_error(wrong, 422, "unprocessable_entity")["message"]
    mine = http.post("/v2/vpcs", json={"name": "mine", "region": "nyc3"}).json()["vpc"]
    inside = create(http, name="inside", vpc_uuid=mine["id"])
    assert inside["vpc_uuid"] == mine["id"]
    (member,) = http.get(f"/v2/vpcs/{mine['id']}/members").json()["members"]
    assert (member["urn"], member["name"]) == (f"do:droplet:{inside['id']}", "inside")
    assert http.get(f"/v2/vpcs/{mine['id']}/members?resource_type=kubernetes").json() == {
        "members": [], "links": {}, "meta": {"total": 0}
    }  # fmt: skip
    assert_error(http.delete(f"/v2/vpcs/{mine['id']}"), 409, "conflict")
    assert http.delete(f"/v2/droplets/{inside['id']}").status_code == 204
    assert http.delete(f"/v2/vpcs/{mine['id']}").status_code == 204


def test_power_resize_rename_rebuild_and_pending_events(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        droplet = create(http)
        busy = http.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "reboot"})
        assert "pending event" in assert_error(busy, 422, "unprocessable_entity")["message"]
        advanced = http.post("/_localocean/clock/advance", json={"seconds": 60})
        assert advanced.status_code == 200, advanced.text
        assert http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["status"] == "active"

        off = act(http, droplet["id"], type="power_off")
        assert off["status"] == "in-progress"
        locked = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
        assert locked["locked"] is True and locked["status"] == "active"
        again = http.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "power_on"})
        assert_error(again, 422, "unprocessable_entity")
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        state = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
        assert (state["status"], state["locked"]) == ("off", False)
        done = http.get(f"/v2/droplets/{droplet['id']}/actions/{off['id']}").json()["action"]
        assert done["status"] == "completed" and done["completed_at"]
    assert server


def test_actions_change_the_droplet(do: pydo.Client, http) -> None:
    droplet = create(http)
    on = http.post(
        f"/v2/droplets/{droplet['id']}/actions", json={"type": "resize", "size": "s-2vcpu-4gb"}
    )
    assert "power it off" in assert_error(on, 422, "unprocessable_entity")["message"]
    do.droplet_actions.post(droplet["id"], {"type": "shutdown"})
    assert do.droplets.get(droplet["id"])["droplet"]["status"] == "off"

    resized = act(http, droplet["id"], type="resize", size="s-2vcpu-4gb", disk=True)
    state = do.droplets.get(droplet["id"])["droplet"]
    assert (state["size_slug"], state["disk"], state["memory"]) == ("s-2vcpu-4gb", 80, 4096)
    assert do.actions.get(resized["id"])["action"]["status"] == "completed"
    shrink = act(http, droplet["id"], type="resize", size=SMALL)
    assert do.actions.get(shrink["id"])["action"]["status"] == "errored", "disks never shrink"
    assert do.droplets.get(droplet["id"])["droplet"]["size_slug"] == "s-2vcpu-4gb"

    act(http, droplet["id"], type="power_on")
    act(http, droplet["id"], type="rename", name="renamed")
    act(http, droplet["id"], type="rebuild", image="debian-13-x64")
    act(http, droplet["id"], type="enable_ipv6")
    act(http, droplet["id"], type="change_kernel", kernel=7516)
    act(http, droplet["id"], type="password_reset")
    state = do.droplets.get(droplet["id"])["droplet"]
    assert state["status"] == "active" and state["name"] == "renamed"
    assert state["image"]["slug"] == "debian-13-x64" and "ipv6" in state["features"]
    assert state["kernel"]["id"] == 7516 and state["networks"]["v6"]
    listed = do.droplet_actions.list(droplet["id"], per_page=50)["actions"]
    assert {a["type"] for a in listed} >= {"create", "resize", "rename", "rebuild", "shutdown"}
    bad = http.post(f"/v2/droplets/{droplet['id']}/actions", json={"type": "levitate"})
    assert_error(bad, 422, "unprocessable_entity")


def test_snapshots_come_back_as_images(do: pydo.Client, http) -> None:
    """Packer's sequence: shut down, power off, snapshot, wait, find it, transfer, delete."""
    droplet = create(http, name="packer-build")
    do.droplet_actions.post(droplet["id"], {"type": "shutdown"})
    do.droplet_actions.post(droplet["id"], {"type": "power_off"})
    action = do.droplet_actions.post(droplet["id"], {"type": "snapshot", "name": "golden"})
    action_id = action["action"]["id"]
    done = do.droplet_actions.get(droplet["id"], action_id)["action"]
    assert done["status"] == "completed"
    assert do.droplets.get(droplet["id"])["droplet"]["locked"] is False

    (snapshot,) = do.droplets.list_snapshots(droplet["id"])["snapshots"]
    assert (snapshot["name"], snapshot["type"]) == ("golden", "snapshot")
    assert do.droplets.get(droplet["id"])["droplet"]["snapshot_ids"] == [snapshot["id"]]
    private = do.images.list(private=True)["images"]
    assert [i["id"] for i in private] == [snapshot["id"]]
    listed = do.snapshots.list(resource_type="droplet")["snapshots"]
    assert [(s["id"], s["resource_type"], s["resource_id"]) for s in listed] == [
        (str(snapshot["id"]), "droplet", str(droplet["id"]))
    ]
    assert do.snapshots.get(snapshot["id"])["snapshot"]["min_disk_size"] == 25
    assert do.snapshots.list(resource_type="volume")["snapshots"] == []

    transfer = http.post(
        f"/v2/images/{snapshot['id']}/actions", json={"type": "transfer", "region": "ams3"}
    )
    assert transfer.status_code == 201, transfer.text
    assert do.images.get(snapshot["id"])["image"]["regions"] == ["nyc3", "ams3"]
    clone = create(http, name="from-snapshot", region="ams3", image=snapshot["id"])
    assert clone["image"]["id"] == snapshot["id"]

    assert http.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
    assert_error(http.get(f"/v2/droplets/{droplet['id']}"), 404, "not_found")
    assert do.snapshots.get(snapshot["id"])["snapshot"]["name"] == "golden", "snapshots stay"
    assert http.delete(f"/v2/snapshots/{snapshot['id']}").status_code == 204
    assert_error(http.get(f"/v2/snapshots/{snapshot['id']}"), 404, "not_found")
    assert_error(http.get("/v2/snapshots/not-a-volume-snapshot"), 404, "not_found")


def test_backups_on_the_clock(start_server, clients) -> None:
    server = start_server("--timing", "instant")
    with clients.http(server.url, new_token()) as http:
        policy = {"plan": "daily", "hour": 4}
        droplet = create(http, backups=True, backup_policy=policy)
        got = http.get(f"/v2/droplets/{droplet['id']}/backups/policy").json()["policy"]
        assert got["backup_enabled"] is True
        assert got["backup_policy"] == {
            "plan": "daily", "hour": 4, "window_length_hours": 4, "retention_period_days": 7,
        }  # fmt: skip
        assert http.get(f"/v2/droplets/{droplet['id']}/backups").json()["backups"] == []
        http.post("/_localocean/clock/advance", json={"seconds": 3 * 86_400})
        backups = http.get(f"/v2/droplets/{droplet['id']}/backups").json()["backups"]
        assert len(backups) == 3 and {b["type"] for b in backups} == {"backup"}
        state = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
        assert state["backup_ids"] == [b["id"] for b in backups]
        assert state["next_backup_window"]["start"].endswith("T04:00:00Z")
        http.post("/_localocean/clock/advance", json={"seconds": 10 * 86_400})
        kept = http.get(f"/v2/droplets/{droplet['id']}/backups").json()["meta"]["total"]
        assert kept == 7, "daily backups are kept a week"
        act(http, droplet["id"], type="disable_backups")
        off = http.get(f"/v2/droplets/{droplet['id']}/backups/policy").json()["policy"]
        assert off["backup_enabled"] is False
        supported = http.get("/v2/droplets/backups/supported_policies").json()
        assert {p["name"] for p in supported["supported_policies"]} == {"weekly", "daily"}
        policies = http.get("/v2/droplets/backups/policies").json()["policies"]
        assert set(policies) == {str(droplet["id"])}


def test_the_rest_of_the_droplet_operations(do: pydo.Client, http) -> None:
    droplet = create(http, tags=["gone"])
    assert do.droplets.list_kernels(droplet["id"])["kernels"]
    assert do.droplets.list_neighbors(droplet["id"])["droplets"] == []
    assert do.droplets.list_neighbors_ids()["neighbor_ids"] == []
    assert do.droplets.list_firewalls(droplet["id"])["firewalls"] == []
    assert do.droplets.list_backups(droplet["id"])["backups"] == []
    by_tag = do.droplet_actions.post_by_tag({"type": "power_off"}, tag_name="gone")["actions"]
    assert [a["resource_id"] for a in by_tag] == [droplet["id"]]
    refused = http.post("/v2/droplets/actions?tag_name=gone", json={"type": "rename", "name": "x"})
    assert_error(refused, 422, "unprocessable_entity")
    assert http.delete("/v2/droplets", params={"tag_name": "gone"}).status_code == 204
    assert do.droplets.list()["droplets"] == []
    assert_error(http.get("/v2/droplets/123"), 404, "not_found")
    assert_error(http.get("/v2/droplets/abc"), 404, "not_found")


def test_destroy_with_associated_resources(do: pydo.Client, http) -> None:
    droplet = create(http)
    act(http, droplet["id"], type="snapshot", name="keep")
    act(http, droplet["id"], type="snapshot", name="drop")
    associated = do.droplets.list_associated_resources(droplet["id"])
    by_name = {s["name"]: s["id"] for s in associated["snapshots"]}
    assert set(by_name) == {"keep", "drop"} and associated["volumes"] == []
    gone = http.request(
        "DELETE",
        f"/v2/droplets/{droplet['id']}/destroy_with_associated_resources/selective",
        json={"snapshots": [by_name["drop"]]},
    )
    assert gone.status_code == 202, gone.text
    status = do.droplets.get_destroy_associated_resources_status(droplet["id"])
    assert [s["name"] for s in status["resources"]["snapshots"]] == ["drop"]
    assert status["failures"] == 0
    assert [s["name"] for s in do.snapshots.list()["snapshots"]] == ["keep"]
    retry = http.post(f"/v2/droplets/{droplet['id']}/destroy_with_associated_resources/retry")
    assert_error(retry, 409, "conflict")

    other = create(http, name="other")
    act(http, other["id"], type="snapshot", name="other-snap")
    path = f"/v2/droplets/{other['id']}/destroy_with_associated_resources/dangerous"
    assert_error(http.delete(path), 400, "bad_request")
    assert http.delete(path, headers={"X-Dangerous": "true"}).status_code == 202
    assert [s["name"] for s in do.snapshots.list()["snapshots"]] == ["keep"]


def test_python_digitalocean(server, token, monkeypatch) -> None:
    import digitalocean

    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"{server.url}/v2/")
    droplet = digitalocean.Droplet(
        token=token, name="pdo", region="nyc1", size_slug=SMALL, image=UBUNTU, tags=["pdo"]
    )
    droplet.create()
    assert droplet.id and droplet.action_ids
    loaded = digitalocean.Droplet.get_object(token, droplet.id)
    assert loaded.status == "active" and loaded.ip_address
    assert ipaddress.ip_address(loaded.ip_address) in ipaddress.ip_network("198.18.0.0/15")
    assert loaded.private_ip_address
    manager = digitalocean.Manager(token=token)
    assert [d.id for d in manager.get_all_droplets(tag_name="pdo")] == [droplet.id]
    loaded.power_off()
    assert digitalocean.Droplet.get_object(token, droplet.id).status == "off"
    assert loaded.destroy() is True
    with pytest.raises(digitalocean.NotFoundError):
        digitalocean.Droplet.get_object(token, droplet.id)


def test_terraform_sequence_with_a_custom_image_and_key(http) -> None:
    """digitalocean_ssh_key + digitalocean_droplet from a custom image, as Terraform drives it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    key = http.post("/v2/account/keys", json={"name": "tf", "public_key": public}).json()
    key_id = key["ssh_key"]["id"]
    source = create(http, name="source")
    act(http, source["id"], type="snapshot", name="custom")
    (image,) = http.get("/v2/images", params={"private": "true"}).json()["images"]
    made = create(
        http, name="tf-web", image=image["id"], ssh_keys=[key_id, key["ssh_key"]["fingerprint"]]
    )
    polled = http.get(f"/v2/droplets/{made['id']}").json()["droplet"]
    assert polled["status"] == "active" and not polled["locked"]
    assert {n["type"] for n in polled["networks"]["v4"]} == {"public", "private"}
    act(http, made["id"], type="power_off")
    act(http, made["id"], type="resize", size="s-2vcpu-2gb", disk=False)
    act(http, made["id"], type="power_on")
    act(http, made["id"], type="rename", name="tf-web-2")
    state = http.get(f"/v2/droplets/{made['id']}").json()["droplet"]
    assert (state["size_slug"], state["disk"], state["name"]) == ("s-2vcpu-2gb", 25, "tf-web-2")
    assert http.delete(f"/v2/droplets/{made['id']}").status_code == 204
    assert http.get(f"/v2/droplets/{made['id']}").status_code == 404


def test_seeded_droplets_survive_export_reset_and_import(start_server, clients, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: team\n"
        "    tokens: [dop_v1_seeded_droplets]\n"
        "    vpcs: [{name: net, region: fra1, ip_range: 10.20.0.0/24}]\n"
        "    droplets:\n"
        f"      - {{name: app, region: fra1, size: {SMALL}, image: {UBUNTU}, tags: [seeded],\n"
        "         vpc: net, status: 'off', snapshots: [base]}\n"
    )
    server = start_server("--seed", str(seed), "--timing", "realistic")
    with clients.http(server.url, "dop_v1_seeded_droplets") as http:
        (droplet,) = http.get("/v2/droplets").json()["droplets"]
        assert (droplet["name"], droplet["status"], droplet["tags"]) == ("app", "off", ["seeded"])
        private = next(n for n in droplet["networks"]["v4"] if n["type"] == "private")
        assert ipaddress.ip_address(private["ip_address"]) in ipaddress.ip_network("10.20.0.0/24")
        (snapshot,) = http.get("/v2/snapshots").json()["snapshots"]
        assert snapshot["name"] == "base" and droplet["snapshot_ids"] == [int(snapshot["id"])]

        state = http.get("/_localocean/state").json()
        assert http.post("/_localocean/reset", json={}).status_code == 200
        assert http.get("/v2/droplets").json()["droplets"] == []
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert http.get("/v2/droplets").json()["droplets"] == [droplet]
        assert http.get("/v2/snapshots").json()["snapshots"] == [snapshot]


def test_kubernetes_nodes_are_droplets(do: pydo.Client, http) -> None:
    oldest = do.kubernetes.list_options()["options"]["versions"][-1]["slug"]
    body = {
        "name": "k",
        "region": "nyc1",
        "version": oldest,
        "node_pools": [{"name": "work", "size": "s-2vcpu-4gb", "count": 2, "tags": ["team"]}],
    }
    cluster = do.kubernetes.create_cluster(body)["kubernetes_cluster"]
    cluster = do.kubernetes.get_cluster(cluster["id"])["kubernetes_cluster"]
    (pool,) = cluster["node_pools"]
    by_id = {d["id"]: d for d in do.droplets.list()["droplets"]}
    node_droplets = {int(node["droplet_id"]) for node in pool["nodes"]}
    assert set(by_id) == node_droplets
    for node in pool["nodes"]:
        droplet = by_id[int(node["droplet_id"])]
        assert droplet["name"] == node["name"] and droplet["status"] == "active"
        assert droplet["vpc_uuid"] == cluster["vpc_uuid"] and droplet["size_slug"] == "s-2vcpu-4gb"
        assert droplet["tags"] == ["k8s", f"k8s:{cluster['id']}", "k8s:worker", "team"]
    assert len(do.droplets.list(tag_name=f"k8s:{cluster['id']}")["droplets"]) == 2

    do.kubernetes.update_node_pool(cluster["id"], pool["id"], {"name": "work", "count": 3})
    assert do.droplets.list()["meta"]["total"] == 3

    # DOKS manages its pools: a node whose droplet is deleted is replaced.
    victim = pool["nodes"][0]
    assert http.delete(f"/v2/droplets/{victim['droplet_id']}").status_code == 204
    nodes = do.kubernetes.get_node_pool(cluster["id"], pool["id"])["node_pool"]["nodes"]
    assert len(nodes) == 3 and victim["id"] not in {n["id"] for n in nodes}
    assert all(n["status"]["state"] == "running" for n in nodes)
    assert {d["id"] for d in do.droplets.list()["droplets"]} == {
        int(n["droplet_id"]) for n in nodes
    }

    # An upgrade runs the new version on new droplets.
    before = {d["id"] for d in do.droplets.list()["droplets"]}
    newer = do.kubernetes.get_available_upgrades(cluster["id"])["available_upgrade_versions"]
    do.kubernetes.upgrade_cluster(cluster["id"], {"version": newer[0]["slug"]})
    after = do.kubernetes.get_node_pool(cluster["id"], pool["id"])["node_pool"]["nodes"]
    assert len(after) == 3 and not {int(n["droplet_id"]) for n in after} & before
    assert {d["id"] for d in do.droplets.list()["droplets"]} == {
        int(n["droplet_id"]) for n in after
    }

    do.kubernetes.delete_cluster(cluster["id"])
    assert do.droplets.list()["droplets"] == []


def test_libcloud_through_the_https_proxy(proxied, monkeypatch) -> None:
    """libcloud cannot be pointed at another host: it reaches LocalOcean unmodified, through
    the environment `localocean env` prints."""
    import libcloud.security
    from libcloud.compute.providers import get_driver
    from libcloud.compute.types import NodeState, Provider

    _server, exported, _data_dir = proxied
    # libcloud reads SSL_CERT_FILE once, when first imported; each test's server has its own CA.
    monkeypatch.setattr(libcloud.security, "CA_CERTS_PATH", exported["SSL_CERT_FILE"])
    driver = get_driver(Provider.DIGITAL_OCEAN)(
        exported["DIGITALOCEAN_ACCESS_TOKEN"], api_version="v2"
    )
    size = next(s for s in driver.list_sizes() if s.name == SMALL)
    image = next(i for i in driver.list_images() if i.extra.get("slug") == UBUNTU)
    location = next(loc for loc in driver.list_locations() if loc.id == "nyc3")
    node = driver.create_node("lc-1", size, image, location, ex_create_attr={"tags": ["lc"]})
    (listed,) = driver.list_nodes()
    assert listed.id == node.id and listed.state == NodeState.RUNNING
    assert listed.public_ips and listed.private_ips
    assert driver.reboot_node(listed) is True
    assert driver.destroy_node(listed) is True
    assert driver.list_nodes() == []


def test_addresses_come_back_and_odd_inputs(http) -> None:
    small = http.post(
        "/v2/vpcs", json={"name": "tiny", "region": "nyc3", "ip_range": "10.30.0.0/28"}
    )
    vpc = small.json()["vpc"]
    names = [f"n{i}" for i in range(10)]
    http.post("/v2/droplets", json=droplet_body(name=None, names=names, vpc_uuid=vpc["id"]))
    more = http.post("/v2/droplets", json=droplet_body(name=None, names=["x1", "x2", "x3"],
                                                       vpc_uuid=vpc["id"]))  # fmt: skip
    assert more.status_code == 202, "13 addresses: .0 network, .1 gateway, .15 broadcast"
    full = http.post("/v2/droplets", json=droplet_body(name="x4", vpc_uuid=vpc["id"]))
    assert "no free address" in assert_error(full, 422, "unprocessable_entity")["message"]
    first = http.get("/v2/droplets", params={"name": "N0"}).json()["droplets"]
    assert [d["name"] for d in first] == ["n0"], "names match without regard to case"
    http.delete(f"/v2/droplets/{first[0]['id']}")
    again = create(http, name="again", vpc_uuid=vpc["id"])
    private = http.get(f"/v2/droplets/{again['id']}").json()["droplet"]["networks"]["v4"][0]
    assert private["ip_address"] == next(
        n["ip_address"] for n in first[0]["networks"]["v4"] if n["type"] == "private"
    ), "a deleted droplet's address is given again"

    assert http.post("/v2/droplets", json=droplet_body(image=10**30)).status_code == 422
    assert_error(http.get("/v2/droplets/%C2%B2"), 404, "not_found")
    assert_error(http.post("/v2/droplets", json=droplet_body(name="web-")), 422,
                 "unprocessable_entity")  # fmt: skip
    near = create(http, name="near", region="sfo")
    assert near["region"]["slug"].startswith("sfo")
    # (not in nyc3, whose default VPC is the full one: the first VPC of a region is its default)
    private_only = create(http, name="private", region="ams3", public_networking=False)
    shown = http.get(f"/v2/droplets/{private_only['id']}").json()["droplet"]["networks"]
    assert [n["type"] for n in shown["v4"]] == ["private"]
    both = http.post("/v2/droplets", json=droplet_body(public_networking=False, ipv6=True))
    assert_error(both, 422, "unprocessable_entity")
    dangerous = http.delete(
        f"/v2/droplets/{near['id']}/destroy_with_associated_resources/dangerous",
        headers={"X-Dangerous": b"\xff"},
    )
    assert_error(dangerous, 400, "bad_request")


def test_snapshots_are_dated_when_their_action_started(start_server, clients) -> None:
    """Terraform finds the snapshot it asked for by the action's `started_at`."""
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        droplet = create(http, backups=True)
        http.post("/_localocean/clock/advance", json={"seconds": 60})
        action = act(http, droplet["id"], type="snapshot", name="dated")
        http.post("/_localocean/clock/advance", json={"seconds": 120})
        (snapshot,) = http.get(f"/v2/droplets/{droplet['id']}/snapshots").json()["snapshots"]
        assert snapshot["created_at"] == action["started_at"]
        # Backups recur for ever: settling does not chase them.
        settled = http.post("/_localocean/clock/settle")
        assert settled.status_code == 200 and settled.json()["pending"] == 0
        policy = http.get(f"/v2/droplets/{droplet['id']}/backups/policy").json()["policy"]
        assert policy["backup_policy"]["plan"] == "daily", "the spec's default plan"
