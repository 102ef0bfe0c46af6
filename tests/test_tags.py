"""Tags: create, get, list, delete, tag and untag resources, counts."""

from __future__ import annotations

import pydo
import pytest

from tests.test_conventions import assert_error


def test_tag_lifecycle_with_counts(do: pydo.Client, http, server) -> None:
    droplet = http.post(
        "/v2/droplets",
        json={"name": "d", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "debian-13-x64"},
    ).json()["droplet"]
    droplet_id = str(droplet["id"])
    volume = http.post("/v2/volumes", json={"name": "v", "region": "nyc3", "size_gigabytes": 1})
    volume_id = volume.json()["volume"]["id"]
    created = do.tags.create({"name": "extra-awesome"})["tag"]
    assert created["name"] == "extra-awesome"
    assert created["resources"]["count"] == 0
    assert created["resources"]["images"] == {"count": 0}

    do.tags.assign_resources(
        "extra-awesome",
        {
            "resources": [
                {"resource_id": droplet_id, "resource_type": "droplet"},
                {"resource_id": volume_id, "resource_type": "volume"},
            ]
        },
    )
    tag = do.tags.get("extra-awesome")["tag"]
    assert tag["resources"]["count"] == 2
    assert tag["resources"]["droplets"] == {
        "count": 1,
        "last_tagged_uri": f"{server.url}/v2/droplets/{droplet_id}",
    }
    assert tag["resources"]["volumes"]["count"] == 1
    assert tag["resources"]["last_tagged_uri"] == f"{server.url}/v2/volumes/{volume_id}"
    assert http.get(f"/v2/volumes/{volume_id}").json()["volume"]["tags"] == ["extra-awesome"]
    # Tagging twice does not count twice.
    do.tags.assign_resources(
        "extra-awesome", {"resources": [{"resource_id": droplet_id, "resource_type": "droplet"}]}
    )
    assert do.tags.get("extra-awesome")["tag"]["resources"]["count"] == 2

    do.tags.unassign_resources(
        "extra-awesome", {"resources": [{"resource_id": droplet_id, "resource_type": "droplet"}]}
    )
    tag = do.tags.get("extra-awesome")["tag"]
    assert tag["resources"]["count"] == 1
    assert tag["resources"]["droplets"] == {"count": 0}

    do.tags.delete("extra-awesome")
    assert_error(http.get("/v2/tags/extra-awesome"), 404, "not_found")
    assert do.tags.list()["tags"] == []


def test_names_are_case_stable(http) -> None:
    assert http.post("/v2/tags", json={"name": "PROD"}).json()["tag"]["name"] == "PROD"
    again = http.post("/v2/tags", json={"name": "prod"})
    assert again.status_code == 201
    assert again.json()["tag"]["name"] == "PROD", "the first spelling stays canonical"
    assert http.get("/v2/tags").json()["meta"]["total"] == 1
    assert http.get("/v2/tags/PROD").status_code == 200
    assert_error(http.get("/v2/tags/prod"), 404, "not_found")


@pytest.mark.parametrize("name", ["здорово", "with space", "x" * 256, "", None, 7])
def test_invalid_names_are_400(do: pydo.Client, http, name) -> None:
    # pydo returns this operation's declared 400 as the body (error_with_root_causes shape).
    body = do.tags.create({"name": name})
    assert body["error"] and body["root_causes"] and body["messages"] is None
    assert_error(http.post("/v2/tags", json={"name": name}), 400, "bad_request")
    assert http.get("/v2/tags").json()["meta"]["total"] == 0


def test_tagging_rules(http) -> None:
    missing = {"resources": [{"resource_id": "1", "resource_type": "volume"}]}
    assert_error(http.post("/v2/tags/nope/resources", json=missing), 404, "not_found")
    http.post("/v2/tags", json={"name": "t"})
    for bad in (
        {},
        {"resources": []},
        {"resources": [{"resource_type": "droplet"}]},
        {"resources": [{"resource_id": "1", "resource_type": "spaceship"}]},
        {"resources": ["droplet:1"]},
    ):
        assert_error(http.post("/v2/tags/t/resources", json=bad), 422, "unprocessable_entity")
    assert_error(http.request("DELETE", "/v2/tags/t/resources", json={}), 422,
                 "unprocessable_entity")  # fmt: skip
    assert http.get("/v2/tags/t").json()["tag"]["resources"]["count"] == 0
    response = http.request("DELETE", "/v2/tags/t/resources", json=missing)
    assert_error(response, 404, "not_found")  # no such volume
    volume = http.post("/v2/volumes", json={"name": "v", "region": "nyc3", "size_gigabytes": 1})
    volume_id = volume.json()["volume"]["id"]
    untagged = {"resources": [{"resource_id": volume_id, "resource_type": "volume"}]}
    response = http.request("DELETE", "/v2/tags/t/resources", json=untagged)
    assert response.status_code == 204, "untagging what is not tagged is fine"
