"""Each cluster's Kubernetes API through the real clients: Debian's kubectl and the official
`kubernetes` Python client, unmodified, with the kubeconfig LocalOcean hands out, on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import IN_CI, new_token
from tests.test_kubernetes import cluster_body

APP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
        resources:
          requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 80
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
"""


@pytest.fixture(scope="session")
def kubectl_path() -> str:
    found = shutil.which("kubectl")
    if found is None:
        reason = "kubectl not found (make system-packages installs Debian's kubernetes-client)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return found


class Cluster:
    """A LocalOcean cluster and its Kubernetes API, as its kubeconfig reaches it."""

    def __init__(
        self,
        http: httpx.Client,
        kubectl: str,
        directory: Path,
        nodes: int = 2,
        version: str = "latest",
    ):
        self.http = http
        self.kubectl_path = kubectl
        self.directory = directory
        body = cluster_body(
            name=f"k{os.urandom(3).hex()}",
            version=version,
            node_pools=[{"name": "pool", "size": "s-2vcpu-4gb", "count": nodes}],
        )
        created = http.post("/v2/kubernetes/clusters", json=body)
        assert created.status_code == 201, created.text
        self.id = created.json()["kubernetes_cluster"]["id"]
        state = http.get(f"/v2/kubernetes/clusters/{self.id}").json()["kubernetes_cluster"]
        assert state["status"]["state"] == "running"
        self.endpoint = state["endpoint"]
        text = http.get(f"/v2/kubernetes/clusters/{self.id}/kubeconfig").text
        self.kubeconfig = directory / "kubeconfig"
        self.kubeconfig.write_text(text)
        self.config = yaml.safe_load(text)
        entry = self.config["clusters"][0]["cluster"]
        self.server = entry["server"]
        self.server_name = entry["tls-server-name"]
        self.ca = base64.b64decode(entry["certificate-authority-data"])
        self.token = self.config["users"][0]["user"]["token"]

    def kubectl(self, *args: str, check: bool = True, stdin: str | None = None) -> str:
        result = subprocess.run(
            [self.kubectl_path, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env={
                **os.environ,
                "KUBECONFIG": str(self.kubeconfig),
                # Discovery is cached per server; each test's cluster starts afresh.
                "KUBECACHEDIR": str(self.directory / "cache"),
                "HOME": str(self.directory),
            },
        )
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
            return result.stdout
        return result.stdout + result.stderr

    def json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json"))

    def raw(self, token: str | None = None) -> httpx.Client:
        """Plain HTTPS to the cluster's API: its CA, its server name, a bearer token."""
        context = ssl.create_default_context(cadata=self.ca.decode())
        return httpx.Client(
            base_url=self.server,
            verify=context,
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=30,
        )

    def request(self, client: httpx.Client, method: str, path: str, **kwargs: Any):
        return client.request(method, path, extensions={"sni_hostname": self.server_name}, **kwargs)

    def python(self) -> Any:
        from kubernetes import client, config

        return client.ApiClient(config.new_client_from_config(str(self.kubeconfig)).configuration)


@pytest.fixture
def cluster(server, clients, kubectl_path: str, tmp_path: Path) -> Iterator[Cluster]:
    with clients.http(server.url, new_token()) as http:
        yield Cluster(http, kubectl_path, tmp_path)


def wait_until(read, done, seconds: float = 20.0):
    """Poll the way clients do when they wait; returns the value that satisfied `done`."""
    deadline = time.monotonic() + seconds
    value = read()
    while not done(value):
        assert time.monotonic() < deadline, f"gave up waiting; last seen: {value}"
        time.sleep(0.1)
        value = read()
    return value


def test_kubeconfig_reaches_the_cluster_api(cluster: Cluster, server) -> None:
    version = json.loads(cluster.kubectl("version", "-o", "json"))["serverVersion"]
    assert version["gitVersion"] == "v1.37.1" and version["minor"] == "37"
    pools = cluster.http.get(f"/v2/kubernetes/clusters/{cluster.id}/node_pools").json()
    (pool,) = pools["node_pools"]
    nodes = cluster.json("get", "nodes")["items"]
    assert sorted(n["metadata"]["name"] for n in nodes) == sorted(n["name"] for n in pool["nodes"])
    for node in nodes:
        labels = node["metadata"]["labels"]
        assert labels["doks.digitalocean.com/node-pool"] == "pool"
        assert labels["doks.digitalocean.com/node-pool-id"] == pool["id"]
        assert labels["node.kubernetes.io/instance-type"] == "s-2vcpu-4gb"
        assert labels["topology.kubernetes.io/region"] == "nyc1"
        assert labels["kubernetes.io/hostname"] == node["metadata"]["name"]
        droplet = next(n for n in pool["nodes"] if n["name"] == node["metadata"]["name"])
        assert node["spec"]["providerID"] == f"digitalocean://{droplet['droplet_id']}"
        assert node["status"]["capacity"]["cpu"] == "2"
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready[0]["status"] == "True"
    table = cluster.kubectl("get", "nodes")
    assert table.splitlines()[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert table.count(" Ready ") == 2
    # A fresh DOKS cluster: its namespaces, storage classes and kube-system workloads.
    namespaces = cluster.kubectl("get", "namespaces", "-o", "name").split()
    assert namespaces == [
        "namespace/default",
        "namespace/kube-node-lease",
        "namespace/kube-public",
        "namespace/kube-system",
    ]
    assert "do-block-storage (default)" in cluster.kubectl("get", "storageclass")
    coredns = cluster.json("-n", "kube-system", "get", "deployment", "coredns")
    assert coredns["status"]["readyReplicas"] == 2
    cilium = cluster.json("-n", "kube-system", "get", "daemonset", "cilium")
    assert cilium["status"]["numberReady"] == 2
    assert cluster.json("get", "serviceaccount", "default")["metadata"]["name"] == "default"
    # `localocean status` counts them.
    account = cluster.http.get("/v2/account").json()["account"]["uuid"]
    summary = httpx.get(f"{server.url}/_localocean/status").json()["accounts"]
    (mine,) = [entry for entry in summary if entry["uuid"] == account]
    assert mine["kubernetes objects"] > 40


def test_tokens_and_cluster_states(cluster: Cluster, server) -> None:
    with cluster.raw() as api:
        assert cluster.request(api, "GET", "/api/v1/namespaces/default").status_code == 200
    with cluster.raw(token="doks_" + "0" * 64) as stranger:
        refused = cluster.request(stranger, "GET", "/api/v1/namespaces/default")
    assert refused.status_code == 401
    assert refused.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }
    short = cluster.http.get(
        f"/v2/kubernetes/clusters/{cluster.id}/credentials", params={"expiry_seconds": 60}
    ).json()
    with cluster.raw(token=short["token"]) as api:
        assert cluster.request(api, "GET", "/version").status_code == 200
        # LocalOcean's clock moves past the token's expiry (every test has its own cluster).
        moved = httpx.post(f"{server.url}/_localocean/clock/advance", json={"seconds": 120})
        assert moved.status_code == 200
        assert cluster.request(api, "GET", "/version").status_code == 401
    assert cluster.http.delete(f"/v2/kubernetes/clusters/{cluster.id}").status_code == 204
    # A deleted cluster's API server is gone: nothing answers for its name any more.
    with cluster.raw() as api, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
        cluster.request(api, "GET", "/api/v1/namespaces")
    assert "Unable to connect to the server" in cluster.kubectl("get", "pods", check=False)


def test_apply_rollout_scale_and_delete(cluster: Cluster) -> None:
    applied = cluster.kubectl("apply", "-f", "-", stdin=APP)
    assert applied.split("\n")[:3] == [
        "configmap/web-config created",
        "deployment.apps/web created",
        "service/web created",
    ]
    assert "successfully rolled out" in cluster.kubectl(
        "rollout", "status", "deployment/web", "--timeout=30s"
    )
    deployment = cluster.json("get", "deployment", "web")
    assert deployment["status"]["availableReplicas"] == 3
    assert deployment["status"]["observedGeneration"] == deployment["metadata"]["generation"]
    pods = cluster.json("get", "pods", "-l", "app=web")["items"]
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Running"}
    assert all(p["status"]["podIP"].startswith("10.244.") for p in pods)
    endpoints = cluster.json("get", "endpoints", "web")
    addresses = {a["ip"] for a in endpoints["subsets"][0]["addresses"]}
    assert addresses == {p["status"]["podIP"] for p in pods}
    service = cluster.json("get", "service", "web")
    assert service["spec"]["clusterIP"].startswith("10.245.")
    as_yaml = yaml.safe_load(cluster.kubectl("get", "configmap", "web-config", "-o", "yaml"))
    assert as_yaml["data"] == {"greeting": "hello"}

    assert cluster.kubectl("scale", "deployment/web", "--replicas=5").strip() == (
        "deployment.apps/web scaled"
    )
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
    assert len(cluster.json("get", "pods", "-l", "app=web")["items"]) == 5

    cluster.kubectl("set", "image", "deployment/web", "web=nginx:1.28")
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
    replica_sets = cluster.json("get", "replicasets", "-l", "app=web")["items"]
    assert sorted(rs["spec"]["replicas"] for rs in replica_sets) == [0, 5]
    images = {
        p["spec"]["containers"][0]["image"]
        for p in cluster.json("get", "pods", "-l", "app=web")["items"]
    }
    assert images == {"nginx:1.28"}
    history = cluster.kubectl("rollout", "history", "deployment/web")
    assert "1 " in history and "2 " in history

    deleted = cluster.kubectl("delete", "-f", "-", stdin=APP)
    assert 'deployment.apps "web" deleted' in deleted
    # Garbage collection takes the replica sets and pods with the deployment.
    assert cluster.json("get", "replicasets", "-l", "app=web")["items"] == []
    assert cluster.json("get", "pods", "-l", "app=web")["items"] == []


def test_server_side_apply_conflicts_and_dry_run(cluster: Cluster) -> None:
    deployment = APP.split("---\n")[1]
    assert "serverside-applied" in cluster.kubectl(
        "apply", "--server-side", "-f", "-", stdin=deployment
    )
    managed = cluster.json("get", "deployment", "web", "--show-managed-fields")
    managers = {m["manager"]: m for m in managed["metadata"]["managedFields"]}
    assert managers["kubectl"]["operation"] == "Apply"
    assert "f:replicas" in managers["kubectl"]["fieldsV1"]["f:spec"]
    other = deployment.replace("replicas: 3", "replicas: 4")
    refused = cluster.kubectl(
        "apply", "--server-side", "--field-manager=other", "-f", "-", stdin=other, check=False
    )
    assert "conflict" in refused and ".spec.replicas" in refused
    assert cluster.json("get", "deployment", "web")["spec"]["replicas"] == 3
    cluster.kubectl(
        "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "-",
        stdin=other,
    )  # fmt: skip
    assert cluster.json("get", "deployment", "web")["spec"]["replicas"] == 4
    # A dry run answers as if it happened and stores nothing.
    preview = cluster.kubectl(
        "create", "configmap", "preview", "--from-literal=a=b", "--dry-run=server", "-o", "json"
    )
    assert json.loads(preview)["data"] == {"a": "b"}
    missing = cluster.kubectl("get", "configmap", "preview", check=False)
    assert 'configmaps "preview" not found' in missing


def test_wait_for_conditions_and_jobs(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=APP)
    waited = cluster.kubectl("wait", "--for=condition=Available", "deployment/web", "--timeout=30s")
    assert waited.strip() == "deployment.apps/web condition met"
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {
            "completions": 2,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox:1.36"}],
                }
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(job))
    assert "condition met" in cluster.kubectl(
        "wait", "--for=condition=complete", "job/once", "--timeout=30s"
    )
    done = cluster.json("get", "job", "once")
    assert done["status"]["succeeded"] == 2
    pods = cluster.json("get", "pods", "-l", "job-name=once")["items"]
    assert {p["status"]["phase"] for p in pods} == {"Succeeded"}
    assert "Completed" in cluster.kubectl("get", "pods", "-l", "job-name=once")


