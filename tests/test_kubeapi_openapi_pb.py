"""`/openapi/v2` as gnostic's `openapi.v2.Document` protobuf: the encoder, read back with a small
wire decoder here, and the document as kubectl 1.20 (which validates with it) reads it."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import struct
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from localocean.areas.kubeapi import catalog, discovery, openapi_pb
from tests.support.server import ServerProcess

OLD_KUBECTL = os.environ.get("LOCALOCEAN_OLD_KUBECTL", "/tmp/k/old/usr/bin/kubectl")

# --- a wire decoder ---------------------------------------------------------------------------

Fields = dict[int, list[Any]]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def fields(data: bytes) -> Fields:
    """Each field number's values in order: ints for varints, bytes for the rest."""
    out: Fields = {}
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 1:
            value, at = data[at : at + 8], at + 8
        elif wire == 2:
            size, at = _varint(data, at)
            value, at = data[at : at + size], at + size
            assert len(value) == size, "truncated"
        else:
            raise AssertionError(f"wire type {wire}")
        out.setdefault(number, []).append(value)
    assert at == len(data)
    return out


def text(f: Fields, number: int) -> str:
    return f[number][0].decode() if number in f else ""


def texts(f: Fields, number: int) -> list[str]:
    return [v.decode() for v in f.get(number, [])]


def named(data: bytes, number: int = 1) -> dict[str, bytes]:
    """A `Named*` map message (`Definitions`, `Properties`...): name -> value's bytes."""
    out: dict[str, bytes] = {}
    for entry in fields(data).get(number, []):
        parts = fields(entry)
        out[text(parts, 1)] = parts.get(2, [b""])[0]
    return out


def extensions(f: Fields, number: int) -> dict[str, Any]:
    """Vendor extensions (`NamedAny`), their `Any.yaml` read as YAML, as kube-openapi does."""
    out: dict[str, Any] = {}
    for entry in f.get(number, []):
        parts = fields(entry)
        out[text(parts, 1)] = yaml.safe_load(text(fields(parts[2][0]), 2))
    return out


def document(doc: dict[str, Any]) -> Fields:
    return fields(openapi_pb.encode(doc))


def definitions(doc: dict[str, Any]) -> dict[str, bytes]:
    return named(document(doc)[9][0])


def schema(data: bytes) -> dict[str, Any]:
    """A `Schema` message back as the JSON the encoder kept (the keys kube-openapi reads)."""
    f = fields(data)
    out: dict[str, Any] = {}
    for key, number in (("$ref", 1), ("format", 2), ("description", 4)):
        if number in f:
            out[key] = text(f, number)
    if 19 in f:
        out["required"] = texts(f, 19)
    if 22 in f:
        out["type"] = texts(fields(f[22][0]), 1)
    if 23 in f:
        out["items"] = [schema(item) for item in fields(f[23][0]).get(1, [])]
    if 25 in f:
        out["properties"] = {k: schema(v) for k, v in named(f[25][0]).items()}
    if 21 in f:
        additional = fields(f[21][0])
        if 1 in additional:
            out["additionalProperties"] = schema(additional[1][0])
        else:
            out["additionalProperties"] = bool(additional.get(2, [0])[0])
    out.update(extensions(f, 31))
    return out


def one_schema(value: dict[str, Any], others: tuple[str, ...] = ()) -> dict[str, Any]:
    doc = {"definitions": {"T": value, **{name: {"type": "object"} for name in others}}}
    return schema(definitions(doc)["T"])


# --- bytes of small documents ----------------------------------------------------------------


def test_small_documents_byte_for_byte() -> None:
    assert openapi_pb.encode({}) == b""
    assert openapi_pb.encode({"swagger": "2.0"}) == b"\x0a\x032.0"
    # info (2) is an embedded Info: title 1, version 2.
    assert openapi_pb.encode({"info": {"title": "K", "version": "v1"}, "swagger": "2.0"}) == (
        b"\x0a\x032.0" + b"\x12\x07" + b"\x0a\x01K" + b"\x12\x02v1"
    )
    # definitions (9) -> Definitions.additional_properties (1) -> NamedSchema{name 1, value 2}
    # -> Schema{type (22) -> TypeItem{value 1}}.
    type_item = b"\xb2\x01\x08" + b"\x0a\x06string"  # key of field 22: (22 << 3 | 2) = 178
    named_schema = b"\x0a\x01S" + b"\x12" + bytes([len(type_item)]) + type_item
    definitions_message = b"\x0a" + bytes([len(named_schema)]) + named_schema
    assert openapi_pb.encode({"definitions": {"S": {"type": "string"}}}) == (
        b"\x4a" + bytes([len(definitions_message)]) + definitions_message
    )


