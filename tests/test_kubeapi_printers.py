"""Table output of the Kubernetes API server: columns and cells as kube-apiserver prints them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from localocean.areas.kubeapi.printers import human_duration, jsonpath_find, parse_time, table

NOW_TEXT = "2026-11-28T12:00:00Z"
NOW = 1795867200.0  # NOW_TEXT as Unix seconds


def ago(seconds: int) -> str:
    """An RFC 3339 timestamp `seconds` before NOW."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(NOW - seconds))


def meta(name: str, age: int = 2 * 86400 + 3 * 3600, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": "default",
        "uid": f"uid-{name}",
        "resourceVersion": "7",
        "creationTimestamp": ago(age),
        **extra,
    }


def headers(result: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(c["name"], c["type"], c["priority"]) for c in result["columnDefinitions"]]


def cells(result: dict[str, Any]) -> list[list[Any]]:
    return [row["cells"] for row in result["rows"]]


# --- time ----------------------------------------------------------------------------------------


def test_now_constant_matches_its_text() -> None:
    assert parse_time(NOW_TEXT) == NOW


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "<invalid>"),
        (-2.0, "<invalid>"),
        (-1.9, "0s"),
        (-0.4, "0s"),
        (0, "0s"),
        (45, "45s"),
        (119.9, "119s"),
        (120, "2m"),
        (123, "2m3s"),
        (599, "9m59s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600 + 5 * 60, "3h5m"),
        (5 * 3600, "5h"),
        (8 * 3600 + 59 * 60, "8h"),
        (47 * 3600 + 59 * 60, "47h"),
        (48 * 3600, "2d"),
        (51 * 3600, "2d3h"),
        (8 * 86400 - 1, "7d23h"),
        (8 * 86400, "8d"),
        (2 * 365 * 86400 - 1, "729d"),
        (2 * 365 * 86400, "2y"),
        ((2 * 365 + 100) * 86400, "2y100d"),
        (8 * 365 * 86400 + 5 * 86400, "8y"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_parse_time_accepts_fractions_and_offsets() -> None:
    assert parse_time("2026-11-28T12:00:00.250000Z") == NOW + 0.25
    assert parse_time("2026-11-28T13:30:00+01:30") == NOW
    assert parse_time("2026-11-28") is None
    assert parse_time(None) is None


# --- pods ----------------------------------------------------------------------------------------


def pod(name: str, status: dict[str, Any], **meta_extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, **meta_extra),
        "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": "nginx:1.27"}]},
        "status": status,
    }


RUNNING_STATUS: dict[str, Any] = {
    "phase": "Running",
    "podIP": "10.244.0.5",
    "podIPs": [{"ip": "10.244.0.5"}],
    "conditions": [{"type": "Ready", "status": "True"}],
    "containerStatuses": [
        {
            "name": "web",
            "ready": True,
            "started": True,
            "restartCount": 1,
            "state": {"running": {"startedAt": ago(300)}},
            "lastState": {"terminated": {"exitCode": 137, "finishedAt": ago(300)}},
        }
    ],
}


def test_pod_columns_match_kube_apiserver() -> None:
    result = table("", "pods", [], NOW)
    assert headers(result) == [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Status", "string", 0),
        ("Restarts", "string", 0),
        ("Age", "string", 0),
        ("IP", "string", 1),
        ("Node", "string", 1),
        ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1),
    ]
    assert result["columnDefinitions"][0]["format"] == "name"
    assert result["kind"] == "Table" and result["apiVersion"] == "meta.k8s.io/v1"
    assert result["rows"] == []


def test_running_pod_with_one_restart() -> None:
    result = table("", "pods", [pod("web-1", RUNNING_STATUS)], NOW)
    assert cells(result) == [
        [
            "web-1",
            "1/1",
            "Running",
            "1 (5m ago)",
            "2d3h",
            "10.244.0.5",
            "node-a",
            "<none>",
            "<none>",
        ]
    ]
    assert "conditions" not in result["rows"][0]
    assert result["rows"][0]["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta("web-1"),
    }


def test_restart_without_a_finish_time_is_a_bare_count() -> None:
    status = {**RUNNING_STATUS, "containerStatuses": [{**RUNNING_STATUS["containerStatuses"][0]}]}
    del status["containerStatuses"][0]["lastState"]
    assert cells(table("", "pods", [pod("web-1", status)], NOW))[0][3] == "1"


