"""Label and field selectors, as `?labelSelector=` / `?fieldSelector=` and in objects'
`spec.selector` (matchLabels, matchExpressions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from localocean.areas.kubeapi.errors import bad_request

Match = Callable[[dict[str, Any]], bool]

_SET = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_COMPARE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def labels(text: str | None) -> Match:
    """A `labelSelector` query value as a test on objects (400 if malformed)."""
    if not text or not text.strip():
        return lambda obj: True
    # (key, operator, values): "=", "!=", "in", "notin", "exists", "!exists"
    tests: list[tuple[str, str, set[str]]] = []
    for part in _split(text):
        compared = _COMPARE.match(part)
        if compared:
            key, op, value = compared.groups()
            _check_label(key, [value], part)
            tests.append((key, "!=" if op == "!=" else "=", {value}))
            continue
        in_set = _SET.match(part)
        if not in_set:
            raise bad_request(f"unable to parse requirement: {part.strip()!r}")
        negated, key, op, values = in_set.groups()
        if op:
            if negated:
                raise bad_request(f"unable to parse requirement: {part.strip()!r}")
            members = {v.strip() for v in values.split(",") if v.strip()}
            if not members:
                raise bad_request(
                    "unable to parse requirement: values: Invalid value: []: for 'in', "
                    "'notin' operators, values set can't be empty"
                )
            _check_label(key, list(members), part)
            tests.append((key, op, members))
        else:
            _check_label(key, [], part)
            tests.append((key, "!exists" if negated else "exists", set()))

    def match(obj: dict[str, Any]) -> bool:
        found = obj.get("metadata", {}).get("labels") or {}
        return all(_holds(found, key, op, values) for key, op, values in tests)

    return match


def _holds(found: dict[str, str], key: str, op: str, values: set[str]) -> bool:
    if op == "=":
        return key in found and found[key] in values
    if op == "!=":
        return found.get(key) not in values
    if op == "in":
        return found.get(key) in values
    if op == "notin":
        return found.get(key) not in values
    if op == "exists":
        return key in found
    return key not in found


def _check_label(key: str, values: list[str], part: str) -> None:
    from localocean.areas.kubeapi.validation import label_value_error, qualified_name_error

    problem = qualified_name_error(key)
    if problem:
        raise bad_request(f'unable to parse requirement: key: Invalid value: "{key}": {problem}')
    for value in values:
        problem = label_value_error(value)
        if problem:
            raise bad_request(
                f'unable to parse requirement: values[0][{key}]: Invalid value: "{value}": '
                f"{problem}"
            )


# Fields each kind can be selected by, beside metadata.name and metadata.namespace (what
# kube-apiserver indexes); custom resources: those two only.
FIELDS: dict[tuple[str, str], set[str]] = {
    ("", "pods"): {
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
        "status.nominatedNodeName",
    },
    ("", "events"): {
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
    },
    ("events.k8s.io", "events"): {
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "reason", "reportingComponent", "source", "type", "regarding.kind",
        "regarding.name", "regarding.namespace", "regarding.uid",
    },
    ("", "secrets"): {"type"},
    ("", "nodes"): {"spec.unschedulable"},
    ("", "namespaces"): {"status.phase"},
    ("", "services"): {"spec.clusterIP", "spec.type"},
    ("", "replicationcontrollers"): {"status.replicas"},
    ("apps", "replicasets"): {"status.replicas"},
    ("batch", "jobs"): {"status.successful"},
    ("certificates.k8s.io", "certificatesigningrequests"): {"spec.signerName"},
}  # fmt: skip


def check_fields(text: str | None, group: str, plural: str) -> None:
    """400 for a field selector on a field the kind cannot be selected by."""
    if not text or not text.strip():
        return
    allowed = FIELDS.get((group, plural), set()) | {"metadata.name", "metadata.namespace"}
    for part in _split(text):
        compared = _COMPARE.match(part)
        if compared and compared.group(1) not in allowed:
            raise bad_request(f"field label not supported: {compared.group(1)}")


def field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fields(text: str | None) -> Match:
    """A `fieldSelector` (`metadata.name=x,status.phase!=Running`)."""
    if not text or not text.strip():
        return lambda obj: True
    tests: list[tuple[str, bool, str]] = []
    for part in _split(text):
        compared = _COMPARE.match(part)
        if not compared:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part.strip()}'")
        key, op, value = compared.groups()
        tests.append((key, op == "!=", value))

    def match(obj: dict[str, Any]) -> bool:
        return all((field_value(obj, key) == value) != negated for key, negated, value in tests)

    return match


def field_equals(text: str | None, key: str) -> str | None:
    """The value a field selector requires `key` to equal (to narrow a query), if any."""
    if not text:
        return None
    for part in _split(text):
        compared = _COMPARE.match(part)
        if compared and compared.group(1) == key and compared.group(2) != "!=":
            return compared.group(3)
    return None


def selector_match(selector: dict[str, Any] | None) -> Match:
    """An object's `LabelSelector` (matchLabels and matchExpressions); an empty selector
    matches everything, a missing one nothing."""
    if selector is None:
        return lambda obj: False
    wanted = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []

    def match(obj: dict[str, Any]) -> bool:
        found = obj.get("metadata", {}).get("labels") or {}
        if any(found.get(k) != v for k, v in wanted.items()):
            return False
        for expression in expressions:
            key, op = expression.get("key"), expression.get("operator")
            values = expression.get("values") or []
            if op == "In" and found.get(key) not in values:
                return False
            if op == "NotIn" and found.get(key) in values:
                return False
            if op == "Exists" and key not in found:
                return False
            if op == "DoesNotExist" and key in found:
                return False
        return True

    return match


def map_match(selector: dict[str, str] | None) -> Match:
    """A plain map selector (Services, ReplicationControllers): empty matches nothing."""
    if not selector:
        return lambda obj: False

    def match(obj: dict[str, Any]) -> bool:
        found = obj.get("metadata", {}).get("labels") or {}
        return all(found.get(k) == v for k, v in selector.items())

    return match