def test_custom_resources(cluster: Cluster) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=CRD)
    assert "condition met" in cluster.kubectl(
        "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s"
    )
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n"
    assert cluster.kubectl("apply", "-f", "-", stdin=widget).strip() == (
        "widget.example.com/w1 created"
    )
    table = cluster.kubectl("get", "widgets").splitlines()
    assert table[0].split() == ["NAME", "SIZE"] and table[1].split() == ["w1", "3"]
    cluster.kubectl("apply", "-f", "-", stdin=widget.replace("size: 3", "size: 5"))
    assert cluster.json("get", "wg", "w1")["spec"]["size"] == 5
    assert "widgets" in cluster.kubectl("api-resources", "--api-group=example.com")
    # The CRD's schema: wrong types are refused, unknown fields pruned (or refused by kubectl's
    # strict validation).
    wrong = cluster.kubectl(
        "apply", "-f", "-", stdin=widget.replace("size: 3", 'size: "big"'), check=False
    )
    assert 'spec.size: Invalid value: "string": spec.size in body must be of type integer' in wrong
    extra = widget.replace("size: 3", "size: 3\n  color: red").replace("w1", "w2")
    refused = cluster.kubectl("apply", "-f", "-", stdin=extra, check=False)
    assert 'unknown field "spec.color"' in refused
    cluster.kubectl("apply", "--validate=false", "-f", "-", stdin=extra)
    assert cluster.json("get", "widget", "w2")["spec"] == {"size": 3}
    explained = cluster.kubectl("explain", "widgets.spec")
    assert "size" in explained
    cluster.kubectl("delete", "crd", "widgets.example.com")
    # As on a real cluster, kubectl's cached discovery still names the type for a while; the
    # API itself no longer serves it.
    gone = cluster.kubectl("get", "widgets", check=False)
    assert "the server could not find the requested resource" in gone
    with cluster.raw() as api:
        listed = cluster.request(api, "GET", "/apis/example.com/v1/namespaces/default/widgets")
    assert listed.status_code == 404