def test_pending_pod_without_statuses() -> None:
    unscheduled = pod("queued", {"phase": "Pending"}, age=30)
    unscheduled["spec"].pop("nodeName")
    assert cells(table("", "pods", [unscheduled], NOW)) == [
        ["queued", "0/1", "Pending", "0", "30s", "<none>", "<none>", "<none>", "<none>"]
    ]


def test_pending_pod_takes_the_waiting_reason() -> None:
    status = {
        "phase": "Pending",
        "containerStatuses": [
            {
                "name": "web",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}},
            }
        ],
    }
    row = cells(table("", "pods", [pod("starting", status, age=4)], NOW))[0]
    assert row[:5] == ["starting", "0/1", "ContainerCreating", "0", "4s"]


def test_terminating_pod() -> None:
    dying = pod("web-2", RUNNING_STATUS, deletionTimestamp=ago(10))
    assert cells(table("", "pods", [dying], NOW))[0][:3] == ["web-2", "1/1", "Terminating"]
    # A pod that already finished keeps its phase while it is being deleted.
    done = pod("web-3", {"phase": "Succeeded"}, deletionTimestamp=ago(10))
    assert cells(table("", "pods", [done], NOW))[0][2] == "Succeeded"


def test_completed_pod_and_its_row_condition() -> None:
    status = {
        "phase": "Succeeded",
        "containerStatuses": [
            {
                "name": "web",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
        ],
    }
    result = table("", "pods", [pod("once", status)], NOW)
    assert cells(result)[0][:3] == ["once", "0/1", "Completed"]
    assert result["rows"][0]["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]


def test_pod_in_init_and_crash_loop() -> None:
    initializing = pod("init", {"phase": "Pending"})
    initializing["spec"]["initContainers"] = [{"name": "setup", "image": "busybox"}]
    initializing["status"]["initContainerStatuses"] = [
        {"name": "setup", "ready": False, "restartCount": 0, "state": {"running": {}}}
    ]
    crashing = pod(
        "crash",
        {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {
                        "terminated": {"exitCode": 1, "finishedAt": ago(3 * 3600 + 5 * 60)}
                    },
                }
            ],
        },
    )
    rows = cells(table("", "pods", [initializing, crashing], NOW))
    assert rows[0][:4] == ["init", "0/1", "Init:0/1", "0"]
    assert rows[1][:4] == ["crash", "0/1", "CrashLoopBackOff", "4 (3h5m ago)"]


def test_sidecar_counts_towards_ready_and_readiness_gates() -> None:
    p = pod("side", dict(RUNNING_STATUS))
    p["spec"]["initContainers"] = [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}]
    p["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}, {"conditionType": "x/y"}]
    p["status"]["initContainerStatuses"] = [
        {
            "name": "proxy",
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {}},
        }
    ]
    p["status"]["conditions"] = [
        {"type": "Initialized", "status": "True"},
        {"type": "Ready", "status": "True"},
        {"type": "example.com/lb", "status": "True"},
    ]
    row = cells(table("", "pods", [p], NOW))[0]
    assert row[1:3] == ["2/2", "Running"]
    assert row[8] == "1/2"


# --- nodes ---------------------------------------------------------------------------------------


def node(name: str, ready: str, labels: dict[str, str], **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {**meta(name, age=8 * 86400), "labels": labels},
        "spec": spec,
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": ready},
            ],
            "addresses": [
                {"type": "Hostname", "address": name},
                {"type": "InternalIP", "address": "10.116.0.2"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.32.4",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "kernelVersion": "6.1.0-31-amd64",
                "containerRuntimeVersion": "containerd://1.7.27",
            },
        },
    }


def test_ready_node_with_a_role_label() -> None:
    labels = {"kubernetes.io/hostname": "pool-a", "node-role.kubernetes.io/control-plane": ""}
    result = table("", "nodes", [node("pool-a", "True", labels)], NOW)
    assert [c["name"] for c in result["columnDefinitions"]] == [
        "Name",
        "Status",
        "Roles",
        "Age",
        "Version",
        "Internal-IP",
        "External-IP",
        "OS-Image",
        "Kernel-Version",
        "Container-Runtime",
    ]
    assert [c["priority"] for c in result["columnDefinitions"]] == [0] * 5 + [1] * 5
    assert cells(result) == [
        [
            "pool-a",
            "Ready",
            "control-plane",
            "8d",
            "v1.32.4",
            "10.116.0.2",
            "<none>",
            "Debian GNU/Linux 12 (bookworm)",
            "6.1.0-31-amd64",
            "containerd://1.7.27",
        ]
    ]


