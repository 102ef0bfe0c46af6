"""Images: the public catalog, reading, changing, deleting, listing filters, tags, isolation."""

from __future__ import annotations

import pydo
import pytest

from tests.conftest import new_token
from tests.support import disk_images
from tests.test_conventions import assert_error

DISTRIBUTION_SLUGS = {"ubuntu-26-04-x64", "ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-13-x64"}


def import_image(http, image_server, name: str = "img", **extra) -> dict:
    url = image_server.add(f"/{name}.qcow2", disk_images.qcow2(3 * disk_images.GIB))
    body = {"name": name, "url": url, "region": "nyc3", **extra}
    response = http.post("/v2/images", json=body)
    assert response.status_code == 202, response.text
    image = response.json()["image"]
    # The shared server runs `instant` timing: the import is done by the next read.
    return http.get(f"/v2/images/{image['id']}").json()["image"]


def test_public_catalog(do: pydo.Client, http) -> None:
    distributions = do.images.list(type="distribution", per_page=200)["images"]
    slugs = {image["slug"] for image in distributions}
    assert slugs >= DISTRIBUTION_SLUGS
    for image in distributions:
        assert image["public"] is True and image["type"] == "base"
        assert image["status"] == "available" and image["min_disk_size"] > 0
        assert "nyc3" in image["regions"]
    applications = do.images.list(type="application", per_page=200)["images"]
    assert applications and all(image["type"] == "snapshot" for image in applications)
    assert not slugs & {image["slug"] for image in applications}

    ubuntu = do.images.get("ubuntu-24-04-x64")["image"]
    assert ubuntu["distribution"] == "Ubuntu"
    assert do.images.get(ubuntu["id"])["image"] == ubuntu
    assert_error(http.get("/v2/images/no-such-slug"), 404, "not_found")
    # Public images cannot be changed or deleted.
    assert_error(http.put(f"/v2/images/{ubuntu['id']}", json={"name": "mine"}), 403, "forbidden")
    assert_error(http.delete(f"/v2/images/{ubuntu['id']}"), 403, "forbidden")
    assert_error(http.post(f"/v2/images/{ubuntu['id']}/actions", json={"type": "convert"}),
                 403, "forbidden")  # fmt: skip
    assert_error(http.get("/v2/images", params={"type": "kernel"}), 422, "unprocessable_entity")


def test_public_catalog_spans_pages(http) -> None:
    # As on DigitalOcean, the public catalog alone fills several pages of the default 20.
    def walk(params: dict) -> tuple[list[str], int]:
        listed = http.get("/v2/images", params=params).json()
        slugs, pages, total = [], 0, listed["meta"]["total"]
        while True:
            pages += 1
            assert 0 < len(listed["images"]) <= 20
            slugs += [image["slug"] for image in listed["images"]]
            following = listed["links"].get("pages", {}).get("next")
            if following is None:
                break
            listed = http.get(following).json()
        assert len(slugs) == total and len(set(slugs)) == len(slugs)
        return slugs, pages

    applications, application_pages = walk({"type": "application"})
    everything, pages = walk({})
    assert application_pages >= 3 and pages > application_pages
    assert {"docker-20-04", "wordpress-20-04", "lamp-20-04"} <= set(applications)
    assert "ubuntu-24-04-x64" not in applications
    assert {"ubuntu-24-04-x64", "docker-20-04"} | DISTRIBUTION_SLUGS <= set(everything)
    assert set(applications) < set(everything)


