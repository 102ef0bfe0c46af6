"""Odd inputs and sequences against each cluster's Kubernetes API, driven through a real server
(SQLite and PostgreSQL): each test asserts what kube-apiserver answers (status, reason, and
that nothing is stored half-way); no input may get a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from localocean.areas.kubeapi.controllers import BURST
from tests import test_kubeapi
from tests.conftest import Clients, new_token
from tests.support.server import ServerProcess
from tests.support.spec import Spec
from tests.test_kubeapi import Cluster

# The cluster fixtures of test_kubeapi, here too.
cluster = test_kubeapi.cluster
kubectl_path = test_kubeapi.kubectl_path

JSON = "application/json"
MERGE = "application/merge-patch+json"
APPLY = "application/apply-patch+yaml"
DEFAULT = "/api/v1/namespaces/default"
APPS = "/apis/apps/v1/namespaces/default"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


class Api:
    """One cluster's API over HTTPS, as its kubeconfig reaches it."""

    def __init__(self, target: Cluster, client: httpx.Client):
        self.cluster = target
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        content_type: str = JSON,
        timeout: float = 30.0,
    ) -> httpx.Response:
        headers = {}
        if body is not None:
            content = json.dumps(body).encode()
        if content is not None:
            headers["content-type"] = content_type
        return self.cluster.request(
            self.client, method, path, content=content, headers=headers, timeout=timeout
        )

    def get(self, path: str) -> httpx.Response:
        return self.call("GET", path)

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.call("PUT", path, body)

    def patch(self, path: str, content: bytes, content_type: str = MERGE) -> httpx.Response:
        return self.call("PATCH", path, content=content, content_type=content_type)

    def delete(self, path: str, body: Any = None) -> httpx.Response:
        return self.call("DELETE", path, body)

    def configmap(self, name: str, **metadata: Any) -> dict[str, Any]:
        response = self.post(
            f"{DEFAULT}/configmaps",
            {"metadata": {"name": name, **metadata}, "data": {"k": "v"}},
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="module")
def api(
    server: ServerProcess, spec: Spec, kubectl_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """One cluster per backend for the whole module (each test uses its own names)."""
    with Clients(spec).http(server.url, new_token()) as http:
        made = Cluster(http, kubectl_path, Path(tmp_path_factory.mktemp("odd")))
        with made.raw() as client:
            yield Api(made, client)


def status_of(response: httpx.Response, code: int, reason: str | None = None) -> dict[str, Any]:
    """The response is a Kubernetes Status with this code (and reason)."""
    assert response.status_code == code, f"{response.status_code}: {response.text[:500]}"
    body = response.json()
    assert body.get("kind") == "Status", body
    assert body.get("code") == code, body
    if reason is not None:
        assert body.get("reason") == reason, body
    return body


def deployment(name: str, **spec: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
            **spec,
        },
    }


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
    }


def crd(name: str, versions: list[dict[str, Any]], plural: str, kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": name.split(".", 1)[1],
            "scope": "Namespaced",
            "names": {"plural": plural, "kind": kind},
            "versions": versions,
        },
    }


def version(name: str, storage: bool = True, schema: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "served": True, "storage": storage}
    if schema:
        entry["schema"] = {
            "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        }
    return entry


# Malformed requests


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type", "code", "reason"),
    [
        ("POST", f"{DEFAULT}/configmaps", b"{bad", JSON, 400, "BadRequest"),
        ("POST", f"{DEFAULT}/configmaps", b"[]", JSON, 400, "BadRequest"),
        ("POST", f"{DEFAULT}/configmaps", b"", JSON, 400, "BadRequest"),
        ("POST", f"{DEFAULT}/configmaps", b"\xff\xfe", "application/yaml", 400, "BadRequest"),
        (
            "POST",
            f"{DEFAULT}/configmaps",
            b"garbage",
            "application/vnd.kubernetes.protobuf",
            400,
            "BadRequest",
        ),
        ("PUT", f"{DEFAULT}/configmaps", b"{}", JSON, 405, "MethodNotAllowed"),
        ("GET", "/apis/nope.example.com/v1/things", None, JSON, 404, "NotFound"),
        ("GET", f"{DEFAULT}/nodes", None, JSON, 404, "NotFound"),
        ("GET", f"{DEFAULT}/configmaps?continue=abc", None, JSON, 400, "BadRequest"),
        ("GET", f"{DEFAULT}/configmaps?limit=abc", None, JSON, 400, "BadRequest"),
        ("GET", f"{DEFAULT}/configmaps?labelSelector=x%3E1", None, JSON, 400, "BadRequest"),
        (
            "GET",
            f"{DEFAULT}/configmaps?watch=1&resourceVersion=abc",
            None,
            JSON,
            400,
            "BadRequest",
        ),
        (
            "PATCH",
            f"{DEFAULT}/configmaps/none-such",
            b"{}",
            "text/plain",
            415,
            "UnsupportedMediaType",
        ),
    ],
)
def test_malformed_requests_get_status_objects(
    api: Api,
    method: str,
    path: str,
    content: bytes | None,
    content_type: str,
    code: int,
    reason: str,
) -> None:
    status_of(api.call(method, path, content=content, content_type=content_type), code, reason)


