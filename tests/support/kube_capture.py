"""Records the request bodies kubectl sends: a throwaway HTTP Kubernetes API on localhost.

`capture(args)` runs `kubectl <args>` against a server that answers discovery minimally, records
every request with a body and answers a POST or PUT with the object in JSON. Run as a script it
writes the protobuf bodies of the kubectl commands in `COMMANDS` to `tests/data/kubeproto/` (the
fixtures of `tests/test_kubeapi_protobuf.py`):

    .venv/bin/python -m tests.support.kube_capture
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "kubeproto"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

# name -> kubectl arguments (the namespace flag is added by `capture`).
COMMANDS: dict[str, list[str]] = {
    "namespace": ["create", "namespace", "team"],
    "deployment": [
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=3",
        "--port=80",
    ],
    "configmap": ["create", "configmap", "c", "--from-literal=a=b", "--from-literal=x=y"],
    "secret": ["create", "secret", "generic", "s", "--from-literal=p=q"],
    "service": ["create", "service", "clusterip", "svc", "--tcp=80:8080"],
    "job": ["create", "job", "once", "--image=busybox:1.36", "--", "echo", "hi"],
    "cronjob": [
        "create",
        "cronjob",
        "nightly",
        "--image=busybox:1.36",
        "--schedule=*/5 * * * *",
        "--",
        "date",
    ],
    "serviceaccount": ["create", "serviceaccount", "robot"],
    "role": ["create", "role", "reader", "--verb=get,list", "--resource=pods"],
    "rolebinding": ["create", "rolebinding", "rb", "--role=reader", "--serviceaccount=ns1:robot"],
    "quota": ["create", "quota", "q", "--hard=cpu=2,memory=1Gi,pods=10"],
    "priorityclass": ["create", "priorityclass", "high", "--value=1000", "--description=top"],
    "pdb": ["create", "pdb", "pdb1", "--selector=app=web", "--min-available=50%"],
    "ingress": ["create", "ingress", "ing", "--rule=example.com/path*=svc:8080"],
}

_GROUPS: dict[str, dict[str, tuple[str, bool]]] = {
    "v1": {
        "namespaces": ("Namespace", False),
        "configmaps": ("ConfigMap", True),
        "secrets": ("Secret", True),
        "services": ("Service", True),
        "serviceaccounts": ("ServiceAccount", True),
        "resourcequotas": ("ResourceQuota", True),
        "pods": ("Pod", True),
    },
    "apps/v1": {"deployments": ("Deployment", True)},
    "batch/v1": {"jobs": ("Job", True), "cronjobs": ("CronJob", True)},
    "rbac.authorization.k8s.io/v1": {
        "roles": ("Role", True),
        "rolebindings": ("RoleBinding", True),
    },
    "scheduling.k8s.io/v1": {"priorityclasses": ("PriorityClass", False)},
    "policy/v1": {"poddisruptionbudgets": ("PodDisruptionBudget", True)},
    "networking.k8s.io/v1": {"ingresses": ("Ingress", True)},
}


@dataclass
class Request:
    method: str
    path: str
    content_type: str
    body: bytes


def _discovery(path: str) -> dict[str, Any] | None:
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if path == "/apis":
        groups = []
        for gv in _GROUPS:
            if "/" not in gv:
                continue
            name, version = gv.split("/")
            ref = {"groupVersion": gv, "version": version}
            groups.append({"name": name, "versions": [ref], "preferredVersion": ref})
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    gv = path.removeprefix("/api/").removeprefix("/apis/")
    if gv in _GROUPS:
        resources = [
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["create", "get", "list", "delete", "update", "patch", "watch"],
            }
            for plural, (kind, namespaced) in _GROUPS[gv].items()
        ]
        return {"kind": "APIResourceList", "groupVersion": gv, "resources": resources}
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, obj: dict[str, Any]) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        found = _discovery(path)
        if found is None:
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure"})
        else:
            self._send(200, found)

    def _write(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size)
        content_type = self.headers.get("Content-Type", "")
        self.server.requests.append(Request(self.command, self.path, content_type, body))
        obj: dict[str, Any] = {}
        try:
            if content_type.startswith("application/vnd.kubernetes.protobuf"):
                from localocean.areas.kubeapi.protobuf import decode

                obj = decode(body)
            else:
                obj = json.loads(body)
        except ValueError:
            obj = {}
        self._send(201, obj)

    do_POST = _write
    do_PUT = _write


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[Request] = []


def capture(args: list[str], kubectl: str = KUBECTL) -> list[Request]:
    """The requests with a body that `kubectl <args>` sends (it must succeed)."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "HOME": home, "KUBECONFIG": str(Path(home) / "config")}
            port = server.server_address[1]
            command = [
                kubectl,
                f"--server=http://127.0.0.1:{port}",
                "--token=x",
                f"--cache-dir={home}/cache",
                "--namespace=ns1",
                *args,
            ]
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}")
    finally:
        server.shutdown()
        server.server_close()
    return server.requests


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, args in COMMANDS.items():
        requests = [r for r in capture(args) if r.method == "POST"]
        if len(requests) != 1:
            sys.exit(f"{name}: expected one POST, got {len(requests)}")
        request = requests[0]
        print(f"{name}: {request.path} {request.content_type} {len(request.body)} bytes")
        (DATA / f"{name}.pb").write_bytes(request.body)


if __name__ == "__main__":
    main()