def test_watch_sees_the_rollout(cluster: Cluster) -> None:
    from kubernetes import client, watch

    api = cluster.python()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    listed = core.list_namespaced_pod("default")
    seen: list[tuple[str, str, str]] = []
    done = threading.Event()

    def follow() -> None:
        stream = watch.Watch()
        for event in stream.stream(
            core.list_namespaced_pod,
            "default",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=30,
        ):
            pod = event["object"]
            seen.append((event["type"], pod.metadata.name, pod.status.phase))
            running = {name for kind, name, phase in seen if phase == "Running"}
            if len(running) >= 2:
                stream.stop()
        done.set()

    watcher = threading.Thread(target=follow, daemon=True)
    watcher.start()
    body = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="watched"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels={"app": "watched"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "watched"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")]),
            ),
        ),
    )
    apps.create_namespaced_deployment("default", body)
    assert done.wait(30), f"the watch saw only {seen}"
    kinds = [kind for kind, _, _ in seen]
    assert kinds.count("ADDED") == 2 and "MODIFIED" in kinds
    assert all(name.startswith("watched-") for _, name, _ in seen)


def test_namespace_deletion_removes_its_contents(cluster: Cluster) -> None:
    cluster.kubectl("create", "namespace", "team")
    cluster.kubectl("-n", "team", "apply", "-f", "-", stdin=APP)
    cluster.kubectl("-n", "team", "rollout", "status", "deployment/web", "--timeout=30s")
    assert cluster.json("-n", "team", "get", "configmap", "kube-root-ca.crt")["data"]["ca.crt"]
    deleted = cluster.kubectl("delete", "namespace", "team", "--timeout=30s")
    assert deleted.strip() == 'namespace "team" deleted'
    assert "team" not in cluster.kubectl("get", "namespaces")
    assert cluster.json("-n", "team", "get", "pods")["items"] == []
    with cluster.raw() as api:
        missing = cluster.request(api, "GET", "/api/v1/namespaces/team/configmaps/web-config")
    assert missing.status_code == 404


