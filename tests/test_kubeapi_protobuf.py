"""Decoding Kubernetes protobuf request bodies (kubeapi/protobuf.py).

The fixtures under tests/data/kubeproto/ are the bodies kubectl v1.32 sent for `kubectl create ...`
(captured by `tests/support/kube_capture.py`); when kubectl is installed the same commands also
run live against a throwaway localhost server. Hand-made envelopes cover the special types.
"""

from __future__ import annotations

import base64
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from localocean.areas.kubeapi import protobuf
from localocean.areas.kubeapi.protobuf import decode
from tests.support.kube_capture import COMMANDS, capture

DATA = Path(__file__).resolve().parent / "data" / "kubeproto"

# What kube-apiserver's Go structs hold for each `kubectl create` (as encoding/json renders them).
EXPECTED: dict[str, dict[str, Any]] = {
    "namespace": {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {"name": "team"},
        "spec": {},
        "status": {},
    },
    "deployment": {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": "web", "namespace": "ns1", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}],
                            "resources": {},
                        }
                    ]
                },
            },
            "strategy": {},
        },
        "status": {},
    },
    "configmap": {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "c", "namespace": "ns1"},
        "data": {"a": "b", "x": "y"},
    },
    "secret": {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "s", "namespace": "ns1"},
        "data": {"p": "cQ=="},
    },
    "service": {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "svc", "namespace": "ns1", "labels": {"app": "svc"}},
        "spec": {
            "ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
            "selector": {"app": "svc"},
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    },
    "job": {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": {"name": "once", "namespace": "ns1"},
        "spec": {
            "template": {
                "metadata": {},
                "spec": {
                    "containers": [
                        {
                            "name": "once",
                            "image": "busybox:1.36",
                            "command": ["echo", "hi"],
                            "resources": {},
                        }
                    ],
                    "restartPolicy": "Never",
                },
            }
        },
        "status": {},
    },
    "cronjob": {
        "kind": "CronJob",
        "apiVersion": "batch/v1",
        "metadata": {"name": "nightly", "namespace": "ns1"},
        "spec": {
            "schedule": "*/5 * * * *",
            "jobTemplate": {
                "metadata": {"name": "nightly"},
                "spec": {
                    "template": {
                        "metadata": {},
                        "spec": {
                            "containers": [
                                {
                                    "name": "nightly",
                                    "image": "busybox:1.36",
                                    "command": ["date"],
                                    "resources": {},
                                }
                            ],
                            "restartPolicy": "OnFailure",
                        },
                    }
                },
            },
        },
        "status": {},
    },
    "serviceaccount": {
        "kind": "ServiceAccount",
        "apiVersion": "v1",
        "metadata": {"name": "robot", "namespace": "ns1"},
    },
    "role": {
        "kind": "Role",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "reader", "namespace": "ns1"},
        "rules": [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}],
    },
    "rolebinding": {
        "kind": "RoleBinding",
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "metadata": {"name": "rb", "namespace": "ns1"},
        "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "ns1"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
    },
    "quota": {
        "kind": "ResourceQuota",
        "apiVersion": "v1",
        "metadata": {"name": "q", "namespace": "ns1"},
        "spec": {"hard": {"cpu": "2", "memory": "1Gi", "pods": "10"}},
        "status": {},
    },
    "priorityclass": {
        "kind": "PriorityClass",
        "apiVersion": "scheduling.k8s.io/v1",
        "metadata": {"name": "high"},
        "value": 1000,
        "description": "top",
        "preemptionPolicy": "PreemptLowerPriority",
    },
    "pdb": {
        "kind": "PodDisruptionBudget",
        "apiVersion": "policy/v1",
        "metadata": {"name": "pdb1", "namespace": "ns1"},
        "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}},
        # The status counters have no omitempty: Go writes them as 0.
        "status": {
            "disruptionsAllowed": 0,
            "currentHealthy": 0,
            "desiredHealthy": 0,
            "expectedPods": 0,
        },
    },
    "ingress": {
        "kind": "Ingress",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {"name": "ing", "namespace": "ns1"},
        "spec": {
            "rules": [
                {
                    "host": "example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/path",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "svc", "port": {"number": 8080}}},
                            }
                        ]
                    },
                }
            ]
        },
        "status": {"loadBalancer": {}},
    },
}


