"""The validation kube-apiserver does that clients meet every day: required fields of
workloads, a selector that matches its template, services' ports. Returns (field, reason,
message) causes; empty when the object is valid."""

from __future__ import annotations

import re
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


def _int_or_percent(value: Any, where: str) -> tuple[int | None, bool, list[Cause]]:
    """(the number, whether a percentage, causes) of an int-or-percent field."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return (
            None,
            False,
            [
                (
                    where,
                    INVALID,
                    f"Invalid value: {value!r}: must be an integer or percentage (e.g '5%')",
                )
            ],
        )
    if isinstance(value, int):
        number, percent = value, False
    else:
        text = value.removesuffix("%")
        if not value.endswith("%") or not text.lstrip("-").isdigit():
            return (
                None,
                False,
                [
                    (
                        where,
                        INVALID,
                        f'Invalid value: "{value}": a valid percent string must be a numeric '
                        "string followed by an ending '%' (e.g. '1%',  or '93%', regex used for "
                        "validation is '[0-9]+%')",
                    )
                ],
            )
        number, percent = int(text), True
    if number < 0:
        return (
            number,
            percent,
            [(where, INVALID, f"Invalid value: {value!r}: must be greater than or equal to 0")],
        )
    return number, percent, []


def _deployment(obj: dict[str, Any]) -> list[Cause]:
    causes = _workload(obj)
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    if not isinstance(strategy, dict):
        return causes
    kind = strategy.get("type", "RollingUpdate")
    if kind not in ("RollingUpdate", "Recreate"):
        return [
            *causes,
            (
                "spec.strategy.type",
                "FieldValueNotSupported",
                f'Unsupported value: "{kind}": supported values: "Recreate", "RollingUpdate"',
            ),
        ]
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            causes.append(
                (
                    "spec.strategy.rollingUpdate",
                    "FieldValueForbidden",
                    "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                )
            )
        return causes
    if not isinstance(rolling, dict):
        return causes
    where = "spec.strategy.rollingUpdate"
    surge, _, surge_causes = _int_or_percent(rolling.get("maxSurge", "25%"), f"{where}.maxSurge")
    down, down_percent, down_causes = _int_or_percent(
        rolling.get("maxUnavailable", "25%"), f"{where}.maxUnavailable"
    )
    causes += surge_causes + down_causes
    if surge == 0 and down == 0:
        causes.append(
            (
                f"{where}.maxUnavailable",
                INVALID,
                f"Invalid value: {rolling.get('maxUnavailable')!r}: may not be 0 when "
                "`maxSurge` is 0",
            )
        )
    if down_percent and down is not None and down > 100:
        causes.append(
            (
                f"{where}.maxUnavailable",
                INVALID,
                f"Invalid value: {rolling.get('maxUnavailable')!r}: must not be greater than 100%",
            )
        )
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
    if kind == "ExternalName":
        if not spec.get("externalName"):
            return [("spec.externalName", REQUIRED, "Required value")]
        return []
    if not ports and not headless:
        return [("spec.ports", REQUIRED, "Required value")]
    causes: list[Cause] = []
    for index, port in enumerate(ports):
        node_port = port.get("nodePort") if isinstance(port, dict) else None
        if node_port is not None and not 30000 <= node_port <= 32767:
            causes.append(
                (f"spec.ports[{index}].nodePort", INVALID,
                 f"Invalid value: {node_port}: provided port is not in the valid range. The "
                 "range of valid ports is 30000-32767")
            )  # fmt: skip
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
    version_names = [version.get("name") for version in versions]
    for index, name in enumerate(version_names):
        if version_names.index(name) != index:
            causes.append(
                (
                    f"spec.versions[{index}].name",
                    "FieldValueDuplicate",
                    f'Duplicate value: "{name}"',
                )
            )
        elif not isinstance(name, str) or not re.match(r"^[a-z]([-a-z0-9]*[a-z0-9])?$", name):
            causes.append(
                (
                    f"spec.versions[{index}].name",
                    INVALID,
                    f'Invalid value: "{name}": a DNS-1035 label must consist of lower case '
                    "alphanumeric characters or '-', start with an alphabetic character, and end "
                    "with an alphanumeric character",
                )
            )
        if not ((versions[index].get("schema") or {}).get("openAPIV3Schema")):
            causes.append(
                (
                    f"spec.versions[{index}].schema.openAPIV3Schema",
                    REQUIRED,
                    "Required value: schemas are required",
                )
            )
    if versions and sum(1 for version in versions if version.get("storage")) != 1:
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


def _claim(obj: dict[str, Any]) -> list[Cause]:
    from localocean.areas.kubeapi import quantity

    spec = obj.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    where = "spec.resources[storage]"
    if storage is None:
        return [(where, REQUIRED, "Required value")]
    if quantity.parse_or_zero(storage) <= 0:
        return [(where, INVALID, f'Invalid value: "{storage}": must be greater than zero')]
    return []


def _pod(obj: dict[str, Any]) -> list[Cause]:
    return _containers(obj.get("spec"), "spec")


CHECKS = {
    ("apps", "deployments"): _deployment,
    ("apps", "replicasets"): _workload,
    ("apps", "statefulsets"): _workload,
    ("apps", "daemonsets"): _workload,
    ("batch", "jobs"): _job,
    ("batch", "cronjobs"): _cronjob,
    ("", "pods"): _pod,
    ("", "services"): _service,
    ("", "persistentvolumeclaims"): _claim,
    ("apiextensions.k8s.io", "customresourcedefinitions"): _crd,
}


def causes(resource: Resource, obj: dict[str, Any]) -> list[Cause]:
    check = CHECKS.get((resource.group, resource.plural))
    found = _metadata(obj.get("metadata") or {})
    return found + (check(obj) if check is not None else [])


_QUALIFIED = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def qualified_name_error(key: str) -> str | None:
    """What is wrong with a label or annotation key (`prefix/name`), if anything."""
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not SUBDOMAIN.match(prefix)):
        return (
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character"
        )
    if not name or len(name) > 63 or not _QUALIFIED.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character (63 characters at most)"
        )
    return None


def label_value_error(value: str) -> str | None:
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', "
            "'_' or '.', and must start and end with an alphanumeric character"
        )
    return None


def _metadata(metadata: dict[str, Any]) -> list[Cause]:
    """ObjectMeta's rules: label and annotation keys and values, finalizer names, owners."""
    found: list[Cause] = []
    for key, value in (metadata.get("labels") or {}).items():
        problem = qualified_name_error(key)
        if problem:
            found.append(("metadata.labels", INVALID, f'Invalid value: "{key}": {problem}'))
        elif isinstance(value, str) and label_value_error(value):
            found.append(
                (
                    "metadata.labels",
                    INVALID,
                    f'Invalid value: "{value}": {label_value_error(value)}',
                )
            )
    for key in metadata.get("annotations") or {}:
        problem = qualified_name_error(key)
        if problem:
            found.append(("metadata.annotations", INVALID, f'Invalid value: "{key}": {problem}'))
    for index, finalizer in enumerate(metadata.get("finalizers") or []):
        if not isinstance(finalizer, str) or qualified_name_error(finalizer):
            found.append(
                (
                    f"metadata.finalizers[{index}]",
                    INVALID,
                    f'Invalid value: "{finalizer}": name is neither a standard finalizer name '
                    "nor is it fully qualified",
                )
            )
    owners = metadata.get("ownerReferences") or []
    for index, owner in enumerate(owners):
        for field in ("apiVersion", "kind", "name", "uid"):
            if not owner.get(field):
                found.append(
                    (
                        f"metadata.ownerReferences[{index}].{field}",
                        INVALID,
                        f'Invalid value: "": {field} must not be empty',
                    )
                )
    if sum(1 for owner in owners if owner.get("controller")) > 1:
        found.append(
            (
                "metadata.ownerReferences",
                INVALID,
                "Invalid value: only one reference can have Controller set to true",
            )
        )
    return found