def test_errors_are_kubernetes_status_objects(cluster: Cluster) -> None:
    with cluster.raw() as api:
        missing = cluster.request(api, "GET", "/apis/apps/v1/namespaces/default/deployments/x")
        assert missing.status_code == 404
        assert missing.json()["reason"] == "NotFound"
        assert missing.json()["message"] == 'deployments.apps "x" not found'
        assert missing.json()["details"] == {"name": "x", "group": "apps", "kind": "deployments"}
        config = {"metadata": {"name": "c"}, "data": {"a": "1"}}
        path = "/api/v1/namespaces/default/configmaps"
        created = cluster.request(api, "POST", path, json=config)
        assert created.status_code == 201
        version = created.json()["metadata"]["resourceVersion"]
        again = cluster.request(api, "POST", path, json=config)
        assert (again.status_code, again.json()["reason"]) == (409, "AlreadyExists")
        cluster.request(api, "PUT", f"{path}/c", json={**config, "data": {"a": "2"}})
        stale = cluster.request(
            api,
            "PUT",
            f"{path}/c",
            json={"metadata": {"name": "c", "resourceVersion": version}, "data": {"a": "3"}},
        )
        assert (stale.status_code, stale.json()["reason"]) == (409, "Conflict")
        invalid = cluster.request(
            api,
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            json={
                "metadata": {"name": "bad"},
                "spec": {
                    "selector": {"matchLabels": {"app": "a"}},
                    "template": {"metadata": {"labels": {"app": "b"}}, "spec": {}},
                },
            },
        )
        assert invalid.status_code == 422
        causes = {c["field"] for c in invalid.json()["details"]["causes"]}
        assert causes == {"spec.template.metadata.labels", "spec.template.spec.containers"}
        bad_name = cluster.request(api, "POST", path, json={"metadata": {"name": "Not_Valid"}})
        assert bad_name.status_code == 422 and bad_name.json()["reason"] == "Invalid"
        nowhere = cluster.request(api, "POST", "/api/v1/namespaces/none/configmaps", json=config)
        assert nowhere.status_code == 404
        assert nowhere.json()["message"] == 'namespaces "none" not found'
    logs = cluster.kubectl("logs", "-n", "kube-system", "deployment/coredns", check=False)
    assert "no container runs" in logs
    # kubectl tries a WebSocket, then SPDY: both are answered with the same Status.
    executed = cluster.kubectl("exec", "-n", "kube-system", "deployment/coredns", "--", "true",
                               check=False)  # fmt: skip
    assert "no container runs" in executed, executed
    top = cluster.kubectl("top", "nodes", check=False)
    assert "Metrics API not available" in top


