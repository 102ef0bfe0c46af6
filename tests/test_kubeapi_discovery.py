"""The Kubernetes API server's self-description: the catalog, discovery and OpenAPI documents."""

from __future__ import annotations

from typing import Any

from localocean.areas.kubeapi import catalog, discovery

BUILTIN = list(catalog.BUILTIN)

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {
            "kind": "Widget",
            "plural": "widgets",
            "singular": "widget",
            "shortNames": ["wd"],
            "categories": ["all"],
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                        },
                    }
                },
            },
            {"name": "v1beta1", "served": True, "storage": False},
            {"name": "v1alpha1", "served": False, "storage": False},
        ],
    },
}


def _entry(listing: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [r for r in listing["resources"] if r["name"] == name]
    assert len(matches) == 1, name
    return matches[0]


def test_pods_in_the_core_resource_list() -> None:
    listing = discovery.resource_list(BUILTIN, "", "v1")
    assert listing is not None
    assert listing["kind"] == "APIResourceList"
    assert listing["groupVersion"] == "v1"
    pods = _entry(listing, "pods")
    assert pods["shortNames"] == ["po"]
    assert pods["categories"] == ["all"]
    assert pods["singularName"] == "pod"
    assert pods["namespaced"] is True
    assert pods["kind"] == "Pod"
    assert pods["verbs"] == list(catalog.ALL_VERBS)
    pod_type = catalog.find(BUILTIN, "", "v1", "pods")
    assert pod_type is not None
    assert pods["storageVersionHash"] == discovery.storage_version_hash(pod_type)
    names = {r["name"] for r in listing["resources"]}
    for sub in ("log", "exec", "attach", "portforward", "eviction", "binding", "status"):
        assert f"pods/{sub}" in names
    assert _entry(listing, "pods/log")["verbs"] == ["get"]
    eviction = _entry(listing, "pods/eviction")
    assert (eviction["group"], eviction["version"], eviction["kind"]) == (
        "policy",
        "v1",
        "Eviction",
    )
    assert "group" not in _entry(listing, "pods/status")
    token = _entry(listing, "serviceaccounts/token")
    assert (token["group"], token["kind"], token["verbs"]) == (
        "authentication.k8s.io",
        "TokenRequest",
        ["create"],
    )


def test_short_names_and_scopes() -> None:
    expected = {
        ("", "services"): ("svc",),
        ("", "namespaces"): ("ns",),
        ("", "nodes"): ("no",),
        ("", "configmaps"): ("cm",),
        ("", "persistentvolumeclaims"): ("pvc",),
        ("apps", "deployments"): ("deploy",),
        ("apps", "statefulsets"): ("sts",),
        ("batch", "cronjobs"): ("cj",),
        ("networking.k8s.io", "networkpolicies"): ("netpol",),
        ("apiextensions.k8s.io", "customresourcedefinitions"): ("crd", "crds"),
        ("policy", "poddisruptionbudgets"): ("pdb",),
        ("scheduling.k8s.io", "priorityclasses"): ("pc",),
    }
    for (group, plural), short in expected.items():
        found = [r for r in BUILTIN if r.group == group and r.plural == plural]
        assert found and found[0].short_names == short, plural
    nodes = catalog.find(BUILTIN, "", "v1", "nodes")
    assert nodes is not None and nodes.namespaced is False
    review = catalog.find(BUILTIN, "authorization.k8s.io", "v1", "selfsubjectaccessreviews")
    assert review is not None and review.verbs == ("create",)
    deployment = catalog.find(BUILTIN, "apps", "v1", "deployments")
    assert deployment is not None
    assert (deployment.api_version, deployment.list_kind) == ("apps/v1", "DeploymentList")
    assert catalog.find(BUILTIN, "apps", "v1", "widgets") is None


def test_group_list_and_preferred_versions() -> None:
    groups = discovery.group_list(BUILTIN)
    assert groups["kind"] == "APIGroupList"
    names = [g["name"] for g in groups["groups"]]
    assert "" not in names
    autoscaling = next(g for g in groups["groups"] if g["name"] == "autoscaling")
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]
    assert autoscaling["preferredVersion"] == {"groupVersion": "autoscaling/v2", "version": "v2"}
    assert catalog.preferred_versions(BUILTIN)["autoscaling"] == "v2"
    apps = discovery.group(BUILTIN, "apps")
    assert apps is not None
    assert apps["kind"] == "APIGroup"
    assert apps["preferredVersion"]["groupVersion"] == "apps/v1"
    assert discovery.group(BUILTIN, "nope.example.com") is None
    assert discovery.api_versions("10.0.0.1:443") == {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:443"}
        ],
    }


