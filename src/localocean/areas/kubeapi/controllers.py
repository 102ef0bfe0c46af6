"""The simulated control plane: what kube-controller-manager, the scheduler and the kubelets of
a real cluster do, done to the stored objects.

After every write (a request, or a transition coming due) `reconcile` runs the controllers the
changes concern, in rounds: a round's changes are collected, each object concerned is
reconciled once, and what that changes makes the next round. Containers do not run: a pod that
fits a node is bound to it, and after the cluster's timing (`kube.pod.start`) it is Running and
Ready, with an address from the cluster's pod subnet; a Job's pods then succeed
(`kube.pod.finish`). CronJobs run on LocalOcean's clock (`kube.cronjob.run`).
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Row

from localocean.areas.kubeapi import cron, quantity, store
from localocean.areas.kubeapi.objects import (
    Change,
    Kube,
    Obj,
    is_owned_by,
    owner_reference,
    random_suffix,
)
from localocean.areas.kubeapi.selectors import map_match, selector_match

if TYPE_CHECKING:
    from localocean.core.lifecycle import Lifecycle

from localocean.areas.kubeapi import CRONJOB_RUN, NAMESPACE_CLEANUP, POD_FINISH, POD_START, RESYNC

MAX_ROUNDS = 200
BURST = 250  # objects a controller makes for one owner in one transaction
# Between bursts the server serves requests (transitions run on its event loop).
BURST_PAUSE = 0.5
TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"


def _pods(kube: Kube) -> Any:
    return kube.resource_of("", "pods")


def _res(kube: Kube, group: str, plural: str) -> Any:
    resource = kube.resource_of(group, plural)
    assert resource is not None, f"{group}/{plural} is built in"
    return resource


def _meta(obj: Obj) -> Obj:
    return obj["metadata"]


def _deleting(obj: Obj) -> bool:
    return bool(_meta(obj).get("deletionTimestamp"))


def _save_if_changed(kube: Kube, group: str, plural: str, before: Obj, after: Obj) -> Obj:
    if after == before:
        return after
    return kube.save(_res(kube, group, plural), after)


def _set_status(kube: Kube, group: str, plural: str, obj: Obj, status: Obj) -> Obj:
    """Store `obj` with this status, if that changes it."""
    changed = copy.deepcopy(obj)
    changed["status"] = status
    return _save_if_changed(kube, group, plural, obj, changed)


def _condition(kind: str, status: bool, reason: str, message: str, now: str) -> Obj:
    return {
        "type": kind,
        "status": "True" if status else "False",
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def _merge_conditions(old: list[Obj] | None, new: list[Obj]) -> list[Obj]:
    """New conditions, keeping the transition times of those whose status did not change."""
    previous = {c.get("type"): c for c in old or []}
    merged = []
    for condition in new:
        before = previous.get(condition["type"])
        if before is not None and before.get("status") == condition["status"]:
            kept = dict(condition)
            kept["lastTransitionTime"] = before.get(
                "lastTransitionTime", kept["lastTransitionTime"]
            )
            if before.get("reason") == condition.get("reason") and before.get(
                "message"
            ) == condition.get("message"):
                kept = dict(before)
            merged.append(kept)
        else:
            merged.append(condition)
    return merged


def _terminating(kube: Kube, namespace: str) -> bool:
    found = kube.get_object("", "namespaces", "", namespace)
    return found is None or _deleting(found)


def record_event(
    kube: Kube, obj: Obj, kind: str, reason: str, message: str, component: str
) -> None:
    """A core/v1 Event about `obj` (what `kubectl describe` and `kubectl get events` show)."""
    metadata = _meta(obj)
    namespace = metadata.get("namespace") or "default"
    if _terminating(kube, namespace):
        return  # a namespace being deleted takes nothing new
    event: Obj = {
        "metadata": {
            "name": f"{metadata['name']}.{random_suffix(16)}",
            "namespace": namespace,
        },
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": metadata["name"],
            "namespace": metadata.get("namespace", ""),
            "uid": metadata.get("uid"),
            "resourceVersion": metadata.get("resourceVersion"),
        },
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": kube.stamp,
        "lastTimestamp": kube.stamp,
        "count": 1,
        "type": kind,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": "",
    }
    if not metadata.get("namespace"):
        event["involvedObject"].pop("namespace")
    kube.insert(_res(kube, "", "events"), event)


# What the API server assigns on create


def on_create(kube: Kube, resource: Any, obj: Obj) -> None:
    key = (resource.group, resource.plural)
    if key == ("", "services"):
        _allocate_service(kube, obj)
    elif key == ("apiextensions.k8s.io", "customresourcedefinitions"):
        spec = obj.get("spec", {})
        names = dict(spec.get("names", {}))
        names.setdefault("singular", str(names.get("kind", "")).lower())
        names.setdefault("listKind", f"{names.get('kind', '')}List")
        obj["status"] = {
            "acceptedNames": names,
            "conditions": [
                _condition("NamesAccepted", True, "NoConflicts", "no conflicts found", kube.stamp),
                _condition(
                    "Established",
                    True,
                    "InitialNamesAccepted",
                    "the initial names have been accepted",
                    kube.stamp,
                ),
            ],
            "storedVersions": [v["name"] for v in spec.get("versions", []) if v.get("storage")],
        }
        for condition in obj["status"]["conditions"]:
            condition.pop("lastUpdateTime")


def _allocate_service(kube: Kube, obj: Obj) -> None:
    from localocean.areas.kubeapi.errors import invalid

    spec = obj.setdefault("spec", {})
    kind = spec.get("type", "ClusterIP")
    network = ipaddress.ip_network(str(kube.cluster.service_subnet), strict=False)
    name = obj["metadata"]["name"]
    given = spec.get("clusterIP")
    if given and given != "None":
        try:
            inside = ipaddress.ip_address(given) in network
        except ValueError:
            inside = False
        if not inside:
            raise invalid("Service", "", name, [("spec.clusterIPs", "FieldValueInvalid",
                f'Invalid value: []string{{"{given}"}}: failed to allocate IP {given}: the '
                f"provided IP ({given}) is not in the valid range. The range of valid IPs is "
                f"{network}")])  # fmt: skip
    taken = {
        port.get("nodePort")
        for service in kube.list(_res(kube, "", "services"), None)
        for port in service.get("spec", {}).get("ports") or []
        if port.get("nodePort")
    }
    for index, port in enumerate(spec.get("ports") or []):
        if port.get("nodePort") in taken:
            where = f"spec.ports[{index}].nodePort"
            message = f"Invalid value: {port['nodePort']}: provided port is already allocated"
            raise invalid("Service", "", name, [(where, "FieldValueInvalid", message)])
    if kind != "ExternalName" and not spec.get("clusterIP"):
        # .1 is the kubernetes service, .10 the DNS service (bootstrap names them).
        offset = 11 + store.next_service_address(kube.connection, kube.cluster_id)
        address = str(network[offset % (network.num_addresses - 2) + 1])
        spec["clusterIP"] = address
    if spec.get("clusterIP") and spec["clusterIP"] != "None":
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    elif spec.get("clusterIP") == "None":
        spec.setdefault("clusterIPs", ["None"])
    if kind in ("NodePort", "LoadBalancer"):
        for index, port in enumerate(spec.get("ports") or []):
            port.setdefault(
                "nodePort", 30000 + (abs(hash((obj["metadata"]["name"], index))) % 2767)
            )
    if kind == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)


def service_address(kube: Kube, offset: int) -> str:
    network = ipaddress.ip_network(str(kube.cluster.service_subnet), strict=False)
    return str(network[offset])


# The reconcile loop


@dataclass
class Work:
    deployments: set[tuple[str, str]] = field(default_factory=set)
    replicasets: set[tuple[str, str]] = field(default_factory=set)
    statefulsets: set[tuple[str, str]] = field(default_factory=set)
    daemonsets: set[tuple[str, str]] = field(default_factory=set)
    jobs: set[tuple[str, str]] = field(default_factory=set)
    cronjobs: set[tuple[str, str]] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)  # namespaces
    schedule: bool = False
    room: bool = False  # capacity may have appeared: pods that did not fit are tried again
    all_daemonsets: bool = False
    new_namespaces: set[str] = field(default_factory=set)
    emptied: set[str] = field(default_factory=set)  # namespaces something left
    gone_services: set[tuple[str, str]] = field(default_factory=set)
    claims: set[tuple[str, str]] = field(default_factory=set)
    foreground: list[tuple[Any, Obj]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.deployments,
                self.replicasets,
                self.statefulsets,
                self.daemonsets,
                self.jobs,
                self.cronjobs,
                self.endpoints,
                self.schedule,
                self.all_daemonsets,
                self.new_namespaces,
                self.claims,
                self.foreground,
            )
        )


_OWNER_KINDS = {
    "ReplicaSet": "replicasets",
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
    "Job": "jobs",
    "CronJob": "cronjobs",
}


def _route(kube: Kube, work: Work, resource: Any, kind: str, obj: Obj) -> None:
    metadata = _meta(obj)
    namespace, name = metadata.get("namespace", ""), metadata["name"]
    key = (resource.group, resource.plural)
    if kind == "DELETED" and namespace:
        work.emptied.add(namespace)
    if kind != "DELETED" and "foregroundDeletion" in (metadata.get("finalizers") or []):
        work.foreground.append((resource, obj))
    for ref in metadata.get("ownerReferences") or []:
        plural = _OWNER_KINDS.get(str(ref.get("kind")))
        if plural is not None:
            getattr(work, plural).add((namespace, str(ref.get("name"))))
    if key == ("apps", "deployments") and kind != "DELETED":
        work.deployments.add((namespace, name))
    elif key == ("apps", "replicasets") and kind != "DELETED":
        work.replicasets.add((namespace, name))
    elif key == ("apps", "statefulsets") and kind != "DELETED":
        work.statefulsets.add((namespace, name))
    elif key == ("apps", "daemonsets") and kind != "DELETED":
        work.daemonsets.add((namespace, name))
    elif key == ("batch", "jobs") and kind != "DELETED":
        work.jobs.add((namespace, name))
    elif key == ("batch", "cronjobs") and kind != "DELETED":
        work.cronjobs.add((namespace, name))
    elif key == ("", "pods"):
        work.endpoints.add(namespace)
        if kind == "DELETED":
            work.schedule = work.room = True  # its room may fit a pod that did not fit before
        elif not obj.get("spec", {}).get("nodeName"):
            work.schedule = True
    elif key == ("", "services"):
        work.endpoints.add(namespace)
        if kind == "DELETED":
            work.gone_services.add((namespace, name))
    elif key == ("", "nodes"):
        work.schedule = work.room = True
        work.all_daemonsets = True
    elif key == ("", "namespaces") and kind == "ADDED":
        work.new_namespaces.add(name)
    elif key == ("", "persistentvolumeclaims") and kind != "DELETED":
        work.claims.add((namespace, name))


def reconcile(kube: Kube) -> None:
    done = 0
    for _ in range(MAX_ROUNDS):
        batch = kube.changes[done:]
        done = len(kube.changes)
        if not batch:
            break
        work = Work()
        for change in batch:
            _route(kube, work, change.resource, change.type, change.obj)
        _run(kube, work)
    _schedule_kubelets(kube)


def _schedule_kubelets(kube: Kube) -> None:
    """The pods bound in this transaction start together (one transition), and so do the
    run-to-completion pods that started: one reconcile for all of them when it comes due."""
    for kind, pods in ((POD_START, kube.starting), (POD_FINISH, kube.finishing)):
        if not pods:
            continue
        kube.lifecycle.schedule(
            kube.connection,
            kind,
            "kube_cluster",
            kube.cluster_id,
            "Running" if kind == POD_START else "Succeeded",
            {"cluster_id": kube.cluster_id, "pods": list(pods)},
            account_id=kube.cluster.account_id,
        )
        pods.clear()
    if kube.resyncs:
        # The server serves requests at least as long as the burst took (transitions run on its
        # event loop): bursts never take more than half of it.
        pause = max(BURST_PAUSE, 2 * (time.monotonic() - kube.started))
        for payload in kube.resyncs:
            kube.lifecycle.schedule(
                kube.connection, RESYNC, "kube_object", payload["uid"], "synced", payload,
                delay=pause, account_id=kube.cluster.account_id,
            )  # fmt: skip
        kube.resyncs.clear()


def _get(kube: Kube, group: str, plural: str, namespace: str, name: str) -> Obj | None:
    return kube.get_object(group, plural, namespace, name)


def _run(kube: Kube, work: Work) -> None:
    for namespace in sorted(work.new_namespaces):
        _namespace_defaults(kube, namespace)
    for resource, obj in work.foreground:
        _foreground(kube, resource, obj)
    for namespace, name in sorted(work.cronjobs):
        found = _get(kube, "batch", "cronjobs", namespace, name)
        if found is not None:
            cronjob(kube, found)
    for namespace, name in sorted(work.deployments):
        found = _get(kube, "apps", "deployments", namespace, name)
        if found is not None:
            deployment(kube, found)
    for namespace, name in sorted(work.replicasets):
        found = _get(kube, "apps", "replicasets", namespace, name)
        if found is not None:
            replicaset(kube, found)
    for namespace, name in sorted(work.statefulsets):
        found = _get(kube, "apps", "statefulsets", namespace, name)
        if found is not None:
            statefulset(kube, found)
    daemonsets = work.daemonsets
    if work.all_daemonsets:
        daemonsets = daemonsets | {
            (_meta(d).get("namespace", ""), _meta(d)["name"])
            for d in kube.list(_res(kube, "apps", "daemonsets"), None)
        }
    for namespace, name in sorted(daemonsets):
        found = _get(kube, "apps", "daemonsets", namespace, name)
        if found is not None:
            daemonset(kube, found)
    for namespace, name in sorted(work.jobs):
        found = _get(kube, "batch", "jobs", namespace, name)
        if found is not None:
            job(kube, found)
    for namespace, name in sorted(work.claims):
        found = _get(kube, "", "persistentvolumeclaims", namespace, name)
        if found is not None:
            bind_claim(kube, found)
    if work.schedule:
        schedule(kube, retry=work.room)
    for namespace, name in sorted(work.gone_services):
        found = _get(kube, "", "endpoints", namespace, name)
        if found is not None:
            kube.remove(_res(kube, "", "endpoints"), found)
    for namespace in sorted(work.endpoints):
        if not _terminating(kube, namespace):
            endpoints(kube, namespace)
    for namespace in sorted(work.emptied):
        _finish_namespace(kube, namespace)


# Namespaces and deletion


def _namespace_defaults(kube: Kube, namespace: str) -> None:
    """What every namespace gets: the `default` service account and the cluster's CA."""
    found = _get(kube, "", "namespaces", "", namespace)
    if found is None or _deleting(found):
        return
    if _get(kube, "", "serviceaccounts", namespace, "default") is None:
        kube.insert(
            _res(kube, "", "serviceaccounts"),
            {"metadata": {"name": "default", "namespace": namespace}},
        )
    if _get(kube, "", "configmaps", namespace, "kube-root-ca.crt") is None:
        from localocean.areas.kubernetes import access

        certificate, _ = access.ca(kube.connection, kube.cluster)
        kube.insert(
            _res(kube, "", "configmaps"),
            {
                "metadata": {
                    "name": "kube-root-ca.crt",
                    "namespace": namespace,
                    "annotations": {
                        "kubernetes.io/description": "Contains a CA bundle that can be used to "
                        "verify the kube-apiserver when using internal endpoints such as the "
                        "internal service IP or kubernetes.default.svc. No other usage is "
                        "guaranteed across distributions of Kubernetes clusters."
                    },
                },
                "data": {"ca.crt": certificate},
            },
        )