def test_pods_are_scheduled_as_they_fit(cluster: Cluster) -> None:
    huge = APP.split("---\n")[1].replace("cpu: 100m", "cpu: '6'")
    cluster.kubectl("apply", "-f", "-", stdin=huge)
    pods = wait_until(
        lambda: cluster.json("get", "pods", "-l", "app=web")["items"],
        lambda items: len(items) == 3,
    )
    assert {p["status"]["phase"] for p in pods} == {"Pending"}
    condition = pods[0]["status"]["conditions"][0]
    assert condition["reason"] == "Unschedulable"
    assert condition["message"].startswith("0/2 nodes are available: 2 Insufficient cpu. ")
    events = cluster.json("get", "events", "--field-selector", "reason=FailedScheduling")
    assert events["items"]
    # Nodes added through DigitalOcean's API take the pods that did not fit anywhere.
    pool = cluster.http.get(f"/v2/kubernetes/clusters/{cluster.id}/node_pools").json()
    added = cluster.http.post(
        f"/v2/kubernetes/clusters/{cluster.id}/node_pools",
        json={"name": "big", "size": "s-8vcpu-16gb", "count": 3},
    )
    assert added.status_code == 201, added.text
    assert len(pool["node_pools"]) == 1
    nodes = wait_until(lambda: cluster.json("get", "nodes")["items"], lambda items: len(items) == 5)
    assert len(nodes) == 5
    running = wait_until(
        lambda: cluster.json("get", "pods", "-l", "app=web")["items"],
        lambda items: {p["status"]["phase"] for p in items} == {"Running"},
    )
    assert {p["spec"]["nodeName"] for p in running} <= {
        n["metadata"]["name"]
        for n in nodes
        if n["metadata"]["labels"]["doks.digitalocean.com/node-pool"] == "big"
    }


def test_node_deleted_through_kubectl_is_replaced(cluster: Cluster) -> None:
    before = sorted(n["metadata"]["name"] for n in cluster.json("get", "nodes")["items"])
    cluster.kubectl("delete", "node", before[0])
    after = wait_until(
        lambda: sorted(n["metadata"]["name"] for n in cluster.json("get", "nodes")["items"]),
        lambda names: len(names) == 2 and before[0] not in names,
    )
    assert before[1] in after
    pool = cluster.http.get(f"/v2/kubernetes/clusters/{cluster.id}/node_pools").json()
    assert sorted(n["name"] for n in pool["node_pools"][0]["nodes"]) == after


def test_statefulsets_daemonsets_and_claims(cluster: Cluster) -> None:
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 3,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "pg", "image": "postgres:17"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "5Gi"}},
                    },
                }
            ],
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(statefulset))
    cluster.kubectl("rollout", "status", "statefulset/db", "--timeout=30s")
    pods = sorted(
        p["metadata"]["name"] for p in cluster.json("get", "pods", "-l", "app=db")["items"]
    )
    assert pods == ["db-0", "db-1", "db-2"]
    claims = cluster.json("get", "pvc")["items"]
    assert sorted(c["metadata"]["name"] for c in claims) == ["data-db-0", "data-db-1", "data-db-2"]
    assert {c["status"]["phase"] for c in claims} == {"Bound"}
    assert {c["spec"]["storageClassName"] for c in claims} == {"do-block-storage"}
    volumes = cluster.json("get", "pv")["items"]
    assert {v["spec"]["csi"]["driver"] for v in volumes} == {"dobs.csi.digitalocean.com"}
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "a", "image": "busybox:1.36"}]},
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(daemonset))
    cluster.kubectl("rollout", "status", "daemonset/agent", "--timeout=30s")
    agents = cluster.json("get", "pods", "-l", "app=agent")["items"]
    nodes = {n["metadata"]["name"] for n in cluster.json("get", "nodes")["items"]}
    assert {p["spec"]["nodeName"] for p in agents} == nodes and len(agents) == len(nodes)


