"""Patches and managed fields of the Kubernetes API server, on plain JSON values.

- `json_patch`: RFC 6902; `merge_patch`: RFC 7386.
- `strategic_merge_patch`: Kubernetes' strategic merge patch for built-in kinds, with its
  directives (`$patch`, `$retainKeys`, `$setElementOrder/`, `$deleteFromPrimitiveList/`);
  `builtin_merge_key` says which lists merge and by which key.
- `apply` (server-side apply) and `record_update` (create, update, patch) keep
  `metadata.managedFields` the way structured-merge-diff does, simplified: without the OpenAPI
  schema a map node is never owned for itself (only its leaves are), unless it is empty.

A field path is a tuple of FieldsV1 elements from the object's root: `f:<field>` for a map key,
`k:<json of the key fields>` for an item of an associative list, `v:<json>` for an item of a
set. Nothing here changes its arguments; every result is a new object.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

FieldPath = tuple[str, ...]
MergeKeyLookup = Callable[[tuple[str, ...]], str | None]

PRIMITIVE_SET: Final = "$primitive"
"""What a merge-key lookup answers for a list of scalars merged as a set (metadata.finalizers)."""


class PatchError(Exception):
    """A patch (or apply configuration) that cannot be applied to the object."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApplyConflict(Exception):
    """Server-side apply would change fields that other managers own; answered with a 409.

    `conflicts` holds (field path, manager name); `described` how each manager is printed in
    the message (`"kubectl-edit" using apps/v1` for an Update entry, `"x"` for an Apply one).
    """

    def __init__(
        self, conflicts: Sequence[tuple[str, str]], described: Sequence[str] | None = None
    ) -> None:
        self.conflicts = list(conflicts)
        if described is None:
            described = [_quote(manager) for _, manager in self.conflicts]
        self.described = list(described)
        self.message = _conflict_message(self.conflicts, self.described)
        super().__init__(self.message)

    @property
    def causes(self) -> list[dict[str, str]]:
        """The `details.causes` of the Status the apiserver answers."""
        return [
            {"type": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
            for (path, _), who in zip(self.conflicts, self.described, strict=True)
        ]


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _conflict_message(conflicts: Sequence[tuple[str, str]], described: Sequence[str]) -> str:
    if len(conflicts) == 1:
        return f"Apply failed with 1 conflict: conflict with {described[0]}: {conflicts[0][0]}"
    by_manager: dict[str, list[str]] = {}
    for (path, _), who in zip(conflicts, described, strict=True):
        by_manager.setdefault(who, []).append(path)
    lines: list[str] = []
    for who in sorted(by_manager):
        lines.append(f"conflicts with {who}:")
        lines.extend(f"- {path}" for path in by_manager[who])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)


# --- JSON values ---------------------------------------------------------------------------


