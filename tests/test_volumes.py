"""Block storage: volumes, volume actions and volume snapshots, with DigitalOcean's rules, through
pydo, plain HTTP (spec-checked), the CSI driver's sequence, python-digitalocean and Ansible."""

from __future__ import annotations

import httpx
import pydo
import pytest

from tests.conftest import new_token
from tests.test_conventions import assert_error

UBUNTU = "ubuntu-24-04-x64"
SMALL = "s-1vcpu-1gb"
CSI_DESCRIPTION = "Created by DigitalOcean CSI driver"


def make_droplet(http: httpx.Client, name: str = "node-1", region: str = "nyc1", **more) -> dict:
    body = {"name": name, "region": region, "size": SMALL, "image": UBUNTU, **more}
    response = http.post("/v2/droplets", json=body)
    assert response.status_code == 202, response.text
    droplet = response.json()["droplet"]
    http.get(f"/v2/droplets/{droplet['id']}")  # its create completes (instant timing)
    return droplet


def make_volume(http: httpx.Client, name: str = "data", **more) -> dict:
    body = {"name": name, "region": "nyc1", "size_gigabytes": 10, **more}
    response = http.post("/v2/volumes", json=body)
    assert response.status_code == 201, response.text
    return response.json()["volume"]


def act(http: httpx.Client, volume_id: str, **body) -> dict:
    response = http.post(f"/v2/volumes/{volume_id}/actions", json=body)
    assert response.status_code == 202, response.text
    return response.json()["action"]


def settled(http: httpx.Client, volume_id: str, action: dict) -> dict:
    """The action as a poll after it sees it (instant timing: the next request completes it)."""
    path = f"/v2/volumes/{volume_id}/actions/{action['id']}"
    return http.get(path).json()["action"]


def volume_ids(http: httpx.Client, droplet_id: int) -> list[str]:
    return http.get(f"/v2/droplets/{droplet_id}").json()["droplet"]["volume_ids"]


def test_create_get_list_and_delete(do: pydo.Client, http, server) -> None:
    created = do.volumes.create(
        {
            "name": "ext4-example",
            "region": "nyc1",
            "size_gigabytes": 10,
            "description": "Block store for examples",
            "filesystem_type": "ext4",
            "filesystem_label": "ext4_volume_01",
            "tags": ["prod", "k8s:abc"],
        }
    )["volume"]
    assert created["droplet_ids"] == [] and created["region"]["slug"] == "nyc1"
    assert (created["size_gigabytes"], created["filesystem_type"]) == (10, "ext4")
    assert created["filesystem_label"] == "ext4_volume_01"
    assert created["tags"] == ["prod", "k8s:abc"] and created["created_at"].endswith("Z")
    assert do.volumes.get(created["id"])["volume"] == created
    plain = make_volume(http, "plain", region="ams3", size_gigabytes=1)
    assert (plain["filesystem_type"], plain["filesystem_label"], plain["description"]) == (
        "", "", ""
    )  # fmt: skip
    other = make_volume(http, "ext4-example", region="fra1")  # a name is unique per region

    everything = do.volumes.list()
    assert [v["name"] for v in everything["volumes"]] == ["ext4-example", "plain", "ext4-example"]
    assert everything["meta"]["total"] == 3
    by_name = do.volumes.list(name="ext4-example")["volumes"]
    assert [v["id"] for v in by_name] == [created["id"], other["id"]]
    assert [v["id"] for v in do.volumes.list(region="ams3")["volumes"]] == [plain["id"]]
    both = do.volumes.list(name="ext4-example", region="fra1")
    assert [v["id"] for v in both["volumes"]] == [other["id"]] and both["meta"]["total"] == 1
    page = http.get("/v2/volumes", params={"per_page": 2, "page": 2}).json()
    assert [v["id"] for v in page["volumes"]] == [other["id"]]
    assert page["meta"]["total"] == 3 and "prev" in page["links"]["pages"]

    tag = http.get("/v2/tags/prod").json()["tag"]
    assert tag["resources"]["volumes"]["count"] == 1
    assert tag["resources"]["last_tagged_uri"] == f"{server.url}/v2/volumes/{created['id']}"
    assert http.get("/v2/tags", params={"per_page": 1}).json()["meta"]["total"] == 2

    taken = http.post("/v2/volumes", json={"name": "plain", "region": "ams3", "size_gigabytes": 1})
    assert "already exists" in assert_error(taken, 409, "conflict")["message"]

    assert http.delete(f"/v2/volumes/{created['id']}").status_code == 204
    assert_error(http.get(f"/v2/volumes/{created['id']}"), 404, "not_found")
    assert_error(http.delete(f"/v2/volumes/{created['id']}"), 404, "not_found")
    assert http.get("/v2/tags/prod").json()["tag"]["resources"]["volumes"]["count"] == 0
    do.volumes.delete_by_name(name="plain", region="ams3")
    gone = http.delete("/v2/volumes", params={"name": "plain", "region": "ams3"})
    assert_error(gone, 404, "not_found")
    assert_error(http.delete("/v2/volumes", params={"name": "ext4-example"}), 400, "bad_request")
    assert [v["id"] for v in do.volumes.list()["volumes"]] == [other["id"]]
    assert do.volumes.list()["meta"]["total"] == 1
    assert_error(http.get("/v2/volumes/not-a-uuid"), 404, "not_found")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"name": None}, "name"),
        ({"name": "Upper"}, "lowercase"),
        ({"name": "1st"}, "start"),
        ({"name": "under_score"}, "dashes"),
        ({"name": "a" * 65}, "64"),
        ({"size_gigabytes": None}, "size_gigabytes"),
        ({"size_gigabytes": 0}, "at least 1"),
        ({"size_gigabytes": 16_385}, "16384"),
        ({"size_gigabytes": "10"}, "integer"),
        ({"region": None}, "region"),
        ({"region": "nowhere"}, "region"),
        ({"region": "sfo1"}, "available"),
        ({"filesystem_type": "btrfs"}, "ext4, xfs"),
        ({"filesystem_label": "label"}, "filesystem_type"),
        ({"filesystem_type": "xfs", "filesystem_label": "x" * 13}, "12"),
        ({"filesystem_type": "ext4", "filesystem_label": "x" * 17}, "16"),
        ({"tags": ["bad tag"]}, "tag"),
        ({"snapshot_id": "5e1f0c1d-0000-4000-8000-000000000000"}, "snapshot"),
        ({"description": "x" * 1025}, "description"),
    ],
)
def test_bad_creates_are_422_and_store_nothing(http, change, why) -> None:
    body = {"name": "data", "region": "nyc1", "size_gigabytes": 10, **change}
    response = http.post("/v2/volumes", json={k: v for k, v in body.items() if v is not None})
    assert why in assert_error(response, 422, "unprocessable_entity")["message"]
    assert http.get("/v2/volumes").json()["meta"]["total"] == 0
    assert http.get("/v2/tags").json()["tags"] == [], "no tag made half-way"