def test_cronjobs_run_on_the_localocean_clock(cluster: Cluster, server) -> None:
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "tick"},
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "c", "image": "busybox:1.36"}],
                        }
                    }
                }
            },
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(cronjob))
    assert cluster.json("get", "jobs")["items"] == []
    moved = httpx.post(f"{server.url}/_localocean/clock/advance", json={"seconds": 301})
    assert moved.status_code == 200
    jobs = wait_until(lambda: cluster.json("get", "jobs")["items"], lambda items: len(items) == 1)
    assert jobs[0]["metadata"]["ownerReferences"][0]["name"] == "tick"
    assert cluster.json("get", "cronjob", "tick")["status"]["lastScheduleTime"]


def test_patches_finalizers_and_cascades(cluster: Cluster) -> None:
    path = "/api/v1/namespaces/default/configmaps"
    with cluster.raw() as api:
        made = cluster.request(
            api,
            "POST",
            path,
            json={
                "metadata": {"generateName": "settings-", "finalizers": ["example.com/keep"]},
                "data": {"a": "1", "b": "2"},
            },
        )
        assert made.status_code == 201
        name = made.json()["metadata"]["name"]
        assert name.startswith("settings-") and len(name) == len("settings-") + 5
        item = f"{path}/{name}"
        patched = cluster.request(
            api,
            "PATCH",
            item,
            content=json.dumps([{"op": "replace", "path": "/data/a", "value": "3"}]),
            headers={"content-type": "application/json-patch+json"},
        )
        assert patched.json()["data"] == {"a": "3", "b": "2"}
        merged = cluster.request(
            api,
            "PATCH",
            item,
            content=json.dumps({"data": {"b": None, "c": "4"}}),
            headers={"content-type": "application/merge-patch+json"},
        )
        assert merged.json()["data"] == {"a": "3", "c": "4"}
        failed = cluster.request(
            api,
            "PATCH",
            item,
            content=json.dumps([{"op": "test", "path": "/data/a", "value": "9"}]),
            headers={"content-type": "application/json-patch+json"},
        )
        assert failed.status_code == 422
        # A finalizer holds the object until it is removed.
        deleting = cluster.request(api, "DELETE", item)
        assert deleting.status_code == 200 and deleting.json()["metadata"]["deletionTimestamp"]
        assert cluster.request(api, "GET", item).status_code == 200
        cluster.request(
            api,
            "PATCH",
            item,
            content=json.dumps({"metadata": {"finalizers": None}}),
            headers={"content-type": "application/merge-patch+json"},
        )
        assert cluster.request(api, "GET", item).status_code == 404
        for number in range(3):
            body = {"metadata": {"name": f"bulk-{number}", "labels": {"bulk": "yes"}}}
            cluster.request(api, "POST", path, json=body)
        swept = cluster.request(api, "DELETE", f"{path}?labelSelector=bulk%3Dyes")
        assert len(swept.json()["items"]) == 3
        left = cluster.request(api, "GET", f"{path}?labelSelector=bulk").json()["items"]
        assert left == []
    # Orphaned replica sets stay without their owner; foreground deletion takes them first.
    cluster.kubectl("apply", "-f", "-", stdin=APP.split("---\n")[1])
    cluster.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
    cluster.kubectl("delete", "deployment", "web", "--cascade=orphan")
    (orphan,) = cluster.json("get", "replicasets", "-l", "app=web")["items"]
    assert "ownerReferences" not in orphan["metadata"]
    assert len(cluster.json("get", "pods", "-l", "app=web")["items"]) == 3
    cluster.kubectl("delete", "replicaset", orphan["metadata"]["name"], "--cascade=foreground")
    assert cluster.json("get", "pods", "-l", "app=web")["items"] == []


def test_watch_expiry_and_bookmarks(cluster: Cluster, server) -> None:
    with cluster.raw() as api:
        listed = cluster.request(api, "GET", "/api/v1/namespaces/default/configmaps").json()
        version = int(listed["metadata"]["resourceVersion"])
        with api.stream(
            "GET",
            "/api/v1/namespaces/default/configmaps",
            params={
                "watch": "1",
                "resourceVersion": str(version),
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "5",
            },
            extensions={"sni_hostname": cluster.server_name},
        ) as watching:
            cluster.request(
                api, "POST", "/api/v1/namespaces/default/configmaps",
                json={"metadata": {"name": "seen"}},
            )  # fmt: skip
            first = json.loads(next(watching.iter_lines()))
        assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "seen"
        # The change log keeps 10 minutes of LocalOcean's clock; a watch from before is Gone.
        moved = httpx.post(f"{server.url}/_localocean/clock/advance", json={"seconds": 700})
        assert moved.status_code == 200
        body = {"metadata": {"name": "after"}}  # the first write after the move compacts
        cluster.request(api, "POST", "/api/v1/namespaces/default/configmaps", json=body)
        expired = cluster.request(
            api,
            "GET",
            "/api/v1/namespaces/default/configmaps",
            params={"watch": "1", "resourceVersion": str(version)},
        )
        assert expired.status_code == 410
        assert expired.json()["reason"] == "Expired"