def test_scalars_follow_proto3() -> None:
    data = definitions(
        {
            "definitions": {
                "T": {
                    "type": "integer",
                    "minimum": -1.5,
                    "maximum": 0,
                    "minLength": -2,
                    "maxLength": 300,
                    "uniqueItems": True,
                    "readOnly": False,
                    "description": "",
                }
            }
        }
    )["T"]
    f = fields(data)
    assert struct.unpack("<d", f[9][0]) == (-1.5,)
    assert 7 not in f  # zero double left out
    assert f[12] == [(1 << 64) - 2]  # int64 -2 as ten-byte varint
    assert f[11] == [300]
    assert f[16] == [1]
    assert 27 not in f and 4 not in f
    assert sorted(f) == list(f)  # fields in number order


def test_extensions_carry_yaml_text() -> None:
    value = [{"group": "", "version": "v1", "kind": "Pod"}]
    got = one_schema(
        {
            "type": "object",
            "properties": {},
            "x-kubernetes-group-version-kind": value,
            "x-note": "caf\u00e9 \u2028 \U0001f600",
            "x-kubernetes-list-map-keys": ["a", "b"],
            "x-kubernetes-patch-merge-key": "name",
        }
    )
    assert got["x-kubernetes-group-version-kind"] == value
    assert got["x-note"] == "caf\u00e9 \u2028 \U0001f600"
    assert got["x-kubernetes-list-map-keys"] == ["a", "b"]
    assert got["x-kubernetes-patch-merge-key"] == "name"
    raw = openapi_pb.encode({"definitions": {"T": {"x-a": "\u2028"}}})
    assert "\u2028".encode() not in raw  # YAML 1.1 reads it as a line break: escaped
    # Go refuses a protobuf string that is not UTF-8: a lone surrogate is replaced.
    lone = definitions({"definitions": {"T\ud800": {"description": "\ud800", "x-a": "\ud800"}}})
    ((name, data),) = lone.items()
    assert name == "T?"
    assert schema(data) == {"description": "?", "x-a": "\ufffd"}


def test_schema_shapes() -> None:
    got = one_schema(
        {
            "type": "object",
            "required": ["a"],
            "description": "d",
            "properties": {
                "a": {"type": "string", "format": "date-time"},
                "b": {"type": "array", "items": {"$ref": "#/definitions/U"}},
                "c": {"type": "object", "additionalProperties": {"type": "integer"}},
                "d": {"type": "object", "additionalProperties": False},
                "e": {"$ref": "#/definitions/U", "description": "an U"},
            },
        },
        others=("U",),
    )
    assert got == {
        "description": "d",
        "required": ["a"],
        "type": ["object"],
        "properties": {
            "a": {"type": ["string"], "format": "date-time"},
            "b": {"type": ["array"], "items": [{"$ref": "#/definitions/U"}]},
            "c": {"type": ["object"], "additionalProperties": {"type": ["integer"]}},
            "d": {"type": ["object"], "additionalProperties": False},
            "e": {"$ref": "#/definitions/U", "description": "an U"},
        },
    }


def test_empty_properties_are_still_there() -> None:
    # kube-openapi tells a kind (properties present) from a map (absent), even when empty.
    assert one_schema({"type": "object", "properties": {}}) == {
        "type": ["object"],
        "properties": {},
    }
    assert one_schema({"type": "object"}) == {"type": ["object"]}


