"""Patch formats and managed fields of the Kubernetes API server (pure functions)."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import pytest

from localocean.areas.kubeapi.patch import (
    PRIMITIVE_SET,
    ApplyConflict,
    PatchError,
    apply,
    builtin_merge_key,
    decode_fields,
    default_manager,
    encode_fields,
    fields_of,
    format_path,
    json_patch,
    merge_patch,
    record_update,
    strategic_merge_patch,
)

T1 = "2025-03-01T10:00:00Z"
T2 = "2025-03-01T10:05:00Z"
T3 = "2025-03-01T10:10:00Z"
WEB_KEY = 'k:{"name":"web"}'
PORT_80 = 'k:{"containerPort":80,"protocol":"TCP"}'


def deployment(replicas: int = 2, image: str = "nginx:1.27", **extra: Any) -> dict[str, Any]:
    """What a user keeps in deployment.yaml."""
    container: dict[str, Any] = {"name": "web", "image": image, "ports": [{"containerPort": 80}]}
    container.update(extra)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [container]},
            },
        },
    }


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as the store would keep it: with the server's metadata."""
    out = copy.deepcopy(obj)
    out["metadata"].update(uid="0b7c", resourceVersion="41", creationTimestamp=T1, generation=1)
    return out


def managers(obj: dict[str, Any]) -> dict[tuple[str, str], set[tuple[str, ...]]]:
    return {
        (e["manager"], e["operation"]): decode_fields(e["fieldsV1"])
        for e in obj["metadata"].get("managedFields", [])
    }


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


DEPLOYMENT_KEYS = partial(builtin_merge_key, "Deployment")
IMAGE = ("f:spec", "f:template", "f:spec", "f:containers", WEB_KEY, "f:image")
REPLICAS = ("f:spec", "f:replicas")


# --- RFC 6902 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "operations", "expected"),
    [
        # RFC 6902 appendix A.1, A.2, A.3, A.4, A.5, A.6, A.7, A.10, A.14, A.16
        (
            {"foo": "bar"},
            [{"op": "add", "path": "/baz", "value": "qux"}],
            {"foo": "bar", "baz": "qux"},
        ),
        (
            {"foo": ["bar", "baz"]},
            [{"op": "add", "path": "/foo/1", "value": "qux"}],
            {"foo": ["bar", "qux", "baz"]},
        ),
        ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
        (
            {"foo": ["bar", "qux", "baz"]},
            [{"op": "remove", "path": "/foo/1"}],
            {"foo": ["bar", "baz"]},
        ),
        (
            {"baz": "qux", "foo": "bar"},
            [{"op": "replace", "path": "/baz", "value": "boo"}],
            {"baz": "boo", "foo": "bar"},
        ),
        (
            {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
            [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
            {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        ),
        (
            {"foo": ["all", "grass", "cows", "eat"]},
            [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
            {"foo": ["all", "cows", "eat", "grass"]},
        ),
        (
            {"foo": "bar"},
            [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
            {"foo": "bar", "child": {"grandchild": {}}},
        ),
        (
            {"/": 9, "~1": 10},
            [
                {"op": "test", "path": "/~01", "value": 10},
                {"op": "copy", "from": "/~1", "path": "/a~1b"},
            ],
            {"/": 9, "~1": 10, "a/b": 9},
        ),
        (
            {"foo": ["bar"]},
            [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
            {"foo": ["bar", ["abc", "def"]]},
        ),
        # A.8: tests that pass change nothing.
        (
            {"baz": "qux", "foo": ["a", 2, "c"]},
            [
                {"op": "test", "path": "/baz", "value": "qux"},
                {"op": "test", "path": "/foo/1", "value": 2},
            ],
            {"baz": "qux", "foo": ["a", 2, "c"]},
        ),
        # The whole document can be replaced.
        ({"a": 1}, [{"op": "replace", "path": "", "value": [1]}], [1]),
    ],
)
def test_json_patch_rfc_examples(document: Any, operations: list[Any], expected: Any) -> None:
    before = copy.deepcopy(document)
    assert json_patch(document, operations) == expected
    assert document == before


@pytest.mark.parametrize(
    ("document", "operations", "message"),
    [
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "test failed"),
        ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "missing path"),
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], "test failed"),
        ({"ok": True}, [{"op": "test", "path": "/ok", "value": 1}], "test failed"),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}], "own child"),
        ({"a": 1}, [{"op": "remove", "path": "/b"}], "missing path"),
        ({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}], "missing path"),
        ({"a": [1]}, [{"op": "add", "path": "/a/2", "value": 2}], "out of bounds"),
        ({"a": [1]}, [{"op": "add", "path": "/a/01", "value": 2}], "invalid array index"),
        ({"a": [1]}, [{"op": "remove", "path": "/a/-"}], "invalid array index"),
        ({"a": 1}, [{"op": "add", "path": "a", "value": 2}], "must start with '/'"),
        ({"a": 1}, [{"op": "add", "path": "/~2", "value": 2}], "followed by 0 or 1"),
        ({"a": 1}, [{"op": "add", "path": "/b"}], "missing 'value'"),
        ({"a": 1}, [{"op": "frobnicate", "path": "/a"}], "unknown JSON patch operation"),
        ({"a": 1}, {"op": "add"}, "list of operations"),
    ],
)
def test_json_patch_errors(document: Any, operations: Any, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        json_patch(document, operations)


def test_json_patch_failure_leaves_the_document_alone() -> None:
    document = {"spec": {"replicas": 2}}
    operations = [
        {"op": "replace", "path": "/spec/replicas", "value": 5},
        {"op": "test", "path": "/spec/replicas", "value": 2},
    ]
    with pytest.raises(PatchError):
        json_patch(document, operations)
    assert document == {"spec": {"replicas": 2}}


def test_json_patch_values_are_copied() -> None:
    labels = {"app": "web"}
    out = json_patch({}, [{"op": "add", "path": "/labels", "value": labels}])
    out["labels"]["tier"] = "front"
    assert labels == {"app": "web"}


# --- RFC 7386 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_rfc_examples(target: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy(target)
    assert merge_patch(target, patch) == expected
    assert target == before


def test_merge_patch_rfc_section_3_example() -> None:
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


# --- strategic merge patch -------------------------------------------------------------------


def live_deployment() -> dict[str, Any]:
    obj = stored(deployment())
    containers(obj)[0]["env"] = [
        {"name": "MODE", "value": "prod"},
        {"name": "LOG", "value": "info"},
    ]
    containers(obj).append({"name": "sidecar", "image": "envoy:1.30"})
    obj["spec"]["template"]["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    obj["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}}
    obj["metadata"]["finalizers"] = ["example.com/a", "example.com/b"]
    return obj