def test_create_answers_new_then_update_and_delete(do: pydo.Client, http, image_server) -> None:
    url = image_server.add("/crud.img", disk_images.raw_mbr())
    created = do.images.create_custom(
        {
            "name": "ubuntu-18.04-minimal",
            "url": url,
            "distribution": "Ubuntu",
            "region": "nyc3",
            "description": "Cloud-optimized image w/ small footprint",
            "tags": ["base-image", "prod"],
        }
    )["image"]
    assert created["status"] == "NEW" and created["regions"] == []
    assert created["type"] == "custom" and created["public"] is False
    assert created["tags"] == ["base-image", "prod"]
    assert isinstance(created["id"], int)

    image = do.images.get(created["id"])["image"]
    assert image["status"] == "available" and image["regions"] == ["nyc3"]
    assert image["min_disk_size"] == 1
    assert_error(http.get("/v2/images/not-a-slug-of-a-private-image"), 404, "not_found")

    updated = do.images.update(
        created["id"], {"name": "renamed", "description": "d", "distribution": "Gentoo"}
    )["image"]
    assert (updated["name"], updated["description"], updated["distribution"]) == (
        "renamed", "d", "Gentoo",
    )  # fmt: skip
    assert (
        do.images.update(created["id"], {"distribution": "Slackware"})["image"]["distribution"]
        == "Unknown"
    )
    assert_error(http.put(f"/v2/images/{created['id']}", json={"name": ""}), 422,
                 "unprocessable_entity")  # fmt: skip
    assert_error(http.put("/v2/images/999999999", json={"name": "x"}), 404, "not_found")

    assert http.delete(f"/v2/images/{created['id']}").status_code == 204
    assert_error(http.get(f"/v2/images/{created['id']}"), 404, "not_found")
    again = assert_error(http.delete(f"/v2/images/{created['id']}"), 422, "unprocessable_entity")
    assert "Image Can not delete an already deleted image." in again["message"]
    assert do.images.list(private=True)["images"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1/x.img", "region": "nyc3"}, "name"),
        ({"name": "x", "region": "nyc3"}, "url"),
        ({"name": "x", "url": "http://127.0.0.1/x.img"}, "region"),
        ({"name": "x", "url": "http://127.0.0.1/x.img", "region": "mars1"}, "region"),
        ({"name": "x", "url": "ftp://127.0.0.1/x.img", "region": "nyc3"}, "url"),
        ({"name": "x", "url": "not a url", "region": "nyc3"}, "url"),
        ({"name": "x", "url": "http://127.0.0.1/x.img", "region": "nyc3", "tags": ["ok", "no way"]},
         "tags"),
        ({"name": "x", "url": "http://127.0.0.1/x.img", "region": "nyc3", "tags": "prod"}, "tags"),
        ({"name": ["x"], "url": "http://127.0.0.1/x.img", "region": "nyc3"}, "name"),
    ],
)  # fmt: skip
def test_invalid_create_is_422_and_stores_nothing(http, body, field) -> None:
    error = assert_error(http.post("/v2/images", json=body), 422, "unprocessable_entity")
    assert field in error["message"]
    assert http.get("/v2/images", params={"private": "true"}).json()["meta"]["total"] == 0
    assert http.get("/v2/tags").json()["meta"]["total"] == 0


def test_unknown_distribution_becomes_unknown(http, image_server) -> None:
    image = import_image(http, image_server, "distro", distribution="TempleOS")
    assert image["distribution"] == "Unknown"
    assert import_image(http, image_server, "distro2", distribution="debian")["distribution"] == (
        "Debian"
    )


def test_listing_filters_and_pages(http, image_server) -> None:
    first = import_image(http, image_server, "one", tags=["web"])
    second = import_image(http, image_server, "two")
    mine = http.get("/v2/images", params={"private": "true"}).json()
    assert [i["id"] for i in mine["images"]] == [first["id"], second["id"]]
    tagged = http.get("/v2/images", params={"tag_name": "web"}).json()
    assert [i["id"] for i in tagged["images"]] == [first["id"]]
    both = http.get("/v2/images", params={"tag_name": "web", "private": "true"}).json()
    assert [i["id"] for i in both["images"]] == [first["id"]]
    assert (
        http.get("/v2/images", params={"type": "distribution", "private": "true"}).json()["images"]
        == []
    )
    distributions = http.get("/v2/images", params={"type": "distribution"}).json()
    assert all(i["public"] for i in distributions["images"])

    everything = http.get("/v2/images", params={"per_page": 200}).json()
    public = [i for i in everything["images"] if i["public"]]
    assert everything["meta"]["total"] == len(public) + 2
    assert [i["id"] for i in everything["images"][-2:]] == [first["id"], second["id"]]
    # Walk small pages across the boundary between public images and the account's own.
    seen, listed = [], http.get("/v2/images", params={"per_page": 7}).json()
    seen += [i["id"] for i in listed["images"]]
    while "next" in listed["links"].get("pages", {}):
        listed = http.get(listed["links"]["pages"]["next"]).json()
        seen += [i["id"] for i in listed["images"]]
    assert seen == [i["id"] for i in everything["images"]]


def test_tagging_images(http, image_server) -> None:
    image = import_image(http, image_server, "tagme")
    http.post("/v2/tags", json={"name": "base-image"})
    resources = {"resources": [{"resource_id": str(image["id"]), "resource_type": "image"}]}
    assert http.post("/v2/tags/base-image/resources", json=resources).status_code == 204
    tag = http.get("/v2/tags/base-image").json()["tag"]
    assert tag["resources"]["images"]["count"] == 1
    assert tag["resources"]["images"]["last_tagged_uri"].endswith(f"/v2/images/{image['id']}")
    assert http.get(f"/v2/images/{image['id']}").json()["image"]["tags"] == ["base-image"]
    missing = {"resources": [{"resource_id": "999999999", "resource_type": "image"}]}
    assert_error(http.post("/v2/tags/base-image/resources", json=missing), 404, "not_found")
    ubuntu = http.get("/v2/images/ubuntu-24-04-x64").json()["image"]
    public = {"resources": [{"resource_id": str(ubuntu["id"]), "resource_type": "image"}]}
    assert_error(http.post("/v2/tags/base-image/resources", json=public), 404, "not_found")
    assert (
        http.request("DELETE", "/v2/tags/base-image/resources", json=resources).status_code == 204
    )
    assert http.get(f"/v2/images/{image['id']}").json()["image"]["tags"] == []
    # Tags given on create exist afterwards; deleting the image untags it.
    tagged = import_image(http, image_server, "tagged", tags=["fresh"])
    assert http.get("/v2/tags/fresh").json()["tag"]["resources"]["images"]["count"] == 1
    http.delete(f"/v2/images/{tagged['id']}")
    assert http.get("/v2/tags/fresh").json()["tag"]["resources"]["count"] == 0


