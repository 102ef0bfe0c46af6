"""Objects of built-in kinds read as kube-apiserver reads them into its Go types: a value of the
wrong type is a `400` ("cannot unmarshal ..."), fields the type does not have are dropped (and
reported: a `400` under `fieldValidation=Strict`, a warning under `Warn`), null fields are left
out. What passes has the shape the rest of the API relies on."""

from __future__ import annotations

from typing import Any

from localocean.areas.kubeapi.catalog import Resource, schema_name
from localocean.areas.kubeapi.errors import bad_request

# Maps of quantities: Kubernetes' Quantity reads a JSON number as well as a string.
_QUANTITY_MAPS = {"requests", "limits", "capacity", "allocatable", "hard", "used", "overhead"}
_GO_TYPES = {
    "string": "string",
    "integer": "int32",
    "number": "float64",
    "boolean": "bool",
    "date-time": "v1.Time",
    "byte": "[]uint8",
    "int-or-string": "intstr.IntOrString",
}
# Fields every object has whatever its model says.
_ALWAYS = {"apiVersion", "kind", "metadata"}


def _models() -> dict[str, Any]:
    from localocean.areas.kubeapi import discovery

    return discovery._models()


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _Reader:
    def __init__(self, kind: str, version: str, models: dict[str, Any]):
        self.kind, self.version, self.models = kind, version, models
        self.unknown: list[str] = []

    def refuse(self, value: Any, where: str, go_type: str) -> None:
        field = f"{self.kind}.{where}" if where else self.kind
        raise bad_request(
            f'{self.kind} in version "{self.version}" cannot be handled as a {self.kind}: json: '
            f"cannot unmarshal {_json_kind(value)} into Go struct field {field} of type {go_type}"
        )

    def model(self, name: str, value: Any, where: str) -> Any:
        model = self.models.get(name)
        short = name.rsplit(".", 2)
        go_type = f"{short[-2]}.{short[-1]}" if len(short) > 1 else name
        if not isinstance(value, dict):
            self.refuse(value, where, go_type)
        if model is None:
            return value
        fields: dict[str, str] = model.get("f", {})
        kept: dict[str, Any] = {}
        for key, item in value.items():
            path = f"{where}.{key}" if where else key
            if item is None:
                continue
            notation = fields.get(key)
            if notation is None:
                if key in _ALWAYS and not where:
                    kept[key] = item
                else:
                    self.unknown.append(path)
                continue
            kept[key] = self.value(notation, item, path, key)
        return kept

    def value(self, notation: str, item: Any, where: str, key: str) -> Any:
        if notation.startswith("[]"):
            if not isinstance(item, list):
                self.refuse(item, where, notation)
            return [
                self.value(notation[2:], entry, where, key) for entry in item if entry is not None
            ]
        if notation.startswith("{}"):
            if not isinstance(item, dict):
                self.refuse(item, where, f"map[string]{notation[2:]}")
            inner = notation[2:]
            if inner == "string" and key in _QUANTITY_MAPS:
                inner = "quantity"
            return {k: self.value(inner, v, where, k) for k, v in item.items() if v is not None}
        if notation.startswith("@"):
            return self.model(notation[1:], item, where)
        return self.scalar(notation, item, where)

    def scalar(self, notation: str, item: Any, where: str) -> Any:
        ok = {
            "string": isinstance(item, str),
            "date-time": isinstance(item, str),
            "byte": isinstance(item, str),
            "quantity": isinstance(item, str) or _is_number(item),
            "integer": (isinstance(item, int) and not isinstance(item, bool))
            or (isinstance(item, float) and item.is_integer()),
            "number": _is_number(item),
            "boolean": isinstance(item, bool),
            "int-or-string": isinstance(item, str)
            or (isinstance(item, int) and not isinstance(item, bool)),
        }.get(notation, True)
        if not ok:
            self.refuse(item, where, _GO_TYPES.get(notation, notation))
        if notation == "quantity" and isinstance(item, str):
            from localocean.areas.kubeapi import quantity

            try:
                quantity.parse(item)
            except ValueError as exc:
                raise bad_request(
                    f'{self.kind} in version "{self.version}" cannot be handled as a '
                    f"{self.kind}: quantities must match the regular expression "
                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
                ) from exc
        if notation == "integer" and isinstance(item, float):
            return int(item)
        return item


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read(resource: Resource, obj: Any, validation: str) -> tuple[dict[str, Any], list[str]]:
    """The object as the API server stores it, and warnings for the client. `validation` is
    the request's `fieldValidation`: Strict, Warn (the default) or Ignore."""
    if not isinstance(obj, dict):
        raise bad_request("the body of the request was not a Kubernetes object")
    if not isinstance(obj.get("metadata", {}), dict):
        reader = _Reader(resource.kind, resource.version, {})
        reader.refuse(obj["metadata"], "metadata", "v1.ObjectMeta")
    if resource.custom:
        return obj, []
    models = _models()
    name = schema_name(resource.group, resource.version, resource.kind)
    if name not in models:
        return obj, []
    reader = _Reader(resource.kind, resource.version, models)
    kept = reader.model(name, obj, "")
    unknown = [f'unknown field "{path}"' for path in reader.unknown]
    if unknown and validation == "Strict":
        raise bad_request("strict decoding error: " + ", ".join(unknown))
    return kept, unknown if validation != "Ignore" else []