def test_strategic_patch_merges_containers_and_env_by_name() -> None:
    live = live_deployment()
    before = copy.deepcopy(live)
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.28",
                            "env": [{"name": "LOG", "value": "debug"}],
                        },
                        {"name": "metrics", "image": "prom/statsd-exporter:v0.27"},
                    ],
                    "tolerations": [{"key": "b", "operator": "Exists"}],
                }
            }
        }
    }
    out = strategic_merge_patch(live, patch, DEPLOYMENT_KEYS)
    assert containers(out) == [
        {
            "name": "web",
            "image": "nginx:1.28",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "MODE", "value": "prod"}, {"name": "LOG", "value": "debug"}],
        },
        {"name": "sidecar", "image": "envoy:1.30"},
        {"name": "metrics", "image": "prom/statsd-exporter:v0.27"},
    ]
    # Tolerations have no merge key: the patch replaces them.
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]
    assert live == before


def test_strategic_patch_kubectl_three_way_with_set_element_order() -> None:
    # What `kubectl apply` (client side) sends after the user removed the sidecar from the file,
    # put a new init container in, and moved LOG before MODE.
    live = live_deployment()
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "web"}],
                    "$setElementOrder/initContainers": [{"name": "migrate"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [{"name": "LOG"}, {"name": "MODE"}],
                            "name": "web",
                        },
                        {"$patch": "delete", "name": "sidecar"},
                    ],
                    "initContainers": [{"name": "migrate", "image": "migrate:4"}],
                }
            }
        }
    }
    out = strategic_merge_patch(live, patch, DEPLOYMENT_KEYS)
    assert containers(out) == [
        {
            "name": "web",
            "image": "nginx:1.27",
            "ports": [{"containerPort": 80}],
            "env": [{"name": "LOG", "value": "info"}, {"name": "MODE", "value": "prod"}],
        }
    ]
    assert out["spec"]["template"]["spec"]["initContainers"] == [
        {"name": "migrate", "image": "migrate:4"}
    ]
    assert "$setElementOrder/containers" not in out["spec"]["template"]["spec"]