def schedule_namespace_cleanup(kube: Kube, namespace: str) -> None:
    kube.lifecycle.schedule(
        kube.connection,
        NAMESPACE_CLEANUP,
        "kube_namespace",
        f"{kube.cluster_id}/{namespace}",
        "deleted",
        {"cluster_id": kube.cluster_id, "namespace": namespace},
        account_id=kube.cluster.account_id,
    )


def _cleanup_namespace(kube: Kube, namespace: str) -> None:
    found = _get(kube, "", "namespaces", "", namespace)
    if found is None or not _deleting(found):
        return
    # Everything in it is deleted; what has finalizers waits for them, and so does the
    # namespace (finished when its last object goes: see _finish_namespace).
    for row in store.in_namespace(kube.connection, kube.cluster_id, namespace):
        resource = kube.resource_of(row.api_group, row.resource)
        if resource is None:
            continue
        current = kube.get(resource, namespace, _meta(row.body)["name"])
        if current is not None:
            kube.delete(resource, current, "Background")
    _finish_namespace(kube, namespace)


def _finish_namespace(kube: Kube, namespace: str) -> None:
    """A terminating namespace goes once nothing is left in it."""
    found = _get(kube, "", "namespaces", "", namespace)
    if found is None or not _deleting(found):
        return
    if store.in_namespace(kube.connection, kube.cluster_id, namespace):
        return
    found = copy.deepcopy(found)
    found.get("spec", {}).pop("finalizers", None)
    found["metadata"].pop("finalizers", None)
    kube.remove(_res(kube, "", "namespaces"), found)


