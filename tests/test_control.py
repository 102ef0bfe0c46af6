"""The control API: capabilities, reset, timing, faults, journal, state, seeding, control token."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pydo
import pytest
from azure.core.pipeline.policies import HeadersPolicy

from tests.conftest import new_token
from tests.support import disk_images
from tests.test_conventions import assert_error
from tests.test_kubernetes import cluster_body


@pytest.fixture
def control(server, clients):
    with clients.http(server.url, None) as client:
        yield client


def test_info_lists_every_spec_operation_as_implemented(control, spec, http) -> None:
    info = control.get("/_localocean/info").json()
    assert info["version"] and info["configuration"]["timing"] == "instant"
    served = {op["operation_id"] for op in info["capabilities"]["operations"]}
    assert spec.operation_ids <= served, spec.operation_ids - served
    assert all(op["implemented"] for op in info["capabilities"]["operations"])
    assert "/v2/uptime" in info["capabilities"]["not_implemented"]
    body = assert_error(http.get("/v2/uptime/checks"), 501, "not_implemented")
    assert "not implemented by LocalOcean" in body["message"]
    assert_error(http.post("/v2/uptime/checks/123/alerts", json={}), 501, "not_implemented")
    docs = control.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    paths = control.get("/openapi.json").json()["paths"]
    assert "/_localocean/faults" in paths and "/v2/kubernetes/clusters" in paths


def test_faults_seen_from_httpx(start_server, clients) -> None:
    server = start_server()
    token = new_token()
    with clients.http(server.url, token) as http, clients.http(server.url, None) as control:
        rule = {"method": "GET", "path": "/v2/kubernetes/clusters*", "status": 503, "times": 2}
        created = control.post("/_localocean/faults", json=rule)
        assert created.status_code == 201
        fault = created.json()["fault"]
        assert fault["id"] and fault["times"] == 2
        answers = [http.get("/v2/kubernetes/clusters") for _ in range(3)]
        assert [r.status_code for r in answers] == [503, 503, 200]
        assert answers[0].json()["id"] == "service_unavailable"
        assert control.get("/_localocean/faults").json()["faults"] == [], "used up"

        by_operation = {"operation": "account_get", "status": 500}
        fault_id = control.post("/_localocean/faults", json=by_operation).json()["fault"]["id"]
        assert http.get("/v2/account").status_code == 500
        assert http.get("/v2/regions").status_code == 200
        assert control.delete(f"/_localocean/faults/{fault_id}").status_code == 204
        assert http.get("/v2/account").status_code == 200
        assert_error(control.delete(f"/_localocean/faults/{fault_id}"), 404, "not_found")

        control.post("/_localocean/faults", json={"token": "someone-else", "status": 500})
        assert http.get("/v2/account").status_code == 200, "rules can target one token"
        control.delete("/_localocean/faults")

        control.post("/_localocean/faults", json={"path": "/v2/sizes", "delay_ms": 300})
        started = time.monotonic()
        assert http.get("/v2/sizes").status_code == 200
        assert time.monotonic() - started >= 0.3
        control.delete("/_localocean/faults")

        control.post("/_localocean/faults", json={"path": "/v2/regions", "drop": True, "times": 1})
        with pytest.raises(httpx.TransportError):
            http.get("/v2/regions")
        assert http.get("/v2/regions").status_code == 200

        for bad in (
            {},
            {"status": 200},
            {"status": 503, "probability": 2},
            {"delay_ms": -1},
            {"status": 503, "times": 0},
        ):
            assert_error(control.post("/_localocean/faults", json=bad), 422, "unprocessable_entity")


def test_pydo_retries_a_429_with_retry_after(start_server, clients) -> None:
    server = start_server()
    token = new_token()
    with clients.http(server.url, None) as control:
        control.post(
            "/_localocean/faults",
            json={"path": "/v2/account", "status": 429, "retry_after": 1, "times": 1},
        )
        client = pydo.Client(
            token,
            endpoint=server.url,
            authentication_policy=HeadersPolicy({"Authorization": f"Bearer {token}"}),
        )
        started = time.monotonic()
        assert client.account.get()["account"]["status"] == "active"
        assert time.monotonic() - started >= 1, "pydo waited as retry-after asked"
        journal = control.get("/_localocean/requests", params={"path": "/v2/account"}).json()
        assert [r["status"] for r in journal["requests"]] == [429, 200]


def test_journal(start_server, clients) -> None:
    server = start_server("--journal-size", "5")
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        http.post("/v2/tags", json={"name": "journaled"})
        http.get("/v2/tags/journaled")
        http.get("/v2/regions", params={"per_page": 1})
        entries = control.get("/_localocean/requests").json()["requests"]
        assert [(e["method"], e["path"]) for e in entries] == [
            ("POST", "/v2/tags"),
            ("GET", "/v2/tags/journaled"),
            ("GET", "/v2/regions"),
        ]
        first = entries[0]
        assert first["request_body"] == {"name": "journaled"}
        assert first["response_body"]["tag"]["name"] == "journaled"
        assert first["status"] == 201 and first["account"] and first["request_id"]
        assert first["duration_ms"] >= 0 and first["time"].endswith("Z")
        assert entries[2]["query"] == "per_page=1"
        only_posts = control.get("/_localocean/requests", params={"method": "post"}).json()
        assert [e["path"] for e in only_posts["requests"]] == ["/v2/tags"]
        last = control.get("/_localocean/requests", params={"limit": 1}).json()["requests"]
        assert last[0]["path"] == "/v2/regions"
        for _ in range(6):
            http.get("/v2/account")
        assert len(control.get("/_localocean/requests").json()["requests"]) == 5, "bounded"
        assert control.delete("/_localocean/requests").status_code == 204
        assert control.get("/_localocean/requests").json()["requests"] == []


def test_timing_at_run_time(start_server, clients) -> None:
    server = start_server("--timing", "fast")
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        timing = control.get("/_localocean/timing").json()
        assert timing["profile"] == "fast" and timing["durations"]["cluster.provision"] == 1.0
        manual = control.put(
            "/_localocean/timing",
            json={"profile": "manual", "durations": {"cluster.provision": 30}},
        )
        assert manual.json()["durations"]["cluster.provision"] == 30
        frozen = control.get("/_localocean/clock").json()["now"]
        cluster = http.post("/v2/kubernetes/clusters", json=cluster_body()).json()
        path = f"/v2/kubernetes/clusters/{cluster['kubernetes_cluster']['id']}"
        time.sleep(1.1)
        assert control.get("/_localocean/clock").json()["now"] == frozen
        assert http.get(path).json()["kubernetes_cluster"]["status"]["state"] == "provisioning"
        control.post("/_localocean/clock/advance", json={"seconds": 30})
        assert http.get(path).json()["kubernetes_cluster"]["status"]["state"] == "running"
        back = control.put(
            "/_localocean/timing",
            json={"profile": "fast", "durations": {"cluster.provision": None}},
        )
        assert back.json()["overrides"] == {}
        for bad in (
            {"profile": "slow"},
            {"durations": {"nope": 1}},
            {"durations": {"cluster.provision": -1}},
            {"durations": []},
        ):
            assert_error(control.put("/_localocean/timing", json=bad), 422, "unprocessable_entity")


def test_manual_clock_moves_an_import_and_a_cluster(start_server, clients, image_server) -> None:
    server = start_server("--timing", "manual")
    url = image_server.add(f"/manual-{new_token()[-6:]}.img", disk_images.raw_mbr())
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        image = http.post("/v2/images", json={"name": "m", "url": url, "region": "nyc3"}).json()
        cluster = http.post("/v2/kubernetes/clusters", json=cluster_body()).json()
        deadline = time.monotonic() + 10
        while control.get("/_localocean/clock").json()["pending"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        settled = control.post("/_localocean/clock/settle").json()
        assert settled["pending"] == 0 and settled["applied"] >= 2
        image_id = image["image"]["id"]
        assert http.get(f"/v2/images/{image_id}").json()["image"]["status"] == "available"
        cluster_id = cluster["kubernetes_cluster"]["id"]
        state = http.get(f"/v2/kubernetes/clusters/{cluster_id}").json()["kubernetes_cluster"]
        assert state["status"]["state"] == "running"


def _snapshot(http) -> dict:
    """What the API answers, with the server's own address (in links) left out."""
    reads = ["/v2/account", "/v2/vpcs", "/v2/tags", "/v2/images?private=true",
             "/v2/kubernetes/clusters", "/v2/actions"]  # fmt: skip
    base = str(http.base_url).rstrip("/")
    return {path: json.loads(http.get(path).text.replace(base, "")) for path in reads}