def test_set_element_order_keeps_server_only_items_in_place() -> None:
    # The file lists metrics then web; sidecar was added by someone else and stays where the
    # server had it relative to web; metrics is new, so it follows the server-only item.
    live = live_deployment()
    patch: dict[str, Any] = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "metrics"}, {"name": "web"}],
                    "containers": [{"name": "metrics", "image": "statsd:1"}],
                }
            }
        }
    }
    out = strategic_merge_patch(live, patch, DEPLOYMENT_KEYS)
    assert [c["name"] for c in containers(out)] == ["sidecar", "metrics", "web"]
    patch["spec"]["template"]["spec"]["$setElementOrder/containers"] = [
        {"name": "web"},
        {"name": "metrics"},
    ]
    out = strategic_merge_patch(live, patch, DEPLOYMENT_KEYS)
    assert [c["name"] for c in containers(out)] == ["web", "sidecar", "metrics"]


def test_strategic_patch_finalizers_are_a_set() -> None:
    live = live_deployment()
    out = strategic_merge_patch(
        live, {"metadata": {"finalizers": ["example.com/b", "example.com/c"]}}, DEPLOYMENT_KEYS
    )
    assert out["metadata"]["finalizers"] == ["example.com/a", "example.com/b", "example.com/c"]
    patch = {
        "metadata": {
            "$deleteFromPrimitiveList/finalizers": ["example.com/a"],
            "$setElementOrder/finalizers": ["example.com/c", "example.com/b"],
            "finalizers": ["example.com/c"],
        }
    }
    out = strategic_merge_patch(live, patch, DEPLOYMENT_KEYS)
    assert out["metadata"]["finalizers"] == ["example.com/c", "example.com/b"]


def test_strategic_patch_retain_keys_switches_strategy() -> None:
    live = live_deployment()
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    out = strategic_merge_patch(live, patch, DEPLOYMENT_KEYS)
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(PatchError, match="retainKeys"):
        strategic_merge_patch(
            live,
            {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}},
            DEPLOYMENT_KEYS,
        )


def test_strategic_patch_replace_and_delete_directives() -> None:
    live = live_deployment()
    replace_list = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"$patch": "replace"}, {"name": "only", "image": "busybox"}]
                }
            }
        }
    }
    out = strategic_merge_patch(live, replace_list, DEPLOYMENT_KEYS)
    assert containers(out) == [{"name": "only", "image": "busybox"}]

    replace_map = {"metadata": {"labels": {"$patch": "replace", "tier": "front"}}}
    out = strategic_merge_patch(live, replace_map, DEPLOYMENT_KEYS)
    assert out["metadata"]["labels"] == {"tier": "front"}

    delete_map = {"spec": {"strategy": {"$patch": "delete"}}, "metadata": {"labels": None}}
    out = strategic_merge_patch(live, delete_map, DEPLOYMENT_KEYS)
    assert "strategy" not in out["spec"]
    assert "labels" not in out["metadata"]

    assert strategic_merge_patch(live, {"$patch": "delete"}, DEPLOYMENT_KEYS) == {}


def test_strategic_patch_errors() -> None:
    live = live_deployment()
    with pytest.raises(PatchError, match="does not contain declared merge key: name"):
        strategic_merge_patch(
            live,
            {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
            DEPLOYMENT_KEYS,
        )
    with pytest.raises(PatchError, match="unknown patch type"):
        strategic_merge_patch(live, {"spec": {"$patch": "frob"}}, DEPLOYMENT_KEYS)
    with pytest.raises(PatchError, match="JSON object"):
        strategic_merge_patch(live, [1], DEPLOYMENT_KEYS)


def test_strategic_patch_service_ports_merge_by_port() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "https", "port": 443},
            ],
        },
    }
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 8443, "name": "admin"}]}}
    out = strategic_merge_patch(service, patch, partial(builtin_merge_key, "Service"))
    assert out["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 9090},
        {"name": "https", "port": 443},
        {"port": 8443, "name": "admin"},
    ]