def test_every_command_has_an_expectation_and_a_fixture() -> None:
    assert set(EXPECTED) == set(COMMANDS)
    assert {p.stem for p in DATA.glob("*.pb")} == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_captured_kubectl_bodies(name: str) -> None:
    body = (DATA / f"{name}.pb").read_bytes()
    assert body.startswith(b"k8s\x00")
    assert decode(body) == EXPECTED[name]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("name", ["namespace", "deployment", "secret", "service", "cronjob", "pdb"])
def test_live_kubectl_bodies(name: str) -> None:
    requests = [r for r in capture(COMMANDS[name]) if r.method == "POST"]
    assert len(requests) == 1
    assert requests[0].content_type == "application/vnd.kubernetes.protobuf"
    assert decode(requests[0].body) == EXPECTED[name]


# -- hand-made envelopes ------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def vi(num: int, n: int) -> bytes:
    return _varint(num << 3) + _varint(n)


def ln(num: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint(num << 3 | 2) + _varint(len(raw)) + raw


def msg(num: int, *parts: bytes) -> bytes:
    return ln(num, b"".join(parts))


def f64(num: int, x: float) -> bytes:
    return _varint(num << 3 | 1) + struct.pack("<d", x)


def entry(num: int, key: str, value: bytes) -> bytes:
    """A map entry whose value is already encoded as field 2."""
    return msg(num, ln(1, key), value)


def envelope(api_version: str, kind: str, *parts: bytes) -> bytes:
    type_meta = msg(1, ln(1, api_version), ln(2, kind))
    return (
        b"k8s\x00"
        + type_meta
        + ln(2, b"".join(parts))
        + ln(4, "application/vnd.kubernetes.protobuf")
    )


T_2026 = 1795827723  # 2026-11-28T01:02:03Z


def test_int_or_string_time_quantity_bytes_and_pointers() -> None:
    strategy = msg(
        4,
        ln(1, "RollingUpdate"),
        msg(2, msg(1, vi(1, 0), vi(2, 1)), msg(2, vi(1, 1), ln(3, "25%"))),
    )
    container = msg(
        2,
        ln(1, "app"),
        ln(2, "img"),
        msg(8, entry(1, "cpu", msg(2, ln(1, "500m"))), entry(2, "memory", msg(2, ln(1, "64Mi")))),
    )
    pod_spec = msg(
        2,
        container,
        vi(5, 30),  # activeDeadlineSeconds (*int64)
        msg(14, vi(4, 1), vi(4, 2), ln(4, _varint(3) + _varint(4))),  # unpacked and packed
    )
    metadata = msg(
        1,
        ln(1, "web"),
        vi(7, 2),
        msg(8, vi(1, T_2026), vi(2, 999)),  # creationTimestamp: nanoseconds are dropped
        msg(11, ln(1, "b"), ln(2, "2")),
        msg(11, ln(1, "a"), ln(2, "1")),
        msg(
            17,
            ln(1, "kubectl"),
            ln(2, "Update"),
            msg(4, vi(1, T_2026)),
            ln(6, "FieldsV1"),
            msg(7, ln(1, b'{"f:spec":{}}')),
        ),
        vi(99, 7),  # an unknown field is skipped
    )
    body = envelope(
        "apps/v1",
        "Deployment",
        metadata,
        msg(2, vi(1, 0), msg(3, pod_spec), strategy, vi(6, (-1) & (2**64 - 1))),
    )
    obj = decode(body)
    assert obj["metadata"] == {
        "name": "web",
        "generation": 2,
        "creationTimestamp": "2026-11-28T01:02:03Z",
        "labels": {"a": "1", "b": "2"},
        "managedFields": [
            {
                "manager": "kubectl",
                "operation": "Update",
                "time": "2026-11-28T01:02:03Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {}},
            }
        ],
    }
    assert list(obj["metadata"]["labels"]) == ["a", "b"]  # encoding/json sorts map keys
    spec = obj["spec"]
    assert spec["replicas"] == 0  # a pointer that is present keeps its zero
    assert spec["revisionHistoryLimit"] == -1  # int32 from a sign-extended varint
    assert spec["selector"] is None  # a nil pointer without omitempty
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"},
    }
    pod = spec["template"]["spec"]
    assert pod["activeDeadlineSeconds"] == 30
    assert pod["securityContext"] == {"supplementalGroups": [1, 2, 3, 4]}
    assert pod["containers"][0]["resources"] == {
        "limits": {"cpu": "500m"},
        "requests": {"memory": "64Mi"},
    }