def test_malformed_bodies_and_the_volume_limit(http) -> None:
    broken = http.post("/v2/volumes", content=b"{", headers={"content-type": "application/json"})
    assert_error(broken, 400, "bad_request")
    assert_error(http.post("/v2/volumes", json=["data"]), 422, "unprocessable_entity")
    limit = http.get("/v2/account").json()["account"]["volume_limit"]
    for number in range(limit):
        make_volume(http, f"v{number}", size_gigabytes=1)
    over = http.post("/v2/volumes", json={"name": "over", "region": "nyc1", "size_gigabytes": 1})
    assert "limit" in assert_error(over, 403, "forbidden")["message"]
    assert http.get("/v2/volumes", params={"per_page": 1}).json()["meta"]["total"] == limit


def test_attach_detach_resize_and_the_droplets_volume_ids(do: pydo.Client, http) -> None:
    droplet = make_droplet(http)
    volume = make_volume(http)
    attach = do.volume_actions.post_by_id(
        volume["id"], {"type": "attach", "droplet_id": droplet["id"], "region": "nyc1"}
    )["action"]
    assert (attach["type"], attach["status"]) == ("attach_volume", "in-progress")
    assert attach["resource_type"] == "volume" and attach["region_slug"] == "nyc1"
    done = do.volume_actions.get(volume["id"], attach["id"])["action"]
    assert done["status"] == "completed" and done["completed_at"]
    assert do.actions.get(attach["id"])["action"] == done, "/v2/actions sees it too"
    assert do.volumes.get(volume["id"])["volume"]["droplet_ids"] == [droplet["id"]]
    assert volume_ids(http, droplet["id"]) == [volume["id"]]
    listed = http.get("/v2/droplets").json()["droplets"]
    assert [d["volume_ids"] for d in listed] == [[volume["id"]]]

    def refused(body: dict, status: int, error_id: str) -> str:
        response = http.post(f"/v2/volumes/{volume['id']}/actions", json=body)
        return assert_error(response, status, error_id)["message"]

    again = refused({"type": "attach", "droplet_id": droplet["id"]}, 422, "unprocessable_entity")
    assert "This volume is already attached" in again
    other = make_droplet(http, "node-2")
    elsewhere = {"type": "attach", "droplet_id": other["id"]}
    assert "already attached" in refused(elsewhere, 422, "unprocessable_entity")
    refused({"type": "attach", "droplet_id": 1}, 404, "not_found")
    refused({"type": "attach"}, 422, "unprocessable_entity")
    refused({"type": "format"}, 422, "unprocessable_entity")
    refused({"type": "detach", "droplet_id": other["id"]}, 422, "unprocessable_entity")
    deleted = http.delete(f"/v2/volumes/{volume['id']}")
    assert "detach it first" in assert_error(deleted, 409, "conflict")["message"]

    far = make_droplet(http, "far", region="ams3")
    region = refused({"type": "attach", "droplet_id": far["id"]}, 422, "unprocessable_entity")
    assert "already attached" in region
    loose = make_volume(http, "loose")
    wrong_region = http.post(
        f"/v2/volumes/{loose['id']}/actions", json={"type": "attach", "droplet_id": far["id"]}
    )
    assert "same region" in assert_error(wrong_region, 422, "unprocessable_entity")["message"]

    resize = act(http, volume["id"], type="resize", size_gigabytes=100, region="nyc1")
    assert (resize["type"], resize["status"]) == ("resize_volume", "in-progress")
    assert settled(http, volume["id"], resize)["status"] == "completed"
    assert do.volumes.get(volume["id"])["volume"]["size_gigabytes"] == 100
    for smaller in (100, 50):
        shrink = refused({"type": "resize", "size_gigabytes": smaller}, 422, "unprocessable_entity")
        assert "only grow" in shrink
    too_big = {"type": "resize", "size_gigabytes": 16_385}
    refused(too_big, 422, "unprocessable_entity")
    refused({"type": "resize", "size_gigabytes": 200, "region": "ams3"}, 422,
            "unprocessable_entity")  # fmt: skip

    detach = do.volume_actions.post_by_id(
        volume["id"], {"type": "detach", "droplet_id": droplet["id"], "region": "nyc1"}
    )["action"]
    assert detach["type"] == "detach_volume"
    assert settled(http, volume["id"], detach)["status"] == "completed"
    assert volume_ids(http, droplet["id"]) == []
    assert do.volumes.get(volume["id"])["volume"]["droplet_ids"] == []
    not_attached = refused({"type": "detach", "droplet_id": droplet["id"]}, 422,
                           "unprocessable_entity")  # fmt: skip
    assert not_attached == "Attachment not found"

    history = do.volume_actions.list(volume["id"])
    assert [a["type"] for a in history["actions"]] == [
        "detach_volume", "resize_volume", "attach_volume"
    ]  # fmt: skip
    assert history["meta"]["total"] == 3
    assert_error(http.get(f"/v2/volumes/{loose['id']}/actions/{attach['id']}"), 404, "not_found")
    assert_error(http.get(f"/v2/volumes/{volume['id']}/actions/nope"), 404, "not_found")
    assert http.get(f"/v2/volumes/{loose['id']}/actions").json()["actions"] == []
    assert http.delete(f"/v2/volumes/{volume['id']}").status_code == 204


