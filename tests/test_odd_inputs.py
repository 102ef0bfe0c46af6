"""Odd input never crashes the server: every answer below is a DigitalOcean-style 4xx."""

from __future__ import annotations

import pytest

BIG = "9" * 30
ODD_REQUESTS = [
    ("GET", f"/v2/actions/{BIG}", None),
    ("GET", f"/v2/images/{BIG}", None),
    ("GET", "/v2/images/-1", None),
    ("PUT", f"/v2/images/{BIG}", {"name": "x"}),
    ("DELETE", f"/v2/images/{BIG}", None),
    ("GET", f"/v2/images/{BIG}/actions/{BIG}", None),
    ("POST", "/v2/images/1/account_transfer/accept", {"transfer_id": 10**30}),
    ("GET", "/v2/vpcs/not-a-uuid", None),
    ("GET", f"/v2/kubernetes/clusters/{'x' * 5000}", None),
    ("GET", "/v2/kubernetes/clusters/%00", None),
    ("GET", f"/v2/tags/{'t' * 300}", None),
    ("POST", "/v2/tags", {"name": {"nested": True}}),
    ("POST", "/v2/vpcs", {"name": "n", "region": "nyc1", "ip_range": 5}),
    (
        "POST",
        "/v2/kubernetes/clusters",
        {
            "name": "c",
            "region": "nyc1",
            "version": "latest",
            "node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 10**20}],
        },
    ),
    (
        "POST",
        "/v2/kubernetes/clusters",
        {"name": "c", "region": "nyc1", "version": 1.36, "node_pools": "all"},
    ),
    ("POST", "/v2/images", {"name": "x", "url": "http://[::1", "region": "nyc3"}),
    ("POST", "/v2/images", {"name": "x", "url": "http://127.0.0.1:99999/x", "region": "nyc3"}),
    ("GET", "/v2/regions?page=99999999999999999999&per_page=-5", None),
    ("GET", "/v2/kubernetes/clusters?page=99999999999999999999", None),
    ("GET", "/v2/images?private=maybe&tag_name=", None),
    ("GET", "/v2/images?tag_name=a%00b", None),
    (
        "POST",
        "/v2/images",
        {"name": "nul\u0000name", "url": "http://127.0.0.1/x", "region": "nyc3"},
    ),
    ("POST", "/v2/tags", {"name": "a\u0000"}),
    ("POST", "/v2/tags", "not an object"),
]


@pytest.mark.parametrize(("method", "path", "body"), ODD_REQUESTS)
def test_odd_input_is_a_client_error(http, method, path, body) -> None:
    response = http.request(method, path, json=body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["id"] and response.json()["message"]


def test_malformed_tag_body_uses_the_tags_400_shape(http) -> None:
    response = http.post("/v2/tags", content=b"{oops", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["root_causes"] and response.json()["id"] == "bad_request"