def test_secret_bytes_and_zero_values() -> None:
    binary = bytes(range(256))
    body = envelope(
        "v1",
        "Secret",
        msg(1, ln(1, "s")),
        entry(2, "bin", ln(2, binary)),
        entry(2, "empty", ln(2, b"")),
        entry(4, "plain", ln(2, "text")),
        vi(5, 1),
    )
    assert decode(body) == {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {"name": "s"},
        "immutable": True,
        "data": {"bin": base64.b64encode(binary).decode(), "empty": ""},
        "stringData": {"plain": "text"},
    }


def test_a_missing_quantity_and_int_or_string_are_go_zero_values() -> None:
    # ResourceQuota hard with an entry lacking a value; a Service port lacking targetPort.
    quota = envelope("v1", "ResourceQuota", msg(2, entry(1, "cpu", b"")))
    assert decode(quota)["spec"] == {"hard": {"cpu": "0"}}
    service = envelope("v1", "Service", msg(2, msg(1, vi(3, 80))))
    assert decode(service)["spec"]["ports"] == [{"port": 80, "targetPort": 0}]


def test_micro_time_and_non_omitempty_time() -> None:
    body = envelope(
        "events.k8s.io/v1",
        "Event",
        msg(1, ln(1, "e")),
        msg(2, vi(1, T_2026), vi(2, 123456789)),
        ln(7, "Started"),
    )
    obj = decode(body)
    assert obj["eventTime"] == "2026-11-28T01:02:03.123456Z"
    assert obj["reason"] == "Started"
    # Non-pointer structs are never left out; their zero Time renders as null.
    assert obj["deprecatedFirstTimestamp"] is None
    assert obj["regarding"] == {}
    assert obj["deprecatedSource"] == {}
    zero = decode(envelope("events.k8s.io/v1", "Event", msg(1, ln(1, "e"))))
    assert zero["eventTime"] is None


def test_raw_extension_holds_json_or_a_nested_envelope() -> None:
    data = msg(2, ln(1, b'{"spec":{"replicas":2}}'))
    revision = decode(envelope("apps/v1", "ControllerRevision", msg(1, ln(1, "r")), data, vi(3, 4)))
    assert revision["data"] == {"spec": {"replicas": 2}}
    assert revision["revision"] == 4
    inner = envelope("v1", "ConfigMap", msg(1, ln(1, "c")), entry(2, "k", ln(2, "v")))
    nested = decode(envelope("apps/v1", "ControllerRevision", msg(2, ln(1, inner))))
    assert nested["data"] == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"name": "c"},
        "data": {"k": "v"},
    }
    assert nested["revision"] == 0


