"""VPCs: the spec's rules, the default VPC per region, through pydo and httpx."""

from __future__ import annotations

import ipaddress
import uuid

import pydo
import pytest

from tests.test_conventions import assert_error


def test_create_get_list_update_delete(do: pydo.Client, http) -> None:
    body = {"name": "env.prod-vpc", "region": "nyc1", "description": "production"}
    created = do.vpcs.create({**body, "ip_range": "10.10.10.0/24"})["vpc"]
    assert uuid.UUID(created["id"])
    assert created["urn"] == f"do:vpc:{created['id']}"
    assert created["ip_range"] == "10.10.10.0/24"
    assert created["default"] is True, "the first VPC in a region becomes its default"
    assert do.vpcs.get(created["id"])["vpc"] == created

    second = do.vpcs.create({"name": "second", "region": "nyc1"})["vpc"]
    assert second["default"] is False
    network = ipaddress.ip_network(second["ip_range"])
    assert network.prefixlen == 20 and network.is_private
    assert not network.overlaps(ipaddress.ip_network(created["ip_range"]))
    assert [v["id"] for v in do.vpcs.list()["vpcs"]] == [created["id"], second["id"]]

    renamed = do.vpcs.update(second["id"], {"name": "renamed", "description": "d"})["vpc"]
    assert (renamed["name"], renamed["description"]) == ("renamed", "d")
    patched = do.vpcs.patch(second["id"], {"description": "only this"})["vpc"]
    assert (patched["name"], patched["description"]) == ("renamed", "only this")

    do.vpcs.delete(second["id"])
    assert_error(http.get(f"/v2/vpcs/{second['id']}"), 404, "not_found")
    assert do.vpcs.list()["meta"]["total"] == 1


def test_default_vpc_rules(http) -> None:
    first = http.post("/v2/vpcs", json={"name": "a", "region": "ams3"}).json()["vpc"]
    second = http.post("/v2/vpcs", json={"name": "b", "region": "ams3"}).json()["vpc"]
    body = assert_error(http.delete(f"/v2/vpcs/{first['id']}"), 403, "forbidden")
    assert "default" in body["message"]
    assert_error(http.patch(f"/v2/vpcs/{first['id']}", json={"default": False}), 403, "forbidden")
    # Moving the default to another VPC of the region clears the old one.
    moved = http.patch(f"/v2/vpcs/{second['id']}", json={"default": True}).json()["vpc"]
    assert moved["default"] is True
    assert http.get(f"/v2/vpcs/{first['id']}").json()["vpc"]["default"] is False
    assert http.delete(f"/v2/vpcs/{first['id']}").status_code == 204
    # Another region has its own default.
    other = http.post("/v2/vpcs", json={"name": "c", "region": "sfo3"}).json()["vpc"]
    assert other["default"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"region": "nyc1"}, "name"),
        ({"name": "bad name!", "region": "nyc1"}, "name"),
        ({"name": "x" * 256, "region": "nyc1"}, "name"),
        ({"name": "ok"}, "region"),
        ({"name": "ok", "region": "mars1"}, "region"),
        ({"name": "ok", "region": "nyc2"}, "region"),
        ({"name": "ok", "region": "nyc1", "ip_range": "8.8.8.0/24"}, "ip_range"),
        ({"name": "ok", "region": "nyc1", "ip_range": "10.0.0.0/8"}, "ip_range"),
        ({"name": "ok", "region": "nyc1", "ip_range": "10.0.0.0/29"}, "ip_range"),
        ({"name": "ok", "region": "nyc1", "ip_range": "10.0.0.1/24"}, "ip_range"),
        ({"name": "ok", "region": "nyc1", "description": "d" * 256}, "description"),
        ({"name": 5, "region": "nyc1"}, "name"),
        ({"name": "ok", "region": "nyc1", "default": "yes"}, "default"),
    ],
)
def test_invalid_create_is_422_and_stores_nothing(http, body, field) -> None:
    error = assert_error(http.post("/v2/vpcs", json=body), 422, "unprocessable_entity")
    assert field in error["message"]
    assert http.get("/v2/vpcs").json()["meta"]["total"] == 0


def test_names_unique_and_ranges_disjoint(http) -> None:
    http.post("/v2/vpcs", json={"name": "net", "region": "lon1", "ip_range": "192.168.0.0/16"})
    assert_error(http.post("/v2/vpcs", json={"name": "net", "region": "fra1"}), 422,
                 "unprocessable_entity")  # fmt: skip
    overlap = {"name": "net2", "region": "fra1", "ip_range": "192.168.4.0/24"}
    assert_error(http.post("/v2/vpcs", json=overlap), 422, "unprocessable_entity")
    other = http.post("/v2/vpcs", json={"name": "net2", "region": "fra1"}).json()["vpc"]
    assert_error(http.put(f"/v2/vpcs/{other['id']}", json={"name": "net"}), 422,
                 "unprocessable_entity")  # fmt: skip
    assert_error(http.put(f"/v2/vpcs/{other['id']}", json={"description": "no name"}), 422,
                 "unprocessable_entity")  # fmt: skip
    assert_error(http.put(f"/v2/vpcs/{uuid.uuid4()}", json={"name": "x"}), 404, "not_found")
    assert http.get(f"/v2/vpcs/{other['id']}").json()["vpc"]["name"] == "net2"
