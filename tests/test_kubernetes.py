"""Kubernetes (DOKS): clusters, node pools, nodes, access, upgrades, registry, clusterlint,
status messages, through pydo and httpx against the real server (instant timing)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pydo
import pytest
import yaml
from cryptography import x509

from localocean.core.clock import parse_rfc3339
from tests.conftest import new_token
from tests.test_conventions import assert_error

GODO_STATES = {"provisioning", "running", "degraded", "error", "deleted", "upgrading", "invalid"}


def cluster_body(name: str = "prod", **extra) -> dict:
    pool = {"name": "pool-a", "size": "s-2vcpu-4gb", "count": 2}
    return {"name": name, "region": "nyc1", "version": "latest", "node_pools": [pool], **extra}


def create(http, **extra) -> dict:
    response = http.post("/v2/kubernetes/clusters", json=cluster_body(**extra))
    assert response.status_code == 201, response.text
    return response.json()["kubernetes_cluster"]


def cluster_of(http, cluster_id: str) -> dict:
    cluster = http.get(f"/v2/kubernetes/clusters/{cluster_id}").json()["kubernetes_cluster"]
    assert cluster["status"]["state"] in GODO_STATES
    return cluster


def test_options(do: pydo.Client) -> None:
    options = do.kubernetes.list_options()["options"]
    assert list(options) == ["regions", "versions", "sizes"]
    versions = [v["slug"] for v in options["versions"]]
    assert len({v.rsplit(".", 1)[0] for v in versions}) >= 3, "at least three minors"
    assert versions == sorted(
        versions, key=lambda s: [int(p) for p in s.replace("-do.", ".").split(".")], reverse=True
    )
    assert {"nyc1", "fra1", "sfo3"} <= {r["slug"] for r in options["regions"]}
    assert "s-2vcpu-4gb" in {s["slug"] for s in options["sizes"]}
    for version in options["versions"]:
        assert version["slug"].startswith(version["kubernetes_version"] + "-do.")


def test_create_then_running(do: pydo.Client, http) -> None:
    created = do.kubernetes.create_cluster(
        cluster_body(
            tags=["web-team"],
            node_pools=[
                {
                    "name": "pool-a",
                    "size": "s-2vcpu-4gb",
                    "count": 2,
                    "tags": ["terraform:default-node-pool"],
                    "labels": {"tier": "web"},
                    "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
                },
            ],
        )
    )["kubernetes_cluster"]
    cluster_id = created["id"]
    assert uuid.UUID(cluster_id)
    assert created["status"]["state"] == "provisioning"
    assert created["endpoint"] == "" and created["ipv4"] == ""
    assert created["tags"] == ["k8s", f"k8s:{cluster_id}", "web-team"]
    (pool,) = created["node_pools"]
    assert uuid.UUID(pool["id"])
    assert pool["tags"] == ["terraform:default-node-pool", "k8s", f"k8s:{cluster_id}", "k8s:worker"]
    assert [n["status"]["state"] for n in pool["nodes"]] == ["provisioning", "provisioning"]
    assert created["version"] == do.kubernetes.list_options()["options"]["versions"][0]["slug"]
    assert created["ha"] is True, "DOKS 1.36 and later default to HA"
    assert created["maintenance_policy"] == {
        "start_time": "00:00",
        "day": "any",
        "duration": "4h0m0s",
    }

    cluster = do.kubernetes.get_cluster(cluster_id)["kubernetes_cluster"]
    assert cluster["status"]["state"] == "running"
    assert cluster_id in cluster["endpoint"]
    assert cluster["ipv4"] == "", "no single master IP with HA"
    for node in cluster["node_pools"][0]["nodes"]:
        assert node["status"]["state"] == "running"
        assert node["name"].startswith("pool-a-")
        assert isinstance(node["droplet_id"], str) and node["droplet_id"].isdigit()
    assert cluster["node_pools"][0]["labels"] == {"tier": "web"}
    assert cluster["node_pools"][0]["taints"][0]["effect"] == "NoSchedule"
    vpc = http.get(f"/v2/vpcs/{cluster['vpc_uuid']}").json()["vpc"]
    assert (vpc["name"], vpc["region"], vpc["default"]) == ("default-nyc1", "nyc1", True)
    assert_error(http.delete(f"/v2/vpcs/{vpc['id']}"), 403, "forbidden")


def test_versions_and_defaults(http) -> None:
    old = create(http, name="old", version="1.35", ha=None, maintenance_policy=None)
    assert old["version"].startswith("1.35.") and old["ha"] is False
    single = http.get(f"/v2/kubernetes/clusters/{old['id']}").json()["kubernetes_cluster"]
    assert single["ipv4"], "a non-HA cluster has its master's IPv4"
    exact = create(
        http,
        name="exact",
        version="1.36.4-do.1",
        ha=False,
        maintenance_policy={"start_time": "03:30", "day": "sunday"},
    )
    assert exact["version"] == "1.36.4-do.1" and exact["ha"] is False
    assert exact["maintenance_policy"]["day"] == "sunday"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"name": None}, "name"),
        ({"region": None}, "region"),
        ({"region": "mars1"}, "region"),
        ({"version": None}, "version"),
        ({"version": "1.12"}, "version"),
        ({"node_pools": None}, "node_pools"),
        ({"node_pools": []}, "node_pools"),
        ({"node_pools": [{"size": "s-2vcpu-4gb", "count": 1}]}, "name"),
        ({"node_pools": [{"name": "p", "count": 1}]}, "size"),
        ({"node_pools": [{"name": "p", "size": "s-2vcpu-4gb"}]}, "count"),
        ({"node_pools": [{"name": "p", "size": "s-99vcpu", "count": 1}]}, "size"),
        ({"node_pools": [{"name": "p", "size": "s-1vcpu-1gb", "count": 1}]}, "size"),
        ({"node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 0}]}, "count"),
        ({"node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": "3"}]}, "count"),
        (
            {
                "node_pools": [
                    {"name": "p", "size": "s-2vcpu-4gb", "count": 1},
                    {"name": "p", "size": "s-2vcpu-4gb", "count": 1},
                ]
            },
            "unique",
        ),
        (
            {
                "node_pools": [
                    {
                        "name": "p",
                        "size": "s-2vcpu-4gb",
                        "count": 5,
                        "auto_scale": True,
                        "min_nodes": 1,
                        "max_nodes": 3,
                    }
                ]
            },
            "between",
        ),
        (
            {
                "node_pools": [
                    {
                        "name": "p",
                        "size": "s-2vcpu-4gb",
                        "count": 2,
                        "auto_scale": True,
                        "min_nodes": 4,
                        "max_nodes": 3,
                    }
                ]
            },
            "min_nodes",
        ),
        (
            {
                "node_pools": [
                    {
                        "name": "p",
                        "size": "s-2vcpu-4gb",
                        "count": 1,
                        "taints": [{"key": "k", "effect": "Sometimes"}],
                    }
                ]
            },
            "effect",
        ),
        (
            {"node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 1, "labels": {"a": 1}}]},
            "labels",
        ),
        ({"tags": ["no spaces"]}, "tags"),
        ({"vpc_uuid": str(uuid.uuid4())}, "vpc_uuid"),
        ({"worker_subnet_uuid": str(uuid.uuid4())}, "vpc_uuid"),
        ({"cluster_subnet": "8.8.0.0/16"}, "cluster_subnet"),
        ({"cluster_subnet": "10.0.0.0/24"}, "cluster_subnet"),
        ({"service_subnet": "not-a-cidr"}, "service_subnet"),
        ({"cluster_subnet": "10.50.0.0/16", "service_subnet": "10.50.0.0/20"}, "overlaps"),
        ({"maintenance_policy": {"day": "someday"}}, "day"),
        ({"maintenance_policy": {"start_time": "25:00"}}, "start_time"),
        ({"sso": {"required": True}}, "sso"),
        ({"sso": {"enabled": True}}, "issuer_url"),
        (
            {"control_plane_firewall": {"enabled": True, "allowed_addresses": ["nope"]}},
            "allowed_addresses",
        ),
        ({"cluster_autoscaler_configuration": {"expanders": ["cheapest"]}}, "expanders"),
        (
            {"cluster_autoscaler_configuration": {"scale_down_utilization_threshold": 2}},
            "threshold",
        ),
        ({"routing_agent": {"enabled": "yes"}}, "enabled"),
        ({"ha": "yes"}, "ha"),
    ],
)
def test_invalid_create_is_422_and_stores_nothing(http, change, words) -> None:
    body = cluster_body()
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    error = assert_error(
        http.post("/v2/kubernetes/clusters", json=body), 422, "unprocessable_entity"
    )
    assert words in error["message"], error["message"]
    assert http.get("/v2/kubernetes/clusters").json()["meta"]["total"] == 0
    assert http.get("/v2/vpcs").json()["meta"]["total"] == 0


def test_duplicate_name_and_vpc_rules(http) -> None:
    first = create(http, name="dup")
    error = assert_error(
        http.post("/v2/kubernetes/clusters", json=cluster_body(name="dup")),
        422,
        "unprocessable_entity",
    )
    assert "already exists" in error["message"]
    vpc = http.post(
        "/v2/vpcs", json={"name": "k8s-net", "region": "nyc1", "ip_range": "10.20.0.0/16"}
    ).json()["vpc"]
    other = http.post("/v2/vpcs", json={"name": "far", "region": "fra1"}).json()["vpc"]
    in_vpc = create(http, name="in-vpc", vpc_uuid=vpc["id"])
    assert in_vpc["vpc_uuid"] == vpc["id"]
    assert_error(
        http.post("/v2/kubernetes/clusters", json=cluster_body(name="x", vpc_uuid=other["id"])),
        422,
        "unprocessable_entity",
    )
    assert_error(http.delete(f"/v2/vpcs/{vpc['id']}"), 409, "conflict")
    http.delete(f"/v2/kubernetes/clusters/{in_vpc['id']}")
    assert http.delete(f"/v2/vpcs/{vpc['id']}").status_code == 204
    assert http.get(f"/v2/kubernetes/clusters/{first['id']}").status_code == 200


def test_list_get_update_delete(do: pydo.Client, http) -> None:
    ids = [create(http, name=f"c{i}")["id"] for i in range(3)]
    page = do.kubernetes.list_clusters(per_page=2)
    assert page["meta"]["total"] == 3 and len(page["kubernetes_clusters"]) == 2
    assert "next" in page["links"]["pages"]
    cluster_id = ids[0]
    auto = ["k8s", f"k8s:{cluster_id}"]
    updated = do.kubernetes.update_cluster(
        cluster_id,
        {
            "name": "renamed",
            "tags": [*auto, "prod"],
            "auto_upgrade": True,
            "surge_upgrade": True,
            "maintenance_policy": {"start_time": "12:00", "day": "monday"},
            "routing_agent": {"enabled": True},
            "cluster_autoscaler_configuration": {"expanders": ["priority", "random"]},
        },
    )["kubernetes_cluster"]
    assert updated["name"] == "renamed"
    assert updated["tags"] == [*auto, "prod"], "auto tags are not duplicated"
    assert updated["auto_upgrade"] is True and updated["surge_upgrade"] is True
    assert updated["maintenance_policy"] == {
        "start_time": "12:00",
        "day": "monday",
        "duration": "4h0m0s",
    }
    assert updated["routing_agent"] == {"enabled": True}
    assert updated["cluster_autoscaler_configuration"]["expanders"] == ["priority", "random"]
    assert_error(
        http.put(f"/v2/kubernetes/clusters/{cluster_id}", json={"tags": []}),
        422,
        "unprocessable_entity",
    )
    assert_error(
        http.put(f"/v2/kubernetes/clusters/{cluster_id}", json={"name": "renamed", "ha": False}),
        422,
        "unprocessable_entity",
    )
    assert_error(
        http.put(f"/v2/kubernetes/clusters/{ids[1]}", json={"name": "renamed"}),
        422,
        "unprocessable_entity",
    )

    assert http.delete(f"/v2/kubernetes/clusters/{cluster_id}").status_code == 204
    assert_error(http.get(f"/v2/kubernetes/clusters/{cluster_id}"), 404, "not_found")
    assert_error(http.delete(f"/v2/kubernetes/clusters/{cluster_id}"), 404, "not_found")
    assert_error(http.get("/v2/kubernetes/clusters/not-a-uuid"), 404, "not_found")


def test_enabling_ha_later(http) -> None:
    cluster = create(http, name="grow", ha=False)
    assert cluster_of(http, cluster["id"])["ipv4"]
    response = http.put(
        f"/v2/kubernetes/clusters/{cluster['id']}", json={"name": "grow", "ha": True}
    )
    assert response.status_code == 202
    assert response.json()["kubernetes_cluster"]["ha"] is True


def test_node_pools(do: pydo.Client, http) -> None:
    cluster = create(http)
    cluster_id = cluster["id"]
    added = do.kubernetes.add_node_pool(
        cluster_id,
        {
            "name": "workers",
            "size": "s-4vcpu-8gb",
            "count": 1,
            "auto_scale": True,
            "min_nodes": 1,
            "max_nodes": 4,
            "tags": ["backend"],
        },
    )["node_pool"]
    assert added["nodes"][0]["status"]["state"] == "provisioning"
    assert added["tags"] == ["backend", "k8s", f"k8s:{cluster_id}", "k8s:worker"]
    pool = do.kubernetes.get_node_pool(cluster_id, added["id"])["node_pool"]
    assert pool["nodes"][0]["status"]["state"] == "running"
    assert (pool["auto_scale"], pool["min_nodes"], pool["max_nodes"]) == (True, 1, 4)
    assert len(do.kubernetes.list_node_pools(cluster_id)["node_pools"]) == 2
    assert_error(
        http.post(
            f"/v2/kubernetes/clusters/{cluster_id}/node_pools",
            json={"name": "workers", "size": "s-2vcpu-4gb", "count": 1},
        ),
        422,
        "unprocessable_entity",
    )

    scaled = do.kubernetes.update_node_pool(
        cluster_id,
        added["id"],
        {
            "name": "workers-2",
            "count": 3,
            "tags": [*pool["tags"], "new"],
            "labels": {"role": "api"},
            "taints": [{"key": "a", "value": "b", "effect": "NoExecute"}],
        },
    )["node_pool"]
    assert scaled["name"] == "workers-2" and scaled["count"] == 3 and len(scaled["nodes"]) == 3
    assert scaled["tags"] == ["backend", "new", "k8s", f"k8s:{cluster_id}", "k8s:worker"]
    assert scaled["labels"] == {"role": "api"} and scaled["taints"][0]["effect"] == "NoExecute"
    states = [n["status"]["state"] for n in scaled["nodes"]]
    assert states == ["running", "provisioning", "provisioning"]
    running = do.kubernetes.get_node_pool(cluster_id, added["id"])["node_pool"]
    assert [n["status"]["state"] for n in running["nodes"]] == ["running"] * 3
    shrunk = do.kubernetes.update_node_pool(
        cluster_id, added["id"], {"name": "workers-2", "count": 1}
    )["node_pool"]
    assert [n["id"] for n in shrunk["nodes"]] == [running["nodes"][0]["id"]], "newest go first"
    assert_error(
        http.put(
            f"/v2/kubernetes/clusters/{cluster_id}/node_pools/{added['id']}",
            json={"name": "workers-2", "count": 9},
        ),
        422,
        "unprocessable_entity",
    )
    assert_error(
        http.put(
            f"/v2/kubernetes/clusters/{cluster_id}/node_pools/{added['id']}", json={"count": 1}
        ),
        422,
        "unprocessable_entity",
    )

    do.kubernetes.delete_node_pool(cluster_id, added["id"])
    assert_error(
        http.get(f"/v2/kubernetes/clusters/{cluster_id}/node_pools/{added['id']}"), 404, "not_found"
    )
    last = cluster["node_pools"][0]["id"]
    error = assert_error(
        http.delete(f"/v2/kubernetes/clusters/{cluster_id}/node_pools/{last}"),
        422,
        "unprocessable_entity",
    )
    assert "at least one node pool" in error["message"]


def test_deleting_and_recycling_nodes(do: pydo.Client, http) -> None:
    cluster = create(http)
    cluster_id, pool = cluster["id"], cluster["node_pools"][0]
    nodes = cluster_of(http, cluster_id)["node_pools"][0]["nodes"]
    base = f"/v2/kubernetes/clusters/{cluster_id}/node_pools/{pool['id']}"
    # pydo sends skip_drain=0&replace=0: the node drains, goes, and the pool shrinks.
    do.kubernetes.delete_node(cluster_id, pool["id"], nodes[0]["id"], skip_drain=0, replace=0)
    after = http.get(base).json()["node_pool"]
    assert after["count"] == 1 and [n["id"] for n in after["nodes"]] == [nodes[1]["id"]]
    # Replace: the node goes and a new one comes; the count stays.
    response = http.delete(f"{base}/nodes/{nodes[1]['id']}", params={"replace": 1, "skip_drain": 1})
    assert response.status_code == 202 and response.content == b""
    replaced = http.get(base).json()["node_pool"]
    assert replaced["count"] == 1 and len(replaced["nodes"]) == 1
    assert replaced["nodes"][0]["id"] != nodes[1]["id"]
    assert replaced["nodes"][0]["status"]["state"] == "running"
    assert_error(http.delete(f"{base}/nodes/{uuid.uuid4()}"), 404, "not_found")
    assert_error(
        http.delete(f"{base}/nodes/{replaced['nodes'][0]['id']}", params={"replace": 7}),
        422,
        "unprocessable_entity",
    )
    recycled = http.post(f"{base}/recycle", json={"nodes": [replaced["nodes"][0]["id"]]})
    assert recycled.status_code == 202
    final = http.get(base).json()["node_pool"]
    assert len(final["nodes"]) == 1 and final["nodes"][0]["id"] != replaced["nodes"][0]["id"]
    assert_error(
        http.post(f"{base}/recycle", json={"nodes": [str(uuid.uuid4())]}), 404, "not_found"
    )


def test_kubeconfig_and_credentials(do: pydo.Client, http, tmp_path: Path) -> None:
    cluster = cluster_of(http, create(http)["id"])
    cluster_id = cluster["id"]
    response = http.get(f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    config = yaml.safe_load(response.text)
    context = config["current-context"]
    assert context == f"do-nyc1-{cluster['name']}"
    assert [c["name"] for c in config["contexts"]] == [context]
    (entry,) = config["clusters"]
    # LocalOcean serves the cluster's API itself, at the address this client used, under the
    # cluster's path; the certificate is for DigitalOcean's name of the API server.
    address = str(http.base_url).rstrip("/").replace("http://", "https://")
    assert entry["cluster"]["server"] == f"{address}/k8s/{cluster_id}"
    assert entry["cluster"]["tls-server-name"] == cluster["endpoint"].removeprefix("https://")
    assert config["users"][0]["user"]["token"]
    ca = x509.load_pem_x509_certificate(
        base64.b64decode(entry["cluster"]["certificate-authority-data"])
    )
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    again = yaml.safe_load(http.get(f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig").text)
    assert again["clusters"] == config["clusters"], "the CA is stable for the cluster's life"

    credentials = do.kubernetes.get_credentials(cluster_id, expiry_seconds=0)
    assert credentials["server"] == entry["cluster"]["server"]
    assert base64.b64decode(credentials["certificate_authority_data"]).startswith(b"-----BEGIN")
    assert credentials["client_certificate_data"] is None and credentials["token"]
    week = parse_rfc3339(credentials["expires_at"]) - parse_rfc3339(cluster["created_at"])
    assert 7 * 86400 - 5 <= week <= 7 * 86400 + 120
    short = do.kubernetes.get_credentials(cluster_id, expiry_seconds=300)
    lifetime = parse_rfc3339(short["expires_at"]) - parse_rfc3339(credentials["expires_at"])
    assert -7 * 86400 + 290 <= lifetime <= -7 * 86400 + 310
    assert_error(
        http.get(
            f"/v2/kubernetes/clusters/{cluster_id}/credentials", params={"expiry_seconds": "-5"}
        ),
        422,
        "unprocessable_entity",
    )
    assert_error(
        http.get(f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig", params={"type": "sso"}),
        422,
        "unprocessable_entity",
    )

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the PyYAML check above stands alone")
    path = tmp_path / "kubeconfig"
    path.write_text(response.text)
    viewed = subprocess.run(
        [kubectl, "config", "view", "--kubeconfig", str(path), "-o", "json", "--raw"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert (
        json.loads(viewed.stdout)["clusters"][0]["cluster"]["server"] == entry["cluster"]["server"]
    )
    current = subprocess.run(
        [kubectl, "config", "current-context", "--kubeconfig", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert current.stdout.strip() == context


def test_sso_kubeconfig(http) -> None:
    sso = {"enabled": True, "issuer_url": "https://sso.example.com", "client_id": "doks"}
    cluster = create(http, name="sso", sso=sso)
    config = yaml.safe_load(http.get(f"/v2/kubernetes/clusters/{cluster['id']}/kubeconfig").text)
    assert config["users"][0]["user"]["exec"]["command"] == "doctl"
    token = http.get(
        f"/v2/kubernetes/clusters/{cluster['id']}/kubeconfig", params={"type": "token"}
    ).text
    assert yaml.safe_load(token)["users"][0]["user"]["token"]


def test_user_upgrades_and_upgrade(do: pydo.Client, http) -> None:
    email = http.get("/v2/account").json()["account"]["email"]
    cluster = create(http, version="1.35")
    cluster_id = cluster["id"]
    user = do.kubernetes.get_cluster_user(cluster_id)["kubernetes_cluster_user"]
    assert user == {"username": email, "groups": ["k8saas:authenticated"]}
    upgrades = do.kubernetes.get_available_upgrades(cluster_id)["available_upgrade_versions"]
    assert [v["slug"] for v in upgrades] == ["1.36.4-do.1"]
    for bad in (
        {"version": "1.37.1-do.0"},
        {"version": cluster["version"]},
        {"version": "9.9"},
        {},
    ):
        assert_error(
            http.post(f"/v2/kubernetes/clusters/{cluster_id}/upgrade", json=bad),
            422,
            "unprocessable_entity",
        )
    cluster_of(http, cluster_id)
    response = http.post(
        f"/v2/kubernetes/clusters/{cluster_id}/upgrade", json={"version": "1.36.4-do.1"}
    )
    assert response.status_code == 202 and response.content == b""
    upgraded = cluster_of(http, cluster_id)
    assert (upgraded["version"], upgraded["status"]["state"]) == ("1.36.4-do.1", "running")
    newest = create(http, name="newest")
    assert do.kubernetes.get_available_upgrades(newest["id"])["available_upgrade_versions"] is None


def test_registry_integration(do: pydo.Client, http) -> None:
    one, two = create(http, name="one")["id"], create(http, name="two")["id"]
    assert (
        http.post("/v2/kubernetes/registry", json={"cluster_uuids": [one, two]}).status_code == 204
    )
    assert cluster_of(http, one)["registry_enabled"] and cluster_of(http, two)["registry_enabled"]
    response = http.request("DELETE", "/v2/kubernetes/registry", json={"cluster_uuids": [two]})
    assert response.status_code == 204
    assert cluster_of(http, two)["registry_enabled"] is False
    both = {"cluster_uuids": [two], "registries": ["registry-a", "registry-b"]}
    assert http.post("/v2/kubernetes/registries", json=both).status_code == 204
    assert cluster_of(http, two)["registries"] == ["registry-a", "registry-b"]
    assert cluster_of(http, two)["registry_enabled"] is True
    gone = {"cluster_uuids": [two], "registries": ["registry-a"]}
    assert http.request("DELETE", "/v2/kubernetes/registries", json=gone).status_code == 204
    assert cluster_of(http, two)["registries"] == ["registry-b"]
    assert_error(http.post("/v2/kubernetes/registry", json={}), 422, "unprocessable_entity")
    assert_error(
        http.post("/v2/kubernetes/registry", json={"cluster_uuids": [str(uuid.uuid4())]}),
        404,
        "not_found",
    )
    assert_error(
        http.post("/v2/kubernetes/registries", json={"cluster_uuids": [one]}),
        422,
        "unprocessable_entity",
    )


def test_clusterlint(do: pydo.Client, http) -> None:
    cluster = create(
        http, node_pools=[{"name": "solo", "size": "s-2vcpu-4gb", "count": 1}], ha=False
    )
    cluster_id = cluster["id"]
    assert_error(http.get(f"/v2/kubernetes/clusters/{cluster_id}/clusterlint"), 404, "not_found")
    run = do.kubernetes.run_cluster_lint(cluster_id)
    results = do.kubernetes.get_cluster_lint_results(cluster_id)
    assert results["run_id"] == run["run_id"] and results["completed_at"]
    checks = {d["check_name"]: d for d in results["diagnostics"]}
    assert checks["single-node-cluster"]["severity"] == "warning"
    assert "ha-control-plane" in checks and "surge-upgrade" in checks
    assert checks["single-node-cluster"]["object"]["name"] == cluster["name"]
    narrow = http.post(
        f"/v2/kubernetes/clusters/{cluster_id}/clusterlint",
        json={"exclude_checks": ["surge-upgrade", "ha-control-plane"]},
    ).json()
    later = http.get(
        f"/v2/kubernetes/clusters/{cluster_id}/clusterlint", params={"run_id": narrow["run_id"]}
    ).json()
    names = {d["check_name"] for d in later["diagnostics"]}
    assert "surge-upgrade" not in names and "single-node-cluster" in names
    first = http.get(
        f"/v2/kubernetes/clusters/{cluster_id}/clusterlint", params={"run_id": run["run_id"]}
    ).json()
    assert first["run_id"] == run["run_id"]
    assert_error(
        http.get(
            f"/v2/kubernetes/clusters/{cluster_id}/clusterlint",
            params={"run_id": str(uuid.uuid4())},
        ),
        404,
        "not_found",
    )
    quiet = create(
        http,
        name="healthy",
        surge_upgrade=True,
        node_pools=[
            {
                "name": "p",
                "size": "s-2vcpu-4gb",
                "count": 3,
                "auto_scale": True,
                "min_nodes": 3,
                "max_nodes": 5,
            }
        ],
    )
    http.post(f"/v2/kubernetes/clusters/{quiet['id']}/clusterlint")
    assert (
        http.get(f"/v2/kubernetes/clusters/{quiet['id']}/clusterlint").json()["diagnostics"] == []
    )


def test_status_messages(do: pydo.Client, http) -> None:
    cluster = create(http)
    cluster_of(http, cluster["id"])
    messages = do.kubernetes.get_status_messages(cluster["id"])["messages"]
    assert [m["message"] for m in messages][-1] == "Cluster is running"
    since = messages[-1]["timestamp"]
    later = http.get(
        f"/v2/kubernetes/clusters/{cluster['id']}/status_messages", params={"since": since}
    ).json()["messages"]
    assert later and all(parse_rfc3339(m["timestamp"]) >= parse_rfc3339(since) for m in later)
    assert_error(
        http.get(
            f"/v2/kubernetes/clusters/{cluster['id']}/status_messages",
            params={"since": "yesterday"},
        ),
        422,
        "unprocessable_entity",
    )


def test_clusters_are_private(http, clients, server) -> None:
    cluster = create(http)
    pool = cluster["node_pools"][0]["id"]
    with clients.http(server.url, new_token()) as stranger:
        base = f"/v2/kubernetes/clusters/{cluster['id']}"
        for path in (
            base,
            f"{base}/node_pools",
            f"{base}/node_pools/{pool}",
            f"{base}/kubeconfig",
            f"{base}/credentials",
            f"{base}/upgrades",
            f"{base}/user",
        ):
            assert_error(stranger.get(path), 404, "not_found")
        assert_error(stranger.delete(base), 404, "not_found")
        assert stranger.get("/v2/kubernetes/clusters").json()["kubernetes_clusters"] == []
        # The same name is free in another account.
        assert stranger.post("/v2/kubernetes/clusters", json=cluster_body()).status_code == 201