@pytest.mark.parametrize(
    ("kind", "path", "key"),
    [
        ("Pod", ("spec", "containers"), "name"),
        ("Pod", ("spec", "initContainers", "env"), "name"),
        ("Pod", ("spec", "ephemeralContainers", "volumeMounts"), "mountPath"),
        ("Pod", ("spec", "tolerations"), None),
        ("Pod", ("spec", "containers", "args"), None),
        ("Deployment", ("spec", "template", "spec", "containers", "ports"), "containerPort"),
        ("StatefulSet", ("spec", "template", "spec", "volumes"), "name"),
        ("DaemonSet", ("spec", "template", "spec", "containers", "volumeDevices"), "devicePath"),
        ("Job", ("spec", "template", "spec", "imagePullSecrets"), "name"),
        ("ReplicaSet", ("spec", "template", "spec", "hostAliases"), "ip"),
        ("CronJob", ("spec", "jobTemplate", "spec", "template", "spec", "containers"), "name"),
        ("CronJob", ("spec", "jobTemplate", "spec", "template", "spec", "resourceClaims"), "name"),
        ("Deployment", ("spec", "template", "spec", "topologySpreadConstraints"), "topologyKey"),
        ("CronJob", ("spec", "template", "spec", "containers"), None),
        ("Service", ("spec", "ports"), "port"),
        ("Service", ("spec", "externalIPs"), None),
        ("Node", ("spec", "taints"), None),
        ("Node", ("status", "conditions"), "type"),
        ("Deployment", ("status", "conditions"), "type"),
        ("ConfigMap", ("metadata", "finalizers"), PRIMITIVE_SET),
        ("Ingress", ("metadata", "ownerReferences"), "uid"),
        ("Ingress", ("spec", "rules"), None),
        ("NetworkPolicy", ("spec", "ingress"), None),
        ("Role", ("rules",), None),
        ("Widget", ("spec", "containers"), None),
    ],
)
def test_builtin_merge_keys(kind: str, path: tuple[str, ...], key: str | None) -> None:
    assert builtin_merge_key(kind, path) == key


# --- field sets ------------------------------------------------------------------------------


def test_fields_of_a_deployment_and_its_fieldsv1_form() -> None:
    obj = stored(deployment())
    obj["status"] = {"replicas": 2}
    obj["metadata"]["finalizers"] = ["example.com/a"]
    paths = fields_of(obj, "Deployment")
    assert encode_fields(paths) == {
        "f:metadata": {"f:finalizers": {'v:"example.com/a"': {}}, "f:labels": {"f:app": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:containers": {
                        WEB_KEY: {
                            ".": {},
                            "f:image": {},
                            "f:name": {},
                            "f:ports": {PORT_80: {".": {}, "f:containerPort": {}}},
                        }
                    }
                },
            },
        },
    }
    assert decode_fields(encode_fields(paths)) == paths


def test_fields_of_a_custom_resource_has_atomic_lists() -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "finalizers": ["example.com/x"]},
        "spec": {"containers": [{"name": "a"}], "size": {"cpu": 1}},
    }
    assert fields_of(widget, "Widget") == {
        ("f:metadata", "f:finalizers", 'v:"example.com/x"'),
        ("f:spec", "f:containers"),
        ("f:spec", "f:size", "f:cpu"),
    }


def test_format_path() -> None:
    assert format_path(IMAGE) == '.spec.template.spec.containers[name="web"].image'
    port = ("f:spec", "f:ports", 'k:{"port":443,"protocol":"TCP"}', "f:targetPort")
    assert format_path(port) == '.spec.ports[port=443,protocol="TCP"].targetPort'
    assert format_path(("f:metadata", "f:finalizers", 'v:"a"')) == '.metadata.finalizers[="a"]'


def test_decode_fields_rejects_junk() -> None:
    with pytest.raises(PatchError):
        decode_fields({"f:spec": "yes"})


# --- server-side apply -----------------------------------------------------------------------


def test_apply_creates_with_an_apply_entry() -> None:
    config = deployment()
    out = apply(None, config, "kubectl", False, "Deployment", "apps/v1", T1)
    assert out["metadata"]["managedFields"] == [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {
                            "f:containers": {
                                WEB_KEY: {
                                    ".": {},
                                    "f:image": {},
                                    "f:name": {},
                                    "f:ports": {PORT_80: {".": {}, "f:containerPort": {}}},
                                }
                            }
                        },
                    },
                },
            },
        }
    ]
    del out["metadata"]["managedFields"]
    assert out == config
    assert "managedFields" not in config["metadata"]


def test_apply_again_unchanged_is_a_no_op() -> None:
    live = stored(apply(None, deployment(), "kubectl", False, "Deployment", "apps/v1", T1))
    assert apply(live, deployment(), "kubectl", False, "Deployment", "apps/v1", T2) == live