def _foreground(kube: Kube, resource: Any, obj: Obj) -> None:
    current = kube.get(resource, _meta(obj).get("namespace", ""), _meta(obj)["name"])
    if current is None or "foregroundDeletion" not in (_meta(current).get("finalizers") or []):
        return
    dependents = store.dependents(kube.connection, kube.cluster_id, _meta(current)["uid"])
    for row in dependents:
        dependent_resource = kube.resource_of(row.api_group, row.resource)
        if dependent_resource is not None:
            kube.delete(dependent_resource, row.body, "Foreground")
    if not store.dependents(kube.connection, kube.cluster_id, _meta(current)["uid"]):
        current = copy.deepcopy(current)
        current["metadata"]["finalizers"] = [
            f for f in current["metadata"]["finalizers"] if f != "foregroundDeletion"
        ]
        if not current["metadata"]["finalizers"]:
            current["metadata"].pop("finalizers")
        kube.save(resource, current)


# Workloads


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def template_hash(template: Obj) -> str:
    """A short stable hash of a pod template (the pod-template-hash label). Null fields count
    as absent, as in the Go structs clients send (`creationTimestamp: null`)."""
    canonical = orjson.dumps(_without_nulls(template), option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(canonical).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int(digest[:16], 16)
    text = ""
    for _ in range(10):
        number, index = divmod(number, len(alphabet))
        text += alphabet[index]
    return text


def _owned(kube: Kube, owner: Obj, group: str, plural: str) -> list[Obj]:
    return [
        row.body
        for row in store.dependents(kube.connection, kube.cluster_id, _meta(owner)["uid"])
        if (row.api_group, row.resource) == (group, plural)
    ]


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """An int-or-percent of `total` (validation refuses anything else)."""
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        share = int(value[:-1]) * total / 100
        return math.ceil(share) if round_up else math.floor(share)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _ready(pod: Obj) -> bool:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def _rs_counts(rs: Obj) -> tuple[int, int, int]:
    status = rs.get("status", {})
    return (
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        int(status.get("availableReplicas", 0)),
    )


def _revision(obj: Obj) -> int:
    try:
        return int((_meta(obj).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _scale(kube: Kube, rs: Obj, replicas: int, deployment_obj: Obj) -> Obj:
    if rs["spec"].get("replicas") == replicas:
        return rs
    changed = copy.deepcopy(rs)
    old = int(changed["spec"].get("replicas", 0))
    changed["spec"]["replicas"] = replicas
    annotations = changed["metadata"].setdefault("annotations", {})
    annotations["deployment.kubernetes.io/desired-replicas"] = str(
        deployment_obj["spec"].get("replicas", 1)
    )
    saved = kube.save(_res(kube, "apps", "replicasets"), changed)
    direction = "up" if replicas > old else "down"
    record_event(
        kube,
        deployment_obj,
        "Normal",
        "ScalingReplicaSet",
        f"Scaled {direction} replica set {_meta(rs)['name']} from {old} to {replicas}",
        "deployment-controller",
    )
    return saved


def deployment(kube: Kube, d: Obj) -> None:
    if _deleting(d):
        return
    spec = d["spec"]
    replicas = int(spec.get("replicas", 1))
    template = spec.get("template", {})
    hash_ = template_hash(template)
    owned = [rs for rs in _owned(kube, d, "apps", "replicasets") if not _deleting(rs)]
    new = next(
        (rs for rs in owned if (_meta(rs).get("labels") or {}).get(TEMPLATE_HASH) == hash_), None
    )
    old = [rs for rs in owned if rs is not new]
    top = max((_revision(rs) for rs in owned), default=0)
    if new is None:
        new_template = copy.deepcopy(template)
        labels = new_template.setdefault("metadata", {}).setdefault("labels", {})
        labels[TEMPLATE_HASH] = hash_
        selector = copy.deepcopy(spec.get("selector", {}))
        selector.setdefault("matchLabels", {})[TEMPLATE_HASH] = hash_
        new = kube.insert(
            _res(kube, "apps", "replicasets"),
            {
                "metadata": {
                    "name": f"{_meta(d)['name']}-{hash_}",
                    "namespace": _meta(d)["namespace"],
                    "labels": dict(labels),
                    "annotations": {
                        REVISION: str(top + 1),
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas),
                    },
                    "ownerReferences": [owner_reference(d)],
                },
                "spec": {
                    "replicas": 0,
                    "minReadySeconds": spec.get("minReadySeconds", 0),
                    "selector": selector,
                    "template": new_template,
                },
                "status": {"replicas": 0},
            },
        )
    elif _revision(new) < top:
        bumped = copy.deepcopy(new)
        bumped["metadata"].setdefault("annotations", {})[REVISION] = str(top + 1)
        new = kube.save(_res(kube, "apps", "replicasets"), bumped)
    if not spec.get("paused"):
        strategy = spec.get("strategy", {})
        if strategy.get("type") == "Recreate":
            for rs in old:
                _scale(kube, rs, 0, d)
            if all(_rs_counts(rs)[0] == 0 for rs in old):
                new = _scale(kube, new, replicas, d)
        else:
            new = _roll(kube, d, new, old, replicas, strategy.get("rollingUpdate") or {})
    _deployment_status(kube, d, new, old, replicas)
    _trim_history(kube, d, old, int(spec.get("revisionHistoryLimit", 10)))


def _roll(kube: Kube, d: Obj, new: Obj, old: list[Obj], replicas: int, rolling: Obj) -> Obj:
    surge = _scaled(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = _scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    wanted_new = int(new["spec"].get("replicas", 0))
    total = wanted_new + sum(int(rs["spec"].get("replicas", 0)) for rs in old)
    if wanted_new < replicas:
        room = replicas + surge - total
        if room > 0:
            new = _scale(kube, new, min(replicas, wanted_new + room), d)
    elif wanted_new > replicas:
        new = _scale(kube, new, replicas, d)
    wanted_new = int(new["spec"].get("replicas", 0))
    # Old pods go as far as availability allows: all pods minus the minimum available minus
    # the new pods not available yet.
    all_pods = wanted_new + sum(int(rs["spec"].get("replicas", 0)) for rs in old)
    new_unavailable = max(0, wanted_new - _rs_counts(new)[2])
    removable = all_pods - (replicas - unavailable) - new_unavailable
    for rs in sorted(old, key=lambda r: _meta(r).get("creationTimestamp", "")):
        current = int(rs["spec"].get("replicas", 0))
        if current == 0:
            continue
        # Old pods that are not available count against nothing: they go first.
        unhealthy = max(0, current - _rs_counts(rs)[2])
        take = min(current, max(0, removable) + unhealthy)
        if take > 0:
            _scale(kube, rs, current - take, d)
            removable -= max(0, take - unhealthy)
    return new


def _deployment_status(kube: Kube, d: Obj, new: Obj, old: list[Obj], replicas: int) -> None:
    every = [new, *old]
    counts = [_rs_counts(rs) for rs in every]
    total = sum(c[0] for c in counts)
    ready = sum(c[1] for c in counts)
    available = sum(c[2] for c in counts)
    updated = _rs_counts(new)[0]
    rolling = d["spec"].get("strategy", {}).get("rollingUpdate") or {}
    unavailable_allowed = _scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    is_available = available >= replicas - unavailable_allowed
    complete = (
        updated == replicas
        and total == replicas
        and available == replicas
        and int(new["spec"].get("replicas", 0)) == replicas
    )
    name = _meta(new)["name"]
    stamp = kube.stamp
    conditions = [
        _condition(
            "Available",
            is_available,
            "MinimumReplicasAvailable" if is_available else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if is_available
            else "Deployment does not have minimum availability.",
            stamp,
        ),
        _condition(
            "Progressing",
            True,
            "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
            f'ReplicaSet "{name}" has successfully progressed.'
            if complete
            else f'ReplicaSet "{name}" is progressing.',
            stamp,
        ),
    ]
    status: Obj = {
        "observedGeneration": _meta(d).get("generation", 1),
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "conditions": _merge_conditions(d.get("status", {}).get("conditions"), conditions),
    }
    if replicas - available > 0:
        status["unavailableReplicas"] = max(0, total - available) or replicas - available
    for key in ("readyReplicas", "availableReplicas"):
        if not status[key]:
            status.pop(key)
    changed = copy.deepcopy(d)
    changed["status"] = status
    # The deployment carries its current revision, as `kubectl describe` shows it.
    annotations = changed["metadata"].setdefault("annotations", {})
    annotations[REVISION] = str(_revision(new))
    _save_if_changed(kube, "apps", "deployments", d, changed)


def _trim_history(kube: Kube, d: Obj, old: list[Obj], limit: int) -> None:
    idle = [rs for rs in old if int(rs["spec"].get("replicas", 0)) == 0 and _rs_counts(rs)[0] == 0]
    idle.sort(key=_revision)
    for rs in idle[: max(0, len(idle) - limit)]:
        kube.remove(_res(kube, "apps", "replicasets"), rs)


def _new_pod(kube: Kube, owner: Obj, template: Obj, name: str, extra_labels: dict[str, str]) -> Obj:
    template = copy.deepcopy(template)
    metadata = template.get("metadata") or {}
    labels = {**(metadata.get("labels") or {}), **extra_labels}
    pod = {
        "metadata": {
            "name": name,
            "namespace": _meta(owner)["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": template.get("spec", {}),
    }
    if metadata.get("annotations"):
        pod["metadata"]["annotations"] = metadata["annotations"]
    pods = _res(kube, "", "pods")
    if name.endswith("-"):
        # Like kube-apiserver's generateName: a random suffix, drawn again if it is taken.
        for _ in range(20):
            pod["metadata"]["name"] = f"{name}{random_suffix()}"
            if kube.get(pods, pod["metadata"]["namespace"], pod["metadata"]["name"]) is None:
                break
    return kube.insert(pods, pod)


# owner uid -> (when its current burst began, how many it made since): kube-controller-manager
# is rate-limited too, and the server serves requests between bursts.
_bursts: dict[str, tuple[float, int]] = {}


def _burst(kube: Kube, owner: Obj, missing: int, group: str, plural: str) -> int:
    """How many of `missing` objects the owner's controller makes now: at most BURST in each
    BURST_PAUSE of LocalOcean's clock; the rest later (one resync scheduled)."""
    uid = _meta(owner)["uid"]
    began, made = _bursts.get(uid, (kube.now, 0))
    if kube.now - began >= BURST_PAUSE:
        began, made = kube.now, 0
    allowed = max(0, min(missing, BURST - made))
    if missing > allowed and uid not in kube.made_later:
        kube.made_later.add(uid)
        resync_later(kube, owner, group, plural)
    if allowed or uid in _bursts:
        if len(_bursts) > 10_000:
            _bursts.clear()
        _bursts[uid] = (began, made + allowed)
    return allowed


def resync_later(kube: Kube, obj: Obj, group: str, plural: str) -> None:
    """Go on with `obj` in a transaction of its own (a controller makes at most BURST objects
    per transaction, as kube-controller-manager creates pods in bursts); scheduled when the
    reconcile ends, so the pause can follow how long this burst took."""
    kube.resyncs.append(
        {
            "cluster_id": kube.cluster_id,
            "group": group,
            "resource": plural,
            "namespace": _meta(obj).get("namespace", ""),
            "name": _meta(obj)["name"],
            "uid": _meta(obj)["uid"],
        }
    )


def _resync(kube: Kube, payload: dict[str, Any]) -> None:
    resource = kube.resource_of(payload["group"], payload["resource"])
    if resource is None:
        return
    found = kube.get(resource, payload["namespace"], payload["name"])
    if found is not None:
        kube.changes.append(Change(resource, "MODIFIED", found))


def _pod_order(pod: Obj) -> tuple[int, int, str]:
    """Which pods a scale-down removes first: unscheduled, then pending, then not ready,
    then the newest."""
    scheduled = 1 if pod.get("spec", {}).get("nodeName") else 0
    running = 1 if pod.get("status", {}).get("phase") == "Running" else 0
    return (scheduled + running + (1 if _ready(pod) else 0), 0, "")


def replicaset(kube: Kube, rs: Obj) -> None:
    if _deleting(rs):
        return
    pods = [p for p in _owned(kube, rs, "", "pods") if not _deleting(p)]
    wanted = int(rs["spec"].get("replicas", 1))
    template = rs["spec"].get("template", {})
    if len(pods) < wanted:
        created = []
        for _ in range(_burst(kube, rs, wanted - len(pods), "apps", "replicasets")):
            created.append(_new_pod(kube, rs, template, f"{_meta(rs)['name']}-", {}))
        pods.extend(created)
        if created:
            record_event(
                kube,
                rs,
                "Normal",
                "SuccessfulCreate",
                f"Created pod: {_meta(created[-1])['name']}",
                "replicaset-controller",
            )
    elif len(pods) > wanted:
        pods.sort(
            key=lambda p: (_pod_order(p)[0], _meta(p).get("creationTimestamp", "")),
        )
        doomed, pods = pods[: len(pods) - wanted], pods[len(pods) - wanted :]
        pods_resource = _res(kube, "", "pods")
        for pod in doomed:
            kube.remove(pods_resource, pod)
        record_event(
            kube,
            rs,
            "Normal",
            "SuccessfulDelete",
            f"Deleted pod: {_meta(doomed[-1])['name']}",
            "replicaset-controller",
        )
    ready = sum(1 for p in pods if _ready(p))
    status = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": _meta(rs).get("generation", 1),
    }
    if not ready:
        status.pop("readyReplicas")
        status.pop("availableReplicas")
    if not pods:
        status.pop("fullyLabeledReplicas")
    _set_status(kube, "apps", "replicasets", rs, status)


def statefulset(kube: Kube, sts: Obj) -> None:
    if _deleting(sts):
        return
    spec = sts["spec"]
    name = _meta(sts)["name"]
    wanted = int(spec.get("replicas", 1))
    template = spec.get("template", {})
    revision = f"{name}-{template_hash(template)}"
    ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
    pods = {_meta(p)["name"]: p for p in _owned(kube, sts, "", "pods")}
    pods_resource = _res(kube, "", "pods")
    for claim in spec.get("volumeClaimTemplates") or []:
        for index in range(wanted):
            _claim_for(kube, sts, claim, f"{name}-{index}")
    # Create missing ordinals (in order, each after the previous is ready when ordered).
    for index in range(wanted):
        pod_name = f"{name}-{index}"
        if pod_name in pods:
            if ordered and not _ready(pods[pod_name]):
                break
            continue
        pod = copy.deepcopy(template)
        pod_spec = pod.setdefault("spec", {})
        pod_spec.setdefault("hostname", pod_name)
        if spec.get("serviceName"):
            pod_spec.setdefault("subdomain", spec["serviceName"])
        volumes = pod_spec.setdefault("volumes", [])
        for claim in spec.get("volumeClaimTemplates") or []:
            claim_name = claim["metadata"]["name"]
            if not any(v.get("name") == claim_name for v in volumes):
                volumes.append(
                    {
                        "name": claim_name,
                        "persistentVolumeClaim": {"claimName": f"{claim_name}-{pod_name}"},
                    }
                )
        pods[pod_name] = _new_pod(
            kube,
            sts,
            pod,
            pod_name,
            {
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(index),
                "controller-revision-hash": revision,
            },
        )
        if ordered:
            break
    # Remove ordinals beyond the wanted count, highest first.
    extra = sorted(
        (p for n, p in pods.items() if _ordinal(n, name) >= wanted),
        key=lambda p: -_ordinal(_meta(p)["name"], name),
    )
    for pod in extra[:1] if ordered else extra:
        kube.remove(pods_resource, pod)
        pods.pop(_meta(pod)["name"])
    # Rolling update: replace the highest-ordinal pod of an old revision once all are ready.
    stale = [
        p
        for p in pods.values()
        if (_meta(p).get("labels") or {}).get("controller-revision-hash") != revision
    ]
    rolling = spec.get("updateStrategy", {}).get("type", "RollingUpdate") == "RollingUpdate"
    if stale and rolling and all(_ready(p) for p in pods.values()) and len(pods) == wanted:
        victim = max(stale, key=lambda p: _ordinal(_meta(p)["name"], name))
        kube.remove(pods_resource, victim)
        pods.pop(_meta(victim)["name"])
    live = list(pods.values())
    ready = sum(1 for p in live if _ready(p))
    updated = sum(
        1
        for p in live
        if (_meta(p).get("labels") or {}).get("controller-revision-hash") == revision
    )
    current_revision = (
        revision
        if updated == len(live) and len(live) == wanted
        else (sts.get("status", {}).get("currentRevision") or revision)
    )
    status = {
        "observedGeneration": _meta(sts).get("generation", 1),
        "replicas": len(live),
        "readyReplicas": ready,
        "currentReplicas": updated if current_revision == revision else len(live) - updated,
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "currentRevision": current_revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }
    _set_status(kube, "apps", "statefulsets", sts, status)


def _ordinal(pod_name: str, set_name: str) -> int:
    suffix = pod_name[len(set_name) + 1 :]
    return int(suffix) if suffix.isdigit() else -1


def _claim_for(kube: Kube, owner: Obj, claim: Obj, pod_name: str) -> None:
    name = f"{claim['metadata']['name']}-{pod_name}"
    namespace = _meta(owner)["namespace"]
    if _get(kube, "", "persistentvolumeclaims", namespace, name) is not None:
        return
    body = copy.deepcopy(claim)
    body["metadata"] = {
        "name": name,
        "namespace": namespace,
        "labels": dict(_meta(owner).get("labels") or {}),
    }
    body.pop("status", None)
    kube.insert(_res(kube, "", "persistentvolumeclaims"), body)


def daemonset(kube: Kube, ds: Obj) -> None:
    if _deleting(ds):
        return
    template = ds["spec"].get("template", {})
    revision = template_hash(template)
    pods_resource = _res(kube, "", "pods")
    nodes = [n for n in kube.list(_res(kube, "", "nodes"), None) if not _deleting(n)]
    pod_spec = template.get("spec", {})
    eligible = {
        _meta(n)["name"]: n
        for n in nodes
        if _tolerates(pod_spec, n, daemon=True) and _selects(pod_spec, n)
    }
    pods = [p for p in _owned(kube, ds, "", "pods") if not _deleting(p)]
    by_node: dict[str, list[Obj]] = defaultdict(list)
    for pod in pods:
        by_node[pod.get("spec", {}).get("nodeName", "")].append(pod)
    for node_name, on_node in list(by_node.items()):
        if node_name not in eligible:
            for pod in on_node:
                kube.remove(pods_resource, pod)
            by_node.pop(node_name)
    # One stale pod at a time is replaced (maxUnavailable 1), once the others are ready.
    stale = [
        p
        for ps in by_node.values()
        for p in ps
        if (_meta(p).get("labels") or {}).get("controller-revision-hash") != revision
    ]
    if stale and all(_ready(p) for ps in by_node.values() for p in ps):
        victim = stale[0]
        kube.remove(pods_resource, victim)
        by_node.pop(victim["spec"].get("nodeName", ""), None)
    for node_name in eligible:
        if node_name in by_node:
            continue
        pod = copy.deepcopy(template)
        pod.setdefault("spec", {})["nodeName"] = node_name
        by_node[node_name] = [
            _new_pod(
                kube,
                ds,
                pod,
                f"{_meta(ds)['name']}-",
                {
                    "controller-revision-hash": revision,
                    "pod-template-generation": str(_meta(ds).get("generation", 1)),
                },
            )
        ]
        start_pod(kube, by_node[node_name][0])
    live = [p for ps in by_node.values() for p in ps]
    ready = sum(1 for p in live if _ready(p))
    updated = sum(
        1
        for p in live
        if (_meta(p).get("labels") or {}).get("controller-revision-hash") == revision
    )
    status = {
        "currentNumberScheduled": len(live),
        "desiredNumberScheduled": len(eligible),
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": updated,
        "observedGeneration": _meta(ds).get("generation", 1),
    }
    if len(eligible) - ready > 0:
        status["numberUnavailable"] = len(eligible) - ready
    if not ready:
        status.pop("numberAvailable")
    _set_status(kube, "apps", "daemonsets", ds, status)


def job(kube: Kube, j: Obj) -> None:
    if _deleting(j):
        return
    spec = j["spec"]
    status = copy.deepcopy(j.get("status", {}))
    if any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in status.get("conditions") or []
    ):
        return
    completions = int(spec.get("completions") or 1)
    parallelism = int(spec.get("parallelism", 1))
    pods = _owned(kube, j, "", "pods")
    succeeded = sum(1 for p in pods if p.get("status", {}).get("phase") == "Succeeded")
    active = [p for p in pods if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
    wanted_active = 0 if spec.get("suspend") else min(parallelism, completions - succeeded)
    name = _meta(j)["name"]
    labels = {
        "batch.kubernetes.io/controller-uid": _meta(j)["uid"],
        "batch.kubernetes.io/job-name": name,
        "controller-uid": _meta(j)["uid"],
        "job-name": name,
    }
    for _ in range(_burst(kube, j, max(0, wanted_active - len(active)), "batch", "jobs")):
        active.append(_new_pod(kube, j, spec.get("template", {}), f"{name}-", labels))
    status.setdefault("startTime", kube.stamp)
    status["active"] = len(active)
    status["ready"] = sum(1 for p in active if _ready(p))
    status["succeeded"] = succeeded
    status["terminating"] = 0
    status["uncountedTerminatedPods"] = {}
    if not status["active"]:
        status.pop("active")
    if not status["succeeded"]:
        status.pop("succeeded")
    if succeeded >= completions:
        status["completionTime"] = kube.stamp
        status["conditions"] = [
            {
                **_condition(
                    "SuccessCriteriaMet",
                    True,
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    kube.stamp,
                ),
                "lastProbeTime": kube.stamp,
            },
            {
                **_condition(
                    "Complete",
                    True,
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                    kube.stamp,
                ),
                "lastProbeTime": kube.stamp,
            },
        ]
        for condition in status["conditions"]:
            condition.pop("lastUpdateTime")
        record_event(kube, j, "Normal", "Completed", "Job completed", "job-controller")
    _set_status(kube, "batch", "jobs", j, status)


def cronjob(kube: Kube, cj: Obj) -> None:
    """Keep the next run scheduled on the clock, and the history within its limits."""
    if _deleting(cj):
        return
    uid = _meta(cj)["uid"]
    kube.lifecycle.cancel(kube.connection, "kube_cronjob", [uid])
    spec = cj["spec"]
    jobs = _owned(kube, cj, "batch", "jobs")
    finished = [
        jb
        for jb in jobs
        if any(
            c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
            for c in jb.get("status", {}).get("conditions") or []
        )
    ]
    keep = int(spec.get("successfulJobsHistoryLimit", 3))
    finished.sort(key=lambda jb: _meta(jb).get("creationTimestamp", ""))
    for old in finished[: max(0, len(finished) - keep)]:
        kube.delete(_res(kube, "batch", "jobs"), old, "Background")
    active = [jb for jb in jobs if jb not in finished]
    status = copy.deepcopy(cj.get("status", {}))
    status["active"] = [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "name": _meta(jb)["name"],
            "namespace": _meta(jb)["namespace"],
            "uid": _meta(jb)["uid"],
            "resourceVersion": _meta(jb)["resourceVersion"],
        }
        for jb in active
    ]
    if not status["active"]:
        status.pop("active")
    if finished:
        status["lastSuccessfulTime"] = max(
            jb.get("status", {}).get("completionTime", "") for jb in finished
        )
    _set_status(kube, "batch", "cronjobs", cj, status)
    if spec.get("suspend"):
        return
    try:
        due = cron.next_after(str(spec.get("schedule", "")), kube.now, spec.get("timeZone"))
    except ValueError:
        return
    kube.lifecycle.schedule(
        kube.connection,
        CRONJOB_RUN,
        "kube_cronjob",
        uid,
        "run",
        {
            "cluster_id": kube.cluster_id,
            "namespace": _meta(cj)["namespace"],
            "name": _meta(cj)["name"],
            "uid": uid,
            "scheduled": due,
        },
        delay=max(0.0, due - kube.now),
        account_id=kube.cluster.account_id,
    )


def run_cronjob(kube: Kube, payload: dict[str, Any]) -> None:
    cj = _get(kube, "batch", "cronjobs", payload["namespace"], payload["name"])
    if cj is None or _meta(cj)["uid"] != payload["uid"] or _deleting(cj):
        return
    spec = cj["spec"]
    scheduled = float(payload["scheduled"])
    active = cj.get("status", {}).get("active") or []
    policy = spec.get("concurrencyPolicy", "Allow")
    jobs_resource = _res(kube, "batch", "jobs")
    run = True
    if active and policy == "Forbid":
        run = False
    elif active and policy == "Replace":
        for ref in active:
            found = _get(kube, "batch", "jobs", ref["namespace"], ref["name"])
            if found is not None:
                kube.delete(jobs_resource, found, "Background")
    if run:
        template = copy.deepcopy(spec.get("jobTemplate", {}))
        metadata = template.get("metadata") or {}
        name = f"{_meta(cj)['name']}-{int(scheduled // 60)}"
        if _get(kube, "batch", "jobs", _meta(cj)["namespace"], name) is None:
            job_obj = {
                "metadata": {
                    **metadata,
                    "name": name,
                    "namespace": _meta(cj)["namespace"],
                    "ownerReferences": [owner_reference(cj)],
                    "annotations": {
                        **(metadata.get("annotations") or {}),
                        "batch.kubernetes.io/cronjob-scheduled-timestamp": _rfc3339(scheduled),
                    },
                },
                "spec": template.get("spec", {}),
            }
            kube.insert(jobs_resource, job_obj)
            record_event(
                kube, cj, "Normal", "SuccessfulCreate", f"Created job {name}", "cronjob-controller"
            )
        changed = copy.deepcopy(cj)
        changed.setdefault("status", {})["lastScheduleTime"] = _rfc3339(scheduled)
        cj = _save_if_changed(kube, "batch", "cronjobs", cj, changed)
    cronjob(kube, cj)


def _rfc3339(at: float) -> str:
    from localocean.areas.kubeapi.objects import timestamp

    return timestamp(at)


# Storage


def bind_claim(kube: Kube, claim: Obj) -> None:
    """Claims of DigitalOcean's block storage classes bind at once to a new volume."""
    if claim.get("status", {}).get("phase") == "Bound" or _deleting(claim):
        return
    spec = claim.get("spec", {})
    class_name = spec.get("storageClassName")
    classes = kube.list(_res(kube, "storage.k8s.io", "storageclasses"), None)
    if class_name is None:
        default = next(
            (
                c
                for c in classes
                if (_meta(c).get("annotations") or {}).get(
                    "storageclass.kubernetes.io/is-default-class"
                )
                == "true"
            ),
            None,
        )
        if default is None:
            return
        class_name = _meta(default)["name"]
    storage_class = next((c for c in classes if _meta(c)["name"] == class_name), None)
    if storage_class is None:
        return
    size = (spec.get("resources", {}).get("requests") or {}).get("storage", "1Gi")
    volume_name = f"pvc-{_meta(claim)['uid']}"
    access_modes = spec.get("accessModes") or ["ReadWriteOnce"]
    kube.insert(
        _res(kube, "", "persistentvolumes"),
        {
            "metadata": {
                "name": volume_name,
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": storage_class.get("provisioner", "")
                },
                "finalizers": ["kubernetes.io/pv-protection"],
            },
            "spec": {
                "accessModes": access_modes,
                "capacity": {"storage": size},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": _meta(claim)["name"],
                    "namespace": _meta(claim)["namespace"],
                    "uid": _meta(claim)["uid"],
                },
                "csi": {
                    "driver": storage_class.get("provisioner", "dobs.csi.digitalocean.com"),
                    "fsType": "ext4",
                    "volumeHandle": _meta(claim)["uid"],
                },
                "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
                "storageClassName": class_name,
                "volumeMode": spec.get("volumeMode", "Filesystem"),
            },
            "status": {"phase": "Bound"},
        },
    )
    changed = copy.deepcopy(claim)
    changed["spec"]["volumeName"] = volume_name
    changed["spec"]["storageClassName"] = class_name
    annotations = changed["metadata"].setdefault("annotations", {})
    annotations["pv.kubernetes.io/bind-completed"] = "yes"
    annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
    changed["status"] = {
        "phase": "Bound",
        "accessModes": access_modes,
        "capacity": {"storage": size},
    }
    _save_if_changed(kube, "", "persistentvolumeclaims", claim, changed)


# Scheduling and pods


def _tolerates(pod_spec: Obj, node: Obj, daemon: bool = False) -> bool:
    tolerations = pod_spec.get("tolerations") or []
    for taint in node.get("spec", {}).get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if daemon and taint.get("key", "").startswith("node.kubernetes.io/"):
            continue
        if not any(_tolerated(t, taint) for t in tolerations):
            return False
    return True


def _tolerated(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("operator") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint.get("key")
    return toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get(
        "value", ""
    )


def _selects(pod_spec: Obj, node: Obj) -> bool:
    labels = _meta(node).get("labels") or {}
    selector = pod_spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    affinity = (pod_spec.get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    for term in terms:
        expressions = term.get("matchExpressions") or []
        fields = term.get("matchFields") or []
        ok = all(
            selector_match({"matchExpressions": [expression]})({"metadata": {"labels": labels}})
            for expression in expressions
        ) and all(
            selector_match({"matchExpressions": [{**f, "key": "name"}]})(
                {"metadata": {"labels": {"name": _meta(node)["name"]}}}
            )
            for f in fields
        )
        if ok:
            return True
    return False


def _allocatable(node: Obj) -> tuple[float, float, float]:
    allocatable = node.get("status", {}).get("allocatable") or {}
    return (
        quantity.parse_or_zero(allocatable.get("cpu", 0)),
        quantity.parse_or_zero(allocatable.get("memory", 0)),
        quantity.parse_or_zero(allocatable.get("pods", 110)),
    )


def schedule(kube: Kube, retry: bool = True) -> None:
    """Bind every pending pod to a node that fits it (resources, node selectors and affinity,
    taints), spreading pods across nodes; a pod that fits nowhere stays Pending with the
    scheduler's reason."""
    pods_resource = _res(kube, "", "pods")
    pending = [
        p
        for p in store.unbound_pods(kube.connection, kube.cluster_id, retry)
        if p.get("status", {}).get("phase", "Pending") == "Pending"
    ]
    if not pending:
        return
    all_nodes = kube.list(_res(kube, "", "nodes"), None)
    nodes = [
        n
        for n in all_nodes
        if not _deleting(n)
        and not n.get("spec", {}).get("unschedulable")
        and any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in n.get("status", {}).get("conditions") or []
        )
    ]
    usage = store.node_usage(kube.connection, kube.cluster_id)
    used: dict[str, list[float]] = {}
    for node in nodes:
        count, cpu_used, memory_used = usage.get(_meta(node)["name"], (0, 0.0, 0.0))
        used[_meta(node)["name"]] = [cpu_used, memory_used, float(count)]
    for pod in sorted(pending, key=lambda p: _meta(p).get("creationTimestamp", "")):
        spec = pod.get("spec", {})
        cpu, memory = quantity.pod_requests(spec)
        reasons: dict[str, int] = defaultdict(int)
        fitting = []
        for node in nodes:
            name = _meta(node)["name"]
            capacity_cpu, capacity_memory, capacity_pods = _allocatable(node)
            if not _selects(spec, node):
                reasons["node(s) didn't match Pod's node affinity/selector"] += 1
            elif not _tolerates(spec, node):
                taints = [
                    t
                    for t in node.get("spec", {}).get("taints") or []
                    if t.get("effect") in ("NoSchedule", "NoExecute")
                ]
                taint = taints[0] if taints else {}
                value = f": {taint.get('value')}" if taint.get("value") else ""
                reasons[f"node(s) had untolerated taint {{{taint.get('key')}{value}}}"] += 1
            elif used[name][2] + 1 > capacity_pods:
                reasons["Too many pods"] += 1
            elif used[name][0] + cpu > capacity_cpu + 1e-9:
                reasons["Insufficient cpu"] += 1
            elif used[name][1] + memory > capacity_memory:
                reasons["Insufficient memory"] += 1
            else:
                fitting.append(node)
        unready = len(all_nodes) - len(nodes)
        if unready:
            reasons["node(s) were unschedulable or not ready"] += unready
        if not fitting:
            total = len(all_nodes)
            message = (
                f"0/{total} nodes are available: "
                + ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
                + f". preemption: 0/{total} nodes are available: {total} No preemption victims "
                "found for incoming pod."
                if all_nodes
                else "no nodes available to schedule pods"
            )
            condition = {
                "type": "PodScheduled",
                "status": "False",
                "lastProbeTime": None,
                "lastTransitionTime": kube.stamp,
                "reason": "Unschedulable",
                "message": message,
            }
            current = pod.get("status", {}).get("conditions") or []
            if not any(c.get("message") == message for c in current):
                changed = copy.deepcopy(pod)
                changed["status"]["conditions"] = [condition]
                kube.save(pods_resource, changed)
                record_event(kube, pod, "Warning", "FailedScheduling", message, "default-scheduler")
            continue
        # Least loaded first (by pod count, then name): pods spread over the nodes.
        node = min(fitting, key=lambda n: (used[_meta(n)["name"]][2], _meta(n)["name"]))
        name = _meta(node)["name"]
        used[name][0] += cpu
        used[name][1] += memory
        used[name][2] += 1
        changed = copy.deepcopy(pod)
        changed["spec"]["nodeName"] = name
        changed["status"]["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": kube.stamp,
            }
        ]
        bound = kube.save(pods_resource, changed)
        record_event(
            kube,
            bound,
            "Normal",
            "Scheduled",
            f"Successfully assigned {_meta(bound)['namespace']}/{_meta(bound)['name']} to {name}",
            "default-scheduler",
        )
        start_pod(kube, bound)


def _pod_key(pod: Obj) -> dict[str, str]:
    return {
        "namespace": _meta(pod)["namespace"],
        "name": _meta(pod)["name"],
        "uid": _meta(pod)["uid"],
    }


def start_pod(kube: Kube, pod: Obj) -> None:
    """The pod's kubelet starts it after the cluster's timing (with the round's other pods)."""
    kube.starting.append(_pod_key(pod))


def _pod_address(kube: Kube) -> str:
    network = ipaddress.ip_network(str(kube.cluster.cluster_subnet), strict=False)
    offset = store.next_pod_address(kube.connection, kube.cluster_id)
    # Skip each /24's network and broadcast-looking ends so addresses look like real ones.
    return str(network[(offset % (network.num_addresses - 4)) + 2])


def run_pods(kube: Kube, payload: dict[str, Any]) -> None:
    for pod in payload["pods"]:
        run_pod(kube, pod)


def finish_pods(kube: Kube, payload: dict[str, Any]) -> None:
    for pod in payload["pods"]:
        finish_pod(kube, pod)


def run_pod(kube: Kube, payload: dict[str, Any]) -> None:
    """The kubelet's part: the pod's containers "start" and it becomes Ready."""
    pods_resource = _res(kube, "", "pods")
    pod = _get(kube, "", "pods", payload["namespace"], payload["name"])
    if pod is None or _meta(pod)["uid"] != payload["uid"] or _deleting(pod):
        return
    node = _get(kube, "", "nodes", "", pod["spec"].get("nodeName", ""))
    host_ip = ""
    if node is not None:
        host_ip = next(
            (
                a.get("address", "")
                for a in node.get("status", {}).get("addresses") or []
                if a.get("type") == "InternalIP"
            ),
            "",
        )
    stamp = kube.stamp
    address = _pod_address(kube)
    changed = copy.deepcopy(pod)
    status = changed["status"]
    status.update(
        {
            "phase": "Running",
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}] if host_ip else [],
            "podIP": address,
            "podIPs": [{"ip": address}],
            "startTime": stamp,
            "conditions": [
                {"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": stamp}
                for kind in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "containerStatuses": [
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "imageID": f"{_qualified_image(str(c.get('image', '')))}@sha256:"
                    + hashlib.sha256(str(c.get("image")).encode()).hexdigest(),
                    "containerID": "containerd://"
                    + hashlib.sha256(f"{payload['uid']}/{c.get('name')}".encode()).hexdigest(),
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": stamp}},
                    "lastState": {},
                }
                for c in changed["spec"].get("containers") or []
            ],
        }
    )
    if changed["spec"].get("initContainers"):
        status["initContainerStatuses"] = [
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "imageID": "",
                "ready": True,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": stamp,
                        "finishedAt": stamp,
                    }
                },
                "lastState": {},
            }
            for c in changed["spec"]["initContainers"]
        ]
    saved = kube.save(pods_resource, changed)
    for container in changed["spec"].get("containers") or []:
        record_event(
            kube,
            saved,
            "Normal",
            "Pulled",
            f'Container image "{container.get("image")}" already present on machine',
            "kubelet",
        )
        record_event(
            kube,
            saved,
            "Normal",
            "Created",
            f"Created container {container.get('name')}",
            "kubelet",
        )
        record_event(
            kube,
            saved,
            "Normal",
            "Started",
            f"Started container {container.get('name')}",
            "kubelet",
        )
    # Only a Job's pods run to completion; any other container "serves" until deleted.
    owners = {ref.get("kind") for ref in _meta(saved).get("ownerReferences") or []}
    if "Job" in owners:
        kube.finishing.append(_pod_key(saved))


