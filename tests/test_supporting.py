"""Account, regions, sizes and actions, through pydo and httpx against the real server."""

from __future__ import annotations

import pydo
import pytest

REQUIRED_SIZES = {"s-1vcpu-1gb", "s-1vcpu-2gb", "s-1vcpu-2gb-intel", "s-2vcpu-4gb"}


def test_account_is_per_token(do: pydo.Client, clients, server) -> None:
    account = do.account.get()["account"]
    assert account["status"] == "active"
    assert account["email_verified"] is True
    assert len(account["uuid"]) == 40
    assert do.account.get()["account"]["uuid"] == account["uuid"]
    other = clients.pydo(server.url, "dop_v1_someone_else").account.get()["account"]
    assert other["uuid"] != account["uuid"]
    assert other["email"] != account["email"]


def test_token_info_answers_doctl_auth_init(http) -> None:
    response = http.get("/v1/oauth/token/info")
    assert response.status_code == 200
    info = response.json()
    assert isinstance(info["resource_owner_id"], int)
    assert isinstance(info["expires_in_seconds"], int)
    assert isinstance(info["created_at"], int)
    assert info["scopes"] == ["*"]
    assert info["application"] == {"uid": ""}
    account = http.get("/v2/account").json()["account"]
    assert http.get("/v1/oauth/token/info").json()["resource_owner_id"] == info["resource_owner_id"]
    assert account["uuid"]


def test_regions_are_the_real_ones(do: pydo.Client) -> None:
    listed = do.regions.list(per_page=200)
    regions = {region["slug"]: region for region in listed["regions"]}
    assert listed["meta"]["total"] == len(regions) >= 14
    for slug in ("nyc1", "nyc3", "sfo3", "ams3", "fra1", "lon1", "sgp1", "tor1", "blr1", "syd1"):
        assert regions[slug]["available"] is True, slug
        assert "s-1vcpu-1gb" in regions[slug]["sizes"]
        assert "storage" in regions[slug]["features"]
    for retired in ("nyc2", "sfo1", "ams2"):
        assert regions[retired]["available"] is False
        assert regions[retired]["sizes"] == []
    assert regions["nyc3"]["name"] == "New York 3"


def test_sizes_are_real_with_prices(do: pydo.Client) -> None:
    listed = do.sizes.list(per_page=200)
    sizes = {size["slug"]: size for size in listed["sizes"]}
    assert len(sizes) >= 20
    assert listed["meta"]["total"] == len(sizes)
    assert set(sizes) >= REQUIRED_SIZES
    basic = sizes["s-1vcpu-1gb"]
    assert (basic["memory"], basic["vcpus"], basic["disk"]) == (1024, 1, 25)
    assert basic["price_monthly"] == 6.0
    assert basic["price_hourly"] == pytest.approx(6.0 / 672, abs=1e-5)
    assert basic["transfer"] == 1.0
    assert sizes["s-2vcpu-4gb"]["memory"] == 4096
    assert sizes["s-1vcpu-2gb-intel"]["description"] == "Basic Intel"
    regions = {r["slug"]: r for r in do.regions.list(per_page=200)["regions"]}
    for size in sizes.values():
        assert size["memory"] % 8 == 0
        assert size["disk_info"][0]["size"]["amount"] == size["disk"]
        for region in size["regions"]:
            assert size["slug"] in regions[region]["sizes"]


def test_sizes_default_page_is_twenty(do: pydo.Client) -> None:
    first = do.sizes.list()
    assert len(first["sizes"]) == 20
    assert first["meta"]["total"] > 20
    assert "next" in first["links"]["pages"]


def test_actions_start_empty_and_unknown_is_404(do: pydo.Client, http) -> None:
    listed = do.actions.list()
    assert listed["actions"] == []
    assert listed["meta"]["total"] == 0
    # pydo hands a 404 of this operation back as the error body rather than raising.
    missing = do.actions.get(123456)
    assert missing["id"] == "not_found"
    assert missing["request_id"]
    assert http.get("/v2/actions/not-a-number").status_code == 404