def test_apply_then_kubectl_patch_then_apply_conflicts_on_the_image() -> None:
    live = stored(apply(None, deployment(), "kubectl", False, "Deployment", "apps/v1", T1))
    # `kubectl set image deployment/web web=nginx:1.28`
    patch = {
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}
    }
    patched = record_update(
        live,
        strategic_merge_patch(live, patch, DEPLOYMENT_KEYS),
        "kubectl-set",
        "Deployment",
        "apps/v1",
        T2,
    )
    assert containers(patched)[0]["image"] == "nginx:1.28"
    owners = managers(patched)
    assert owners[("kubectl-set", "Update")] == {IMAGE}
    assert IMAGE not in owners[("kubectl", "Apply")]
    assert patched["metadata"]["managedFields"][1]["time"] == T2

    with pytest.raises(ApplyConflict) as caught:
        apply(patched, deployment(replicas=3), "kubectl", False, "Deployment", "apps/v1", T3)
    assert caught.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: '
        '.spec.template.spec.containers[name="web"].image'
    )
    assert caught.value.conflicts == [
        ('.spec.template.spec.containers[name="web"].image', "kubectl-set")
    ]
    assert caught.value.causes == [
        {
            "type": "FieldManagerConflict",
            "message": 'conflict with "kubectl-set" using apps/v1',
            "field": '.spec.template.spec.containers[name="web"].image',
        }
    ]

    # Applying the image the other manager set is no conflict: the two share the field.
    shared = apply(
        patched,
        deployment(replicas=3, image="nginx:1.28"),
        "kubectl",
        False,
        "Deployment",
        "apps/v1",
        T3,
    )
    assert shared["spec"]["replicas"] == 3
    owners = managers(shared)
    assert IMAGE in owners[("kubectl", "Apply")]
    assert owners[("kubectl-set", "Update")] == {IMAGE}