def test_cordoned_and_not_ready_nodes() -> None:
    rows = cells(
        table(
            "",
            "nodes",
            [
                node("a", "True", {}, unschedulable=True),
                node("b", "Unknown", {"kubernetes.io/role": "worker"}),
            ],
            NOW,
        )
    )
    assert rows[0][1:3] == ["Ready,SchedulingDisabled", "<none>"]
    assert rows[1][1:3] == ["NotReady", "worker"]


# --- workloads -----------------------------------------------------------------------------------


def test_deployment_mid_rollout() -> None:
    deployment = {
        "metadata": meta("api", age=600),
        "spec": {
            "replicas": 3,
            "selector": {
                "matchLabels": {"app": "api"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "edge"]}],
            },
            "template": {
                "spec": {
                    "containers": [
                        {"name": "api", "image": "ghcr.io/acme/api:2"},
                        {"name": "log", "image": "fluent-bit:3"},
                    ]
                }
            },
        },
        "status": {"replicas": 4, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2},
    }
    result = table("apps", "deployments", [deployment], NOW)
    assert headers(result) == [
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Up-to-date", "string", 0),
        ("Available", "string", 0),
        ("Age", "string", 0),
        ("Containers", "string", 1),
        ("Images", "string", 1),
        ("Selector", "string", 1),
    ]
    assert cells(result) == [
        [
            "api",
            "2/3",
            1,
            2,
            "10m",
            "api,log",
            "ghcr.io/acme/api:2,fluent-bit:3",
            "app=api,tier in (edge,web)",
        ]
    ]


def test_replicaset_statefulset_daemonset_cells() -> None:
    template = {
        "spec": {"containers": [{"name": "c", "image": "i"}], "nodeSelector": {"os": "linux"}}
    }
    rs = {
        "metadata": meta("api-7d9f", age=90),
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}}, "template": template},
        "status": {"replicas": 3, "readyReplicas": 1},
    }
    sts = {
        "metadata": meta("db"),
        "spec": {"replicas": 2, "template": template},
        "status": {"readyReplicas": 2},
    }
    ds = {
        "metadata": meta("agent"),
        "spec": {"template": template, "selector": {"matchLabels": {"app": "agent"}}},
        "status": {
            "desiredNumberScheduled": 3,
            "currentNumberScheduled": 3,
            "numberReady": 2,
            "updatedNumberScheduled": 3,
            "numberAvailable": 2,
        },
    }
    assert cells(table("apps", "replicasets", [rs], NOW)) == [
        ["api-7d9f", 3, 3, 1, "90s", "c", "i", "app=api"]
    ]
    assert cells(table("apps", "statefulsets", [sts], NOW)) == [["db", "2/2", "2d3h", "c", "i"]]
    assert cells(table("apps", "daemonsets", [ds], NOW)) == [
        ["agent", 3, 3, 2, 3, 2, "os=linux", "2d3h", "c", "i", "app=agent"]
    ]


def test_job_and_cronjob() -> None:
    job = {
        "metadata": meta("backup-1", age=400),
        "spec": {"completions": 1, "template": {"spec": {"containers": []}}},
        "status": {
            "succeeded": 1,
            "startTime": ago(400),
            "completionTime": ago(355),
            "conditions": [{"type": "Complete", "status": "True"}],
        },
    }
    running = {
        "metadata": meta("batch", age=200),
        "spec": {"parallelism": 3},
        "status": {"startTime": ago(150)},
    }
    rows = cells(table("batch", "jobs", [job, running], NOW))
    assert rows[0][:5] == ["backup-1", "Complete", "1/1", "45s", "6m40s"]
    assert rows[1][:5] == ["batch", "Running", "0/1 of 3", "2m30s", "3m20s"]
    assert rows[0][7] == "<none>"

    cron = {
        "metadata": meta("nightly"),
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {}}}}},
        "status": {"active": [{"name": "nightly-1"}], "lastScheduleTime": ago(3600)},
    }
    result = table("batch", "cronjobs", [cron], NOW)
    assert [c["name"] for c in result["columnDefinitions"]][:7] == [
        "Name",
        "Schedule",
        "Timezone",
        "Suspend",
        "Active",
        "Last Schedule",
        "Age",
    ]
    assert cells(result)[0][:7] == ["nightly", "0 3 * * *", "<none>", "False", 1, "60m", "2d3h"]


