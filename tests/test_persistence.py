"""Data survives restarts; SIGTERM and SIGINT shut the server down cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.conftest import new_token


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_state_survives_a_restart(backend, start_server, clients, tmp_path: Path, sig) -> None:
    args, _ = backend.durable(tmp_path)
    token = new_token()
    server = start_server(database=args)
    with clients.http(server.url, token) as http:
        account = http.get("/v2/account").json()["account"]
        vpc = http.post("/v2/vpcs", json={"name": "kept", "region": "tor1"}).json()["vpc"]
        droplet = http.post(
            "/v2/droplets",
            json={
                "name": "kept",
                "region": "tor1",
                "size": "s-1vcpu-1gb",
                "image": "debian-13-x64",
            },
        ).json()["droplet"]
        http.post("/v2/tags", json={"name": "kept-tag"})
        http.post(
            "/v2/tags/kept-tag/resources",
            json={"resources": [{"resource_id": str(droplet["id"]), "resource_type": "droplet"}]},
        )
    assert server.stop(sig) == 0
    assert "stopped cleanly" in server.logs()

    server.start()
    with clients.http(server.url, token) as http:
        assert http.get("/v2/account").json()["account"] == account, "same token, same account"
        assert http.get(f"/v2/vpcs/{vpc['id']}").json()["vpc"] == vpc
        tag = http.get("/v2/tags/kept-tag").json()["tag"]
        assert tag["resources"]["droplets"]["count"] == 1
        # The port may differ after a restart; links follow the new one.
        uri = f"{server.url}/v2/droplets/{droplet['id']}"
        assert tag["resources"]["last_tagged_uri"] == uri
        kept = http.get(f"/v2/droplets/{droplet['id']}").json()["droplet"]
        assert kept["name"] == "kept" and kept["tags"] == ["kept-tag"]


def test_in_memory_starts_empty_every_time(start_server, clients) -> None:
    token = new_token()
    server = start_server(database=["--in-memory"])
    with clients.http(server.url, token) as http:
        http.post("/v2/vpcs", json={"name": "gone", "region": "tor1"})
    server.restart()
    with clients.http(server.url, token) as http:
        assert http.get("/v2/vpcs").json()["vpcs"] == []