def test_actions_by_name(do: pydo.Client, http) -> None:
    droplet = make_droplet(http, region="fra1")
    volume = make_volume(http, "example", region="fra1")
    make_volume(http, "example", region="nyc1")  # the same name elsewhere
    attach = do.volume_actions.post(
        {"type": "attach", "volume_name": "example", "region": "fra1", "droplet_id": droplet["id"]}
    )["action"]
    assert attach["type"] == "attach_volume" and attach["region_slug"] == "fra1"
    assert settled(http, volume["id"], attach)["status"] == "completed"
    assert volume_ids(http, droplet["id"]) == [volume["id"]]
    # Without a region, the droplet's.
    detach = do.volume_actions.post(
        {"type": "detach", "volume_name": "example", "droplet_id": droplet["id"]}
    )["action"]
    assert settled(http, volume["id"], detach)["status"] == "completed"
    assert volume_ids(http, droplet["id"]) == []
    missing = {"type": "attach", "volume_name": "nope", "region": "fra1", "droplet_id": 1}
    assert_error(http.post("/v2/volumes/actions", json=missing), 404, "not_found")
    resize = {"type": "resize", "volume_name": "example", "region": "fra1", "size_gigabytes": 20}
    assert_error(http.post("/v2/volumes/actions", json=resize), 422, "unprocessable_entity")
    nameless = {"type": "attach", "region": "fra1", "droplet_id": droplet["id"]}
    assert_error(http.post("/v2/volumes/actions", json=nameless), 422, "unprocessable_entity")