def test_conflict_on_replicas_then_force() -> None:
    # Created by client-side `kubectl apply` with 3 replicas.
    created = record_update(
        None,
        stored(deployment(replicas=3)),
        "kubectl-client-side-apply",
        "Deployment",
        "apps/v1",
        T1,
    )
    assert managers(created) == {
        ("kubectl-client-side-apply", "Update"): fields_of(deployment(), "Deployment")
    }
    with pytest.raises(ApplyConflict) as caught:
        apply(created, deployment(replicas=5), "kubectl", False, "Deployment", "apps/v1", T2)
    assert str(caught.value) == (
        "Apply failed with 1 conflict: "
        'conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )
    assert caught.value.conflicts == [(".spec.replicas", "kubectl-client-side-apply")]

    forced = apply(created, deployment(replicas=5), "kubectl", True, "Deployment", "apps/v1", T2)
    assert forced["spec"]["replicas"] == 5
    owners = managers(forced)
    # Everything else had the same value, so both managers own it; replicas moved.
    assert owners[("kubectl", "Apply")] == fields_of(deployment(), "Deployment")
    assert owners[("kubectl-client-side-apply", "Update")] == fields_of(
        deployment(), "Deployment"
    ) - {REPLICAS}
    # Apply entries sort before Update entries.
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == [
        "kubectl",
        "kubectl-client-side-apply",
    ]


def test_conflicts_with_several_fields_and_managers() -> None:
    live = stored(apply(None, deployment(), "ci", False, "Deployment", "apps/v1", T1))
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 4
    edited["metadata"]["labels"]["app"] = "site"
    edited = record_update(live, edited, "kubectl-edit", "Deployment", "apps/v1", T2)
    config = deployment(replicas=6, image="nginx:1.29")
    with pytest.raises(ApplyConflict) as caught:
        apply(edited, config, "helm", False, "Deployment", "apps/v1", T3)
    assert caught.value.message == (
        "Apply failed with 3 conflicts: "
        'conflicts with "ci":\n'
        '- .spec.template.spec.containers[name="web"].image\n'
        'conflicts with "kubectl-edit" using apps/v1:\n'
        "- .metadata.labels.app\n"
        "- .spec.replicas"
    )


def test_field_dropped_from_the_config_is_removed() -> None:
    config = deployment(env=[{"name": "MODE", "value": "prod"}])
    config["metadata"]["labels"]["team"] = "web"
    config["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "envoy:1.30"}
    )
    live = stored(apply(None, config, "kubectl", False, "Deployment", "apps/v1", T1))
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = (
        "IfNotPresent"  # defaulted
    )

    out = apply(live, deployment(), "kubectl", False, "Deployment", "apps/v1", T2)
    assert out["metadata"]["labels"] == {"app": "web"}
    assert containers(out) == [
        {
            "name": "web",
            "image": "nginx:1.27",
            "ports": [{"containerPort": 80}],
            "imagePullPolicy": "IfNotPresent",
        }
    ]
    assert managers(out) == {("kubectl", "Apply"): fields_of(deployment(), "Deployment")}
    assert out["metadata"]["managedFields"][0]["time"] == T2
    assert out["metadata"]["uid"] == "0b7c"


def test_field_dropped_from_the_config_stays_when_another_manager_owns_it() -> None:
    config = deployment()
    config["metadata"]["labels"]["team"] = "web"
    live = stored(apply(None, config, "kubectl", False, "Deployment", "apps/v1", T1))
    # A controller sets the same label and a container env var with an Update.
    changed = copy.deepcopy(live)
    changed["spec"]["template"]["spec"]["containers"][0]["env"] = [
        {"name": "POD_IP", "value": "10.0.0.1"}
    ]
    live = record_update(live, changed, "injector", "Deployment", "apps/v1", T2)
    live["metadata"]["managedFields"][1]["fieldsV1"]["f:metadata"] = {"f:labels": {"f:team": {}}}

    out = apply(live, deployment(), "kubectl", False, "Deployment", "apps/v1", T3)
    assert out["metadata"]["labels"] == {"app": "web", "team": "web"}
    assert containers(out)[0]["env"] == [{"name": "POD_IP", "value": "10.0.0.1"}]

    # Dropping the whole container keeps it for the injector's env var, without kubectl's fields.
    config = deployment()
    config["spec"]["template"]["spec"]["containers"] = [{"name": "api", "image": "api:2"}]
    out = apply(live, config, "kubectl", False, "Deployment", "apps/v1", T3)
    assert containers(out) == [
        {"name": "web", "env": [{"name": "POD_IP", "value": "10.0.0.1"}]},
        {"name": "api", "image": "api:2"},
    ]


def test_apply_merges_associative_lists_and_keeps_live_only_items() -> None:
    live = stored(apply(None, deployment(), "kubectl", False, "Deployment", "apps/v1", T1))
    containers(live).insert(0, {"name": "istio-proxy", "image": "proxyv2:1.22"})
    config = deployment(image="nginx:1.28")
    containers(config).append({"name": "metrics", "image": "statsd:1"})
    containers(config)[0]["ports"].append({"containerPort": 80, "protocol": "UDP"})
    out = apply(live, config, "kubectl", False, "Deployment", "apps/v1", T2)
    assert containers(out) == [
        {"name": "istio-proxy", "image": "proxyv2:1.22"},
        {
            "name": "web",
            "image": "nginx:1.28",
            "ports": [{"containerPort": 80}, {"containerPort": 80, "protocol": "UDP"}],
        },
        {"name": "metrics", "image": "statsd:1"},
    ]


def test_apply_reorders_shared_items_and_keeps_server_items_where_met() -> None:
    live = stored(apply(None, deployment(), "kubectl", False, "Deployment", "apps/v1", T1))
    containers(live)[:] = [
        {"name": "a", "image": "a:1"},
        {"name": "x", "image": "x:1"},
        {"name": "b", "image": "b:1"},
    ]
    config = deployment()
    config["spec"]["template"]["spec"]["containers"] = [
        {"name": "b", "image": "b:2"},
        {"name": "a", "image": "a:2"},
    ]
    out = apply(live, config, "kubectl", False, "Deployment", "apps/v1", T2)
    assert containers(out) == [
        {"name": "x", "image": "x:1"},
        {"name": "b", "image": "b:2"},
        {"name": "a", "image": "a:2"},
    ]


def test_strategic_patch_status_conditions_merge_by_type() -> None:
    pod = {
        "status": {
            "conditions": [
                {"type": "Ready", "status": "False"},
                {"type": "PodScheduled", "status": "True"},
            ]
        }
    }
    patch = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    out = strategic_merge_patch(pod, patch, partial(builtin_merge_key, "Pod"))
    assert out["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "PodScheduled", "status": "True"},
    ]


def test_apply_custom_resource_lists_are_replaced() -> None:
    widget: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"items": [{"name": "a"}, {"name": "b"}]},
    }
    live = stored(apply(None, widget, "op", False, "Widget", "example.com/v1", T1))
    config = copy.deepcopy(widget)
    config["spec"]["items"] = [{"name": "c"}]
    out = apply(live, config, "op", False, "Widget", "example.com/v1", T2)
    assert out["spec"]["items"] == [{"name": "c"}]
    assert managers(out) == {("op", "Apply"): {("f:spec", "f:items")}}