def test_upgrades_show_in_the_api(server, clients, kubectl_path: str, tmp_path: Path) -> None:
    with clients.http(server.url, new_token()) as http:
        kube = Cluster(http, kubectl_path, tmp_path, version="1.36")
        before = json.loads(kube.kubectl("version", "-o", "json"))["serverVersion"]
        assert before["gitVersion"] == "v1.36.4"
        upgraded = http.post(
            f"/v2/kubernetes/clusters/{kube.id}/upgrade", json={"version": "1.37.1-do.0"}
        )
        assert upgraded.status_code == 202
        wait_until(
            lambda: http.get(f"/v2/kubernetes/clusters/{kube.id}").json()["kubernetes_cluster"],
            lambda c: c["status"]["state"] == "running" and c["version"] == "1.37.1-do.0",
        )
        after = json.loads(kube.kubectl("version", "-o", "json"))["serverVersion"]
        assert after["gitVersion"] == "v1.37.1"
        nodes = kube.json("get", "nodes")["items"]
        assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {"v1.37.1"}


ODD_DEPLOYMENTS = [
    {"metadata": {"name": "a"}, "spec": "x"},
    {"metadata": [], "spec": {}},
    {"metadata": {"name": "b"}, "spec": {"replicas": "abc"}},
    {"metadata": {"name": "c", "labels": {"v": 1}}},
    [1, 2],
    {"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": "x"}}}},
    {"metadata": {"name": "e"}, "spec": {"replicas": True}},
]


@pytest.mark.parametrize("body", ODD_DEPLOYMENTS, ids=range(len(ODD_DEPLOYMENTS)))
def test_odd_bodies_get_kubernetes_answers(cluster: Cluster, body: Any) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments"
    with cluster.raw() as api:
        answer = cluster.request(api, "POST", path, json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["kind"] == "Status" and answer.json()["reason"] == "BadRequest"
        assert cluster.request(api, "GET", path).json()["items"] == []


def test_unknown_fields_are_dropped_or_refused(cluster: Cluster) -> None:
    config = {"metadata": {"name": "c"}, "data": {"a": "1"}, "extra": {"x": 1}}
    path = "/api/v1/namespaces/default/configmaps"
    with cluster.raw() as api:
        strict = cluster.request(api, "POST", f"{path}?fieldValidation=Strict", json=config)
        assert strict.status_code == 400
        assert strict.json()["message"] == 'strict decoding error: unknown field "extra"'
        warned = cluster.request(api, "POST", path, json=config)
        assert warned.status_code == 201 and "extra" not in warned.json()
        assert warned.headers["warning"] == '299 - "unknown field \\"extra\\""'
    refused = cluster.kubectl(
        "apply", "-f", "-", stdin=json.dumps({**config, "apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": "d"}}), check=False
    )  # fmt: skip
    assert 'unknown field "extra"' in refused


