"""The cluster as the DigitalOcean API made it: Node objects mirror the node pools' nodes, and a
fresh cluster has what a fresh DOKS cluster has (namespaces, kube-system workloads, storage
classes, RBAC) the first time its API is used."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.kubeapi import store
from localocean.areas.kubeapi.objects import Kube, Obj

MANAGED = "doks.digitalocean.com/managed"


def kubelet_version(cluster_version: str) -> str:
    """`1.37.1-do.0` -> `v1.37.1`."""
    return "v" + cluster_version.split("-", 1)[0]


def doks_nodes(connection: Connection, cluster_id: str) -> list[Row[Any]]:
    """The cluster's nodes that have joined (running or draining), with their pools."""
    from localocean.areas.kubernetes import store as clusters_store

    return [
        row
        for row in clusters_store.pools_and_nodes(connection, [cluster_id])
        if row.node_id is not None and row.node_state in ("running", "draining")
    ]


def fingerprint(cluster: Row[Any], rows: list[Row[Any]]) -> str:
    """What the Node objects are made from: when it changes they are made again."""
    text = repr(
        (
            cluster.version,
            [
                (
                    row.node_id,
                    row.node_name,
                    row.node_state,
                    row.node_droplet_id,
                    row.name,
                    row.size,
                    row.labels,
                    row.taints,
                )
                for row in rows
            ],
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _node(kube: Kube, row: Row[Any]) -> Obj:
    from localocean.areas.droplets import store as droplets_store
    from localocean.areas.sizes import catalog as sizes

    cluster = kube.cluster
    size = sizes.render(row.size)
    droplet = droplets_store.get_any(kube.connection, int(row.node_droplet_id or 0))
    name = row.node_name
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": row.size,
        "beta.kubernetes.io/os": "linux",
        MANAGED: "true",
        "doks.digitalocean.com/node-id": row.node_id,
        "doks.digitalocean.com/node-pool": row.name,
        "doks.digitalocean.com/node-pool-id": row.id,
        "doks.digitalocean.com/version": cluster.version,
        "failure-domain.beta.kubernetes.io/region": cluster.region,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": row.size,
        "region": cluster.region,
        "topology.kubernetes.io/region": cluster.region,
        **(row.labels or {}),
    }
    taints = [{k: v for k, v in taint.items() if v not in (None, "")} for taint in row.taints or []]
    unschedulable = row.node_state == "draining"
    if unschedulable:
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    memory_kib = int(size["memory"]) * 1024
    # DOKS reserves part of each node for the system; roughly what its nodes report.
    reserved_kib = min(memory_kib // 4, 1_048_576 if memory_kib > 4_194_304 else 700 * 1024)
    addresses = [{"type": "Hostname", "address": name}]
    if droplet is not None:
        addresses = [
            {"type": "InternalIP", "address": droplet.private_ipv4},
            {"type": "ExternalIP", "address": droplet.public_ipv4},
            *addresses,
        ]
    stamp = kube.stamp
    machine = hashlib.md5(row.node_id.encode(), usedforsecurity=False).hexdigest()
    node: Obj = {
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": droplet.private_ipv4 if droplet else "",
                "csi.volume.kubernetes.io/nodeid": '{"dobs.csi.digitalocean.com":"'
                + str(row.node_droplet_id)
                + '"}',
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"providerID": f"digitalocean://{row.node_droplet_id}"},
        "status": {
            "capacity": {
                "cpu": str(size["vcpus"]),
                "ephemeral-storage": f"{int(size['disk']) * 1024 * 1024}Ki",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": f"{memory_kib}Ki",
                "pods": "110",
            },
            "allocatable": {
                "cpu": f"{int(size['vcpus']) * 1000 - 100 * min(int(size['vcpus']), 4)}m"
                if int(size["vcpus"]) > 1
                else "900m",
                "ephemeral-storage": f"{int(size['disk']) * 1024 * 1024 * 9 // 10}Ki",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": f"{memory_kib - reserved_kib}Ki",
                "pods": "110",
            },
            "conditions": [
                _condition(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                    stamp,
                ),
                _condition(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                    stamp,
                ),
                _condition(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                    stamp,
                ),
                _condition(
                    "Ready", "True", "KubeletReady", "kubelet is posting ready status", stamp
                ),
            ],
            "addresses": addresses,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": machine,
                "systemUUID": row.node_id,
                "bootID": hashlib.md5(
                    f"{row.node_id}/{row.node_droplet_id}".encode(), usedforsecurity=False
                ).hexdigest(),
                "kernelVersion": "6.1.0-31-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.27",
                "kubeletVersion": kubelet_version(cluster.version),
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }
    if taints:
        node["spec"]["taints"] = taints
    if unschedulable:
        node["spec"]["unschedulable"] = True
    return node


def _condition(kind: str, status: str, reason: str, message: str, stamp: str) -> Obj:
    return {
        "type": kind,
        "status": status,
        "lastHeartbeatTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def sync(kube: Kube, rows: list[Row[Any]], seen: str) -> None:
    """Make the Node objects match the pools' nodes; pods on a node that went are deleted
    (their controllers make new ones elsewhere)."""
    nodes_resource = kube.resource_of("", "nodes")
    pods_resource = kube.resource_of("", "pods")
    assert nodes_resource is not None and pods_resource is not None
    wanted = {row.node_name: row for row in rows}
    existing = {obj["metadata"]["name"]: obj for obj in kube.list(nodes_resource, None)}
    for name, obj in existing.items():
        if (obj["metadata"].get("labels") or {}).get(MANAGED) != "true":
            continue
        if name not in wanted:
            kube.remove(nodes_resource, obj)
            for pod in kube.list(pods_resource, None):
                if pod.get("spec", {}).get("nodeName") == name:
                    kube.remove(pods_resource, pod)
    for name, row in wanted.items():
        made = _node(kube, row)
        current = existing.get(name)
        if current is None:
            kube.insert(nodes_resource, made)
            continue
        # Keep what is the node's own (uid, conditions' times) unless what it is made from
        # changed: labels, taints, addresses, versions.
        changed = copy.deepcopy(current)
        changed["metadata"]["labels"] = {
            **(current["metadata"].get("labels") or {}),
            **made["metadata"]["labels"],
        }
        changed["spec"] = {**current.get("spec", {}), **made["spec"]}
        if "taints" not in made["spec"]:
            changed["spec"].pop("taints", None)
        # A cordon (kubectl cordon) stays; labels and taints follow the pool, as DOKS keeps
        # them in step with the pool's settings.
        status = changed["status"]
        for key in ("capacity", "allocatable", "addresses", "nodeInfo"):
            status[key] = made["status"][key]
        if changed != current:
            kube.save(nodes_resource, changed)
    store.set_nodes_seen(kube.connection, kube.cluster_id, seen)


def bootstrap(kube: Kube) -> None:
    """What a new DOKS cluster's API holds before anyone deploys anything."""
    from localocean.areas.kubeapi import system

    store.add_state(kube.connection, kube.cluster_id)
    system.create(kube)


def replace(kube: Kube, node: Obj) -> None:
    """A DOKS node deleted through the Kubernetes API is replaced, as DOKS does: its droplet
    goes and the pool gets a new node."""
    from localocean.areas.kubernetes import pools

    labels = node["metadata"].get("labels") or {}
    if labels.get(MANAGED) != "true":
        return
    pools.delete_node(
        kube.connection,
        kube.lifecycle,
        kube.cluster.account_id,
        kube.cluster_id,
        labels["doks.digitalocean.com/node-pool-id"],
        labels["doks.digitalocean.com/node-id"],
        {"replace": "1", "skip_drain": "1"},
        kube.now,
    )