def _qualified_image(image: str) -> str:
    first = image.split("/", 1)[0]
    if "/" not in image:
        image = f"docker.io/library/{image}"
    elif "." not in first and ":" not in first and first != "localhost":
        image = f"docker.io/{image}"
    return image.split("@", 1)[0].rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image


def finish_pod(kube: Kube, payload: dict[str, Any]) -> None:
    """A run-to-completion pod's containers exit 0."""
    pod = _get(kube, "", "pods", payload["namespace"], payload["name"])
    if pod is None or _meta(pod)["uid"] != payload["uid"] or _deleting(pod):
        return
    stamp = kube.stamp
    changed = copy.deepcopy(pod)
    status = changed["status"]
    status["phase"] = "Succeeded"
    for condition in status.get("conditions") or []:
        if condition["type"] in ("Ready", "ContainersReady", "PodReadyToStartContainers"):
            condition["status"] = "False"
            condition["lastTransitionTime"] = stamp
            if condition["type"] != "PodReadyToStartContainers":
                condition["reason"] = "PodCompleted"
    for container in status.get("containerStatuses") or []:
        started = (container.get("state", {}).get("running") or {}).get("startedAt", stamp)
        container["ready"] = False
        container["started"] = False
        container["state"] = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": started,
                "finishedAt": stamp,
                "containerID": container.get("containerID", ""),
            }
        }
    kube.save(_res(kube, "", "pods"), changed)


