"""The `kubernetes` part of `make bench`: a cluster's Kubernetes API under load.

- GET one pod and LIST all pods of a namespace holding 10³ pods (BENCH_PODS), under the same
  load generator as the rest, over plain HTTP on LocalOcean's port (the cluster's path and its
  token; TLS would measure the handshake library, not the API).
- The time from `kubectl apply` of a 100-replica Deployment (BENCH_REPLICAS) to every replica
  Ready (`kubectl rollout status`), under `instant` timing; through the API with http.client
  when kubectl is not installed.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import loadgen
from servers import HOST, Client

PODS = int(os.environ.get("BENCH_PODS", "1000"))
REPLICAS = int(os.environ.get("BENCH_REPLICAS", "100"))
NODES = 12  # 110 pods fit a node


class KubeClient:
    """Plain HTTP to one cluster's API on LocalOcean's port, with the cluster's token."""

    def __init__(self, port: int, cluster_id: str, token: str) -> None:
        self.prefix = f"/k8s/{cluster_id}"
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> Any:
        payload = None if body is None else json.dumps(body).encode()
        try:
            self.connection.request(method, self.prefix + path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection (during a load): a new one.
            self.connection.close()
            self.connection.request(method, self.prefix + path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        self.connection.close()


def _cluster(port: int) -> tuple[str, str, str]:
    """A running cluster: its id, its kubeconfig (text) and its token."""
    client = Client(port)
    try:
        created = client.post(
            "/v2/kubernetes/clusters",
            {
                "name": "bench-kube",
                "region": "nyc1",
                "version": "latest",
                "node_pools": [{"name": "p", "size": "s-8vcpu-16gb", "count": NODES}],
            },
        )
        cluster_id = created["kubernetes_cluster"]["id"]
        client.get(f"/v2/kubernetes/clusters/{cluster_id}")  # lets the bring-up land
        client.connection.request(
            "GET", f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig", headers=client.headers
        )
        kubeconfig = client.connection.getresponse().read().decode()
    finally:
        client.close()
    token = kubeconfig.split("token: ", 1)[1].split()[0]
    return cluster_id, kubeconfig, token


def _pod(number: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"bench-{number:05d}", "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
    }


def _deployment() -> dict[str, Any]:
    labels = {"app": "rollout"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "rollout", "namespace": "timed"},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


def _rollout_with_kubectl(kubectl: str, kubeconfig: str) -> float:
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "config"
        config.write_text(kubeconfig)
        manifest = Path(directory) / "deployment.json"
        manifest.write_text(json.dumps(_deployment()))
        env = {**os.environ, "KUBECONFIG": str(config), "KUBECACHEDIR": directory}
        started = time.perf_counter()
        for args in (
            ["apply", "-f", str(manifest)],
            ["-n", "timed", "rollout", "status", "deployment/rollout", "--timeout=300s"],
        ):
            subprocess.run([kubectl, *args], env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def _rollout_over_http(kube: KubeClient) -> float:
    started = time.perf_counter()
    kube.request("POST", "/apis/apps/v1/namespaces/timed/deployments", _deployment())
    path = "/apis/apps/v1/namespaces/timed/deployments/rollout"
    while kube.request("GET", path).get("status", {}).get("readyReplicas") != REPLICAS:
        time.sleep(0.01)
    return time.perf_counter() - started


def measure(port: int, seconds: float, runs: int, progress: Any) -> dict[str, Any]:
    """Figures of the part: loads of GET and LIST, and how long setting up and rolling out took."""
    cluster_id, kubeconfig, token = _cluster(port)
    kube = KubeClient(port, cluster_id, token)
    figures: dict[str, Any] = {}
    try:
        progress(f"kubernetes: creating {PODS} pods")
        started = time.perf_counter()
        for number in range(PODS):
            kube.request("POST", "/api/v1/namespaces/default/pods", _pod(number))
        figures["pods_created_per_second"] = PODS / (time.perf_counter() - started)
        progress(f"kubernetes: {figures['pods_created_per_second']:.0f} pods created per second")
        listed = kube.request("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dbench")
        figures["pods_listed"] = len(listed["items"])
        figures["pods_running"] = sum(
            1 for pod in listed["items"] if pod["status"].get("phase") == "Running"
        )
        base = f"http://{HOST}:{port}/k8s/{cluster_id}"
        progress("kubernetes: GET a pod")
        figures["get"] = loadgen.measure(
            f"{base}/api/v1/namespaces/default/pods/bench-00500", seconds, runs, token
        )
        progress(f"kubernetes: LIST {PODS} pods")
        figures["list"] = loadgen.measure(
            f"{base}/api/v1/namespaces/default/pods", seconds, runs, token
        )
        kube.request("POST", "/api/v1/namespaces", {"metadata": {"name": "timed"}})
        progress(f"kubernetes: a {REPLICAS}-replica Deployment to Ready")
        kubectl = shutil.which("kubectl")
        if kubectl is not None:
            figures["rollout_seconds"] = _rollout_with_kubectl(kubectl, kubeconfig)
            figures["rollout_client"] = "kubectl apply + rollout status"
        else:
            figures["rollout_seconds"] = _rollout_over_http(kube)
            figures["rollout_client"] = "HTTP POST + GET until ready (no kubectl)"
    finally:
        kube.close()
    return figures
