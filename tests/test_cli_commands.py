"""`localocean status|reset|export|import|advance` against a running server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import new_token


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localocean", *args], capture_output=True, text=True, timeout=60
    )


def test_commands(start_server, clients, tmp_path: Path) -> None:
    server = start_server("--timing", "manual", "--control-token", "ctl")
    token = new_token()
    url = ["--url", server.url, "--control-token", "ctl"]
    with clients.http(server.url, token) as http:
        http.post("/v2/vpcs", json={"name": "net", "region": "nyc1"})
        cluster = http.post(
            "/v2/kubernetes/clusters",
            json={
                "name": "c",
                "region": "nyc1",
                "version": "latest",
                "node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 2}],
            },
        ).json()
        account = http.get("/v2/account").json()["account"]

        status = run("status", *url)
        assert status.returncode == 0, status.stderr
        assert account["name"] in status.stdout and "1 pending" in status.stdout

        advanced = run("advance", "6m", *url)
        assert advanced.returncode == 0, advanced.stderr
        assert "1 applied, 0 pending" in advanced.stdout
        cluster_id = cluster["kubernetes_cluster"]["id"]
        state = http.get(f"/v2/kubernetes/clusters/{cluster_id}").json()["kubernetes_cluster"]
        assert state["status"]["state"] == "running"

        saved = tmp_path / "state.json"
        assert run("export", str(saved), *url).returncode == 0
        assert json.loads(saved.read_text())["tables"]["vpcs"]
        reset = run("reset", "--account", account["uuid"], *url)
        assert reset.returncode == 0 and account["uuid"] in reset.stdout
        assert http.get("/v2/vpcs").json()["vpcs"] == []
        imported = run("import", str(saved), *url)
        assert imported.returncode == 0, imported.stderr
        assert [v["name"] for v in http.get("/v2/vpcs").json()["vpcs"]] == ["net"]
        assert run("reset", *url).stdout.strip() == "reset everything"

    refused = run("status", "--url", server.url)
    assert refused.returncode == 1 and "401" in refused.stderr
    assert run("advance", "soon", *url).returncode == 2
    assert "cannot reach" in run("status", "--url", "http://127.0.0.1:1").stderr