def test_at_most_seven_volumes_per_droplet_and_volumes_at_create(http, server, token) -> None:
    droplet = make_droplet(http)
    made = [make_volume(http, f"v{number}") for number in range(8)]
    for volume in made[:7]:
        settled(http, volume["id"], act(http, volume["id"], type="attach",
                                        droplet_id=droplet["id"]))  # fmt: skip
    assert volume_ids(http, droplet["id"]) == [v["id"] for v in made[:7]]
    eighth = http.post(
        f"/v2/volumes/{made[7]['id']}/actions", json={"type": "attach", "droplet_id": droplet["id"]}
    )
    message = assert_error(eighth, 422, "unprocessable_entity")["message"]
    assert "cannot attach more than 7 volumes to a single Droplet" in message

    # Volumes named at a droplet's create come attached: by id as the spec has it, or as godo
    # sends them (objects, outside the spec: sent without the spec check).
    spare, third = make_volume(http, "spare"), make_volume(http, "third")
    with_volumes = make_droplet(http, "with-volumes", volumes=[made[7]["id"], spare["id"]])
    assert with_volumes["volume_ids"] == [made[7]["id"], spare["id"]]
    assert http.get(f"/v2/volumes/{spare['id']}").json()["volume"]["droplet_ids"] == [
        with_volumes["id"]
    ]
    godo = httpx.post(
        f"{server.url}/v2/droplets",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "godo", "region": "nyc1", "size": SMALL, "image": UBUNTU,
              "volumes": [{"name": "third"}]},
    )  # fmt: skip
    assert godo.status_code == 202, godo.text
    assert godo.json()["droplet"]["volume_ids"] == [third["id"]]
    for bad in (
        {"volumes": [spare["id"]]},  # attached already
        {"volumes": ["5e1f0c1d-0000-4000-8000-000000000000"]},
        {"volumes": [make_volume(http, "faraway", region="ams3")["id"]]},
    ):
        body = {"name": "bad", "region": "nyc1", "size": SMALL, "image": UBUNTU, **bad}
        assert_error(http.post("/v2/droplets", json=body), 422, "unprocessable_entity")
    assert http.get("/v2/droplets").json()["meta"]["total"] == 3


def test_destroying_a_droplet_detaches_or_takes_its_volumes(do: pydo.Client, http) -> None:
    droplet = make_droplet(http)
    volume = make_volume(http)
    settled(http, volume["id"], act(http, volume["id"], type="attach", droplet_id=droplet["id"]))
    assert http.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
    assert do.volumes.get(volume["id"])["volume"]["droplet_ids"] == []

    # Destroyed with its associated resources: listed, then chosen or all.
    node = make_droplet(http, "node")
    keep, drop = make_volume(http, "keep"), make_volume(http, "drop")
    for each in (keep, drop):
        settled(http, each["id"], act(http, each["id"], type="attach", droplet_id=node["id"]))
    keep_snap = do.volume_snapshots.create(keep["id"], {"name": "keep-snap"})["snapshot"]
    drop_snap = do.volume_snapshots.create(drop["id"], {"name": "drop-snap"})["snapshot"]
    associated = do.droplets.list_associated_resources(node["id"])
    assert [(v["id"], v["name"], v["cost"]) for v in associated["volumes"]] == [
        (keep["id"], "keep", "1.00"), (drop["id"], "drop", "1.00")
    ]  # fmt: skip
    assert [s["name"] for s in associated["volume_snapshots"]] == ["keep-snap", "drop-snap"]
    path = f"/v2/droplets/{node['id']}/destroy_with_associated_resources/selective"
    unknown = http.request("DELETE", path, json={"volumes": [volume["id"]]})
    assert_error(unknown, 422, "unprocessable_entity")
    chosen = {"volumes": [drop["id"]], "volume_snapshots": [drop_snap["id"]]}
    assert http.request("DELETE", path, json=chosen).status_code == 202
    status = do.droplets.get_destroy_associated_resources_status(node["id"])
    assert [v["name"] for v in status["resources"]["volumes"]] == ["drop"]
    assert [s["name"] for s in status["resources"]["volume_snapshots"]] == ["drop-snap"]
    assert_error(http.get(f"/v2/volumes/{drop['id']}"), 404, "not_found")
    assert_error(http.get(f"/v2/volumes/snapshots/{drop_snap['id']}"), 404, "not_found")
    assert http.get(f"/v2/volumes/{keep['id']}").json()["volume"]["droplet_ids"] == []
    assert http.get(f"/v2/volumes/snapshots/{keep_snap['id']}").status_code == 200

    last = make_droplet(http, "last")
    settled(http, keep["id"], act(http, keep["id"], type="attach", droplet_id=last["id"]))
    dangerous = f"/v2/droplets/{last['id']}/destroy_with_associated_resources/dangerous"
    assert http.delete(dangerous, headers={"X-Dangerous": "true"}).status_code == 202
    assert [v["id"] for v in http.get("/v2/volumes").json()["volumes"]] == [volume["id"]]
    assert http.get("/v2/snapshots?resource_type=volume").json()["snapshots"] == []