def test_export_reset_load_round_trip(start_server, clients, image_server) -> None:
    server = start_server("--timing", "instant")
    token = new_token()
    url = image_server.add(f"/state-{token[-6:]}.qcow2", disk_images.qcow2(disk_images.GIB))
    with clients.http(server.url, token) as http, clients.http(server.url, None) as control:
        http.post("/v2/vpcs", json={"name": "kept", "region": "nyc1"})
        image = http.post(
            "/v2/images", json={"name": "i", "url": url, "region": "nyc3", "tags": ["t"]}
        ).json()["image"]
        http.get(f"/v2/images/{image['id']}")
        http.post(f"/v2/images/{image['id']}/actions", json={"type": "transfer", "region": "lon1"})
        http.post("/v2/kubernetes/clusters", json=cluster_body())
        before = _snapshot(http)
        document = control.get("/_localocean/state").json()
        assert document["format_version"] == 1 and document["tables"]["clusters"]

        assert control.post("/_localocean/reset", json={}).json() == {"reset": "everything"}
        emptied = _snapshot(http)
        assert (
            emptied["/v2/vpcs"]["vpcs"] == []
            and emptied["/v2/kubernetes/clusters"]["meta"]["total"] == 0
        )
        assert emptied["/v2/account"] != before["/v2/account"], "a new account for the token"

        loaded = control.put("/_localocean/state", json=document)
        assert loaded.status_code == 200 and loaded.json()["loaded"]["clusters"] == 1
        assert _snapshot(http) == before, "identical answers after export, reset and load"
        newer = {**document, "format_version": 99}
        assert (
            "newer"
            in assert_error(
                control.put("/_localocean/state", json=newer), 422, "unprocessable_entity"
            )["message"]
        )
        broken = {**document, "tables": {"nope": []}}
        assert_error(control.put("/_localocean/state", json=broken), 422, "unprocessable_entity")
        assert _snapshot(http) == before, "a refused load changes nothing"

    # Loaded into a brand-new server, the state answers the same and new ids follow on.
    fresh = start_server("--timing", "instant")
    with clients.http(fresh.url, token) as http, clients.http(fresh.url, None) as control:
        assert control.put("/_localocean/state", json=document).status_code == 200
        assert _snapshot(http) == before
        assert http.post("/v2/tags", json={"name": "after-load"}).status_code == 201
        second = http.post("/v2/kubernetes/clusters", json=cluster_body(name="second"))
        assert second.status_code == 201
        vpc = http.post("/v2/vpcs", json={"name": "more", "region": "nyc3"})
        assert vpc.status_code == 201


