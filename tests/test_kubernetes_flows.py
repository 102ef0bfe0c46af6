"""What the real tools do, step by step: doctl's create-wait-kubeconfig, Terraform's cluster and
node-pool lifecycles, timing profiles, restarts, and destroying associated resources."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from localocean.areas.kubernetes import store as k8s_store
from localocean.core.db import Database
from tests.conftest import new_token
from tests.test_conventions import assert_error
from tests.test_kubernetes import GODO_STATES, cluster_body


def wait_for(read, done, seconds: float = 15.0, interval: float = 0.25):
    """Poll like a client does; returns every value seen, the last one satisfying `done`."""
    seen = [read()]
    deadline = time.monotonic() + seconds
    while not done(seen[-1]):
        assert time.monotonic() < deadline, f"gave up waiting; last seen: {seen[-1]}"
        time.sleep(interval)
        seen.append(read())
    return seen


def test_doctl_create_wait_kubeconfig(start_server, clients, tmp_path: Path) -> None:
    server = start_server("--timing", "fast")
    with clients.http(server.url, new_token()) as http:
        started = time.monotonic()
        created = http.post("/v2/kubernetes/clusters", json=cluster_body(name="doctl")).json()
        cluster_id = created["kubernetes_cluster"]["id"]

        def read():
            return http.get(f"/v2/kubernetes/clusters/{cluster_id}").json()["kubernetes_cluster"]

        seen = wait_for(read, lambda c: c["status"]["state"] == "running")
        assert time.monotonic() - started < 5, "running before doctl's first 5 s poll"
        # doctl warns on anything but provisioning and running while it waits.
        assert {c["status"]["state"] for c in seen} <= {"provisioning", "running"}
        config = http.get(f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig").text
        (tmp_path / "config").write_text(config)
        assert yaml.safe_load(config)["current-context"] == "do-nyc1-doctl"


def test_terraform_cluster_and_default_pool(start_server, clients) -> None:
    server = start_server("--timing", "fast")
    with clients.http(server.url, new_token()) as http:
        body = cluster_body(
            name="tf",
            tags=["terraform:cluster"],
            node_pools=[
                {
                    "name": "default",
                    "size": "s-2vcpu-4gb",
                    "count": 1,
                    "tags": ["terraform:default-node-pool", "extra"],
                }
            ],
            surge_upgrade=True,
            auto_upgrade=False,
            maintenance_policy=None,
            vpc_uuid=None,
        )
        created = http.post("/v2/kubernetes/clusters", json=body)
        assert created.status_code == 201
        cluster_id = created.json()["kubernetes_cluster"]["id"]
        path = f"/v2/kubernetes/clusters/{cluster_id}"
        wait_for(
            lambda: http.get(path).json()["kubernetes_cluster"],
            lambda c: c["status"]["state"] == "running",
        )
        cluster = http.get(path).json()["kubernetes_cluster"]
        default = [p for p in cluster["node_pools"] if "terraform:default-node-pool" in p["tags"]]
        assert len(default) == 1
        user_tags = [t for t in default[0]["tags"] if not t.startswith(("k8s", "terraform:"))]
        assert user_tags == ["extra"], "tags round-trip exactly"

        # Terraform sends back every tag it read, auto tags included, and a 0 expiry.
        update = {"name": "tf", "tags": cluster["tags"] + ["added"], "surge_upgrade": True}
        updated = http.put(path, json=update)
        assert updated.status_code == 202
        tags = updated.json()["kubernetes_cluster"]["tags"]
        assert tags == ["k8s", f"k8s:{cluster_id}", "terraform:cluster", "added"]
        assert http.get(f"{path}/credentials", params={"expiry_seconds": 0}).status_code == 200

        pool_path = f"{path}/node_pools/{default[0]['id']}"
        resized = http.put(
            pool_path, json={"name": "default", "count": 3, "tags": default[0]["tags"]}
        )
        assert resized.status_code == 202
        assert resized.json()["node_pool"]["tags"] == default[0]["tags"]

        def pool_ready(pool: dict) -> bool:
            nodes = pool["nodes"]
            return len(nodes) == pool["count"] and all(
                n["status"]["state"] == "running" for n in nodes
            )

        wait_for(lambda: http.get(pool_path).json()["node_pool"], pool_ready)
        assert http.delete(path).status_code == 204
        assert_error(http.get(path), 404, "not_found")


def test_terraform_node_pool_resource(start_server, clients) -> None:
    server = start_server("--timing", "fast")
    with clients.http(server.url, new_token()) as http:
        cluster_id = http.post("/v2/kubernetes/clusters", json=cluster_body()).json()[
            "kubernetes_cluster"
        ]["id"]
        pools = f"/v2/kubernetes/clusters/{cluster_id}/node_pools"
        pool = http.post(
            pools, json={"name": "extra", "size": "s-2vcpu-4gb", "count": 2, "labels": {"a": "b"}}
        ).json()["node_pool"]
        path = f"{pools}/{pool['id']}"
        seen = wait_for(
            lambda: http.get(path).json()["node_pool"],
            lambda p: all(n["status"]["state"] == "running" for n in p["nodes"]),
        )
        assert len(seen[-1]["nodes"]) == 2
        assert http.delete(path).status_code == 204
        # Terraform polls a deleted pool until GET answers 404.
        gone = wait_for(lambda: http.get(path).status_code, lambda status: status == 404)
        assert gone[-1] == 404


def test_manual_timing_with_restarts(backend, start_server, clients, tmp_path: Path) -> None:
    args, _ = backend.durable(tmp_path)
    server = start_server("--timing", "manual", database=args)
    token = new_token()
    with clients.http(server.url, token) as http, clients.http(server.url, None) as control:
        body = cluster_body(name="slow", version="1.36")
        cluster_id = http.post("/v2/kubernetes/clusters", json=body).json()["kubernetes_cluster"][
            "id"
        ]
        path = f"/v2/kubernetes/clusters/{cluster_id}"
        control.post("/_localocean/clock/advance", json={"seconds": 300})
        assert http.get(path).json()["kubernetes_cluster"]["status"]["state"] == "provisioning"
    server.restart()
    with clients.http(server.url, token) as http, clients.http(server.url, None) as control:
        assert http.get(path).json()["kubernetes_cluster"]["status"]["state"] == "provisioning"
        control.post("/_localocean/clock/advance", json={"seconds": 61})
        cluster = http.get(path).json()["kubernetes_cluster"]
        assert cluster["status"]["state"] == "running", "six minutes, as on DigitalOcean"
        assert all(n["status"]["state"] == "running" for n in cluster["node_pools"][0]["nodes"])
        response = http.post(f"{path}/upgrade", json={"version": "1.37.1-do.0"})
        assert response.status_code == 202
        assert http.get(path).json()["kubernetes_cluster"]["status"]["state"] == "upgrading"
        settled = control.post("/_localocean/clock/settle").json()
        assert settled["pending"] == 0
        upgraded = http.get(path).json()["kubernetes_cluster"]
        assert (upgraded["status"]["state"], upgraded["version"]) == ("running", "1.37.1-do.0")
        assert upgraded["status"]["state"] in GODO_STATES


def test_destroy_with_associated_resources(backend, start_server, clients, tmp_path) -> None:
    args, url = backend.durable(tmp_path)
    server = start_server("--timing", "instant", database=args)
    token = new_token()
    with clients.http(server.url, token) as http:
        ids = [
            http.post("/v2/kubernetes/clusters", json=cluster_body(name=f"c{i}")).json()[
                "kubernetes_cluster"
            ]["id"]
            for i in range(2)
        ]
    server.stop()
    # Load balancers and volumes come from workloads LocalOcean does not run; record them.
    db = Database(url)
    with db.transaction() as connection:
        for cluster_id in ids:
            cluster = k8s_store.get_any(connection, cluster_id)
            account_id = cluster.account_id
            for kind, name in (
                ("load_balancer", "lb"),
                ("volume", "pvc"),
                ("volume_snapshot", "snap"),
            ):
                k8s_store.add_resource(
                    connection,
                    id=f"{kind}-{cluster_id[:8]}",
                    account_id=account_id,
                    cluster_id=cluster_id,
                    kind=kind,
                    name=f"{name}-{cluster_id[:4]}",
                    created_at=1.0,
                )
    db.dispose()
    server.start()
    with clients.http(server.url, token) as http:
        first, second = ids
        listed = http.get(f"/v2/kubernetes/clusters/{first}/destroy_with_associated_resources")
        resources = listed.json()
        assert [r["id"] for r in resources["load_balancers"]] == [f"load_balancer-{first[:8]}"]
        assert len(resources["volumes"]) == len(resources["volume_snapshots"]) == 1
        selective = f"/v2/kubernetes/clusters/{first}/destroy_with_associated_resources/selective"
        unknown = {"volumes": [f"volume-{second[:8]}"]}
        assert_error(http.request("DELETE", selective, json=unknown), 422, "unprocessable_entity")
        assert http.get(f"/v2/kubernetes/clusters/{first}").status_code == 200
        chosen = {"load_balancers": [f"load_balancer-{first[:8]}"]}
        response = http.request("DELETE", selective, json=chosen)
        assert response.status_code == 204
        assert_error(http.get(f"/v2/kubernetes/clusters/{first}"), 404, "not_found")
        dangerous = f"/v2/kubernetes/clusters/{second}/destroy_with_associated_resources/dangerous"
        assert http.delete(dangerous).status_code == 204
        assert http.get("/v2/kubernetes/clusters").json()["kubernetes_clusters"] == []
    server.stop()
    db = Database(url)
    with db.transaction() as connection:
        left = [
            (r.id, r.cluster_id)
            for r in connection.execute(k8s_store.cluster_resources.select()).all()
        ]
    db.dispose()
    # What the selective delete did not name stays on the account, detached from the cluster.
    assert sorted(left) == [(f"volume-{first[:8]}", None), (f"volume_snapshot-{first[:8]}", None)]


def test_what_a_clusters_workloads_made_goes_with_it(http) -> None:
    """Volumes and snapshots the CSI driver made and load balancers the cloud controller
    manager made carry the cluster's `k8s:<id>` tag: they are the cluster's associated
    resources, listed and destroyed with it for real."""
    made = http.post("/v2/kubernetes/clusters", json=cluster_body(name="assoc"))
    assert made.status_code == 201, made.text
    cluster_id = made.json()["kubernetes_cluster"]["id"]
    tag = f"k8s:{cluster_id}"
    volume = http.post(
        "/v2/volumes",
        json={"name": "pvc-1", "region": "nyc1", "size_gigabytes": 5, "tags": [tag]},
    ).json()["volume"]
    kept = http.post(
        "/v2/volumes", json={"name": "mine", "region": "nyc1", "size_gigabytes": 5}
    ).json()["volume"]
    snapshot = http.post(
        f"/v2/volumes/{volume['id']}/snapshots", json={"name": "snap-1", "tags": [tag]}
    ).json()["snapshot"]
    rule = {"entry_protocol": "tcp", "entry_port": 80, "target_protocol": "tcp",
            "target_port": 30080}  # fmt: skip
    lb = http.post(
        "/v2/load_balancers",
        json={
            "name": "a1b2",
            "region": "nyc1",
            "forwarding_rules": [rule],
            "tags": [tag],
            "droplet_ids": [],
        },
    ).json()["load_balancer"]
    path = f"/v2/kubernetes/clusters/{cluster_id}/destroy_with_associated_resources"
    listed = http.get(path).json()
    assert listed["volumes"] == [{"id": volume["id"], "name": "pvc-1"}]
    assert listed["volume_snapshots"] == [{"id": snapshot["id"], "name": "snap-1"}]
    assert listed["load_balancers"] == [{"id": lb["id"], "name": "a1b2"}]
    refused = http.request("DELETE", f"{path}/selective", json={"volumes": [kept["id"]]})
    assert refused.status_code == 422, "not the cluster's"
    chosen = {"volumes": [volume["id"]]}
    assert http.request("DELETE", f"{path}/selective", json=chosen).status_code == 204
    assert http.get(f"/v2/volumes/{volume['id']}").status_code == 404
    assert http.get(f"/v2/volumes/snapshots/{snapshot['id']}").status_code == 200, "not chosen"
    assert http.get(f"/v2/load_balancers/{lb['id']}").status_code == 200, "not chosen"
    assert http.get(f"/v2/volumes/{kept['id']}").status_code == 200
    second = http.post("/v2/kubernetes/clusters", json=cluster_body(name="assoc-2")).json()
    second_id = second["kubernetes_cluster"]["id"]
    own = http.post(
        "/v2/load_balancers",
        json={"name": "c3d4", "region": "nyc1", "forwarding_rules": [rule], "droplet_ids": [],
              "tags": [f"k8s:{second_id}"]},
    ).json()["load_balancer"]  # fmt: skip
    dangerous = f"/v2/kubernetes/clusters/{second_id}/destroy_with_associated_resources/dangerous"
    assert http.delete(dangerous, headers={"X-Dangerous": "true"}).status_code == 204
    assert http.get(f"/v2/load_balancers/{own['id']}").status_code == 404
    assert http.get(f"/v2/load_balancers/{lb['id']}").status_code == 200, "another cluster's"