def test_schemas_kube_openapi_would_refuse_are_made_safe() -> None:
    assert one_schema({"type": "array"}) == {}
    assert one_schema({"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}) == {}
    assert one_schema({"type": "array", "items": [{"type": "string"}]}) == {
        "type": ["array"],
        "items": [{"type": ["string"]}],
    }
    assert one_schema({"type": ["string", "null"]}) == {}
    assert one_schema({"type": ["string"]}) == {"type": ["string"]}
    assert one_schema({"type": "null"}) == {}
    assert one_schema({"$ref": "#/definitions/U", "type": "object", "properties": {}}, ("U",)) == {
        "$ref": "#/definitions/U"
    }
    assert one_schema({"$ref": "#/definitions/Missing", "description": "x"}) == {"description": "x"}
    assert one_schema({"$ref": "#/components/schemas/U"}, ("U",)) == {}
    assert one_schema({"type": "string", "nullable": True}) == {}
    assert one_schema(
        {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": True,
            "properties": {"a": {"type": "string"}},
        }
    ) == {"type": ["object"], "x-kubernetes-preserve-unknown-fields": True}
    assert one_schema(
        {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
    ) == {"x-kubernetes-int-or-string": True}


# --- the built-in document ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def builtin() -> dict[str, Any]:
    return discovery.openapi_v2(catalog.BUILTIN)


def _check_parseable(name: str, s: dict[str, Any], models: set[str]) -> None:
    """What k8s.io/kube-openapi/pkg/util/proto (`ParseSchema`) refuses, checked here."""
    if "$ref" in s:
        assert "type" not in s and "properties" not in s, name
        assert s["$ref"].removeprefix("#/definitions/") in models, (name, s["$ref"])
        return
    types = s.get("type", [])
    assert len(types) <= 1, name
    if types == ["array"]:
        assert len(s.get("items", [])) == 1, name
        _check_parseable(f"{name}[]", s["items"][0], models)
    elif types and types[0] != "object":
        assert types[0] in ("string", "number", "integer", "boolean"), (name, types)
    for field, sub in s.get("properties", {}).items():
        _check_parseable(f"{name}.{field}", sub, models)
    if isinstance(s.get("additionalProperties"), dict):
        _check_parseable(f"{name}{{}}", s["additionalProperties"], models)
    gvk = s.get("x-kubernetes-group-version-kind")
    if gvk is not None:
        assert isinstance(gvk, list) and all(isinstance(g, dict) for g in gvk), name


def test_every_builtin_definition_parses(builtin: dict[str, Any]) -> None:
    models = definitions(builtin)
    assert set(models) == set(builtin["definitions"])
    for name, data in models.items():
        _check_parseable(name, schema(data), set(models))


def test_deployment_as_kubectl_reads_it(builtin: dict[str, Any]) -> None:
    models = definitions(builtin)
    deployment = schema(models["io.k8s.api.apps.v1.Deployment"])
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "version": "v1", "kind": "Deployment"}
    ]
    assert deployment["type"] == ["object"]
    assert deployment["properties"]["spec"] == {
        "$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    }
    spec = schema(models["io.k8s.api.apps.v1.DeploymentSpec"])
    assert spec["properties"]["replicas"]["type"] == ["integer"]
    assert "selector" in spec["required"]
    pod_spec = schema(models["io.k8s.api.core.v1.PodSpec"])
    containers = pod_spec["properties"]["containers"]
    assert containers["items"] == [{"$ref": "#/definitions/io.k8s.api.core.v1.Container"}]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    labels = schema(models["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"])["properties"]
    assert labels["labels"]["additionalProperties"] == {"type": ["string"]}


def _operation(doc: Fields, path: str, method_field: int) -> Fields:
    paths = fields(doc[8][0])
    for entry in paths[2]:
        item = fields(entry)
        if text(item, 1) == path:
            return fields(fields(item[2][0])[method_field][0])
    raise AssertionError(path)


def test_paths_as_the_query_parameter_checks_read_them(builtin: dict[str, Any]) -> None:
    doc = document(builtin)
    patch = _operation(doc, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", 8)
    assert extensions(patch, 13) == {
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
    }
    assert text(patch, 5) == "patchAppsV1NamespacedDeployment"
    query, body = [], []
    for item in patch[8]:  # ParametersItem -> Parameter
        parameter = fields(fields(item)[1][0])
        if 1 in parameter:
            body.append(fields(parameter[1][0]))
        else:
            sub = fields(parameter[2][0])
            assert list(sub) == [3]  # QueryParameterSubSchema
            query.append(text(fields(sub[3][0]), 4))
    assert "fieldValidation" in query and "dryRun" in query
    assert [text(b, 2) for b in body] == ["body"]
    assert schema(body[0][5][0]) == {
        "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
    }
    responses = named(patch[9][0])
    ok = fields(fields(responses["200"])[1][0])  # ResponseValue.response
    assert text(ok, 1) == "OK"
    assert schema(fields(ok[2][0])[1][0]) == {"$ref": "#/definitions/io.k8s.api.apps.v1.Deployment"}


def test_security_definitions(builtin: dict[str, Any]) -> None:
    doc = document(builtin)
    item = fields(named(doc[13][0])["BearerToken"])
    api_key = fields(item[2][0])
    assert (text(api_key, 1), text(api_key, 2), text(api_key, 3)) == (
        "apiKey",
        "authorization",
        "header",
    )
    requirement = named(doc[12][0])
    assert set(requirement) == {"BearerToken"}


def test_negotiate_as_kube_apiserver() -> None:
    old = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
    new = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert openapi_pb.negotiate(old) == "protobuf"
    assert openapi_pb.negotiate(new) == "protobuf"
    assert openapi_pb.negotiate(f"{new}, application/json") == "protobuf"
    assert openapi_pb.negotiate(f"application/json, {new}") == "json"
    assert openapi_pb.negotiate(f"{new};q=0.5, application/json") == "json"
    assert openapi_pb.negotiate(None) == "json"
    assert openapi_pb.negotiate("") == "json"
    assert openapi_pb.negotiate("*/*") == "json"
    assert openapi_pb.negotiate("application/*") == "json"
    assert openapi_pb.negotiate("text/html") is None
    assert openapi_pb.negotiate("application/vnd.kubernetes.protobuf") is None
    assert new == openapi_pb.CONTENT_TYPE


# --- kubectl 1.20 against the protobuf document ------------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: REPLICAS
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
        - containerPort: PORT
"""


def _deployment(replicas: str = "2", port: str = "80", extra: str = "") -> str:
    body = DEPLOYMENT.replace("REPLICAS", replicas).replace("PORT", port)
    return body.replace("  selector:", f"{extra}  selector:") if extra else body


class _Proxy:
    """Plain HTTP in front of one cluster's API: `/openapi/v2` as protobuf from the encoder (for
    the clients that ask for it), everything else forwarded to LocalOcean with the token."""

    def __init__(self, upstream: str, token: str, protobuf: bytes, hide_v3: bool = False):
        # The same paths as LocalOcean's (`/k8s/<cluster-id>/...`), on another origin.
        self.upstream = upstream[: upstream.index("/k8s/")]
        self.base = upstream[len(self.upstream) :]
        self.token, self.protobuf, self.hide_v3 = token, protobuf, hide_v3
        self.seen: list[tuple[str, str]] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self) -> None:
                proxy.forward(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.base}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def forward(self, request: http.server.BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        accept = request.headers.get("Accept", "")
        self.seen.append((path, accept))
        if path.endswith("/openapi/v2") and openapi_pb.negotiate(accept) == "protobuf":
            self._send(request, 200, self.protobuf, {"Content-Type": openapi_pb.CONTENT_TYPE})
            return
        if self.hide_v3 and "/openapi/v3" in path:
            self._send(request, 404, b"", {})
            return
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else None
        outgoing = urllib.request.Request(
            self.upstream + request.path, data=body, method=request.command
        )
        for name in ("Accept", "Content-Type", "User-Agent"):
            if request.headers.get(name):
                outgoing.add_header(name, request.headers[name])
        outgoing.add_header("Authorization", f"Bearer {self.token}")
        try:
            response = urllib.request.urlopen(outgoing, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        data = response.read()
        headers = {"Content-Type": response.headers.get("Content-Type", "application/json")}
        self._send(request, response.status, data, headers)

    @staticmethod
    def _send(
        request: http.server.BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        headers: dict[str, str],
    ) -> None:
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def __enter__(self) -> _Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def live_cluster() -> Iterator[tuple[str, str]]:
    """A LocalOcean server of its own and a cluster in it: the plain-HTTP base of its Kubernetes
    API and the cluster's token."""
    process = ServerProcess(["--in-memory", "--timing", "instant"]).start()
    try:
        with httpx.Client(
            base_url=process.url, headers={"Authorization": "Bearer openapi-pb"}, timeout=30
        ) as do:
            created = do.post(
                "/v2/kubernetes/clusters",
                json={
                    "name": "pb",
                    "region": "nyc1",
                    "version": "latest",
                    "node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 2}],
                },
            )
            assert created.status_code == 201, created.text
            cluster_id = created.json()["kubernetes_cluster"]["id"]
            config = yaml.safe_load(do.get(f"/v2/kubernetes/clusters/{cluster_id}/kubeconfig").text)
        yield f"{process.url}/k8s/{cluster_id}", config["users"][0]["user"]["token"]
    finally:
        process.close()


def _served_protobuf(base: str, token: str) -> bytes:
    """The server's own Swagger 2.0 document (JSON), encoded."""
    answer = httpx.get(
        f"{base}/openapi/v2",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return openapi_pb.encode(answer.json())


def _kubectl(
    binary: str, directory: Path, server: str, *args: str, stdin: str = ""
) -> tuple[int, str]:
    config = directory / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "by-the-proxy"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    result = subprocess.run(
        [binary, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        env={
            **os.environ,
            "KUBECONFIG": str(config),
            "KUBECACHEDIR": str(directory / "cache"),
            "HOME": str(directory),
        },
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.skipif(not Path(OLD_KUBECTL).exists(), reason=f"no old kubectl at {OLD_KUBECTL}")
def test_kubectl_1_20_validates_with_the_protobuf_document(
    live_cluster: tuple[str, str], tmp_path: Path
) -> None:
    base, token = live_cluster
    with _Proxy(base, token, _served_protobuf(base, token)) as proxy:
        server = proxy.url

        def apply(manifest: str) -> tuple[int, str]:
            return _kubectl(
                OLD_KUBECTL,
                tmp_path,
                server,
                "apply",
                "-f",
                "-",
                "--dry-run=client",
                "-o",
                "yaml",
                stdin=manifest,
            )

        code, out = apply(_deployment())
        assert code == 0, out
        assert yaml.safe_load(out)["spec"]["replicas"] == 2
        assert any(
            path.endswith("/openapi/v2") and "protobuf" in accept for path, accept in proxy.seen
        )

        code, out = apply(_deployment(extra="  bogus: 1\n"))
        assert code == 1, out
        assert 'unknown field "bogus" in io.k8s.api.apps.v1.DeploymentSpec' in out

        code, out = apply(_deployment(replicas='"x"'))
        assert code == 1, out
        assert "invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas" in out
        assert 'got "string", expected "integer"' in out

        bad_container = _deployment().replace(
            "image: nginx:1.27", "image: nginx:1.27\n        imagePulPolicy: Always"
        )
        code, out = apply(bad_container)
        assert code == 1, out
        assert 'unknown field "imagePulPolicy" in io.k8s.api.core.v1.Container' in out

        # A real apply, then a change: the strategic merge patch takes its merge keys from
        # the document.
        code, out = _kubectl(OLD_KUBECTL, tmp_path, server, "apply", "-f", "-", stdin=_deployment())
        assert code == 0 and "created" in out, out
        changed = _deployment(replicas="3", port="8080")
        code, out = _kubectl(OLD_KUBECTL, tmp_path, server, "apply", "-f", "-", stdin=changed)
        assert code == 0 and "configured" in out, out
        code, out = _kubectl(
            OLD_KUBECTL, tmp_path, server, "get", "deployment", "web", "-o", "json"
        )
        assert code == 0, out
        live = json.loads(out)
        assert live["spec"]["replicas"] == 3
        assert [
            p["containerPort"] for p in live["spec"]["template"]["spec"]["containers"][0]["ports"]
        ] == [8080]

        code, out = _kubectl(OLD_KUBECTL, tmp_path, server, "explain", "deployment.spec.replicas")
        assert code == 0 and "<integer>" in out, out


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl")
def test_current_kubectl_reads_the_protobuf_document(
    live_cluster: tuple[str, str], tmp_path: Path
) -> None:
    """With OpenAPI v3 hidden, kubectl 1.2x falls back to /openapi/v2 (protobuf) for its strategic
    merge patches, its `fieldValidation` check and `explain`."""
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    base, token = live_cluster
    with _Proxy(base, token, _served_protobuf(base, token), hide_v3=True) as proxy:
        server = proxy.url
        manifest = _deployment().replace("name: web\nspec", "name: current\nspec")
        code, out = _kubectl(kubectl, tmp_path, server, "apply", "-f", "-", stdin=manifest)
        assert code == 0, out
        changed = manifest.replace("containerPort: 80", "containerPort: 9090")
        code, out = _kubectl(kubectl, tmp_path, server, "apply", "-f", "-", stdin=changed)
        assert code == 0, out
        code, out = _kubectl(
            kubectl, tmp_path, server, "get", "deployment", "current", "-o", "json"
        )
        assert code == 0, out
        ports = json.loads(out)["spec"]["template"]["spec"]["containers"][0]["ports"]
        assert [p["containerPort"] for p in ports] == [9090]
        code, out = _kubectl(kubectl, tmp_path, server, "explain", "deployment.spec.replicas")
        assert code == 0 and "<integer>" in out, out
        assert any(
            path.endswith("/openapi/v2") and "protobuf" in accept for path, accept in proxy.seen
        )