def test_images_are_private_to_their_account(http, clients, server, image_server) -> None:
    image = import_image(http, image_server, "secret", tags=["mine"])
    with clients.http(server.url, new_token()) as stranger:
        assert_error(stranger.get(f"/v2/images/{image['id']}"), 404, "not_found")
        assert_error(stranger.put(f"/v2/images/{image['id']}", json={"name": "x"}), 404,
                     "not_found")  # fmt: skip
        assert_error(stranger.delete(f"/v2/images/{image['id']}"), 404, "not_found")
        assert_error(stranger.get(f"/v2/images/{image['id']}/actions"), 404, "not_found")
        assert stranger.get("/v2/images", params={"private": "true"}).json()["images"] == []
        assert image["id"] not in [i["id"] for i in stranger.get("/v2/images").json()["images"]]
        stranger.post("/v2/tags", json={"name": "mine"})
        resources = {"resources": [{"resource_id": str(image["id"]), "resource_type": "image"}]}
        assert_error(stranger.post("/v2/tags/mine/resources", json=resources), 404, "not_found")


def test_transfer_action(do: pydo.Client, http, image_server) -> None:
    image = import_image(http, image_server, "travel")
    action = do.image_actions.post(image["id"], {"type": "transfer", "region": "sfo3"})["action"]
    assert action["status"] == "in-progress" and action["type"] == "transfer"
    assert action["resource_id"] == image["id"] and action["resource_type"] == "image"
    assert action["completed_at"] is None
    # Terraform waits through GET /v2/actions/{id} until completed_at is set.
    done = do.actions.get(action["id"])["action"]
    assert done["status"] == "completed" and done["completed_at"]
    assert http.get(f"/v2/images/{image['id']}").json()["image"]["regions"] == ["nyc3", "sfo3"]
    assert do.image_actions.get(image["id"], action["id"])["action"] == done
    listed = do.image_actions.list(image["id"])
    assert [a["id"] for a in listed["actions"]] == [action["id"]]
    assert listed["meta"]["total"] == 1
    assert_error(http.get(f"/v2/images/{image['id']}/actions/1"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (None, "type"),
        ({}, "type"),
        ({"type": "teleport"}, "type"),
        ({"type": "transfer"}, "region"),
        ({"type": "transfer", "region": "mars1"}, "region"),
        ({"type": "transfer", "region": "nyc3"}, "already"),
        ({"type": "convert"}, "backup"),
    ],
)
def test_invalid_actions_are_422(http, image_server, body, why) -> None:
    image = import_image(http, image_server, "act")
    response = http.post(f"/v2/images/{image['id']}/actions", json=body)
    assert why in assert_error(response, 422, "unprocessable_entity")["message"]
    assert http.get(f"/v2/images/{image['id']}/actions").json()["actions"] == []


def test_python_digitalocean(server, token, image_server, monkeypatch) -> None:
    import digitalocean

    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"{server.url}/v2/")
    url = image_server.add("/pdo.vmdk", disk_images.vmdk(2 * disk_images.GIB))
    created = digitalocean.Image(
        token=token, name="pdo", url=url, region="nyc3", distribution="Ubuntu", tags=["pdo"]
    ).create()
    assert created.status == "NEW"
    loaded = digitalocean.Image.get_object(token, created.id)
    assert (loaded.status, loaded.min_disk_size, loaded.regions) == ("available", 2, ["nyc3"])
    manager = digitalocean.Manager(token=token)
    assert [i.id for i in manager.get_my_images()] == [created.id]
    assert {i.slug for i in manager.get_distro_images()} >= DISTRIBUTION_SLUGS
    everything = {i.id for i in manager.get_all_images()}
    assert created.id in everything and len(everything) > len(DISTRIBUTION_SLUGS)
    loaded.rename("renamed")
    assert digitalocean.Image.get_object(token, created.id).name == "renamed"
    assert loaded.destroy() is True
    with pytest.raises(digitalocean.NotFoundError):
        digitalocean.Image.get_object(token, created.id)