def test_reset_one_account(start_server, clients) -> None:
    server = start_server()
    with (
        clients.http(server.url, new_token()) as first,
        clients.http(server.url, new_token()) as second,
        clients.http(server.url, None) as control,
    ):
        for http in (first, second):
            http.post("/v2/vpcs", json={"name": "net", "region": "nyc1"})
            http.post("/v2/kubernetes/clusters", json=cluster_body())
        account = first.get("/v2/account").json()["account"]
        result = control.post("/_localocean/reset", json={"account": account["uuid"]})
        assert result.json() == {"reset": account["uuid"]}
        assert first.get("/v2/vpcs").json()["vpcs"] == []
        assert first.get("/v2/kubernetes/clusters").json()["kubernetes_clusters"] == []
        assert first.get("/v2/account").json()["account"] == account, "the account stays"
        assert second.get("/v2/kubernetes/clusters").json()["meta"]["total"] == 1
        assert_error(
            control.post("/_localocean/reset", json={"account": "nobody"}), 404, "not_found"
        )


SEED = {
    "accounts": [
        {
            "name": "team-a",
            "tokens": ["dop_v1_seeded_a"],
            "vpcs": [{"name": "net", "region": "nyc1", "ip_range": "10.30.0.0/16"}],
            "tags": ["prod"],
            "images": [
                {
                    "name": "golden",
                    "type": "snapshot",
                    "region": "nyc3",
                    "min_disk_size": 25,
                    "tags": ["prod"],
                }
            ],
            "clusters": [
                {
                    "name": "prod",
                    "region": "nyc1",
                    "version": "latest",
                    "vpc": "net",
                    "node_pools": [{"name": "pool", "size": "s-2vcpu-4gb", "count": 2}],
                    "associated": {
                        "load_balancers": [{"id": "lb-1", "name": "ingress"}],
                        "volumes": [{"name": "pvc-data"}],
                        "volume_snapshots": [{"name": "snap"}],
                    },
                }
            ],
        }
    ]
}


