"""A fresh DOKS cluster's objects: its namespaces, the `kubernetes` and DNS services, the
kube-system workloads DigitalOcean runs on every cluster, the block storage classes, priority
classes and the default RBAC roles."""

from __future__ import annotations

import ipaddress
from typing import Any

from localocean.areas.kubeapi.objects import Kube, Obj

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
BLOCK_STORAGE = "dobs.csi.digitalocean.com"
TOLERATE_ALL = [{"operator": "Exists"}]
CRITICAL = {"priorityClassName": "system-node-critical"}


def _container(name: str, image: str, cpu: str, memory: str, ports: list[Obj] | None = None) -> Obj:
    container: Obj = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": cpu, "memory": memory}},
    }
    if ports:
        container["ports"] = ports
    return container


def _workload(kind: str, name: str, app: str, containers: list[Obj], extra: Obj) -> Obj:
    labels = {"k8s-app": app}
    spec: Obj = {
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": containers, "serviceAccountName": name, **extra},
        },
    }
    if kind == "Deployment":
        spec["replicas"] = 2 if name == "coredns" else 1
    return {
        "metadata": {"name": name, "namespace": "kube-system", "labels": dict(labels)},
        "spec": spec,
    }


WORKLOADS: list[tuple[str, str, str, list[Obj], Obj]] = [
    (
        "Deployment", "coredns", "kube-dns",
        [_container("coredns", "registry.k8s.io/coredns/coredns:v1.12.1", "100m", "70Mi",
                    [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                     {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                     {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}])],
        {"priorityClassName": "system-cluster-critical",
         "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]},
    ),
    (
        "Deployment", "cilium-operator", "cilium-operator",
        [_container("cilium-operator", "quay.io/cilium/operator-generic:v1.17.4", "25m", "64Mi")],
        {"priorityClassName": "system-cluster-critical", "tolerations": TOLERATE_ALL},
    ),
    (
        "DaemonSet", "cilium", "cilium",
        [_container("cilium-agent", "quay.io/cilium/cilium:v1.17.4", "100m", "100Mi")],
        {**CRITICAL, "tolerations": TOLERATE_ALL, "hostNetwork": True},
    ),
    (
        "DaemonSet", "csi-do-node", "csi-do-node",
        [_container("csi-do-plugin", "docker.io/digitalocean/do-csi-plugin:v4.14.0", "10m",
                    "20Mi")],
        {**CRITICAL, "tolerations": TOLERATE_ALL, "hostNetwork": True},
    ),
    (
        "DaemonSet", "do-node-agent", "do-node-agent",
        [_container("do-node-agent", "docker.io/digitalocean/do-agent:3.18.0", "10m", "50Mi")],
        {**CRITICAL, "tolerations": TOLERATE_ALL, "hostNetwork": True},
    ),
    (
        "DaemonSet", "konnectivity-agent", "konnectivity-agent",
        [_container("konnectivity-agent",
                    "registry.k8s.io/kas-network-proxy/proxy-agent:v0.32.0", "10m", "30Mi")],
        {**CRITICAL, "tolerations": TOLERATE_ALL},
    ),
]  # fmt: skip


def _rules(*rules: tuple[list[str], list[str], list[str]]) -> list[Obj]:
    return [
        {"apiGroups": groups, "resources": resources, "verbs": verbs}
        for groups, resources, verbs in rules
    ]


READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
CLUSTER_ROLES: dict[str, list[Obj]] = {
    "cluster-admin": [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ],
    "admin": _rules(([""], ["pods", "services", "configmaps", "secrets", "serviceaccounts",
                            "persistentvolumeclaims", "endpoints"], READ + WRITE),
                    (["apps"], ["deployments", "replicasets", "statefulsets", "daemonsets"],
                     READ + WRITE),
                    (["batch"], ["jobs", "cronjobs"], READ + WRITE),
                    (["rbac.authorization.k8s.io"], ["roles", "rolebindings"], READ + WRITE)),
    "edit": _rules(([""], ["pods", "services", "configmaps", "secrets", "serviceaccounts",
                           "persistentvolumeclaims", "endpoints"], READ + WRITE),
                   (["apps"], ["deployments", "replicasets", "statefulsets", "daemonsets"],
                    READ + WRITE),
                   (["batch"], ["jobs", "cronjobs"], READ + WRITE)),
    "view": _rules(([""], ["pods", "services", "configmaps", "serviceaccounts",
                           "persistentvolumeclaims", "endpoints"], READ),
                   (["apps"], ["deployments", "replicasets", "statefulsets", "daemonsets"], READ),
                   (["batch"], ["jobs", "cronjobs"], READ)),
}  # fmt: skip


def _insert(kube: Kube, group: str, plural: str, obj: Obj) -> None:
    resource = kube.resource_of(group, plural)
    assert resource is not None
    namespace = obj["metadata"].get("namespace", "")
    if kube.get(resource, namespace, obj["metadata"]["name"]) is None:
        kube.insert(resource, obj)


def create(kube: Kube) -> None:
    network = ipaddress.ip_network(str(kube.cluster.service_subnet), strict=False)
    for name in SYSTEM_NAMESPACES:
        _insert(kube, "", "namespaces", {"metadata": {"name": name}})
    for name, value in (
        ("system-cluster-critical", 2000000000),
        ("system-node-critical", 2000001000),
    ):
        _insert(
            kube,
            "scheduling.k8s.io",
            "priorityclasses",
            {
                "metadata": {"name": name},
                "value": value,
                "globalDefault": False,
                "preemptionPolicy": "PreemptLowerPriority",
                "description": "Used for system critical pods that must run in the cluster.",
            },
        )
    for name, rules in CLUSTER_ROLES.items():
        _insert(
            kube,
            "rbac.authorization.k8s.io",
            "clusterroles",
            {
                "metadata": {
                    "name": name,
                    "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
                },
                "rules": rules,
            },
        )
    _insert(
        kube,
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        {
            "metadata": {
                "name": "cluster-admin",
                "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
            },
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}
            ],
        },
    )
    for suffix, fs_type, reclaim, default in (
        ("", None, "Delete", True),
        ("-retain", None, "Retain", False),
        ("-xfs", "xfs", "Delete", False),
        ("-xfs-retain", "xfs", "Retain", False),
    ):
        storage_class: Obj = {
            "metadata": {
                "name": f"do-block-storage{suffix}",
                "annotations": {
                    "storageclass.kubernetes.io/is-default-class": "true" if default else "false"
                },
            },
            "provisioner": BLOCK_STORAGE,
            "reclaimPolicy": reclaim,
            "volumeBindingMode": "Immediate",
            "allowVolumeExpansion": True,
        }
        if fs_type:
            storage_class["parameters"] = {"fstype": fs_type}
        _insert(kube, "storage.k8s.io", "storageclasses", storage_class)
    _insert(
        kube,
        "storage.k8s.io",
        "csidrivers",
        {
            "metadata": {"name": BLOCK_STORAGE},
            "spec": {
                "attachRequired": True,
                "podInfoOnMount": True,
                "requiresRepublish": False,
                "storageCapacity": False,
                "fsGroupPolicy": "ReadWriteOnceWithFSType",
                "volumeLifecycleModes": ["Persistent"],
            },
        },
    )
    _services(kube, network)
    for kind, name, app, containers, extra in WORKLOADS:
        _insert(
            kube,
            "",
            "serviceaccounts",
            {"metadata": {"name": name, "namespace": "kube-system"}},
        )
        plural = "deployments" if kind == "Deployment" else "daemonsets"
        _insert(kube, "apps", plural, _workload(kind, name, app, containers, extra))


def _services(kube: Kube, network: Any) -> None:
    _insert(
        kube,
        "",
        "services",
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": str(network[1]),
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}],
            },
        },
    )
    _insert(
        kube,
        "",
        "endpoints",
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [
                {
                    "addresses": [{"ip": kube.cluster.ipv4 or "10.0.0.1"}],
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP"}],
                }
            ],
        },
    )
    _insert(
        kube,
        "",
        "services",
        {
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
            },
            "spec": {
                "clusterIP": str(network[10]),
                "selector": {"k8s-app": "kube-dns"},
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
                ],
            },
        },
    )