def test_version_priority_orders_like_kubernetes() -> None:
    versions = ["v1alpha1", "v1", "v2beta1", "v1beta2", "v2", "foo"]
    assert sorted(versions, key=catalog.version_priority) == [
        "v2",
        "v1",
        "v2beta1",
        "v1beta2",
        "v1alpha1",
        "foo",
    ]


def test_accept_header_choice() -> None:
    kubectl_132 = (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
        "application/json"
    )
    assert discovery.accepts_aggregated(kubectl_132) == "v2"
    assert (
        discovery.accepts_aggregated(
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
            "application/json"
        )
        == "v2beta1"
    )
    assert discovery.accepts_aggregated("application/json") is None
    assert discovery.accepts_aggregated("") is None
    assert discovery.accepts_aggregated(None) is None
    assert (
        discovery.accepts_aggregated(
            "application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
        )
        is None
    )
    assert (
        discovery.accepts_aggregated(
            "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList"
        )
        is None
    )
    assert discovery.aggregated_content_type("v2") == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )


def test_aggregated_discovery_lists_deployments_with_scale() -> None:
    document = discovery.aggregated(BUILTIN, legacy=False)
    assert document["kind"] == "APIGroupDiscoveryList"
    assert document["apiVersion"] == "apidiscovery.k8s.io/v2"
    names = [item["metadata"]["name"] for item in document["items"]]
    assert "apps" in names
    assert "" not in names
    apps = document["items"][names.index("apps")]
    (v1,) = apps["versions"]
    assert v1["version"] == "v1"
    assert v1["freshness"] == "Current"
    deployments = next(r for r in v1["resources"] if r["resource"] == "deployments")
    assert deployments["responseKind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert deployments["scope"] == "Namespaced"
    assert deployments["singularResource"] == "deployment"
    assert deployments["shortNames"] == ["deploy"]
    assert deployments["categories"] == ["all"]
    assert {
        "subresource": "scale",
        "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
        "verbs": ["get", "patch", "update"],
    } in deployments["subresources"]
    autoscaling = document["items"][names.index("autoscaling")]
    assert [v["version"] for v in autoscaling["versions"]] == ["v2", "v1"]

    legacy = discovery.aggregated(BUILTIN, legacy=True, version="v2beta1")
    assert legacy["apiVersion"] == "apidiscovery.k8s.io/v2beta1"
    assert len(legacy["items"]) == 1
    core_resources = legacy["items"][0]["versions"][0]["resources"]
    nodes = next(r for r in core_resources if r["resource"] == "nodes")
    assert nodes["scope"] == "Cluster"


def _apps_v1() -> dict[str, Any]:
    document = discovery.openapi_v3_group(BUILTIN, "apps", "v1")
    assert document is not None
    return document


def test_openapi_v3_deployment_patch_operation() -> None:
    document = _apps_v1()
    path = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
    patch = path["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert patch["x-kubernetes-action"] == "patch"
    query = {p["name"] for p in patch["parameters"] if p["in"] == "query"}
    assert {"dryRun", "fieldManager", "fieldValidation", "force"} <= query
    assert list(patch["requestBody"]["content"]) == list(discovery.PATCH_TYPES_BUILTIN)
    assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    assert {"get", "put", "patch", "delete"} <= set(path)
    assert [p["name"] for p in path["parameters"]] == ["name", "namespace", "pretty"]
    collection = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]
    assert collection["get"]["x-kubernetes-action"] == "list"
    assert collection["post"]["x-kubernetes-action"] == "post"
    assert collection["delete"]["x-kubernetes-action"] == "deletecollection"
    assert "/apis/apps/v1/deployments" in document["paths"]
    scale = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["patch"]["x-kubernetes-group-version-kind"]["kind"] == "Scale"
    # Every PATCH of a kind carries fieldValidation: kubectl's verifier checks the first it meets.
    for item in document["paths"].values():
        if "patch" in item:
            names = {p["name"] for p in item["patch"]["parameters"]}
            assert "fieldValidation" in names


def test_openapi_v3_deployment_schema() -> None:
    schemas = _apps_v1()["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "version": "v1", "kind": "Deployment"}
    ]
    spec_ref = deployment["properties"]["spec"]["$ref"]
    assert spec_ref == "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"
    template_ref = schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"]["$ref"]
    pod_template = schemas[template_ref.rsplit("/", 1)[1]]
    pod_spec = schemas[pod_template["properties"]["spec"]["$ref"].rsplit("/", 1)[1]]
    containers = pod_spec["properties"]["containers"]
    assert containers["type"] == "array"
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    ports = schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"]
    assert ports["x-kubernetes-patch-merge-key"] == "containerPort"
    assert schemas["io.k8s.api.core.v1.Container"]["required"] == ["name"]
    assert schemas["io.k8s.api.apps.v1.DeploymentList"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "version": "v1", "kind": "DeploymentList"}
    ]
    # Every reference resolves within the document.
    text = repr(_apps_v1())
    for name in {part.split("'")[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in schemas, name


def test_openapi_v3_root_urls_carry_the_prefix() -> None:
    root = discovery.openapi_v3_root(BUILTIN, "/k8s/abc/")
    url = root["paths"]["apis/apps/v1"]["serverRelativeURL"]
    digest = discovery.openapi_v3_hash(BUILTIN, "apps", "v1")
    assert url == f"/k8s/abc/openapi/v3/apis/apps/v1?hash={digest}"
    assert root["paths"]["api/v1"]["serverRelativeURL"].startswith("/k8s/abc/openapi/v3/api/v1?")
    bare = discovery.openapi_v3_root(BUILTIN, "")
    assert bare["paths"]["api/v1"]["serverRelativeURL"].startswith("/openapi/v3/api/v1?hash=")
    assert discovery.openapi_v3_hash(BUILTIN, "apps", "v1") == digest
    assert discovery.openapi_v3_hash(BUILTIN, "batch", "v1") != digest


def test_crd_resources_discovery_and_openapi() -> None:
    widgets = catalog.resource_from_crd(WIDGET_CRD)
    assert [(r.version, r.subresources) for r in widgets] == [("v1", ("status",)), ("v1beta1", ())]
    v1 = widgets[0]
    assert (v1.group, v1.kind, v1.plural, v1.singular, v1.namespaced, v1.custom) == (
        "example.com",
        "Widget",
        "widgets",
        "widget",
        True,
        True,
    )
    assert v1.short_names == ("wd",)
    served = BUILTIN + widgets
    assert catalog.preferred_versions(served)["example.com"] == "v1"
    listing = discovery.resource_list(served, "example.com", "v1")
    assert listing is not None
    assert _entry(listing, "widgets")["shortNames"] == ["wd"]
    assert _entry(listing, "widgets/status")["kind"] == "Widget"

    document = discovery.openapi_v3_group(served, "example.com", "v1")
    assert document is not None
    patch = document["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "example.com",
        "version": "v1",
        "kind": "Widget",
    }
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
    assert "application/merge-patch+json" in patch["requestBody"]["content"]
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    schema = document["components"]["schemas"]["com.example.v1.Widget"]
    assert schema["properties"]["spec"]["properties"]["size"] == {"type": "integer"}
    assert schema["properties"]["metadata"] == {
        "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    }
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": "example.com", "version": "v1", "kind": "Widget"}
    ]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in document["components"]["schemas"]
    untyped = discovery.openapi_v3_group(served, "example.com", "v1beta1")
    assert untyped is not None
    assert untyped["components"]["schemas"]["com.example.v1beta1.Widget"][
        "x-kubernetes-preserve-unknown-fields"
    ]
    assert discovery.openapi_v3_group(served, "example.com", "v1alpha1") is None
    assert catalog.resource_from_crd({"spec": {}}) == []


def test_openapi_v2_document() -> None:
    document = discovery.openapi_v2(BUILTIN)
    assert document["swagger"] == "2.0"
    patch = document["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"]
    assert patch["consumes"] == list(discovery.PATCH_TYPES_BUILTIN)
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    pod = document["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["properties"]["spec"] == {"$ref": "#/definitions/io.k8s.api.core.v1.PodSpec"}
    assert "/apis/apps/v1/namespaces/{namespace}/deployments/{name}" in document["paths"]