# Services


def endpoints(kube: Kube, namespace: str) -> None:
    """Each service with a selector gets Endpoints and an EndpointSlice of its ready pods."""
    services = [
        s
        for s in kube.list(_res(kube, "", "services"), namespace)
        if s.get("spec", {}).get("selector") and s["spec"].get("type") != "ExternalName"
    ]
    if not services:
        return  # nothing selects pods here: no need to read them
    pods = [p for p in kube.list(_res(kube, "", "pods"), namespace) if not _deleting(p)]
    endpoints_resource = _res(kube, "", "endpoints")
    slices_resource = _res(kube, "discovery.k8s.io", "endpointslices")
    for service in services:
        spec = service.get("spec", {})
        selector = spec.get("selector")
        if not selector or spec.get("type") == "ExternalName":
            continue
        name = _meta(service)["name"]
        matching = [p for p in pods if map_match(selector)(p) and p.get("status", {}).get("podIP")]
        ready = [p for p in matching if _ready(p)]
        not_ready = [p for p in matching if not _ready(p)]
        ports = [
            {
                **({"name": port["name"]} if port.get("name") else {}),
                "port": _target_port(port, ready[0] if ready else None),
                "protocol": port.get("protocol", "TCP"),
            }
            for port in spec.get("ports") or []
        ]

        def address(pod: Obj) -> Obj:
            return {
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"].get("nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "name": _meta(pod)["name"],
                    "namespace": namespace,
                    "uid": _meta(pod)["uid"],
                },
            }

        subset: Obj = {}
        if ready:
            subset["addresses"] = [address(p) for p in ready]
        if not_ready:
            subset["notReadyAddresses"] = [address(p) for p in not_ready]
        body: Obj = {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": dict(_meta(service).get("labels") or {}),
            },
        }
        if subset:
            subset["ports"] = ports
            body["subsets"] = [subset]
        existing = kube.get(endpoints_resource, namespace, name)
        if existing is None:
            kube.insert(endpoints_resource, body)
        elif existing.get("subsets") != body.get("subsets"):
            changed = copy.deepcopy(existing)
            changed["subsets"] = body.get("subsets")
            if changed["subsets"] is None:
                changed.pop("subsets")
            kube.save(endpoints_resource, changed)
        slice_name = f"{name}-{hashlib.sha1(name.encode()).hexdigest()[:5]}"
        slice_body: Obj = {
            "metadata": {
                "name": slice_name,
                "namespace": namespace,
                "labels": {
                    **(_meta(service).get("labels") or {}),
                    "kubernetes.io/service-name": name,
                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                },
                "ownerReferences": [owner_reference(service)],
            },
            "addressType": "IPv4",
            "endpoints": [
                {
                    "addresses": [p["status"]["podIP"]],
                    "conditions": {"ready": _ready(p), "serving": _ready(p), "terminating": False},
                    "nodeName": p["spec"].get("nodeName"),
                    "targetRef": address(p)["targetRef"],
                }
                for p in matching
            ],
            "ports": ports,
        }
        existing_slice = kube.get(slices_resource, namespace, slice_name)
        if existing_slice is None:
            kube.insert(slices_resource, slice_body)
        elif (existing_slice.get("endpoints"), existing_slice.get("ports")) != (
            slice_body["endpoints"],
            slice_body["ports"],
        ):
            changed = copy.deepcopy(existing_slice)
            changed["endpoints"] = slice_body["endpoints"]
            changed["ports"] = slice_body["ports"]
            kube.save(slices_resource, changed)


