"""The validation kube-apiserver does that clients meet every day: required fields of
workloads, a selector that matches its template, services' ports. Returns (field, reason,
message) causes; empty when the object is valid."""

from __future__ import annotations

from typing import Any

from localocean.areas.kubeapi.catalog import Resource
from localocean.areas.kubeapi.selectors import selector_match

Cause = tuple[str, str, str]
REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"


def _containers(spec: Any, at: str) -> list[Cause]:
    if not isinstance(spec, dict):
        return [(at, REQUIRED, "Required value")]
    containers = spec.get("containers")
    if not containers:
        return [(f"{at}.containers", REQUIRED, "Required value")]
    causes: list[Cause] = []
    seen: set[str] = set()
    for index, container in enumerate(containers):
        where = f"{at}.containers[{index}]"
        if not isinstance(container, dict):
            causes.append((where, INVALID, "Invalid value: must be an object"))
            continue
        name = container.get("name")
        if not name:
            causes.append((f"{where}.name", REQUIRED, "Required value"))
        elif name in seen:
            causes.append((f"{where}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
        seen.add(str(name))
        if not container.get("image"):
            causes.append((f"{where}.image", REQUIRED, "Required value"))
    return causes


def _workload(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [("spec", REQUIRED, "Required value")]
    causes: list[Cause] = []
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        causes.append(("spec.selector", REQUIRED, "Required value"))
    elif not selector_match(selector)({"metadata": {"labels": labels}}):
        causes.append(
            (
                "spec.template.metadata.labels",
                INVALID,
                f"Invalid value: {_labels_text(labels)}: `selector` does not match template "
                "`labels`",
            )
        )
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        causes.append(
            (
                "spec.replicas",
                INVALID,
                f"Invalid value: {replicas}: must be greater than or equal to 0",
            )
        )
    causes.extend(_containers(template.get("spec"), "spec.template.spec"))
    return causes


def _labels_text(labels: dict[str, Any]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


def _service(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        return [
            (
                "spec.type",
                "FieldValueNotSupported",
                f'Unsupported value: "{kind}": supported values: "ClusterIP", "ExternalName", '
                '"LoadBalancer", "NodePort"',
            )
        ]
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and kind != "ExternalName" and not headless:
        return [("spec.ports", REQUIRED, "Required value")]
    causes: list[Cause] = []
    for index, port in enumerate(ports):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 0 < number < 65536:
            causes.append(
                (
                    f"spec.ports[{index}].port",
                    INVALID,
                    f"Invalid value: {number}: must be between 1 and 65535, inclusive",
                )
            )
        if len(ports) > 1 and isinstance(port, dict) and not port.get("name"):
            causes.append((f"spec.ports[{index}].name", REQUIRED, "Required value"))
    return causes


def _job(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    pod_spec = template.get("spec") or {}
    causes = _containers(pod_spec, "spec.template.spec")
    policy = pod_spec.get("restartPolicy")
    if policy not in ("OnFailure", "Never"):
        causes.append(
            (
                "spec.template.spec.restartPolicy",
                "FieldValueNotSupported" if policy else REQUIRED,
                f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"'
                if policy
                else 'Required value: valid values: "OnFailure", "Never"',
            )
        )
    return causes


def _cronjob(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("schedule"):
        causes.append(("spec.schedule", REQUIRED, "Required value"))
    else:
        from localocean.areas.kubeapi.cron import parse

        try:
            parse(str(spec["schedule"]))
        except ValueError as exc:
            causes.append(("spec.schedule", INVALID, f'Invalid value: "{spec["schedule"]}": {exc}'))
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    for field, reason, message in _job({"spec": job_spec}):
        causes.append((f"spec.jobTemplate.{field}", reason, message))
    return causes


def _crd(obj: dict[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    causes: list[Cause] = []
    if not spec.get("group"):
        causes.append(("spec.group", REQUIRED, "Required value"))
    if not names.get("plural"):
        causes.append(("spec.names.plural", REQUIRED, "Required value"))
    if not names.get("kind"):
        causes.append(("spec.names.kind", REQUIRED, "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", REQUIRED, "Required value"))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(("spec.versions", REQUIRED, "Required value"))
    elif sum(1 for version in versions if version.get("storage")) != 1:
        causes.append(
            (
                "spec.versions",
                INVALID,
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
    name = obj.get("metadata", {}).get("name")
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        causes.append(
            (
                "metadata.name",
                INVALID,
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
        )
    return causes


def _pod(obj: dict[str, Any]) -> list[Cause]:
    return _containers(obj.get("spec"), "spec")


CHECKS = {
    ("apps", "deployments"): _workload,
    ("apps", "replicasets"): _workload,
    ("apps", "statefulsets"): _workload,
    ("apps", "daemonsets"): _workload,
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("", "pods"): _pod,
    ("", "services"): _service,
    ("apiextensions.k8s.io", "customresourcedefinitions"): _crd,
}


def causes(resource: Resource, obj: dict[str, Any]) -> list[Cause]:
    check = CHECKS.get((resource.group, resource.plural))
    return check(obj) if check is not None else []
