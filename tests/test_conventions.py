"""The conventions every endpoint shares: errors, request ids, rate limits, tolerated quirks."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import new_token


def assert_error(response: httpx.Response, status: int, error_id: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["id"] == error_id
    assert body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer two words"],
)
def test_missing_or_malformed_token_is_401(anonymous, authorization) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = anonymous.get("/v2/account", headers=headers)
    body = assert_error(response, 401, "unauthorized")
    assert body["message"] == "Unable to authenticate you"


def test_request_ids_are_unique_and_in_error_bodies(http) -> None:
    first, second = http.get("/v2/account"), http.get("/v2/account")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert_error(http.get("/v2/vpcs/00000000-0000-4000-8000-000000000000"), 404, "not_found")


def test_unknown_route_is_404_and_wrong_method_405(http, anonymous) -> None:
    assert_error(http.get("/v2/no-such-thing"), 404, "not_found")
    assert_error(http.post("/v2/regions", json={}), 405, "method_not_allowed")
    assert_error(http.delete("/v2/account"), 405, "method_not_allowed")
    assert_error(anonymous.get("/not-the-api"), 404, "not_found")


def test_malformed_json_is_400_and_stores_nothing(http) -> None:
    response = http.post(
        "/v2/vpcs", content=b'{"name": "half', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")
    assert http.get("/v2/vpcs").json()["meta"]["total"] == 0


def test_validation_error_is_422_naming_the_field(http) -> None:
    body = assert_error(http.post("/v2/vpcs", json={"region": "nyc3"}), 422, "unprocessable_entity")
    assert "name" in body["message"]
    body = assert_error(
        http.post("/v2/vpcs", json={"name": "x", "region": "nyc3", "ip_range": "banana"}),
        422,
        "unprocessable_entity",
    )
    assert "ip_range" in body["message"]
    assert_error(http.post("/v2/vpcs", json=["not", "an", "object"]), 422, "unprocessable_entity")
    assert http.get("/v2/vpcs").json()["meta"]["total"] == 0


def test_oversized_body_is_413(http) -> None:
    response = http.post("/v2/tags", json={"name": "big", "padding": "x" * (2 * 1024 * 1024)})
    assert_error(response, 413, "request_entity_too_large")
    assert http.get("/v2/tags").json()["meta"]["total"] == 0


def test_rate_limit_headers_on_every_response(http, anonymous) -> None:
    first = http.get("/v2/account")
    second = http.get("/v2/no-such-thing")
    assert first.headers["ratelimit-limit"] == "5000"
    assert (
        int(second.headers["ratelimit-remaining"]) == int(first.headers["ratelimit-remaining"]) - 1
    )
    reset = int(first.headers["ratelimit-reset"])
    assert time.time() < reset <= time.time() + 3601
    assert anonymous.get("/v2/account").headers["ratelimit-limit"] == "5000"


def test_trailing_slashes_bodies_and_paging_params_are_tolerated(http) -> None:
    assert http.get("/v2/account/").status_code == 200
    # Ansible sends a literal null body on GET, axios a JSON content type, libcloud paging params.
    response = http.request(
        "GET", "/v2/regions/", content=b"null", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert http.get("/v2/account?page=1&per_page=20").status_code == 200
    created = http.post(
        "/v2/vpcs/",
        json={"name": "tolerant", "region": "nyc3", "tags": None, "project_name": "", "x": 1},
    )
    assert created.status_code == 201, created.text
    vpc_id = created.json()["vpc"]["id"]
    other = http.post("/v2/vpcs", json={"name": "other", "region": "nyc3"}).json()["vpc"]
    # python-digitalocean sends {} on DELETE, libcloud page parameters.
    response = http.request("DELETE", f"/v2/vpcs/{other['id']}/?page=1&per_page=200", json={})
    assert response.status_code == 204
    assert response.content == b""
    assert http.get(f"/v2/vpcs/{vpc_id}/").json()["vpc"]["name"] == "tolerant"


def test_429_with_retry_after_when_over_the_limit(start_server, clients) -> None:
    server = start_server("--rate-limit", "3/min")
    token = new_token()
    with clients.http(server.url, token) as http:
        statuses = [http.get("/v2/account") for _ in range(3)]
        assert [r.status_code for r in statuses] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in statuses] == ["2", "1", "0"]
        refused = http.get("/v2/account")
        assert_error(refused, 429, "too_many_requests")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit-remaining"] == "0"
    with clients.http(server.url, new_token()) as other:
        assert other.get("/v2/account").status_code == 200, "limits are per token"


def test_rate_limit_off_never_refuses(start_server, clients) -> None:
    server = start_server("--rate-limit", "off")
    with clients.http(server.url, new_token()) as http:
        for _ in range(260):
            assert http.get("/v2/account").status_code == 200