def _target_port(port: Obj, pod: Obj | None) -> int:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if pod is not None:
        for container in pod.get("spec", {}).get("containers") or []:
            for container_port in container.get("ports") or []:
                if container_port.get("name") == target:
                    return int(container_port.get("containerPort", 0))
    return int(port.get("port", 0))


# Transitions


def _kube_for(connection: Connection, payload: dict[str, Any], lifecycle: Lifecycle) -> Kube | None:
    from localocean.areas.kubernetes import store as clusters_store

    cluster = clusters_store.get_any(connection, payload["cluster_id"])
    if cluster is None:
        return None
    return Kube(connection, cluster, lifecycle, lifecycle.clock.now())


def _handler(apply: Any) -> Any:
    def handle(
        connection: Connection, transition: Row[Any], payload: dict[str, Any], lifecycle: Lifecycle
    ) -> None:
        kube = _kube_for(connection, payload, lifecycle)
        if kube is None:
            return
        apply(kube, payload)
        reconcile(kube)
        from localocean.areas.kubeapi import watch

        watch.notify_after_commit(kube)

    return handle


HANDLERS = {
    POD_START: _handler(run_pods),
    POD_FINISH: _handler(finish_pods),
    NAMESPACE_CLEANUP: _handler(
        lambda kube, payload: _cleanup_namespace(kube, payload["namespace"])
    ),
    CRONJOB_RUN: _handler(run_cronjob),
    RESYNC: _handler(_resync),
}


def is_owned(obj: Obj, owner: Obj) -> bool:
    return is_owned_by(obj, owner)