def test_apply_ignores_status_and_server_metadata() -> None:
    live = stored(apply(None, deployment(), "kubectl", False, "Deployment", "apps/v1", T1))
    live["status"] = {"replicas": 2}
    config = deployment()
    config["status"] = {"replicas": 9}
    config["metadata"]["uid"] = "other"
    out = apply(live, config, "kubectl", False, "Deployment", "apps/v1", T2)
    assert out["status"] == {"replicas": 2}
    assert out["metadata"]["uid"] == "0b7c"


@pytest.mark.parametrize(
    ("container_list", "message"),
    [
        ([{"image": "x"}], "omits key field 'name'"),
        ([{"name": "a"}, {"name": "a"}], 'duplicate entries for key \\[name="a"\\]'),
    ],
)
def test_apply_rejects_lists_without_usable_keys(container_list: list[Any], message: str) -> None:
    config = deployment()
    config["spec"]["template"]["spec"]["containers"] = container_list
    with pytest.raises(PatchError, match=message):
        apply(None, config, "kubectl", False, "Deployment", "apps/v1", T1)


def test_apply_needs_a_manager_and_no_managed_fields() -> None:
    with pytest.raises(PatchError, match="fieldManager"):
        apply(None, deployment(), "", False, "Deployment", "apps/v1", T1)
    config = deployment()
    config["metadata"]["managedFields"] = []
    with pytest.raises(PatchError, match="managedFields must be nil"):
        apply(None, config, "kubectl", False, "Deployment", "apps/v1", T1)


# --- updates ---------------------------------------------------------------------------------


def test_record_update_moves_changed_fields_and_drops_empty_entries() -> None:
    created = record_update(
        None, stored(deployment()), "kubectl-create", "Deployment", "apps/v1", T1
    )
    assert [e["time"] for e in created["metadata"]["managedFields"]] == [T1]

    scaled = copy.deepcopy(created)
    scaled["spec"]["replicas"] = 5
    scaled = record_update(created, scaled, "kubectl-scale", "Deployment", "apps/v1", T2)
    assert managers(scaled)[("kubectl-scale", "Update")] == {REPLICAS}
    assert REPLICAS not in managers(scaled)[("kubectl-create", "Update")]

    # Removing a field takes it from everyone; a manager left with nothing disappears.
    trimmed = copy.deepcopy(scaled)
    del trimmed["spec"]["replicas"]
    trimmed = record_update(scaled, trimmed, "kubectl-edit", "Deployment", "apps/v1", T3)
    assert set(managers(trimmed)) == {("kubectl-create", "Update")}

    # An update that changes nothing leaves managedFields as they were.
    again = record_update(
        trimmed, copy.deepcopy(trimmed), "kubectl-edit", "Deployment", "apps/v1", T3
    )
    assert again["metadata"]["managedFields"] == trimmed["metadata"]["managedFields"]


def test_record_update_honours_sent_managed_fields() -> None:
    created = record_update(
        None, stored(deployment()), "kubectl-create", "Deployment", "apps/v1", T1
    )
    reset = copy.deepcopy(created)
    reset["metadata"]["managedFields"] = [{}]
    assert (
        "managedFields"
        not in record_update(created, reset, "x", "Deployment", "apps/v1", T2)["metadata"]
    )
    omitted = copy.deepcopy(created)
    del omitted["metadata"]["managedFields"]
    kept = record_update(created, omitted, "x", "Deployment", "apps/v1", T2)
    assert kept["metadata"]["managedFields"] == created["metadata"]["managedFields"]


@pytest.mark.parametrize(
    ("agent", "manager"),
    [
        ("kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd", "kubectl"),
        ("Go-http-client/1.1", "Go-http-client"),
        ("helm", "helm"),
        ("a\tb/1", "ab"),
        ("x" * 200, "x" * 128),
    ],
)
def test_default_manager(agent: str, manager: str) -> None:
    assert default_manager(agent) == manager
