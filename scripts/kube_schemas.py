"""Writes `src/localocean/areas/kubeapi/schemas.json`: the field structure of the built-in kinds.

Dev-only, never imported by the server. It needs the `kubernetes` Python client (a test
dependency: `.venv/bin/pip install kubernetes`), walks its model classes from every top-level
kind in `localocean.areas.kubeapi.catalog.BUILTIN` and records, for each model reached, its
JSON field names, their types and which are required. No descriptions are kept.

The file's compact type notation (expanded to OpenAPI by `discovery.py`):
    "string" "integer" "number" "boolean" "date-time" "date" "byte" "int-or-string" "object"
    "[]T" an array of T, "{}T" a map of string to T, "@name" a reference to another model.

Run: `.venv/bin/python scripts/kube_schemas.py`
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import types
import typing
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from localocean.areas.kubeapi import catalog  # noqa: E402

OUT = ROOT / "src" / "localocean" / "areas" / "kubeapi" / "schemas.json"

# Types of apimachinery's meta/v1 package the client names without a package.
META_TYPES = {
    "Condition",
    "DeleteOptions",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ListMeta",
    "ManagedFieldsEntry",
    "ObjectMeta",
    "OwnerReference",
    "Preconditions",
    "Status",
    "StatusCause",
    "StatusDetails",
}
# Client class prefixes naming a group's package explicitly (`CoreV1EndpointPort`).
PREFIX_GROUPS = {
    "Admissionregistration": "admissionregistration.k8s.io",
    "Apiextensions": "apiextensions.k8s.io",
    "Apiregistration": "apiregistration.k8s.io",
    "Authentication": "authentication.k8s.io",
    "Core": "",
    "Discovery": "discovery.k8s.io",
    "Events": "events.k8s.io",
    "Flowcontrol": "flowcontrol.apiserver.k8s.io",
    "Rbac": "rbac.authorization.k8s.io",
    "Storage": "storage.k8s.io",
    "Resource": "resource.k8s.io",
}
CLASS_NAME = re.compile(r"^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$")

# Kinds served only as subresource answers, or shared by every group.
EXTRA_KINDS: list[tuple[str, str, str]] = [
    ("autoscaling", "v1", "Scale"),
    ("policy", "v1", "Eviction"),
    ("authentication.k8s.io", "v1", "TokenRequest"),
    ("", "v1", "Binding"),
]


def _client() -> Any:
    try:
        import kubernetes.client as client
    except ImportError:
        sys.exit("needs the kubernetes client: .venv/bin/pip install kubernetes")
    return client


def _class_for(client: Any, group: str, version: str, kind: str) -> Any:
    prefix = next((p for p, g in PREFIX_GROUPS.items() if g == group), "")
    for name in (f"{prefix}{version.capitalize()}{kind}", f"{version.capitalize()}{kind}"):
        cls = getattr(client, name, None)
        if cls is not None:
            return cls
    return None


def _json_names(cls: Any) -> dict[str, str]:
    mapping = getattr(cls, "attribute_map", None)
    if isinstance(mapping, dict) and mapping:
        return dict(mapping)
    out = {}
    for name, info in cls.model_fields.items():
        out[name] = info.alias or name
    return out


def _strip(annotation: Any) -> Any:
    """Drops Optional[...] and Annotated[...] wrappers."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _type(annotation: Any, refer: typing.Callable[[Any], str]) -> str:
    annotation = _strip(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = {_strip(a) for a in typing.get_args(annotation) if a is not type(None)}
        if args == {int, str}:
            return "int-or-string"
        if bytes in args and args <= {bytes, bytearray, str}:
            return "byte"
        if args <= {int, float}:
            return "number"
        return "object"
    if origin in (list, typing.List):  # noqa: UP006
        return "[]" + _type(typing.get_args(annotation)[0], refer)
    if origin in (dict, typing.Dict):  # noqa: UP006
        return "{}" + _type(typing.get_args(annotation)[1], refer)
    simple = {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        datetime.datetime: "date-time",
        datetime.date: "date",
        bytes: "byte",
        bytearray: "byte",
    }
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return "@" + refer(annotation)
    return "object"


def main() -> None:
    client = _client()
    names: dict[Any, str] = {}
    models: dict[str, dict[str, Any]] = {}
    queue: deque[tuple[Any, str]] = deque()

    def name_of(cls: Any, group: str) -> str:
        if cls in names:
            return names[cls]
        match = CLASS_NAME.match(cls.__name__)
        if match is None:
            raise SystemExit(f"unexpected client class name {cls.__name__}")
        prefix, version, short = match.groups()
        if short in META_TYPES and prefix is None:
            name = f"{catalog.META_PACKAGE}.{short}"
        else:
            if prefix is not None and prefix in PREFIX_GROUPS:
                group = PREFIX_GROUPS[prefix]
            name = catalog.schema_name(group, version.lower(), short)
        names[cls] = name
        queue.append((cls, group))
        return name

    kinds = [(r.group, r.version, r.kind) for r in catalog.BUILTIN]
    # The core group first, so types shared across groups (Container, PodSpec) are named there.
    kinds.sort(key=lambda k: (k[0] != "", catalog.GROUP_ORDER.index(k[0])))
    missing = []
    for group, version, kind in [*kinds, *EXTRA_KINDS]:
        cls = _class_for(client, group, version, kind)
        if cls is None:
            missing.append(f"{group}/{version} {kind}")
            continue
        name_of(cls, group)
        for meta_kind in ("DeleteOptions", "Status"):
            name_of(getattr(client, f"V1{meta_kind}"), "")
        while queue:
            current, current_group = queue.popleft()
            fields: dict[str, str] = {}
            required: list[str] = []
            json_names = _json_names(current)
            for attr, info in current.model_fields.items():
                json_name = json_names.get(attr, info.alias or attr)

                def refer(target: Any, group: str = current_group) -> str:
                    return name_of(target, group)

                fields[json_name] = _type(info.annotation, refer)
                if info.is_required():
                    required.append(json_name)
            entry: dict[str, Any] = {"f": fields}
            if required:
                entry["r"] = required
            models[names[current]] = entry
    if missing:
        print("not in the client:", ", ".join(missing), file=sys.stderr)
    version = getattr(client, "__version__", "unknown")
    document = {
        "source": f"kubernetes Python client {version}",
        "models": dict(sorted(models.items())),
    }
    OUT.write_text(json.dumps(document, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"{OUT}: {len(models)} models, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