def test_python_client(cluster: Cluster) -> None:
    from kubernetes import client

    api = cluster.python()
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    assert len(core.list_node().items) == 2
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
    core.create_namespaced_config_map(
        "py", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"k": "v"})
    )
    assert core.read_namespaced_config_map("c", "py").data == {"k": "v"}
    patched = core.patch_namespaced_config_map("c", "py", {"data": {"k": "w"}})
    assert patched.data == {"k": "w"}
    with pytest.raises(client.ApiException) as missing:
        core.read_namespaced_pod("nope", "py")
    assert missing.value.status == 404
    page = core.list_namespaced_config_map("kube-system", limit=1)
    assert len(page.items) == 1
    apps.create_namespaced_deployment(
        "py",
        client.V1Deployment(
            metadata=client.V1ObjectMeta(name="d"),
            spec=client.V1DeploymentSpec(
                replicas=1,
                selector=client.V1LabelSelector(match_labels={"a": "b"}),
                template=client.V1PodTemplateSpec(
                    metadata=client.V1ObjectMeta(labels={"a": "b"}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")]),
                ),
            ),
        ),
    )
    scaled = apps.patch_namespaced_deployment_scale("d", "py", {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3
    ready = wait_until(
        lambda: apps.read_namespaced_deployment("d", "py").status.ready_replicas,
        lambda count: count == 3,
    )
    assert ready == 3


def test_objects_survive_a_restart_and_go_with_the_cluster(
    start_server, backend, clients, kubectl_path: str, tmp_path: Path
) -> None:
    database, _ = backend.durable(tmp_path / "data")
    first = start_server("--timing", "instant", database=database)
    token = new_token()
    with clients.http(first.url, token) as http:
        kube = Cluster(http, kubectl_path, tmp_path)
        kube.kubectl("apply", "-f", "-", stdin=APP)
        kube.kubectl("rollout", "status", "deployment/web", "--timeout=30s")
        before = kube.json("get", "deployment", "web")
    first.close()
    second = start_server("--timing", "instant", database=database)
    with clients.http(second.url, token) as http:
        kube.http = http
        # The kubeconfig names the first server's address; the second listens elsewhere.
        old, new = first.url.split("//")[1], second.url.split("//")[1]
        kube.kubeconfig.write_text(kube.kubeconfig.read_text().replace(old, new))
        after = kube.json("get", "deployment", "web")
        assert after["metadata"]["uid"] == before["metadata"]["uid"]
        assert after["status"]["availableReplicas"] == 3
        state = httpx.get(f"{second.url}/_localocean/state").json()
        assert any(row["name"] == "web" for row in state["tables"]["kube_objects"])
        # The cluster's objects go with it.
        assert http.delete(f"/v2/kubernetes/clusters/{kube.id}").status_code == 204
        state = httpx.get(f"{second.url}/_localocean/state").json()
        assert state["tables"]["kube_objects"] == [] and state["tables"]["kube_changes"] == []


def test_through_the_https_proxy(proxied, kubectl_path: str, tmp_path: Path) -> None:
    """With only `localocean env` set, the kubeconfig names the cluster's API as DigitalOcean
    does (its endpoint), and kubectl reaches it through LocalOcean's HTTPS proxy."""
    import pydo

    _, exported, _ = proxied
    # No endpoint: api.digitalocean.com. Closed at the end, or its keep-alive connection through
    # the tunnel would hold the server's graceful shutdown.
    with pydo.Client(exported["DIGITALOCEAN_ACCESS_TOKEN"]) as do:
        created, endpoint = _proxied_cluster(do)
    # pydo cannot decode YAML answers; httpx goes through the same proxy settings.
    text = httpx.get(
        f"https://api.digitalocean.com/v2/kubernetes/clusters/{created['id']}/kubeconfig",
        headers={"Authorization": f"Bearer {exported['DIGITALOCEAN_ACCESS_TOKEN']}"},
    ).text
    assert yaml.safe_load(text)["clusters"][0]["cluster"]["server"] == endpoint
    path = tmp_path / "kubeconfig"
    path.write_text(text)
    result = subprocess.run(
        [kubectl_path, "get", "nodes", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "KUBECONFIG": str(path), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("node/pool-")


def _proxied_cluster(do: Any) -> tuple[dict[str, Any], str]:
    created = do.kubernetes.create_cluster(
        {
            "name": "proxied",
            "region": "nyc1",
            "version": "latest",
            "node_pools": [{"name": "pool", "size": "s-2vcpu-4gb", "count": 1}],
        }
    )["kubernetes_cluster"]
    endpoint = do.kubernetes.get_cluster(created["id"])["kubernetes_cluster"]["endpoint"]
    return created, endpoint


def test_a_provisioning_cluster_has_no_api_yet(start_server, clients, tmp_path: Path) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http:
        created = http.post("/v2/kubernetes/clusters", json=cluster_body(name="later"))
        cluster_id = created.json()["kubernetes_cluster"]["id"]
        config = yaml.safe_load(http.get(f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig").text)
        entry = config["clusters"][0]["cluster"]
        context = ssl.create_default_context(
            cadata=base64.b64decode(entry["certificate-authority-data"]).decode()
        )
        token = config["users"][0]["user"]["token"]
        with httpx.Client(
            base_url=entry["server"],
            verify=context,
            headers={"Authorization": f"Bearer {token}"},
        ) as api:

            def version() -> httpx.Response:
                return api.get("/version", extensions={"sni_hostname": entry["tls-server-name"]})

            early = version()
            assert early.status_code == 503
            assert early.json()["reason"] == "ServiceUnavailable"
            assert httpx.post(f"{server.url}/_localocean/clock/settle").status_code == 200
            assert version().status_code == 200