def _json_equal(a: Any, b: Any) -> bool:
    # Python says True == 1; JSON does not.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def _normalized(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def _canon(value: Any) -> str:
    """One string per JSON value, so that equal values (80 and 80.0) key the same item."""
    return json.dumps(_normalized(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- RFC 6902 --------------------------------------------------------------------------------

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE = re.compile(r"~(?![01])")


def _pointer(op: dict[str, Any], member: str) -> list[str]:
    if member not in op:
        raise PatchError(f"operation {op.get('op')!r} is missing {member!r}")
    text = op[member]
    if not isinstance(text, str):
        raise PatchError(f"{member} must be a JSON pointer string, not {text!r}")
    if text == "":
        return []
    if not text.startswith("/"):
        raise PatchError(f"invalid JSON pointer {text!r}: it must start with '/'")
    tokens = []
    for raw in text[1:].split("/"):
        if _BAD_ESCAPE.search(raw):
            raise PatchError(f"invalid JSON pointer {text!r}: '~' must be followed by 0 or 1")
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tokens


def _shown(tokens: Sequence[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _array_index(token: str, length: int, *, end_allowed: bool, tokens: Sequence[str]) -> int:
    if token == "-" and end_allowed:
        return length
    if not _ARRAY_INDEX.fullmatch(token):
        raise PatchError(f"invalid array index {token!r} in {_shown(tokens)!r}")
    index = int(token)
    if index > (length if end_allowed else length - 1):
        raise PatchError(f"array index {index} out of bounds in {_shown(tokens)!r}")
    return index


def _value_at(doc: Any, tokens: Sequence[str]) -> Any:
    node = doc
    for depth, token in enumerate(tokens):
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"doc is missing path: {_shown(tokens[: depth + 1])!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_array_index(token, len(node), end_allowed=False, tokens=tokens)]
        else:
            raise PatchError(f"doc is missing path: {_shown(tokens[: depth + 1])!r}")
    return node


def _container(doc: Any, tokens: Sequence[str]) -> Any:
    parent = _value_at(doc, tokens[:-1])
    if not isinstance(parent, dict | list):
        raise PatchError(f"doc is missing path: {_shown(tokens)!r}")
    return parent


def _add(doc: Any, tokens: Sequence[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _container(doc, tokens)
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    else:
        parent.insert(_array_index(tokens[-1], len(parent), end_allowed=True, tokens=tokens), value)
    return doc


def _remove(doc: Any, tokens: Sequence[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _container(doc, tokens)
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise PatchError(f"doc is missing path: {_shown(tokens)!r}")
        return parent.pop(tokens[-1])
    return parent.pop(_array_index(tokens[-1], len(parent), end_allowed=False, tokens=tokens))


def _replace(doc: Any, tokens: Sequence[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _container(doc, tokens)
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise PatchError(f"doc is missing path: {_shown(tokens)!r}")
        parent[tokens[-1]] = value
    else:
        parent[_array_index(tokens[-1], len(parent), end_allowed=False, tokens=tokens)] = value
    return doc


def json_patch(document: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch; any failing operation fails the whole patch."""
    if not isinstance(operations, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(document)
    for op in operations:
        if not isinstance(op, dict):
            raise PatchError(f"a JSON patch operation must be an object, not {op!r}")
        name = op.get("op")
        if name not in ("add", "remove", "replace", "move", "copy", "test"):
            raise PatchError(f"unknown JSON patch operation {name!r}")
        path = _pointer(op, "path")
        if name in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {name!r} on {_shown(path)!r} is missing 'value'")
        if name == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif name == "remove":
            _remove(doc, path)
        elif name == "replace":
            doc = _replace(doc, path, copy.deepcopy(op["value"]))
        elif name == "move":
            source = _pointer(op, "from")
            if path[: len(source)] == source and len(path) > len(source):
                raise PatchError(f"cannot move {_shown(source)!r} into its own child")
            if path == source:
                _value_at(doc, source)
                continue
            doc = _add(doc, path, _remove(doc, source))
        elif name == "copy":
            doc = _add(doc, path, copy.deepcopy(_value_at(doc, _pointer(op, "from"))))
        elif not _json_equal(_value_at(doc, path), op["value"]):
            raise PatchError(f"test failed: {_shown(path)!r} is not {op['value']!r}")
    return doc


# --- RFC 7386 --------------------------------------------------------------------------------


def merge_patch(document: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    target = copy.deepcopy(document) if isinstance(document, dict) else {}
    return _merge_into(target, patch)


def _merge_into(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            target[key] = _merge_into(current if isinstance(current, dict) else {}, value)
        else:
            target[key] = copy.deepcopy(value)
    return target


# --- strategic merge patch ---------------------------------------------------------------------

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_ORDER = "$setElementOrder/"
_DELETE_FROM = "$deleteFromPrimitiveList/"


def strategic_merge_patch(document: Any, patch: Any, merge_key: MergeKeyLookup) -> Any:
    """Apply a Kubernetes strategic merge patch.

    `merge_key(field path)` names the key a list of objects merges by, answers `PRIMITIVE_SET`
    for a list of scalars merged as a set, and None for a list the patch replaces. The field
    path leaves out list positions: ("spec", "template", "spec", "containers", "ports").
    """
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise PatchError("a strategic merge patch applies to a JSON object")
    return _smp_map(copy.deepcopy(document), patch, (), merge_key)


def _is_directive(key: str) -> bool:
    return key in (_PATCH, _RETAIN_KEYS) or key.startswith((_ORDER, _DELETE_FROM))


def _smp_map(
    target: dict[str, Any], patch: dict[str, Any], path: FieldPath, lookup: MergeKeyLookup
) -> dict[str, Any]:
    """Merge `patch` into `target`, a copy this call may change, and return the result."""
    directive = patch.get(_PATCH)
    if directive == "replace":
        return _smp_map({}, {k: v for k, v in patch.items() if k != _PATCH}, path, lookup)
    if directive == "delete":
        return {}
    if directive not in (None, "merge"):
        raise PatchError(f"unknown patch type {directive!r} in {patch!r}")
    if _RETAIN_KEYS in patch:
        _retain_keys(target, patch)
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key.startswith(_ORDER):
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list")
            orders[key[len(_ORDER) :]] = value
        elif key.startswith(_DELETE_FROM):
            if not isinstance(value, list):
                raise PatchError(f"{key} must be a list")
            field = key[len(_DELETE_FROM) :]
            current = target.get(field)
            if isinstance(current, list):
                target[field] = [x for x in current if not any(_json_equal(x, v) for v in value)]
    for key, value in patch.items():
        if _is_directive(key):
            continue
        field_path = (*path, key)
        current = target.get(key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            if value.get(_PATCH) == "delete":
                # The apiserver leaves an empty map here; an absent field is what callers mean.
                target.pop(key, None)
            else:
                start = current if isinstance(current, dict) else {}
                target[key] = _smp_map(start, value, field_path, lookup)
        elif isinstance(value, list):
            start_list = current if isinstance(current, list) else []
            target[key] = _smp_list(start_list, value, field_path, lookup, orders.pop(key, None))
        else:
            target[key] = value
    for field, order in orders.items():
        current = target.get(field)
        key_name = lookup((*path, field))
        if isinstance(current, list) and key_name is not None:
            target[field] = _ordered(current, current, order, key_name)
    return target


def _retain_keys(target: dict[str, Any], patch: dict[str, Any]) -> None:
    retain = patch[_RETAIN_KEYS]
    if not isinstance(retain, list) or not all(isinstance(k, str) for k in retain):
        raise PatchError("$retainKeys must be a list of field names")
    for key, value in patch.items():
        if value is not None and not _is_directive(key) and key not in retain:
            raise PatchError(f"field {key!r} is in the patch but not in $retainKeys")
    for key in list(target):
        if key not in retain:
            del target[key]


def _smp_list(
    original: list[Any],
    patch: list[Any],
    path: FieldPath,
    lookup: MergeKeyLookup,
    order: list[Any] | None,
) -> list[Any]:
    key = lookup(path)
    if key is None:
        return copy.deepcopy(patch)
    replace = False
    deleted: set[str] = set()
    items: list[Any] = []
    for item in patch:
        if not (isinstance(item, dict) and _PATCH in item):
            items.append(item)
            continue
        directive = item[_PATCH]
        if directive == "replace":
            replace = True
        elif directive == "delete":
            if key == PRIMITIVE_SET or key not in item:
                raise PatchError(f"map: {item} does not contain declared merge key: {key}")
            deleted.add(_canon(item[key]))
        elif directive == "merge":
            items.append({k: v for k, v in item.items() if k != _PATCH})
        else:
            raise PatchError(f"unknown patch type {directive!r} in {item!r}")
    if replace:
        return [
            _smp_map({}, x, path, lookup) if isinstance(x, dict) else copy.deepcopy(x)
            for x in items
        ]
    if key == PRIMITIVE_SET:
        result: list[Any] = []
        seen: set[str] = set()
        for value in [*original, *items]:
            if _canon(value) not in seen:
                seen.add(_canon(value))
                result.append(copy.deepcopy(value))
    else:
        result = [
            x for x in original if not (isinstance(x, dict) and _canon(x.get(key)) in deleted)
        ]
        for item in items:
            if not isinstance(item, dict) or key not in item:
                raise PatchError(f"map: {item} does not contain declared merge key: {key}")
            wanted = _canon(item[key])
            for index, existing in enumerate(result):
                if (
                    isinstance(existing, dict)
                    and key in existing
                    and _canon(existing[key]) == wanted
                ):
                    result[index] = _smp_map(existing, item, path, lookup)
                    break
            else:
                result.append(_smp_map({}, item, path, lookup))
    if order is not None:
        result = _ordered(result, original, order, key)
    return result


def _ordered(merged: list[Any], original: list[Any], order: list[Any], key: str) -> list[Any]:
    """Sort a merged list by a `$setElementOrder` list, as the apiserver does.

    Items the order names come in its order; the others (only on the server) keep theirs, and
    the two runs are interleaved by where their items stood in the original list.
    """

    def identity(item: Any) -> str | None:
        if key == PRIMITIVE_SET:
            return _canon(item)
        return _canon(item[key]) if isinstance(item, dict) and key in item else None

    rank: dict[str, int] = {}
    for entry in order:
        if key != PRIMITIVE_SET and not (isinstance(entry, dict) and key in entry):
            raise PatchError(f"$setElementOrder entry {entry!r} lacks the merge key {key!r}")
        rank.setdefault(_canon(entry if key == PRIMITIVE_SET else entry[key]), len(rank))
    position: dict[str, int] = {}
    for index, item in enumerate(original):
        ident = identity(item)
        if ident is not None:
            position.setdefault(ident, index)

    def ranked(item: Any) -> int | None:
        ident = identity(item)
        return None if ident is None else rank.get(ident)

    listed = sorted((x for x in merged if ranked(x) is not None), key=lambda x: ranked(x) or 0)
    others = [x for x in merged if ranked(x) is None]
    result: list[Any] = []
    i = j = 0
    while i < len(listed) and j < len(others):
        left = position.get(identity(listed[i]) or "")
        right = position.get(identity(others[j]) or "")
        if left is not None and right is not None and left < right:
            result.append(listed[i])
            i += 1
        else:
            result.append(others[j])
            j += 1
    return result + listed[i:] + others[j:]


# --- merge keys of built-in kinds ------------------------------------------------------------

_WORKLOAD = ("spec", "template", "spec")
_POD_SPEC_AT: Final[dict[str, tuple[str, ...]]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "ReplicationController": _WORKLOAD,
    "Deployment": _WORKLOAD,
    "ReplicaSet": _WORKLOAD,
    "StatefulSet": _WORKLOAD,
    "DaemonSet": _WORKLOAD,
    "Job": _WORKLOAD,
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_POD_SPEC_KEYS: Final[dict[tuple[str, ...], str]] = {
    ("volumes",): "name",
    ("imagePullSecrets",): "name",
    ("hostAliases",): "ip",
    ("topologySpreadConstraints",): "topologyKey",
    ("resourceClaims",): "name",
    ("schedulingGates",): "name",
    **{(c,): "name" for c in _CONTAINER_LISTS},
    **{
        (c, field): key
        for c in _CONTAINER_LISTS
        for field, key in (
            ("ports", "containerPort"),
            ("env", "name"),
            ("volumeMounts", "mountPath"),
            ("volumeDevices", "devicePath"),
        )
    },
}
_OBJECT_META_KEYS: Final[dict[tuple[str, ...], str]] = {
    ("finalizers",): PRIMITIVE_SET,
    ("ownerReferences",): "uid",
}
_KIND_KEYS: Final[dict[str, dict[tuple[str, ...], str]]] = {
    "Service": {("spec", "ports"): "port"},
    "ServiceAccount": {("secrets",): "name"},
    "Node": {("spec", "podCIDRs"): PRIMITIVE_SET, ("status", "addresses"): "type"},
    "Pod": {("status", "podIPs"): "ip", ("status", "hostIPs"): "ip"},
}

BUILTIN_KINDS: Final = frozenset(
    {
        *_POD_SPEC_AT,
        "APIService",
        "Binding",
        "CSIDriver",
        "CSINode",
        "CSIStorageCapacity",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ComponentStatus",
        "ConfigMap",
        "ControllerRevision",
        "CustomResourceDefinition",
        "EndpointSlice",
        "Endpoints",
        "Event",
        "FlowSchema",
        "HorizontalPodAutoscaler",
        "Ingress",
        "IngressClass",
        "Lease",
        "LimitRange",
        "MutatingWebhookConfiguration",
        "Namespace",
        "NetworkPolicy",
        "Node",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "ResourceQuota",
        "Role",
        "RoleBinding",
        "RuntimeClass",
        "Secret",
        "Service",
        "ServiceAccount",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


def builtin_merge_key(kind: str, path: tuple[str, ...]) -> str | None:
    """The `patchMergeKey` of the list at `path` in a built-in kind.

    `PRIMITIVE_SET` for a list of scalars with the merge strategy, None for a list a strategic
    merge patch replaces (tolerations, args, rules, ...).
    """
    if path == ("status", "conditions"):
        return "type"
    if path[:1] == ("metadata",):
        return _OBJECT_META_KEYS.get(path[1:])
    found = _KIND_KEYS.get(kind, {}).get(path)
    if found is not None:
        return found
    root = _POD_SPEC_AT.get(kind)
    if root is None:
        return None
    if path[: len(root)] == root:
        return _POD_SPEC_KEYS.get(path[len(root) :])
    template_meta = (*root[:-1], "metadata")
    if path[: len(template_meta)] == template_meta:
        return _OBJECT_META_KEYS.get(path[len(template_meta) :])
    return None


# Server-side apply keys some lists by more fields than the strategic merge key does.
_APPLY_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "containerPort": ("containerPort", "protocol"),
    "topologyKey": ("topologyKey", "whenUnsatisfiable"),
}
# Key fields the apiserver defaults, so an item that omits them still has a key.
_KEY_DEFAULTS: Final[dict[str, Any]] = {"protocol": "TCP"}
# LabelSelectors and selector maps are atomic: one owner for the whole value.
_SELECTOR_KINDS = frozenset(
    {
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "Service",
        "ReplicationController",
        "PodDisruptionBudget",
    }
)
_POD_SPEC_ATOMIC_MAPS = frozenset(
    {("nodeSelector",), ("topologySpreadConstraints", "labelSelector")}
)


def _list_keys(kind: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
    """How apply merges the list at `path`: by these key fields, () as a set, None atomic."""
    if path[:1] == ("metadata",) or kind in BUILTIN_KINDS:
        key = builtin_merge_key(kind, path)
    else:
        key = None
    if key is None:
        return None
    if key == PRIMITIVE_SET:
        return ()
    if kind == "Service" and path == ("spec", "ports"):
        return ("port", "protocol")
    return _APPLY_KEYS.get(key, (key,))


def _atomic_map(kind: str, path: tuple[str, ...]) -> bool:
    if kind not in BUILTIN_KINDS:
        return False
    if kind in _SELECTOR_KINDS and path == ("spec", "selector"):
        return True
    if (kind, path) in (
        ("NetworkPolicy", ("spec", "podSelector")),
        ("CronJob", ("spec", "jobTemplate", "spec", "selector")),
    ):
        return True
    root = _POD_SPEC_AT.get(kind)
    if root is None or path[: len(root)] != root:
        return False
    return path[len(root) :] in _POD_SPEC_ATOMIC_MAPS


# --- field sets ------------------------------------------------------------------------------

_IGNORED_TOP = frozenset({"apiVersion", "kind", "status"})
_IGNORED_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
        "managedFields",
    }
)


class _Item:
    """Stands for a list item in a flattened object: its presence matters, not a value."""


_ITEM: Final = _Item()


def _element(item: Any, keys: tuple[str, ...]) -> str | None:
    if not keys:
        return None if isinstance(item, dict | list) else "v:" + _canon(item)
    if not isinstance(item, dict):
        return None
    key: dict[str, Any] = {}
    for name in keys:
        if item.get(name) is not None:
            key[name] = item[name]
        elif name in _KEY_DEFAULTS:
            key[name] = _KEY_DEFAULTS[name]
        else:
            return None
    return "k:" + _canon(key)


def _elements(items: list[Any], keys: tuple[str, ...]) -> list[str] | None:
    """The path element of each item, or None if some item has no key or two share one."""
    elements = []
    for item in items:
        element = _element(item, keys)
        if element is None:
            return None
        elements.append(element)
    return elements if len(set(elements)) == len(elements) else None


def _flatten(obj: Any, kind: str) -> dict[FieldPath, Any]:
    """Every owned field path of an object with its value (leaves) or `_ITEM` (list items)."""
    out: dict[FieldPath, Any] = {}
    if not isinstance(obj, dict):
        return out
    for key, value in obj.items():
        if key in _IGNORED_TOP:
            continue
        if key == "metadata" and isinstance(value, dict):
            for name, field in value.items():
                if name not in _IGNORED_META:
                    _collect(field, ("f:metadata", "f:" + name), ("metadata", name), kind, out)
        else:
            _collect(value, ("f:" + key,), (key,), kind, out)
    return out


def _collect(
    value: Any, at: FieldPath, fields: tuple[str, ...], kind: str, out: dict[FieldPath, Any]
) -> None:
    if isinstance(value, dict):
        if not value or _atomic_map(kind, fields):
            out[at] = value
            return
        for key, child in value.items():
            _collect(child, (*at, "f:" + key), (*fields, key), kind, out)
        return
    if isinstance(value, list):
        keys = _list_keys(kind, fields)
        elements = _elements(value, keys) if value and keys is not None else None
        if keys is None or elements is None:
            out[at] = value
            return
        for element, item in zip(elements, value, strict=True):
            if not keys:
                out[(*at, element)] = item
                continue
            out[(*at, element)] = _ITEM
            for key, child in item.items():
                _collect(child, (*at, element, "f:" + key), (*fields, key), kind, out)
        return
    out[at] = value


def fields_of(obj: Any, kind: str) -> set[FieldPath]:
    """The field paths an object sets, leaving out server-owned metadata and status."""
    return set(_flatten(obj, kind))


class _Node:
    __slots__ = ("children", "member")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.member = False


def encode_fields(paths: Iterable[FieldPath]) -> dict[str, Any]:
    """The FieldsV1 form of a set of field paths (`.` marks a node owned for itself)."""
    root = _Node()
    for path in paths:
        node = root
        for element in path:
            node = node.children.setdefault(element, _Node())
        if path:
            node.member = True

    def emit(node: _Node) -> dict[str, Any]:
        out: dict[str, Any] = {".": {}} if node.member and node.children else {}
        for element in sorted(node.children):
            out[element] = emit(node.children[element])
        return out

    return emit(root)


def decode_fields(fields: Any) -> set[FieldPath]:
    """The field paths of a FieldsV1 value."""
    out: set[FieldPath] = set()

    def walk(node: Any, prefix: FieldPath) -> None:
        if not isinstance(node, dict):
            raise PatchError(f"invalid FieldsV1: {node!r} is not an object")
        for element, child in node.items():
            if element == ".":
                if prefix:
                    out.add(prefix)
                continue
            if not isinstance(child, dict):
                raise PatchError(f"invalid FieldsV1: {child!r} is not an object")
            if child:
                walk(child, (*prefix, element))
            else:
                out.add((*prefix, element))

    walk(fields, ())
    return out


def format_path(path: FieldPath) -> str:
    """A field path as the apiserver prints it: `.spec.containers[name="web"].image`."""
    parts = []
    for element in path:
        kind, _, text = element.partition(":")
        if kind == "f":
            parts.append("." + text)
        elif kind == "k":
            try:
                key = json.loads(text)
            except ValueError:
                key = None
            if isinstance(key, dict):
                shown = ",".join(f"{name}={_canon(value)}" for name, value in key.items())
                parts.append(f"[{shown}]")
            else:
                parts.append(f"[{text}]")
        elif kind == "v":
            parts.append(f"[={text}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)


# --- managed fields --------------------------------------------------------------------------


@dataclass
class _Entry:
    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: set[FieldPath]

    @property
    def key(self) -> tuple[str, str, str, str]:
        # The apiserver tells Update entries apart by version too; Apply has one per manager.
        version = self.api_version if self.operation == "Update" else ""
        return (self.manager, self.operation, version, self.subresource)

    def described(self) -> str:
        text = _quote(self.manager)
        if self.subresource:
            text += f" with subresource {_quote(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text

    def encoded(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time is not None:
            entry["time"] = self.time
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = encode_fields(self.fields)
        if self.subresource:
            entry["subresource"] = self.subresource
        return entry


def _read_entries(managed: Any) -> dict[tuple[str, str, str, str], _Entry]:
    """Decode managedFields; entries it cannot read are dropped, as the apiserver resets them."""
    entries: dict[tuple[str, str, str, str], _Entry] = {}
    if not isinstance(managed, list):
        return entries
    for raw in managed:
        if not isinstance(raw, dict) or not isinstance(raw.get("manager"), str):
            continue
        operation = raw.get("operation")
        if operation not in ("Apply", "Update"):
            continue
        try:
            fields = decode_fields(raw.get("fieldsV1", {}))
        except PatchError:
            continue
        time = raw.get("time")
        entry = _Entry(
            manager=raw["manager"],
            operation=operation,
            api_version=str(raw.get("apiVersion") or ""),
            time=time if isinstance(time, str) else None,
            subresource=str(raw.get("subresource") or ""),
            fields=fields,
        )
        if entry.key in entries:
            entries[entry.key].fields |= fields
        else:
            entries[entry.key] = entry
    return entries


def _managed_of(obj: Any) -> Any:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta.get("managedFields") if isinstance(meta, dict) else None


def _write_entries(obj: dict[str, Any], entries: Iterable[_Entry]) -> None:
    kept = sorted(
        (e for e in entries if e.fields),
        key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource),
    )
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if not kept:
            return
        meta = obj["metadata"] = {}
    if kept:
        meta["managedFields"] = [e.encoded() for e in kept]
    else:
        meta.pop("managedFields", None)


def _compare(
    old: dict[FieldPath, Any], new: dict[FieldPath, Any]
) -> tuple[set[FieldPath], set[FieldPath], set[FieldPath]]:
    """(added, removed, modified) between two flattened objects."""
    added = new.keys() - old.keys()
    removed = old.keys() - new.keys()
    modified = set()
    for path in old.keys() & new.keys():
        a, b = old[path], new[path]
        same = a is b if _ITEM in (a, b) else _json_equal(a, b)
        if not same:
            modified.add(path)
    return set(added), set(removed), modified


def default_manager(user_agent: str) -> str:
    """The field manager the apiserver names after a user agent when no fieldManager is given."""
    out = ""
    size = 0
    for char in user_agent.split("/", 1)[0]:
        if not char.isprintable():
            continue
        width = len(char.encode())
        if size + width > 128:
            break
        out += char
        size += width
    return out


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    kind: str,
    api_version: str,
    now: str,
) -> dict[str, Any]:
    """`new` with managedFields after a create (old None), update or non-apply patch.

    The manager takes the fields that were added or changed, away from whoever owned them;
    removed fields leave every set. A managedFields the request itself changed replaces the
    stored one, and `[{}]` clears it, as with the apiserver.
    """
    if not isinstance(new, dict):
        raise PatchError("an object must be a JSON object")
    result = copy.deepcopy(new)
    sent = _managed_of(new)
    entries: dict[tuple[str, str, str, str], _Entry]
    if sent == [{}]:
        entries = {}
    elif old is None or sent:
        entries = _read_entries(sent)
    else:
        entries = _read_entries(_managed_of(old))
    added, removed, modified = _compare(_flatten(old or {}, kind), _flatten(result, kind))
    changed = added | modified
    for entry in entries.values():
        entry.fields -= changed | removed
    if changed:
        mine = _Entry(manager, "Update", api_version, now, "", set())
        mine = entries.setdefault(mine.key, mine)
        mine.fields |= changed
        mine.time = now
    _write_entries(result, entries.values())
    return result


_SERVER_META = _IGNORED_META - {"name", "namespace"}


def apply(
    live: dict[str, Any] | None,
    config: dict[str, Any],
    manager: str,
    force: bool,
    kind: str,
    api_version: str,
    now: str,
) -> dict[str, Any]:
    """Server-side apply of `config` by `manager` to `live` (None: the object is created).

    Raises ApplyConflict when the config changes a field another manager owns (unless
    `force`, which moves it), PatchError for a config that cannot be applied. The config's
    status and server-owned metadata (uid, resourceVersion, ...) are not applied.
    """
    if not isinstance(config, dict):
        raise PatchError("an apply configuration must be a JSON object")
    if not manager:
        raise PatchError("PATCH, application/apply-patch+yaml requests must have a fieldManager")
    config_meta = config.get("metadata") or {}
    if not isinstance(config_meta, dict):
        raise PatchError("metadata must be an object")
    if config_meta.get("managedFields") is not None:
        raise PatchError("metadata.managedFields must be nil")
    before = _flatten(live or {}, kind)
    entries = _read_entries(_managed_of(live))
    merged = copy.deepcopy(live) if live is not None else {}
    for key, value in config.items():
        if key == "status" or (key == "metadata" and value is None):
            continue
        if key == "metadata":
            value = {k: v for k, v in value.items() if k not in _SERVER_META}
            current = merged.get("metadata")
            merged["metadata"] = _apply_value(
                current if isinstance(current, dict) else {}, value, ("metadata",), kind
            )
        elif value is None:
            merged.pop(key, None)
        else:
            merged[key] = _apply_value(merged.get(key), value, (key,), kind)

    applied = fields_of(config, kind)
    me = _Entry(manager, "Apply", api_version, now, "", applied)
    previous = entries.pop(me.key, None)
    others = list(entries.values())
    owned = applied.union(*(e.fields for e in others))
    if previous is not None:
        _prune(merged, previous.fields - owned, owned)

    after = _flatten(merged, kind)
    added, removed, modified = _compare(before, after)
    changed = added | modified
    conflicts: list[tuple[FieldPath, _Entry]] = []
    for entry in others:
        conflicts.extend((path, entry) for path in sorted(entry.fields & changed))
    if conflicts and not force:
        raise ApplyConflict(
            [(format_path(path), entry.manager) for path, entry in conflicts],
            [entry.described() for _, entry in conflicts],
        )
    for entry in others:
        entry.fields -= changed | removed
    unchanged = not (added or removed or modified)
    if previous is not None and unchanged and previous.fields == applied:
        # A no-op apply leaves the object exactly as it was, timestamps included.
        me.time = previous.time
    _write_entries(merged, [*others, me])
    return merged


def _apply_value(current: Any, config: Any, fields: tuple[str, ...], kind: str) -> Any:
    """Merge an applied value into `current`, a copy this call may change."""
    if isinstance(config, dict):
        if _atomic_map(kind, fields):
            return copy.deepcopy(config)
        target = current if isinstance(current, dict) else {}
        for key, value in config.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = _apply_value(target.get(key), value, (*fields, key), kind)
        return target
    if isinstance(config, list):
        keys = _list_keys(kind, fields)
        if keys is None:
            return copy.deepcopy(config)
        wanted = _config_elements(config, keys, fields)
        have = _elements(current, keys) if isinstance(current, list) and current else None
        if have is None or not isinstance(current, list):
            return [_apply_value(None, item, fields, kind) for item in config]
        return _merge_list(current, have, config, wanted, fields, kind)
    return copy.deepcopy(config)


def _config_elements(items: list[Any], keys: tuple[str, ...], fields: tuple[str, ...]) -> list[str]:
    where = "." + ".".join(fields)
    elements: list[str] = []
    for item in items:
        element = _element(item, keys)
        if element is None:
            if keys:
                raise PatchError(
                    f"{where}: associative list with keys has an element that omits key field"
                    f" {' or '.join(repr(k) for k in keys)}: {item!r}"
                )
            raise PatchError(f"{where}: a set holds only scalar values, not {item!r}")
        if element in elements:
            raise PatchError(f"{where}: duplicate entries for key {format_path((element,))}")
        elements.append(element)
    return elements


def _merge_list(
    current: list[Any],
    have: list[str],
    config: list[Any],
    wanted: list[str],
    fields: tuple[str, ...],
    kind: str,
) -> list[Any]:
    """Merge an associative list the way structured-merge-diff orders it.

    Both lists are walked together: an item only on the server is kept where it is met, items
    in both follow the config's order, and new items come where the config has them.
    """
    live_index = {element: index for index, element in enumerate(have)}
    in_config = set(wanted)
    shared = [element for element in wanted if element in live_index]
    merged: set[str] = set()
    out: list[Any] = []
    next_shared = i = j = 0

    def take(element: str, item: Any) -> None:
        nonlocal next_shared
        index = live_index.get(element)
        out.append(_apply_value(None if index is None else current[index], item, fields, kind))
        merged.add(element)
        while next_shared < len(shared) and shared[next_shared] in merged:
            next_shared += 1

    while i < len(have) or j < len(wanted):
        if i < len(have) and j < len(wanted):
            if have[i] == wanted[j]:
                take(wanted[j], config[j])
                i += 1
                j += 1
                continue
            # A shared item the config wants later: it is merged when the config reaches it.
            if (
                have[i] in in_config
                and next_shared < len(shared)
                and shared[next_shared] != have[i]
            ):
                i += 1
                continue
        if i < len(have) and (have[i] not in in_config or have[i] in merged):
            if have[i] not in in_config:
                out.append(current[i])
            i += 1
            continue
        if j < len(wanted):
            take(wanted[j], config[j])
            j += 1
    return out


def _prune(obj: dict[str, Any], stale: set[FieldPath], owned: set[FieldPath]) -> None:
    """Remove fields the applier no longer sets and nobody else owns.

    A node stays while any owned field lies below it (another manager's field in a list item
    this config dropped keeps the item).
    """
    above_owned = {path[:depth] for path in owned for depth in range(1, len(path))}
    for path in sorted(stale, key=len, reverse=True):
        # An item keeps its key fields while it stays; when it goes, they go with it.
        if path not in above_owned and not _is_key_field(path):
            _remove_path(obj, path, owned)


def _is_key_field(path: FieldPath) -> bool:
    if len(path) < 2 or not path[-1].startswith("f:") or not path[-2].startswith("k:"):
        return False
    try:
        key = json.loads(path[-2][2:])
    except ValueError:
        return False
    return isinstance(key, dict) and path[-1][2:] in key


def _find(node: Any, element: str) -> str | int | None:
    kind, _, text = element.partition(":")
    if kind == "f":
        return text if isinstance(node, dict) and text in node else None
    if not isinstance(node, list):
        return None
    try:
        wanted = json.loads(text)
    except ValueError:
        return None
    for index, item in enumerate(node):
        if kind == "v" and _json_equal(item, wanted):
            return index
        if (
            kind == "k"
            and isinstance(item, dict)
            and isinstance(wanted, dict)
            and all(
                _json_equal(item.get(name, _KEY_DEFAULTS.get(name)), value)
                for name, value in wanted.items()
            )
        ):
            return index
    if kind == "i" and isinstance(wanted, int) and 0 <= wanted < len(node):
        return wanted
    return None


def _remove_path(obj: dict[str, Any], path: FieldPath, owned: set[FieldPath]) -> None:
    trail: list[tuple[Any, str | int]] = []
    node: Any = obj
    for element in path:
        ref = _find(node, element)
        if ref is None:
            return
        trail.append((node, ref))
        node = node[ref]
    parent, ref = trail[-1]
    del parent[ref]
    # Maps and lists the removal emptied go too (Go's omitempty would drop them), but never
    # a top-level field, a list item, or a node someone owns as a value.
    for depth in range(len(trail) - 1, 1, -1):
        container = trail[depth][0]
        if container or not path[depth - 1].startswith("f:") or path[:depth] in owned:
            break
        grandparent, grand_ref = trail[depth - 1]
        del grandparent[grand_ref]