def _check_seeded(http) -> None:
    assert http.get("/v2/account").json()["account"]["name"] == "team-a"
    (cluster,) = http.get("/v2/kubernetes/clusters").json()["kubernetes_clusters"]
    assert cluster["status"]["state"] == "running"
    assert all(n["status"]["state"] == "running" for n in cluster["node_pools"][0]["nodes"])
    vpc = http.get(f"/v2/vpcs/{cluster['vpc_uuid']}").json()["vpc"]
    assert vpc["name"] == "net"
    (image,) = http.get("/v2/images?private=true").json()["images"]
    assert (image["type"], image["tags"], image["min_disk_size"]) == ("snapshot", ["prod"], 25)
    associated = http.get(
        f"/v2/kubernetes/clusters/{cluster['id']}/destroy_with_associated_resources"
    ).json()
    assert associated["load_balancers"] == [{"id": "lb-1", "name": "ingress"}]
    assert len(associated["volumes"]) == len(associated["volume_snapshots"]) == 1


def test_seed_through_the_control_api(start_server, clients) -> None:
    server = start_server()
    with clients.http(server.url, None) as control:
        response = control.post("/_localocean/seed", json=SEED)
        assert response.status_code == 201
        assert response.json()["seeded"]["clusters"] == 1
        bad = {"accounts": [{"name": "x", "clusters": [{"name": "c", "region": "nyc1"}]}]}
        error = assert_error(
            control.post("/_localocean/seed", json=bad), 422, "unprocessable_entity"
        )
        assert error["message"].startswith("accounts[0].clusters[0]")
        assert control.get("/_localocean/status").json()["accounts"][-1]["account"] == "team-a"
    with clients.http(server.url, "dop_v1_seeded_a") as http:
        _check_seeded(http)


def test_seed_file_at_start_even_in_strict_mode(start_server, clients, tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.yaml"
    import yaml

    seed_file.write_text(yaml.safe_dump(SEED))
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("tokens: [{token: dop_v1_other}]\n")
    server = start_server("--seed", str(seed_file), "--auth", "strict", "--tokens", str(tokens))
    with clients.http(server.url, "dop_v1_seeded_a") as http:
        _check_seeded(http)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"accounts": [{"name": "x", "vpcs": [{"region": "nyc1"}]}]}))
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "localocean",
            "serve",
            "--in-memory",
            "--port",
            "0",
            "--seed",
            str(broken),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "accounts[0].vpcs[0]: name is required" in result.stderr


def test_control_token(start_server, clients) -> None:
    server = start_server("--control-token", "s3cret")
    with clients.http(server.url, None) as anonymous, clients.http(server.url, "s3cret") as admin:
        assert_error(anonymous.get("/_localocean/clock"), 401, "unauthorized")
        assert_error(anonymous.post("/_localocean/reset", json={}), 401, "unauthorized")
        assert admin.get("/_localocean/clock").status_code == 200
        assert admin.get("/_localocean/info").json()["configuration"]["control_token"] is True