def test_volume_snapshots_here_and_under_snapshots(do: pydo.Client, http, server) -> None:
    volume = make_volume(http, "source", size_gigabytes=20, filesystem_type="xfs",
                         filesystem_label="data")  # fmt: skip
    snapshot = do.volume_snapshots.create(volume["id"], {"name": "snap-1", "tags": ["backup"]})[
        "snapshot"
    ]
    assert (snapshot["resource_id"], snapshot["resource_type"]) == (volume["id"], "volume")
    assert snapshot["regions"] == ["nyc1"] and snapshot["min_disk_size"] == 20
    assert 0 < snapshot["size_gigabytes"] < 20 and snapshot["tags"] == ["backup"]
    assert do.volume_snapshots.get_by_id(snapshot["id"])["snapshot"] == snapshot
    assert do.snapshots.get(snapshot["id"])["snapshot"] == snapshot
    assert do.volume_snapshots.list(volume["id"])["snapshots"] == [snapshot]
    taken = http.post(f"/v2/volumes/{volume['id']}/snapshots", json={"name": "snap-1"})
    assert_error(taken, 409, "conflict")
    assert_error(http.post(f"/v2/volumes/{volume['id']}/snapshots", json={}), 422,
                 "unprocessable_entity")  # fmt: skip
    tag = http.get("/v2/tags/backup").json()["tag"]["resources"]
    assert tag["volume_snapshots"]["count"] == 1
    assert tag["last_tagged_uri"] == f"{server.url}/v2/snapshots/{snapshot['id']}"

    # Droplet snapshots come first under /v2/snapshots, volume snapshots after, one pagination.
    droplet = make_droplet(http)
    response = http.post(f"/v2/droplets/{droplet['id']}/actions",
                         json={"type": "snapshot", "name": "disk"})  # fmt: skip
    assert response.status_code == 201
    second = do.volume_snapshots.create(volume["id"], {"name": "snap-2"})["snapshot"]
    everything = do.snapshots.list()
    assert [s["name"] for s in everything["snapshots"]] == ["disk", "snap-1", "snap-2"]
    assert everything["meta"]["total"] == 3
    page = do.snapshots.list(per_page=2, page=2)
    assert page["snapshots"] == [second] and page["meta"]["total"] == 3
    assert [s["name"] for s in do.snapshots.list(per_page=1, page=2)["snapshots"]] == ["snap-1"]
    volumes_only = do.snapshots.list(resource_type="volume")
    assert volumes_only["snapshots"] == [snapshot, second] and volumes_only["meta"]["total"] == 2
    assert [s["name"] for s in do.snapshots.list(resource_type="droplet")["snapshots"]] == ["disk"]

    # A volume from a snapshot: its region, at least its size, its filesystem.
    restored = make_volume(http, "restored", snapshot_id=snapshot["id"], size_gigabytes=30)
    assert (restored["size_gigabytes"], restored["filesystem_type"]) == (30, "xfs")
    assert restored["filesystem_label"] == "data"
    for bad in ({"size_gigabytes": 10}, {"region": "ams3"}):
        body = {"name": "bad", "region": "nyc1", "size_gigabytes": 20}
        body["snapshot_id"] = snapshot["id"]
        response = http.post("/v2/volumes", json={**body, **bad})
        assert_error(response, 422, "unprocessable_entity")

    # Snapshots outlive their volume; they go by either path.
    assert http.delete(f"/v2/volumes/{volume['id']}").status_code == 204
    assert do.snapshots.get(snapshot["id"])["snapshot"]["resource_id"] == volume["id"]
    do.volume_snapshots.delete_by_id(snapshot["id"])
    assert_error(http.get(f"/v2/volumes/snapshots/{snapshot['id']}"), 404, "not_found")
    assert_error(http.get(f"/v2/snapshots/{snapshot['id']}"), 404, "not_found")
    assert http.delete(f"/v2/snapshots/{second['id']}").status_code == 204
    assert_error(http.delete(f"/v2/snapshots/{second['id']}"), 404, "not_found")
    assert_error(http.delete(f"/v2/volumes/snapshots/{second['id']}"), 404, "not_found")
    assert http.get("/v2/tags/backup").json()["tag"]["resources"]["count"] == 0
    assert [s["name"] for s in do.snapshots.list()["snapshots"]] == ["disk"]