def test_json_patch_on_a_missing_path_changes_nothing(api: Api) -> None:
    made = api.configmap("odd-jsonpatch")
    response = api.patch(
        f"{DEFAULT}/configmaps/odd-jsonpatch",
        b'[{"op":"add","path":"/data/x","value":"1"},{"op":"remove","path":"/nope/y"}]',
        "application/json-patch+json",
    )
    status_of(response, 422)
    after = api.get(f"{DEFAULT}/configmaps/odd-jsonpatch").json()
    assert after["data"] == {"k": "v"}
    assert after["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


# 500s: inputs that reach code expecting another shape


def test_delete_with_preconditions_not_an_object_is_a_400(api: Api) -> None:
    api.configmap("odd-precond")
    status_of(
        api.delete(f"{DEFAULT}/configmaps/odd-precond", {"preconditions": "x"}), 400, "BadRequest"
    )
    assert api.get(f"{DEFAULT}/configmaps/odd-precond").status_code == 200


def test_delete_with_a_wrongly_typed_option_deletes_nothing(api: Api) -> None:
    api.configmap("odd-grace")
    status_of(
        api.delete(f"{DEFAULT}/configmaps/odd-grace", {"gracePeriodSeconds": "x"}),
        400,
        "BadRequest",
    )
    assert api.get(f"{DEFAULT}/configmaps/odd-grace").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"spec": "x"}, {"spec": {"expirationSeconds": "abc"}}, []],
    ids=["spec-string", "expiration-string", "list"],
)
def test_token_request_with_a_malformed_body_is_a_400(api: Api, body: Any) -> None:
    status_of(api.post(f"{DEFAULT}/serviceaccounts/default/token", body), 400, "BadRequest")


def test_token_request_shorter_than_ten_minutes_is_invalid(api: Api) -> None:
    response = api.post(
        f"{DEFAULT}/serviceaccounts/default/token", {"spec": {"expirationSeconds": 10}}
    )
    status_of(response, 422, "Invalid")


def test_binding_with_a_malformed_target_is_a_400(api: Api) -> None:
    assert api.post(f"{DEFAULT}/pods", pod("odd-bind-bad")).status_code == 201
    status_of(api.post(f"{DEFAULT}/pods/odd-bind-bad/binding", {"target": "x"}), 400, "BadRequest")


def test_binding_without_a_target_name_is_invalid(api: Api) -> None:
    assert api.post(f"{DEFAULT}/pods", pod("odd-bind-none")).status_code == 201
    status_of(
        api.post(f"{DEFAULT}/pods/odd-bind-none/binding", {"metadata": {"name": "odd-bind-none"}}),
        422,
        "Invalid",
    )


def test_binding_an_already_bound_pod_is_a_conflict(api: Api) -> None:
    nodes = api.get("/api/v1/nodes").json()["items"]
    assert len(nodes) >= 2
    first, second = nodes[0]["metadata"]["name"], nodes[1]["metadata"]["name"]
    assert api.post(f"{DEFAULT}/pods", pod("odd-bind-twice", nodeName=first)).status_code == 201
    response = api.post(
        f"{DEFAULT}/pods/odd-bind-twice/binding",
        {"metadata": {"name": "odd-bind-twice"}, "target": {"kind": "Node", "name": second}},
    )
    status_of(response, 409, "Conflict")
    assert api.get(f"{DEFAULT}/pods/odd-bind-twice").json()["spec"]["nodeName"] == first


