"""Auth modes, scopes and account isolation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import new_token
from tests.test_conventions import assert_error


def test_open_mode_isolates_accounts(http, clients, server) -> None:
    vpc = http.post("/v2/vpcs", json={"name": "mine", "region": "fra1"}).json()["vpc"]
    http.post("/v2/tags", json={"name": "private-tag"})
    with clients.http(server.url, new_token()) as stranger:
        assert_error(stranger.get(f"/v2/vpcs/{vpc['id']}"), 404, "not_found")
        assert_error(stranger.delete(f"/v2/vpcs/{vpc['id']}"), 404, "not_found")
        assert stranger.get("/v2/vpcs").json()["vpcs"] == []
        assert stranger.get("/v2/tags").json()["tags"] == []
        assert_error(stranger.get("/v2/tags/private-tag"), 404, "not_found")
        # The same name is free in another account.
        assert stranger.post("/v2/vpcs", json={"name": "mine", "region": "fra1"}).status_code == 201
    assert http.get(f"/v2/vpcs/{vpc['id']}").status_code == 200


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.yaml"
    path.write_text(
        """
tokens:
  - token: dop_v1_admin
    account: team-a
  - token: dop_v1_team_a_reader
    account: team-a
    scopes: ["vpc:read", "account:read"]
  - token: dop_v1_k8s_only
    account: team-b
    scopes: ["kubernetes:*"]
  - token: dop_v1_legacy_read
    scopes: ["read"]
"""
    )
    return path


def test_strict_mode_tokens_accounts_and_scopes(start_server, clients, tokens_file) -> None:
    server = start_server("--auth", "strict", "--tokens", str(tokens_file))
    with clients.http(server.url, "dop_v1_unknown") as unknown:
        assert_error(unknown.get("/v2/account"), 401, "unauthorized")
    with (
        clients.http(server.url, "dop_v1_admin") as admin,
        clients.http(server.url, "dop_v1_team_a_reader") as reader,
        clients.http(server.url, "dop_v1_k8s_only") as k8s,
        clients.http(server.url, "dop_v1_legacy_read") as legacy,
    ):
        vpc = admin.post("/v2/vpcs", json={"name": "shared", "region": "nyc1"}).json()["vpc"]
        # Two tokens of one account see the same resources.
        assert reader.get(f"/v2/vpcs/{vpc['id']}").json()["vpc"]["name"] == "shared"
        assert reader.get("/v2/account").json() == admin.get("/v2/account").json()
        body = assert_error(reader.post("/v2/vpcs", json={"name": "x", "region": "nyc1"}), 403,
                            "forbidden")  # fmt: skip
        assert "vpc:create" in body["message"]
        assert_error(reader.get("/v2/tags"), 403, "forbidden")
        assert reader.get("/v2/vpcs").json()["meta"]["total"] == 1
        # Another account does not see team-a's VPC; a scope wildcard covers only its resource.
        assert_error(k8s.get("/v2/vpcs"), 403, "forbidden")
        assert_error(k8s.get("/v2/account"), 403, "forbidden")
        # /v2/sizes needs sizes:read and regions:read; legacy `read` grants every read.
        assert legacy.get("/v2/sizes").status_code == 200
        assert_error(legacy.post("/v2/tags", json={"name": "t"}), 403, "forbidden")
        assert legacy.get("/v2/vpcs").json()["vpcs"] == []
        info = reader.get("/v1/oauth/token/info").json()
        assert info["scopes"] == ["vpc:read", "account:read"]


def test_strict_mode_needs_a_valid_tokens_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text("tokens: [{account: nobody}]\n")
    for args in (["--auth", "strict"], ["--auth", "strict", "--tokens", str(bad)]):
        result = subprocess.run(
            [sys.executable, "-m", "localocean", "serve", "--in-memory", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "token" in result.stderr