def test_the_csi_drivers_sequence(http) -> None:
    """csi-digitalocean's controller, call by call, as its godo client sends them."""
    node = make_droplet(http, "pool-node-1", region="nyc3")
    name, tag = "pvc-5e1f0c1d-0f6b-4d3e-9f0a-1b2c3d4e5f60", "k8s:5e1f0c1d-cluster"

    def poll(volume_id: str, action: dict) -> dict:
        # waitAction: GET the volume's action until it is completed.
        for _ in range(5):
            seen = http.get(f"/v2/volumes/{volume_id}/actions/{action['id']}").json()["action"]
            if seen["status"] == "completed":
                return seen
        raise AssertionError(f"action {action['id']} never completed")

    # CreateVolume: look for it by name first, then create it.
    lookup = http.get(f"/v2/volumes?name={name}&region=nyc3").json()
    assert lookup["volumes"] == [] and lookup["meta"]["total"] == 0
    body = {
        "region": "nyc3", "name": name, "description": CSI_DESCRIPTION, "size_gigabytes": 5,
        "snapshot_id": "", "filesystem_type": "", "filesystem_label": "", "tags": [tag],
    }  # fmt: skip
    response = http.post("/v2/volumes", json=body)
    assert response.status_code == 201, response.text
    volume = response.json()["volume"]
    (found,) = http.get(f"/v2/volumes?name={name}&region=nyc3").json()["volumes"]
    assert found["id"] == volume["id"] and found["size_gigabytes"] * 2**30 == 5 * 2**30
    limits = http.get("/v2/volumes?region=nyc3&page=1&per_page=1").json()
    assert limits["meta"]["total"] == 1
    assert http.get("/v2/account").json()["account"]["volume_limit"] > 1

    # ControllerPublishVolume: the volume, the droplet, attach by droplet id, wait.
    assert http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["tags"] == [tag]
    assert http.get(f"/v2/droplets/{node['id']}").status_code == 200
    attach = act(http, volume["id"], type="attach", droplet_id=node["id"])
    poll(volume["id"], attach)
    published = http.get(f"/v2/volumes/{volume['id']}").json()["volume"]
    assert published["droplet_ids"] == [node["id"]]
    assert volume_ids(http, node["id"]) == [volume["id"]]
    again = http.post(f"/v2/volumes/{volume['id']}/actions",
                      json={"type": "attach", "droplet_id": node["id"]})  # fmt: skip
    assert "This volume is already attached" in again.json()["message"]
    assert again.status_code == 422

    # ControllerExpandVolume: resize with the region, wait.
    resize = act(http, volume["id"], type="resize", size_gigabytes=10, region="nyc3")
    poll(volume["id"], resize)
    assert http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["size_gigabytes"] == 10

    # CreateSnapshot: look among the volume's snapshots, then create one.
    snap_name = "snapshot-7a1b2c3d-0000-4000-8000-000000000001"
    listed = http.get(f"/v2/volumes/{volume['id']}/snapshots?page=1&per_page=50").json()
    assert listed["snapshots"] == [] and listed["meta"]["total"] == 0
    snap_body = {"volume_id": volume["id"], "name": snap_name, "description": CSI_DESCRIPTION,
                 "tags": [tag]}  # fmt: skip
    response = http.post(f"/v2/volumes/{volume['id']}/snapshots", json=snap_body)
    assert response.status_code == 201, response.text
    snapshot = response.json()["snapshot"]
    assert snapshot["min_disk_size"] == 10 and snapshot["resource_id"] == volume["id"]
    assert http.post(f"/v2/volumes/{volume['id']}/snapshots", json=snap_body).status_code == 409
    # ListSnapshots (snapshots.ListVolume) and GetSnapshot by id.
    (volume_snapshot,) = http.get("/v2/snapshots?page=1&resource_type=volume").json()["snapshots"]
    assert volume_snapshot == snapshot
    assert http.get(f"/v2/snapshots/{snapshot['id']}").json()["snapshot"] == snapshot

    # CreateVolume from the snapshot (a PVC restored from a VolumeSnapshot).
    restored_name = "pvc-restored-0000"
    body = {**body, "name": restored_name, "size_gigabytes": 10, "snapshot_id": snapshot["id"]}
    response = http.post("/v2/volumes", json=body)
    assert response.status_code == 201, response.text
    restored = response.json()["volume"]
    assert restored["size_gigabytes"] == 10 and restored["region"]["slug"] == "nyc3"

    # ControllerUnpublishVolume: the volume, the droplet, detach by droplet id, wait.
    detach = act(http, volume["id"], type="detach", droplet_id=node["id"])
    poll(volume["id"], detach)
    assert volume_ids(http, node["id"]) == []
    gone = http.post(f"/v2/volumes/{volume['id']}/actions",
                     json={"type": "detach", "droplet_id": node["id"]})  # fmt: skip
    assert gone.status_code == 422 and "Attachment not found" in gone.json()["message"]

    # DeleteVolume (a 404 is taken as deleted), DeleteSnapshot likewise.
    for each in (volume, restored):
        assert http.delete(f"/v2/volumes/{each['id']}").status_code == 204
        assert_error(http.delete(f"/v2/volumes/{each['id']}"), 404, "not_found")
    assert http.delete(f"/v2/snapshots/{snapshot['id']}").status_code == 204
    assert_error(http.delete(f"/v2/snapshots/{snapshot['id']}"), 404, "not_found")


