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
# Integer fields of the built-in kinds that are int32 in Go (the rest are int64).
_INT32 = {
    "replicas", "port", "containerPort", "hostPort", "nodePort", "targetPort", "minReadySeconds",
    "revisionHistoryLimit", "progressDeadlineSeconds", "parallelism", "completions",
    "backoffLimit", "priority", "weight", "defaultMode", "mode", "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit", "minReplicas", "maxReplicas", "partition", "number",
}  # fmt: skip
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
            item = int(item)
        if (notation == "integer" and not -(2**63) <= item < 2**63) or (
            notation == "integer"
            and where.rsplit(".", 1)[-1] in _INT32
            and not -(2**31) <= item < 2**31
        ):
            go_type = "int32" if where.rsplit(".", 1)[-1] in _INT32 else "int64"
            raise bad_request(
                f'{self.kind} in version "{self.version}" cannot be handled as a {self.kind}: '
                f"json: cannot unmarshal number {item} into Go struct field {self.kind}.{where} "
                f"of type {go_type}"
            )
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
        return _custom(resource, obj, validation)
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


# Custom resources: the CRD version's structural schema prunes and validates them.

Causes = list[tuple[str, str, str]]
_TYPES: dict[str, Any] = {
    "string": str,
    "boolean": bool,
    "object": dict,
    "array": list,
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return _is_number(value)
    expected = _TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _openapi_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def _shown(value: Any) -> str:
    import json

    return json.dumps(value) if isinstance(value, str) else str(value)


class _Structural:
    """Pruning and validation against an OpenAPI v3 schema, as kube-apiserver does for custom
    resources: unknown fields go (unless x-kubernetes-preserve-unknown-fields), types, enums,
    required fields, bounds and lengths are checked."""

    def __init__(self) -> None:
        self.causes: Causes = []
        self.unknown: list[str] = []

    def walk(self, schema: Any, value: Any, where: str) -> Any:
        if not isinstance(schema, dict) or value is None:
            return value
        if schema.get("x-kubernetes-int-or-string"):
            if not (isinstance(value, str) or _type_ok("integer", value)):
                self.invalid(where, value, "in body must be of type int-or-string")
            return value
        kind = schema.get("type")
        if kind and not _type_ok(kind, value):
            given = _openapi_type(value)
            self.causes.append(
                (where, "FieldValueTypeInvalid",
                 f'Invalid value: "{given}": {where} in body must be of type {kind}: "{given}"')
            )  # fmt: skip
            return value
        if "enum" in schema and value not in schema["enum"]:
            supported = ", ".join(_shown(v) for v in schema["enum"])
            self.causes.append(
                (where, "FieldValueNotSupported",
                 f"Unsupported value: {_shown(value)}: supported values: {supported}")
            )  # fmt: skip
        self.bounds(schema, value, where)
        if isinstance(value, dict):
            return self.object(schema, value, where)
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [
                self.walk(schema["items"], item, f"{where}[{i}]") for i, item in enumerate(value)
            ]
        return value

    def object(self, schema: dict[str, Any], value: dict[str, Any], where: str) -> Any:
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        keep_unknown = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        kept: dict[str, Any] = {}
        for key, item in value.items():
            path = f"{where}.{key}" if where else key
            if key in properties:
                kept[key] = self.walk(properties[key], item, path)
            elif isinstance(extra, dict):
                kept[key] = self.walk(extra, item, path)
            elif extra is True or keep_unknown or (not where and key in _ALWAYS):
                kept[key] = item
            else:
                self.unknown.append(path)
        for key in schema.get("required") or []:
            if key not in value:
                path = f"{where}.{key}" if where else key
                self.causes.append((path, "FieldValueRequired", "Required value"))
        return kept

    def bounds(self, schema: dict[str, Any], value: Any, where: str) -> None:
        if _is_number(value):
            if "minimum" in schema and value < schema["minimum"]:
                self.invalid(
                    where, value, f"in body should be greater than or equal to {schema['minimum']}"
                )
            if "maximum" in schema and value > schema["maximum"]:
                self.invalid(
                    where, value, f"in body should be less than or equal to {schema['maximum']}"
                )
        if isinstance(value, str):
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                self.causes.append(
                    (
                        where,
                        "TooLong",
                        f"Too long: may not be more than {schema['maxLength']} bytes",
                    )
                )
            if "minLength" in schema and len(value) < schema["minLength"]:
                self.invalid(
                    where, value, f"in body should be at least {schema['minLength']} chars long"
                )
            if "pattern" in schema:
                import re

                try:
                    matched = re.search(schema["pattern"], value) is not None
                except re.error:
                    matched = True
                if not matched:
                    self.invalid(where, value, f"in body should match '{schema['pattern']}'")
        if isinstance(value, list):
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                self.causes.append(
                    (
                        where,
                        "TooMany",
                        f"Too many: {len(value)}: must have at most {schema['maxItems']} items",
                    )
                )
            if "minItems" in schema and len(value) < schema["minItems"]:
                self.invalid(
                    where, value, f"in body should have at least {schema['minItems']} items"
                )

    def invalid(self, where: str, value: Any, rule: str) -> None:
        self.causes.append(
            (where, "FieldValueInvalid", f"Invalid value: {_shown(value)}: {where} {rule}")
        )


def _custom(
    resource: Resource, obj: dict[str, Any], validation: str
) -> tuple[dict[str, Any], list[str]]:
    from localocean.areas.kubeapi.errors import invalid

    schema = resource.openapi_schema
    if not isinstance(schema, dict):
        return obj, []
    walker = _Structural()
    # metadata, apiVersion and kind are the API server's, whatever the schema says of them.
    top = {key: value for key, value in obj.items() if key not in _ALWAYS}
    kept = walker.walk(dict(schema), top, "")
    if walker.causes:
        name = str(obj.get("metadata", {}).get("name", ""))
        raise invalid(resource.kind, resource.group, name, walker.causes)
    unknown = [f'unknown field "{path}"' for path in walker.unknown]
    if unknown and validation == "Strict":
        raise bad_request("strict decoding error: " + ", ".join(unknown))
    result = {key: obj[key] for key in _ALWAYS if key in obj}
    result.update(kept if isinstance(kept, dict) else {})
    return result, unknown if validation != "Ignore" else []