def test_scale_update_with_a_malformed_spec_is_a_400(api: Api) -> None:
    assert api.post(f"{APPS}/deployments", deployment("odd-scale-bad")).status_code == 201
    response = api.put(
        f"{APPS}/deployments/odd-scale-bad/scale",
        {"apiVersion": "autoscaling/v1", "kind": "Scale", "spec": "x"},
    )
    status_of(response, 400, "BadRequest")


def test_scale_patch_with_a_malformed_spec_is_a_400(api: Api) -> None:
    assert api.post(f"{APPS}/deployments", deployment("odd-scale-patch")).status_code == 201
    response = api.patch(f"{APPS}/deployments/odd-scale-patch/scale", b'{"spec":5}')
    status_of(response, 400, "BadRequest")
    assert api.get(f"{APPS}/deployments/odd-scale-patch").json()["spec"]["replicas"] == 1


def test_scale_update_with_another_name_is_a_400(api: Api) -> None:
    assert api.post(f"{APPS}/deployments", deployment("odd-scale-name")).status_code == 201
    response = api.put(
        f"{APPS}/deployments/odd-scale-name/scale",
        {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "other"},
            "spec": {"replicas": 2},
        },
    )
    status_of(response, 400, "BadRequest")
    assert api.get(f"{APPS}/deployments/odd-scale-name").json()["spec"]["replicas"] == 1


def test_server_side_apply_to_the_scale_subresource(api: Api) -> None:
    assert api.post(f"{APPS}/deployments", deployment("odd-scale-apply")).status_code == 201
    response = api.patch(
        f"{APPS}/deployments/odd-scale-apply/scale?fieldManager=odd&force=true",
        b"apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: odd-scale-apply}\n"
        b"spec: {replicas: 2}\n",
        APPLY,
    )
    assert response.status_code == 200, response.text
    assert api.get(f"{APPS}/deployments/odd-scale-apply").json()["spec"]["replicas"] == 2


def test_server_side_apply_to_the_status_of_an_absent_pod_is_not_found(api: Api) -> None:
    response = api.patch(
        f"{DEFAULT}/pods/odd-absent/status?fieldManager=odd",
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: odd-absent}\nstatus: {phase: Running}\n",
        APPLY,
    )
    status_of(response, 404, "NotFound")


# Deployments: values the controllers trust


def test_deployment_with_a_non_numeric_max_surge_is_invalid(api: Api) -> None:
    body = deployment(
        "odd-surge-abc",
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "abc"}},
    )
    status_of(api.post(f"{APPS}/deployments", body), 422, "Invalid")
    assert api.get(f"{APPS}/deployments/odd-surge-abc").status_code == 404


@pytest.mark.parametrize(
    "rolling",
    [
        {"maxSurge": 0, "maxUnavailable": 0},
        {"maxSurge": "0%", "maxUnavailable": "0%"},
        {"maxSurge": "150%", "maxUnavailable": "200%"},
        {"maxSurge": 1, "maxUnavailable": -1},
    ],
    ids=["zero-zero", "zero-percent", "unavailable-over-100", "negative"],
)
def test_deployment_with_impossible_rolling_update_is_invalid(
    api: Api, rolling: dict[str, Any]
) -> None:
    name = f"odd-rolling-{abs(hash(json.dumps(rolling))) % 100000}"
    body = deployment(name, strategy={"type": "RollingUpdate", "rollingUpdate": rolling})
    status_of(api.post(f"{APPS}/deployments", body), 422, "Invalid")
    assert api.get(f"{APPS}/deployments/{name}").status_code == 404


def test_deployment_replicas_beyond_int32_is_a_400(api: Api) -> None:
    body = deployment("odd-int32", replicas=2**40)
    status_of(api.post(f"{APPS}/deployments", body, timeout=20), 400, "BadRequest")


def test_deployment_with_a_hundred_thousand_replicas_is_created(cluster: Cluster) -> None:
    with cluster.raw() as client:
        big = Api(cluster, client)
        try:
            response = big.post(f"{APPS}/deployments", deployment("odd-huge", replicas=100000))
        except httpx.TimeoutException:
            pytest.fail("creating a deployment of 100000 replicas took over 30 s")
        assert response.status_code == 201, response.text[:300]
        # Its pods come in bursts, one transaction each: the first is there already. Deleting
        # it stops the rest (the server is shared with the other tests).
        pods = big.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dodd-huge").json()
        assert BURST <= len(pods["items"]) < 100000
        assert big.delete(f"{APPS}/deployments/odd-huge").status_code == 200