def test_manual_timing_holds_actions_until_the_clock_moves(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        droplet = make_droplet(http)
        http.post("/_localocean/clock/advance", json={"seconds": 60})  # the droplet comes up
        volume, other = make_volume(http), make_volume(http, "other")
        attach = act(http, volume["id"], type="attach", droplet_id=droplet["id"])
        for _ in range(2):
            assert settled(http, volume["id"], attach)["status"] == "in-progress"
        assert http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["droplet_ids"] == []
        state = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
        assert state["locked"] is True and state["volume_ids"] == []
        busy = http.post(f"/v2/volumes/{other['id']}/actions",
                         json={"type": "attach", "droplet_id": droplet["id"]})  # fmt: skip
        message = assert_error(busy, 422, "unprocessable_entity")["message"]
        assert message == "Droplet already has a pending event."
        pending = http.post(f"/v2/volumes/{volume['id']}/actions",
                            json={"type": "resize", "size_gigabytes": 20})  # fmt: skip
        assert "pending" in assert_error(pending, 422, "unprocessable_entity")["message"]
        assert_error(http.delete(f"/v2/volumes/{volume['id']}"), 409, "conflict")
        assert http.get("/_localocean/timing").json()["durations"]["volume.attach"] > 1
        advanced = http.post("/_localocean/clock/advance", json={"seconds": 60})
        assert advanced.status_code == 200, advanced.text
        done = settled(http, volume["id"], attach)
        assert done["status"] == "completed" and done["completed_at"] > done["started_at"]
        state = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
        assert state["locked"] is False and state["volume_ids"] == [volume["id"]]

        resize = act(http, volume["id"], type="resize", size_gigabytes=20)
        assert settled(http, volume["id"], resize)["status"] == "in-progress"
        assert http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["size_gigabytes"] == 10
        http.post("/_localocean/clock/settle")
        assert http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["size_gigabytes"] == 20

        # A droplet destroyed while a volume is being attached to it: the action fails.
        attach = act(http, other["id"], type="attach", droplet_id=droplet["id"])
        assert http.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
        assert http.get(f"/v2/volumes/{volume['id']}").json()["volume"]["droplet_ids"] == []
        http.post("/_localocean/clock/settle")
        assert settled(http, other["id"], attach)["status"] == "errored"
        assert http.get(f"/v2/volumes/{other['id']}").json()["volume"]["droplet_ids"] == []
        assert http.delete(f"/v2/volumes/{other['id']}").status_code == 204


def test_a_fault_on_a_volume_action_changes_nothing(start_server, clients) -> None:
    server = start_server("--timing", "instant")
    with clients.http(server.url, new_token()) as http:
        droplet, volume = make_droplet(http), make_volume(http)
        rule = {"operation": "volumeActions_post_byId", "status": 503, "times": 1}
        assert http.post("/_localocean/faults", json=rule).status_code == 201
        body = {"type": "attach", "droplet_id": droplet["id"]}
        failed = http.post(f"/v2/volumes/{volume['id']}/actions", json=body)
        assert_error(failed, 503, "service_unavailable")
        assert http.get(f"/v2/volumes/{volume['id']}/actions").json()["actions"] == []
        assert http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]["locked"] is False
        settled(http, volume["id"], act(http, volume["id"], **body))
        assert volume_ids(http, droplet["id"]) == [volume["id"]]


def test_python_digitalocean(server, token, http, monkeypatch) -> None:
    import digitalocean

    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"{server.url}/v2/")
    droplet = make_droplet(http, "pdo-node")
    volume = digitalocean.Volume(
        token=token, name="pdo-data", region="nyc1", size_gigabytes=10,
        filesystem_type="ext4", tags=["pdo"],
    )  # fmt: skip
    volume.create()
    assert volume.id
    loaded = digitalocean.Volume.get_object(token, volume.id)
    assert (loaded.name, loaded.size_gigabytes, loaded.tags) == ("pdo-data", 10, ["pdo"])
    attached = loaded.attach(droplet["id"], "nyc1")
    assert attached["action"]["type"] == "attach_volume"
    assert digitalocean.Volume.get_object(token, volume.id).droplet_ids == [droplet["id"]]
    assert loaded.resize(20, "nyc1")["action"]["type"] == "resize_volume"
    assert digitalocean.Volume.get_object(token, volume.id).size_gigabytes == 20
    snapshot = loaded.snapshot("pdo-snap")["snapshot"]
    assert [s.name for s in loaded.get_snapshots()] == ["pdo-snap"]
    manager = digitalocean.Manager(token=token)
    assert [s.id for s in manager.get_volume_snapshots()] == [snapshot["id"]]
    assert [v.id for v in manager.get_all_volumes(region="nyc1")] == [volume.id]
    assert loaded.detach(droplet["id"], "nyc1")["action"]["type"] == "detach_volume"
    assert digitalocean.Volume.get_object(token, volume.id).droplet_ids == []
    copy = digitalocean.Volume(
        token=token, name="pdo-copy", region="nyc1", size_gigabytes=20,
        snapshot_id=snapshot["id"],
    )  # fmt: skip
    copy.create_from_snapshot()
    assert digitalocean.Volume.get_object(token, copy.id).filesystem_type == "ext4"
    for each in (loaded, copy):
        assert each.destroy() is True
    with pytest.raises(digitalocean.NotFoundError):
        digitalocean.Volume.get_object(token, volume.id)


