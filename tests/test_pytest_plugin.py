"""The pytest plugin, used the way a user would: from a separate test project."""

from __future__ import annotations

SAMPLE = """
import httpx
import pytest


def test_creates_a_vpc(localocean, localocean_pydo):
    vpc = localocean_pydo.vpcs.create({"name": "from-plugin", "region": "nyc1"})["vpc"]
    assert vpc["default"] is True
    assert [r["path"] for r in localocean.requests] == ["/v2/vpcs"]


def test_is_isolated_from_the_previous_test(localocean_pydo):
    assert localocean_pydo.vpcs.list()["vpcs"] == []


def test_faults_and_clock(localocean):
    localocean.faults.add(path="/v2/account", status=503, times=1)
    with localocean.client() as http:
        assert http.get("/v2/account").status_code == 503
        assert http.get("/v2/account").status_code == 200
    assert localocean.advance(60)["applied"] == 0


def test_reset(localocean):
    with localocean.client() as http:
        http.post("/v2/tags", json={"name": "gone"})
        localocean.reset()
        assert http.get("/v2/tags").json()["tags"] == []
"""


def test_plugin_in_a_separate_project(pytester) -> None:
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