# --- services and endpoints -------------------------------------------------------------------


def test_services_with_ports() -> None:
    lb = {
        "metadata": meta("web", age=65),
        "spec": {
            "type": "LoadBalancer",
            "clusterIP": "10.245.12.7",
            "clusterIPs": ["10.245.12.7"],
            "selector": {"app": "web", "tier": "front"},
            "ports": [
                {"name": "http", "port": 80, "nodePort": 31080, "protocol": "TCP"},
                {"name": "dns", "port": 53, "nodePort": 31053, "protocol": "UDP"},
            ],
        },
        "status": {"loadBalancer": {}},
    }
    internal = {
        "metadata": meta("kubernetes"),
        "spec": {"type": "ClusterIP", "clusterIPs": ["10.245.0.1"], "ports": [{"port": 443}]},
    }
    headless = {"metadata": meta("db"), "spec": {"clusterIP": "None"}}
    result = table("", "services", [lb, internal, headless], NOW)
    assert headers(result) == [
        ("Name", "string", 0),
        ("Type", "string", 0),
        ("Cluster-IP", "string", 0),
        ("External-IP", "string", 0),
        ("Port(s)", "string", 0),
        ("Age", "string", 0),
        ("Selector", "string", 1),
    ]
    assert cells(result) == [
        [
            "web",
            "LoadBalancer",
            "10.245.12.7",
            "<pending>",
            "80:31080/TCP,53:31053/UDP",
            "65s",
            "app=web,tier=front",
        ],
        ["kubernetes", "ClusterIP", "10.245.0.1", "<none>", "443/TCP", "2d3h", "<none>"],
        ["db", "ClusterIP", "None", "<none>", "<none>", "2d3h", "<none>"],
    ]
    lb["status"] = {
        "loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example"}]}
    }
    assert cells(table("", "services", [lb], NOW))[0][3] == "203.0.113.9,lb.example"


def test_endpoints_and_slices() -> None:
    eps = {
        "metadata": meta("web"),
        "subsets": [
            {
                "addresses": [
                    {"ip": "10.0.0.1"},
                    {"ip": "10.0.0.2"},
                    {"ip": "fd00::3"},
                    {"ip": "10.0.0.4"},
                ],
                "ports": [{"port": 8080}],
            }
        ],
    }
    empty = {"metadata": meta("none")}
    rows = cells(table("", "endpoints", [eps, empty], NOW))
    assert rows[0][1] == "10.0.0.1:8080,10.0.0.2:8080,[fd00::3]:8080 + 1 more..."
    assert rows[1][1] == "<none>"
    sl = {
        "metadata": meta("web-abc"),
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080}],
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}],
    }
    assert cells(
        table("discovery.k8s.io", "endpointslices", [sl, {"metadata": meta("x")}], NOW)
    ) == [
        ["web-abc", "IPv4", "8080", "10.0.0.1,10.0.0.2", "2d3h"],
        ["x", "", "<unset>", "<unset>", "2d3h"],
    ]


def test_ingress_hosts_are_summarised_after_three() -> None:
    ing = {
        "metadata": meta("site"),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["a.example"]}],
            "rules": [{"host": h} for h in ["a.example", "b.example", "c.example", "d.example"]],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.4"}]}},
    }
    assert cells(table("networking.k8s.io", "ingresses", [ing], NOW)) == [
        [
            "site",
            "nginx",
            "a.example,b.example,c.example + 1 more...",
            "203.0.113.4",
            "80, 443",
            "2d3h",
        ]
    ]


# --- config, storage, rbac -----------------------------------------------------------------------