# Objects that move between namespaces, names and uids


@pytest.mark.parametrize("verb", ["put", "merge", "apply"])
def test_changing_the_namespace_in_the_body_is_a_400(api: Api, verb: str) -> None:
    name = f"odd-ns-{verb}"
    api.configmap(name)
    path = f"{DEFAULT}/configmaps/{name}"
    if verb == "put":
        response = api.put(
            path, {"metadata": {"name": name, "namespace": "kube-system"}, "data": {"k": "w"}}
        )
    elif verb == "merge":
        response = api.patch(path, b'{"metadata":{"namespace":"kube-system"},"data":{"k":"w"}}')
    else:
        response = api.patch(
            f"{path}?fieldManager=odd&force=true",
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: kube-system}}"
            "\ndata: {k: w}\n".encode(),
            APPLY,
        )
    status_of(response, 400, "BadRequest")
    assert api.get(path).json()["data"] == {"k": "v"}


def test_update_with_a_different_uid_is_a_conflict(api: Api) -> None:
    api.configmap("odd-uid")
    response = api.put(
        f"{DEFAULT}/configmaps/odd-uid",
        {
            "metadata": {"name": "odd-uid", "uid": "00000000-0000-0000-0000-000000000000"},
            "data": {"k": "w"},
        },
    )
    status_of(response, 409, "Conflict")
    assert api.get(f"{DEFAULT}/configmaps/odd-uid").json()["data"] == {"k": "v"}


def test_create_on_the_all_namespaces_path_is_not_allowed(api: Api) -> None:
    response = api.post(
        "/api/v1/configmaps", {"metadata": {"name": "odd-allns", "namespace": "default"}}
    )
    status_of(response, 405, "MethodNotAllowed")
    assert api.get(f"{DEFAULT}/configmaps/odd-allns").status_code == 404


def test_create_with_an_unknown_content_type_is_unsupported(api: Api) -> None:
    response = api.call(
        "POST",
        f"{DEFAULT}/configmaps",
        content=b'{"metadata":{"name":"odd-plain"}}',
        content_type="text/plain",
    )
    status_of(response, 415, "UnsupportedMediaType")
    assert api.get(f"{DEFAULT}/configmaps/odd-plain").status_code == 404


def test_unknown_dry_run_value_is_invalid_and_stores_nothing(api: Api) -> None:
    response = api.post(f"{DEFAULT}/configmaps?dryRun=bogus", {"metadata": {"name": "odd-dry"}})
    status_of(response, 422, "Invalid")
    assert api.get(f"{DEFAULT}/configmaps/odd-dry").status_code == 404