def test_seeded_volumes_survive_export_reset_and_import(start_server, clients, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: storage-team\n"
        "    tokens: [dop_v1_seeded_volumes]\n"
        "    droplets:\n"
        f"      - {{name: db, region: fra1, size: {SMALL}, image: {UBUNTU}}}\n"
        "    volumes:\n"
        "      - {name: pgdata, region: fra1, size_gigabytes: 50, filesystem_type: ext4,\n"
        "         tags: [db], droplet: db, snapshots: [nightly]}\n"
        "      - {name: spare, region: fra1, size_gigabytes: 5}\n"
    )
    server = start_server("--seed", str(seed), "--timing", "realistic")
    with clients.http(server.url, "dop_v1_seeded_volumes") as http:
        (droplet,) = http.get("/v2/droplets").json()["droplets"]
        pgdata, spare = http.get("/v2/volumes").json()["volumes"]
        assert (pgdata["name"], pgdata["droplet_ids"], pgdata["tags"]) == (
            "pgdata", [droplet["id"]], ["db"]
        )  # fmt: skip
        assert droplet["volume_ids"] == [pgdata["id"]] and spare["droplet_ids"] == []
        (snapshot,) = http.get(f"/v2/volumes/{pgdata['id']}/snapshots").json()["snapshots"]
        assert snapshot["name"] == "nightly" and snapshot["min_disk_size"] == 50
        (status,) = [
            entry
            for entry in http.get("/_localocean/status").json()["accounts"]
            if entry["account"] == "storage-team"
        ]
        assert (status["volumes"], status["volume_snapshots"]) == (2, 1)

        # Realistic timing: an attach takes its time.
        action = act(http, spare["id"], type="attach", droplet_id=droplet["id"])
        assert settled(http, spare["id"], action)["status"] == "in-progress"
        http.post("/_localocean/clock/settle")
        assert volume_ids(http, droplet["id"]) == [pgdata["id"], spare["id"]]

        state = http.get("/_localocean/state").json()
        assert http.post("/_localocean/reset", json={"account": "storage-team"}).is_success
        assert http.get("/v2/volumes").json() == {"volumes": [], "links": {}, "meta": {"total": 0}}
        assert http.get("/v2/snapshots").json()["snapshots"] == []
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert [v["name"] for v in http.get("/v2/volumes").json()["volumes"]] == [
            "pgdata", "spare"
        ]  # fmt: skip
        assert http.get("/v2/volumes").json()["meta"]["total"] == 2
        assert http.get("/v2/snapshots").json()["snapshots"] == [snapshot]
        assert http.get("/v2/tags/db").json()["tag"]["resources"]["volumes"]["count"] == 1

    attached = {"name": "v", "region": "nyc1", "size_gigabytes": 1, "droplet": "nope"}
    bad = {"accounts": [{"name": "x", "volumes": [attached]}]}
    with clients.http(server.url, None) as control:
        refused = control.post("/_localocean/seed", json=bad)
        message = assert_error(refused, 422, "unprocessable_entity")["message"]
        assert message.startswith("accounts[0].volumes[0]")


def test_ansible_block_storage(backend, proxied, clients, tmp_path) -> None:
    """community.digitalocean.digital_ocean_block_storage, run for real: create (and again),
    resize, attach (and again), detach (and again), delete (and again)."""
    from tests.support.ansible import run_module

    if backend.name != "sqlite":
        pytest.skip("the module sleeps 10 s before each look at an action, whatever the backend")

    server, _env, _data = proxied
    token = new_token()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        droplet = make_droplet(http, "ansible-node")

        def run(**args) -> dict:
            result = run_module(
                "digital_ocean_block_storage",
                {"volume_name": "ansible-vol", "region": "nyc1", **args},
                token,
                tmp_path,
            )
            assert not result.get("failed"), result
            return result

        created = run(command="create", state="present", block_size=10)
        assert created["changed"] is True and created["id"]
        assert run(command="create", state="present", block_size=10)["changed"] is False
        assert run(command="create", state="present", block_size=20)["changed"] is True
        volume = http.get(f"/v2/volumes/{created['id']}").json()["volume"]
        assert volume["size_gigabytes"] == 20

        assert run(command="attach", state="present", droplet_id=droplet["id"])["changed"]
        assert volume_ids(http, droplet["id"]) == [created["id"]]
        again = run(command="attach", state="present", droplet_id=droplet["id"])
        assert again["changed"] is False
        assert run(command="attach", state="absent", droplet_id=droplet["id"])["changed"]
        assert volume_ids(http, droplet["id"]) == []
        assert run(command="attach", state="absent", droplet_id=droplet["id"])["changed"] is False

        assert run(command="create", state="absent")["changed"] is True
        assert http.get("/v2/volumes").json()["volumes"] == []
        assert run(command="create", state="absent")["changed"] is False
    assert clients.check_journal(server.url) > 10  # every exchange, held to the spec