def test_configmaps_secrets_serviceaccounts_namespaces() -> None:
    cm = {"metadata": meta("conf"), "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    secret = {
        "metadata": meta("tls"),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "", "tls.key": ""},
    }
    sa = {"metadata": meta("default"), "secrets": []}
    ns = {"metadata": meta("kube-system"), "status": {"phase": "Active"}}
    assert cells(table("", "configmaps", [cm], NOW)) == [["conf", 3, "2d3h"]]
    assert cells(table("", "secrets", [secret], NOW)) == [["tls", "kubernetes.io/tls", 2, "2d3h"]]
    assert cells(table("", "serviceaccounts", [sa], NOW)) == [["default", 0, "2d3h"]]
    assert cells(table("", "namespaces", [ns], NOW)) == [["kube-system", "Active", "2d3h"]]


def test_default_storage_class() -> None:
    default = {
        "metadata": {
            **meta("do-block-storage"),
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "dobs.csi.digitalocean.com",
        "allowVolumeExpansion": True,
    }
    retained = {
        "metadata": meta("do-block-storage-retain"),
        "provisioner": "dobs.csi.digitalocean.com",
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    result = table("storage.k8s.io", "storageclasses", [default, retained], NOW)
    assert [c["name"] for c in result["columnDefinitions"]] == [
        "Name",
        "Provisioner",
        "ReclaimPolicy",
        "VolumeBindingMode",
        "AllowVolumeExpansion",
        "Age",
    ]
    assert cells(result) == [
        [
            "do-block-storage (default)",
            "dobs.csi.digitalocean.com",
            "Delete",
            "Immediate",
            True,
            "2d3h",
        ],
        [
            "do-block-storage-retain",
            "dobs.csi.digitalocean.com",
            "Retain",
            "WaitForFirstConsumer",
            False,
            "2d3h",
        ],
    ]


def test_volumes_and_claims() -> None:
    pv = {
        "metadata": meta("pvc-1"),
        "spec": {
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "claimRef": {"namespace": "default", "name": "data"},
            "storageClassName": "do-block-storage",
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    }
    pvc = {
        "metadata": meta("data"),
        "spec": {
            "volumeName": "pvc-1",
            "storageClassName": "do-block-storage",
            "volumeMode": "Filesystem",
        },
        "status": {
            "phase": "Bound",
            "capacity": {"storage": "5Gi"},
            "accessModes": ["ReadWriteOnce"],
        },
    }
    pending = {"metadata": meta("later"), "spec": {}, "status": {"phase": "Pending"}}
    assert cells(table("", "persistentvolumes", [pv], NOW)) == [
        [
            "pvc-1",
            "5Gi",
            "RWO,RWX",
            "Delete",
            "Bound",
            "default/data",
            "do-block-storage",
            "<unset>",
            "",
            "2d3h",
            "Filesystem",
        ]
    ]
    assert cells(table("", "persistentvolumeclaims", [pvc, pending], NOW)) == [
        [
            "data",
            "Bound",
            "pvc-1",
            "5Gi",
            "RWO",
            "do-block-storage",
            "<unset>",
            "2d3h",
            "Filesystem",
        ],
        ["later", "Pending", "", "", "", "", "<unset>", "2d3h", "<unset>"],
    ]


def test_role_bindings_and_generic_created_at_kinds() -> None:
    binding = {
        "metadata": meta("admins"),
        "roleRef": {"kind": "ClusterRole", "name": "admin"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "Group", "name": "ops"},
            {"kind": "ServiceAccount", "namespace": "ci", "name": "deployer"},
            {"kind": "User", "name": "bob"},
        ],
    }
    assert cells(table("rbac.authorization.k8s.io", "rolebindings", [binding], NOW)) == [
        ["admins", "ClusterRole/admin", "2d3h", "alice, bob", "ops", "ci/deployer"]
    ]
    role = {"metadata": {**meta("reader"), "creationTimestamp": "2026-11-26T09:00:00.5Z"}}
    result = table("rbac.authorization.k8s.io", "roles", [role], NOW)
    assert headers(result) == [("Name", "string", 0), ("Created At", "date", 0)]
    assert cells(result) == [["reader", "2026-11-26T09:00:00Z"]]
    crd = {"metadata": meta("widgets.example.com")}
    assert cells(table("apiextensions.k8s.io", "customresourcedefinitions", [crd], NOW)) == [
        ["widgets.example.com", ago(2 * 86400 + 3 * 3600)]
    ]


def test_events_core_v1() -> None:
    event = {
        "metadata": meta("web-1.17f0"),
        "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{web}"},
        "reason": "Pulled",
        "message": 'Successfully pulled image "nginx:1.27"\n',
        "type": "Normal",
        "source": {"component": "kubelet", "host": "pool-a"},
        "firstTimestamp": ago(600),
        "lastTimestamp": ago(45),
        "count": 3,
    }
    result = table("", "events", [event], NOW)
    assert headers(result) == [
        ("Last Seen", "string", 0),
        ("Type", "string", 0),
        ("Reason", "string", 0),
        ("Object", "string", 0),
        ("Subobject", "string", 1),
        ("Source", "string", 1),
        ("Message", "string", 0),
        ("First Seen", "string", 1),
        ("Count", "string", 1),
        ("Name", "string", 1),
    ]
    assert cells(result) == [
        [
            "45s",
            "Normal",
            "Pulled",
            "pod/web-1",
            "spec.containers{web}",
            "kubelet, pool-a",
            'Successfully pulled image "nginx:1.27"',
            "10m",
            3,
            "web-1.17f0",
        ]
    ]


def test_other_built_in_printers() -> None:
    lease = {"metadata": meta("kube-scheduler"), "spec": {"holderIdentity": "cp-1_abc"}}
    pc = {"metadata": meta("high"), "value": 1000, "preemptionPolicy": "PreemptLowerPriority"}
    pdb = {
        "metadata": meta("web"),
        "spec": {"minAvailable": "50%"},
        "status": {"disruptionsAllowed": 1},
    }
    hpa = {
        "metadata": meta("web"),
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
        },
        "status": {
            "currentReplicas": 3,
            "currentMetrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "current": {"averageUtilization": 20}},
                }
            ],
        },
    }
    quota = {
        "metadata": meta("compute"),
        "status": {
            "hard": {"requests.cpu": "4", "limits.memory": "8Gi", "pods": "10"},
            "used": {"requests.cpu": "500m", "pods": "3"},
        },
    }
    netpol = {"metadata": meta("deny"), "spec": {"podSelector": {}}}
    revision = {
        "metadata": {
            **meta("db-5c8d"),
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": True}
            ],
        },
        "revision": 2,
    }
    ic = {
        "metadata": meta("nginx"),
        "spec": {
            "controller": "k8s.io/ingress-nginx",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"},
        },
    }
    assert cells(table("coordination.k8s.io", "leases", [lease], NOW)) == [
        ["kube-scheduler", "cp-1_abc", "2d3h"]
    ]
    assert cells(table("scheduling.k8s.io", "priorityclasses", [pc], NOW)) == [
        ["high", 1000, False, "2d3h", "PreemptLowerPriority"]
    ]
    assert cells(table("policy", "poddisruptionbudgets", [pdb], NOW)) == [
        ["web", "50%", "N/A", 1, "2d3h"]
    ]
    assert cells(table("autoscaling", "horizontalpodautoscalers", [hpa], NOW)) == [
        ["web", "Deployment/web", "cpu: 20%/50%", "2", 10, 3, "2d3h"]
    ]
    assert cells(table("", "resourcequotas", [quota], NOW)) == [
        ["compute", "pods: 3/10, requests.cpu: 500m/4", "limits.memory: 0/8Gi", "2d3h"]
    ]
    assert cells(table("networking.k8s.io", "networkpolicies", [netpol], NOW)) == [
        ["deny", "<none>", "2d3h"]
    ]
    assert cells(table("apps", "controllerrevisions", [revision], NOW)) == [
        ["db-5c8d", "statefulset.apps/db", 2, "2d3h"]
    ]
    assert cells(table("networking.k8s.io", "ingressclasses", [ic], NOW)) == [
        ["nginx", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/p", "2d3h"]
    ]
    limit = {"metadata": meta("limits")}
    assert headers(table("", "limitranges", [limit], NOW)) == [
        ("Name", "string", 0),
        ("Created At", "date", 0),
    ]


# --- custom resources and the default table ---------------------------------------------------


WIDGET_COLUMNS: list[dict[str, Any]] = [
    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
        "description": "Whether the widget is ready",
    },
    {"name": "Image", "type": "string", "jsonPath": ".spec.containers[0].image", "priority": 1},
    {"name": "Created", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": meta(name, age=3 * 3600 + 5 * 60),
        "spec": spec,
        "status": {
            "conditions": [
                {"type": "Synced", "status": "True"},
                {"type": "Ready", "status": "False"},
            ]
        },
    }


def test_custom_resource_with_printer_columns() -> None:
    objects = [widget("w1", replicas=3, containers=[{"image": "busybox:1"}]), widget("w2")]
    result = table("example.com", "widgets", objects, NOW, crd_columns=WIDGET_COLUMNS)
    assert headers(result) == [
        ("Name", "string", 0),
        ("Replicas", "integer", 0),
        ("Ready", "string", 0),
        ("Image", "string", 1),
        ("Created", "date", 0),
    ]
    definitions = result["columnDefinitions"]
    assert definitions[1]["description"] == (
        "Custom resource definition column (in JSONPath format): .spec.replicas"
    )
    assert definitions[2]["description"] == "Whether the widget is ready"
    assert cells(result) == [
        ["w1", 3, "False", "busybox:1", "3h5m"],
        ["w2", None, "False", None, "3h5m"],
    ]


def test_custom_resource_without_columns_and_unknown_kinds_get_name_and_age() -> None:
    for result in (
        table("example.com", "gadgets", [widget("g")], NOW, crd_columns=[]),
        table("example.com", "gadgets", [widget("g")], NOW),
    ):
        assert headers(result) == [("Name", "string", 0), ("Age", "date", 0)]
        assert cells(result) == [["g", "3h5m"]]


def test_custom_cells_follow_the_column_type() -> None:
    obj = {
        "metadata": {"name": "x", "creationTimestamp": "not a time"},
        "spec": {
            "ratio": 1.5,
            "count": 2.0,
            "on": True,
            "labels": {"b": "2", "a": "1"},
            "when": "garbage",
        },
    }
    columns = [
        {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
        {"name": "Count", "type": "integer", "jsonPath": ".spec.count"},
        {"name": "On", "type": "boolean", "jsonPath": ".spec.on"},
        {"name": "OnText", "type": "string", "jsonPath": ".spec.on"},
        {"name": "Labels", "type": "string", "jsonPath": ".spec.labels"},
        {"name": "When", "type": "date", "jsonPath": ".spec.when"},
        {"name": "Wrong", "type": "integer", "jsonPath": ".spec.on"},
    ]
    assert cells(table("example.com", "things", [obj], NOW, crd_columns=columns)) == [
        ["x", 1.5, 2, True, "true", '{"a":"1","b":"2"}', "<invalid>", None]
    ]


def test_jsonpath_subset() -> None:
    data = {
        "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
        "items": [{"n": 1, "kind": "a"}, {"n": 2, "kind": "b"}, {"n": 3, "kind": "a"}],
    }
    assert jsonpath_find(data, "{.items[*].n}") == [1, 2, 3]
    assert jsonpath_find(data, ".items[-1].n") == [3]
    assert jsonpath_find(data, ".items[0:2].kind") == ["a", "b"]
    assert jsonpath_find(data, ".items[?(@.kind=='a')].n") == [1, 3]
    assert jsonpath_find(data, ".items[?(@.n > 1)].kind") == ["b", "a"]
    assert jsonpath_find(data, ".metadata.labels.app\\.kubernetes\\.io/name") == ["web"]
    assert jsonpath_find(data, ".metadata.labels['app.kubernetes.io/name']") == ["web"]
    assert jsonpath_find(data, ".missing.field") == []


# --- the table envelope --------------------------------------------------------------------------


def test_include_object_and_list_meta() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("conf"), "data": {}}
    full = table(
        "", "configmaps", [cm], NOW, include_object="Object", list_meta={"resourceVersion": "42"}
    )
    assert full["metadata"] == {"resourceVersion": "42"}
    assert full["rows"][0]["object"] is cm
    bare = table("", "configmaps", [cm], NOW, include_object="None")
    assert bare["rows"] == [{"cells": ["conf", 0, "2d3h"], "object": None}]
    assert bare["metadata"] == {}


def test_missing_creation_timestamp_is_unknown() -> None:
    assert cells(table("", "configmaps", [{"metadata": {"name": "x"}}], NOW)) == [
        ["x", 0, "<unknown>"]
    ]