def test_dry_run_all_stores_nothing_on_each_verb(api: Api) -> None:
    made = api.configmap("odd-dry-all")
    path = f"{DEFAULT}/configmaps/odd-dry-all"
    created = api.post(f"{DEFAULT}/configmaps?dryRun=All", {"metadata": {"name": "odd-dry-new"}})
    assert created.status_code == 201, created.text
    assert api.get(f"{DEFAULT}/configmaps/odd-dry-new").status_code == 404
    changed = {"metadata": {"name": "odd-dry-all"}, "data": {"k": "w"}}
    assert api.call("PUT", f"{path}?dryRun=All", changed).status_code == 200
    assert api.patch(f"{path}?dryRun=All", b'{"data":{"k":"w"}}').status_code == 200
    assert api.delete(f"{path}?dryRun=All").status_code == 200
    after = api.get(path).json()
    assert after["data"] == {"k": "v"}
    assert after["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


# Metadata validation

OWNER = {"apiVersion": "v1", "kind": "ConfigMap", "controller": True}


@pytest.mark.parametrize(
    "metadata",
    [
        {"labels": {"bad key!": "v"}},
        {"labels": {"k": "v" * 64}},
        {"annotations": {"bad key": "v"}},
        {"finalizers": ["bad finalizer"]},
        {"ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "x"}]},
        {"ownerReferences": [OWNER | {"name": "x", "uid": "1"}, OWNER | {"name": "y", "uid": "2"}]},
    ],
    ids=["label-key", "label-value", "annotation-key", "finalizer", "no-owner-uid", "controllers"],
)
def test_invalid_metadata_is_refused(api: Api, metadata: dict[str, Any]) -> None:
    name = f"odd-meta-{next(iter(metadata))}-{len(json.dumps(metadata))}".lower()
    response = api.post(f"{DEFAULT}/configmaps", {"metadata": {"name": name, **metadata}})
    status_of(response, 422, "Invalid")
    assert api.get(f"{DEFAULT}/configmaps/{name}").status_code == 404


# Lists, selectors and watches


@pytest.mark.parametrize(
    "selector",
    ["-x%3D1", "x%3D-a", "x%3D" + "a" * 64, "a" * 64 + "%3D1", "x+in+()"],
    ids=["key-dash", "value-dash", "value-long", "key-long", "empty-set"],
)
def test_label_selector_with_invalid_parts_is_a_400(api: Api, selector: str) -> None:
    status_of(api.get(f"{DEFAULT}/configmaps?labelSelector={selector}"), 400, "BadRequest")


@pytest.mark.parametrize(
    "path",
    [f"{DEFAULT}/configmaps?fieldSelector=data.k%3Dv", "/api/v1/pods?fieldSelector=spec.bogus%3Dx"],
)
def test_field_selector_on_an_unsupported_field_is_a_400(api: Api, path: str) -> None:
    status_of(api.get(path), 400, "BadRequest")


def test_list_with_a_malformed_resource_version_is_a_400(api: Api) -> None:
    status_of(api.get(f"{DEFAULT}/configmaps?resourceVersion=abc"), 400, "BadRequest")


def test_list_with_an_unknown_resource_version_match_is_invalid(api: Api) -> None:
    response = api.get(f"{DEFAULT}/configmaps?resourceVersion=0&resourceVersionMatch=Bogus")
    status_of(response, 422, "Invalid")


def watch_events(api: Api, path: str) -> list[dict[str, Any]]:
    """The events of a watch that ends by its timeoutSeconds."""
    request = api.client.build_request(
        "GET", path, extensions={"sni_hostname": api.cluster.server_name}, timeout=15
    )
    response = api.client.send(request, stream=True)
    try:
        assert response.status_code == 200, response.read()
        return [json.loads(line) for line in response.iter_lines() if line.strip()]
    finally:
        response.close()


def test_legacy_watch_of_one_object_sends_only_that_object(api: Api) -> None:
    api.configmap("odd-watch-one")
    api.configmap("odd-watch-other")
    events = watch_events(
        api, "/api/v1/watch/namespaces/default/configmaps/odd-watch-one?timeoutSeconds=1"
    )
    names = {event["object"]["metadata"]["name"] for event in events}
    assert names == {"odd-watch-one"}


def test_legacy_watch_of_a_subresource_is_not_found(api: Api) -> None:
    status_of(api.get("/api/v1/watch/nodes/none-such/status?timeoutSeconds=1"), 404, "NotFound")


def test_get_of_the_namespace_finalize_subresource_is_not_allowed(api: Api) -> None:
    status_of(api.get("/api/v1/namespaces/default/finalize"), 405, "MethodNotAllowed")


# Namespaces being deleted


def test_namespace_waits_for_finalizers_and_refuses_new_content(api: Api) -> None:
    assert api.post("/api/v1/namespaces", {"metadata": {"name": "odd-term"}}).status_code == 201
    held = {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}
    assert api.post("/api/v1/namespaces/odd-term/configmaps", held).status_code == 201
    assert api.delete("/api/v1/namespaces/odd-term").status_code == 200
    namespace = api.get("/api/v1/namespaces/odd-term")
    assert namespace.status_code == 200, namespace.text
    assert namespace.json()["status"]["phase"] == "Terminating"
    still = api.get("/api/v1/namespaces/odd-term/configmaps/held")
    assert still.status_code == 200, still.text
    assert still.json()["metadata"].get("deletionTimestamp")
    created = api.post("/api/v1/namespaces/odd-term/configmaps", {"metadata": {"name": "late"}})
    status_of(created, 403, "Forbidden")
    # Releasing the finalizer lets the namespace go.
    released = api.patch(
        "/api/v1/namespaces/odd-term/configmaps/held", b'{"metadata":{"finalizers":null}}'
    )
    assert released.status_code == 200, released.text
    assert api.get("/api/v1/namespaces/odd-term").status_code == 404


# API versions and CRDs


def test_body_of_an_unserved_version_is_a_400(api: Api) -> None:
    body = deployment("odd-apps-v9")
    body["apiVersion"] = "apps/v9"
    status_of(api.post(f"{APPS}/deployments", body), 400, "BadRequest")
    assert api.get(f"{APPS}/deployments/odd-apps-v9").status_code == 404


@pytest.mark.parametrize(
    "versions",
    [
        [version("v1"), version("v1", storage=False)],
        [version("V1")],
        [version("v1", schema=False)],
    ],
    ids=["duplicate", "uppercase", "no-schema"],
)
def test_crd_with_invalid_versions_is_refused(api: Api, versions: list[dict[str, Any]]) -> None:
    plural = f"odd{len(json.dumps(versions))}{versions[0]['name'].lower()}s"
    name = f"{plural}.odd.example.com"
    response = api.post(CRDS, crd(name, versions, plural, "Odd"))
    status_of(response, 422, "Invalid")
    assert api.get(f"{CRDS}/{name}").status_code == 404


def test_custom_resources_go_with_their_crd(api: Api) -> None:
    name = "gadgets.odd.example.com"
    assert api.post(CRDS, crd(name, [version("v1")], "gadgets", "Gadget")).status_code == 201
    path = "/apis/odd.example.com/v1/namespaces/default/gadgets"
    made = api.post(
        path, {"apiVersion": "odd.example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    )
    assert made.status_code == 201, made.text
    assert api.delete(f"{CRDS}/{name}").status_code == 200
    status_of(api.get(f"{path}/g"), 404, "NotFound")
    assert api.post(CRDS, crd(name, [version("v1")], "gadgets", "Gadget")).status_code == 201
    assert api.get(path).json()["items"] == []


# Services and claims


@pytest.mark.parametrize(
    "service",
    [
        {"type": "ExternalName"},
        {"type": "NodePort", "ports": [{"port": 80, "nodePort": 1}]},
        {"clusterIP": "1.2.3.4", "ports": [{"port": 80}]},
    ],
    ids=["externalname-empty", "nodeport-range", "clusterip-range"],
)
def test_invalid_service_is_refused(api: Api, service: dict[str, Any]) -> None:
    name = f"odd-svc-{len(json.dumps(service))}"
    response = api.post(f"{DEFAULT}/services", {"metadata": {"name": name}, "spec": service})
    status_of(response, 422, "Invalid")
    assert api.get(f"{DEFAULT}/services/{name}").status_code == 404


def test_duplicate_node_port_is_refused(api: Api) -> None:
    spec = {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30777}]}
    first = api.post(f"{DEFAULT}/services", {"metadata": {"name": "odd-np-a"}, "spec": spec})
    assert first.status_code == 201, first.text
    second = api.post(f"{DEFAULT}/services", {"metadata": {"name": "odd-np-b"}, "spec": spec})
    status_of(second, 422, "Invalid")


def test_service_cluster_ip_is_immutable(api: Api) -> None:
    made = api.post(
        f"{DEFAULT}/services", {"metadata": {"name": "odd-cip"}, "spec": {"ports": [{"port": 80}]}}
    )
    assert made.status_code == 201, made.text
    address = made.json()["spec"]["clusterIP"]
    response = api.patch(f"{DEFAULT}/services/odd-cip", b'{"spec":{"clusterIP":"10.245.9.9"}}')
    status_of(response, 422, "Invalid")
    spec = api.get(f"{DEFAULT}/services/odd-cip").json()["spec"]
    assert spec["clusterIP"] == address == spec["clusterIPs"][0]


@pytest.mark.parametrize("resources", [{}, {"requests": {"storage": "-1Gi"}}], ids=["none", "neg"])
def test_claim_without_a_positive_storage_request_is_invalid(
    api: Api, resources: dict[str, Any]
) -> None:
    name = f"odd-pvc-{len(json.dumps(resources))}"
    body = {
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": resources},
    }
    status_of(api.post(f"{DEFAULT}/persistentvolumeclaims", body), 422, "Invalid")
    assert api.get(f"{DEFAULT}/persistentvolumeclaims/{name}").status_code == 404


def test_eviction_with_another_name_is_a_400(api: Api) -> None:
    assert api.post(f"{DEFAULT}/pods", pod("odd-evict")).status_code == 201
    response = api.post(
        f"{DEFAULT}/pods/odd-evict/eviction",
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "other"}},
    )
    status_of(response, 400, "BadRequest")
    assert api.get(f"{DEFAULT}/pods/odd-evict").status_code == 200