def test_custom_resource_definition_schema() -> None:
    props = b"".join(
        [
            ln(5, "object"),
            entry(29, "replicas", msg(2, ln(5, "integer"), f64(9, 10.0), f64(11, 0.5))),
            entry(29, "tags", msg(2, ln(5, "array"), msg(24, msg(1, ln(5, "string"))))),
            entry(29, "extra", msg(2, ln(5, "object"), msg(30, vi(1, 1)))),
            entry(
                29,
                "mode",
                msg(2, ln(5, "string"), msg(8, ln(1, b'"fast"')), msg(20, ln(1, b'"fast"'))),
            ),
            msg(30, vi(1, 0)),
            vi(38, 1),
        ]
    )
    version = msg(7, ln(1, "v1"), vi(2, 1), vi(3, 1), msg(4, msg(1, props)))
    names = msg(3, ln(1, "widgets"), ln(2, "widget"), ln(4, "Widget"), ln(5, "WidgetList"))
    body = envelope(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        msg(1, ln(1, "widgets.example.com")),
        msg(2, ln(1, "example.com"), names, ln(4, "Namespaced"), version),
    )
    obj = decode(body)
    schema = obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert schema == {
        "type": "object",
        "properties": {
            "extra": {"type": "object", "additionalProperties": True},
            "mode": {"type": "string", "default": "fast", "enum": ["fast"]},
            "replicas": {"type": "integer", "maximum": 10, "minimum": 0.5},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert obj["spec"]["names"] == {
        "plural": "widgets",
        "singular": "widget",
        "kind": "Widget",
        "listKind": "WidgetList",
    }
    assert obj["spec"]["versions"][0]["served"] is True
    # Non-omitempty slices are null when empty; a struct's non-omitempty strings stay "".
    assert obj["status"] == {
        "conditions": None,
        "acceptedNames": {"plural": "", "kind": ""},
        "storedVersions": None,
    }


def test_inlined_struct_and_delete_options_under_any_group() -> None:
    # Volume inlines VolumeSource (field 2); ConfigMapVolumeSource inlines LocalObjectReference.
    volume = msg(1, ln(1, "data"), msg(2, msg(19, msg(1, ln(1, "cm")), vi(3, 420))))
    pod = decode(envelope("v1", "Pod", msg(1, ln(1, "p")), msg(2, volume)))
    assert pod["spec"]["volumes"] == [
        {"name": "data", "configMap": {"name": "cm", "defaultMode": 420}}
    ]
    assert pod["spec"]["containers"] is None
    assert pod["status"] == {}
    options = decode(envelope("apps/v1", "DeleteOptions", ln(4, "Foreground"), vi(1, 0)))
    assert options == {
        "kind": "DeleteOptions",
        "apiVersion": "apps/v1",
        "gracePeriodSeconds": 0,
        "propagationPolicy": "Foreground",
    }


def test_go_duration_strings() -> None:
    cases = {
        0: "0s",
        1: "1ns",
        1500: "1.5µs",
        2_000_000: "2ms",
        1_500_000_000: "1.5s",
        90 * 10**9: "1m30s",
        3600 * 10**9: "1h0m0s",
        -(3723 * 10**9 + 500_000_000): "-1h2m3.5s",
    }
    for nanos, text in cases.items():
        assert protobuf._go_duration(nanos) == text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "magic"),
        (b'{"kind":"Pod"}', "magic"),
        (envelope("v1", "NoSuchKind"), "no protobuf decoding"),
        (envelope("example.com/v1", "Widget"), "no protobuf decoding"),
        (b"k8s\x00" + ln(2, b""), "apiVersion and kind"),
        (envelope("v1", "ConfigMap", b"\x0a\x05ab"), "past the end"),
        (envelope("v1", "ConfigMap", b"\x0a"), "truncated"),
        (envelope("v1", "ConfigMap", vi(1, 5)), "wire type"),
        (envelope("v1", "ConfigMap", b"\x0b"), "wire type 3"),
        (envelope("apps/v1", "ControllerRevision", msg(2, ln(1, b"{nope"))), "not JSON"),
        (b"k8s\x00" + msg(1, ln(1, "v1"), ln(2, "Pod")) + ln(3, "gzip"), "content encoding"),
    ],
)
def test_malformed_bodies_raise_value_error(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode(body)


def test_deep_nesting_is_refused() -> None:
    schema = ln(5, "object")
    for _ in range(150):
        schema = msg(28, schema)  # JSONSchemaProps.not
    body = envelope(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        msg(2, msg(7, msg(4, msg(1, schema)))),
    )
    with pytest.raises(ValueError, match="nested too deeply"):
        decode(body)


def test_layout_covers_the_built_in_groups() -> None:
    kinds = protobuf._load().kinds
    for api_version, kind in [
        ("v1", "Pod"),
        ("v1", "PersistentVolumeClaim"),
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "CronJob"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("policy/v1", "Eviction"),
        ("autoscaling/v1", "Scale"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
        ("events.k8s.io/v1", "Event"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("meta.k8s.io/v1", "DeleteOptions"),
    ]:
        assert kind in kinds[api_version], (api_version, kind)
