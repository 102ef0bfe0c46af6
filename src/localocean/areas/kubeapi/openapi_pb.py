"""Encodes the Swagger 2.0 document (`discovery.openapi_v2`) as a gnostic `openapi.v2.Document`.

client-go asks for `/openapi/v2` as `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
and decodes the body as the protobuf message of gnostic's `openapiv2/OpenAPIv2.proto` (package
`openapi.v2`). Older kubectl (Debian bookworm's 1.20) builds its client-side validation and its
strategic merge patch metadata from that document only (k8s.io/kube-openapi/pkg/util/proto,
`NewOpenAPIData`), and newer kubectl still reads it when the OpenAPI v3 endpoints are missing (the
query parameter checks of `SupportsQueryParam` walk its paths). This module writes the message with
a small protobuf wire encoder: proto3 rules, fields in number order, scalars left out when they
hold their zero value, embedded messages written whenever the JSON has the key (an empty
`properties` is not the same as none to kube-openapi).

Each vendor extension (`x-...` key) becomes a `NamedAny` whose `Any.yaml` holds the value as YAML
text; the text is the value's JSON form (JSON is YAML's flow style, which `yaml.Unmarshal` reads),
with the few characters YAML 1.1 does not allow raw escaped.

Schemas are made safe for kube-openapi's parser on the way, since one schema it refuses makes
kubectl refuse every command that needs the document. The rules follow what it refuses
(`Definitions.ParseSchema`), much as kube-apiserver trims CRD schemas for OpenAPI v2:

* a `$ref` keeps only its description and extensions (kube-openapi refuses a type or properties
  next to one), and a `$ref` to anything but an existing `#/definitions/...` is left out;
* `nullable` schemas lose their type, properties and items (an untyped schema accepts anything),
  ones with `x-kubernetes-preserve-unknown-fields` their properties and items, and their type
  unless it is `object` (a map of anything);
* a type list with more than one type, an unknown type (`null`, `file`), or an array without
  exactly one item schema loses its type;
* OpenAPI v3 keywords that Swagger 2.0 lacks (`anyOf`, `oneOf`, `not`, ...) are left out.

`encode(document)` returns the message's bytes, `negotiate(accept)` picks JSON or protobuf for an
`Accept` header as kube-apiserver does, `CONTENT_TYPE` is the protobuf answer's media type.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Mapping
from typing import Any, Literal

__all__ = ["CONTENT_TYPE", "encode", "negotiate"]

CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
"""The media type of the answer, for either of the two names a client may ask with.

kubectl up to 1.2x asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, but
that name has an `@`, which Go's `mime.ParseMediaType` refuses: client-go fails on a response
whose Content-Type is that name ("mime: unexpected content after media subtype"), so
kube-apiserver (k8s.io/kube-openapi/pkg/handler) answers with this one, which later clients also
ask for.
"""
_PROTOBUF_SUBTYPES = (
    "com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "com.github.proto-openapi.spec.v2.v1.0+protobuf",
)

_VARINT, _I64, _LEN = 0, 1, 2
_DEFINITIONS_PREFIX = "#/definitions/"
_SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean"})
_KNOWN_TYPES = _SCALAR_TYPES | {"object", "array"}

_Part = tuple[int, bytes]
"""One encoded field: its number (for ordering) and its bytes, key included."""


# --- wire format --------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _len(number: int, payload: bytes) -> _Part:
    return number, _key(number, _LEN) + _varint(len(payload)) + payload


def _utf8(value: str) -> bytes:
    """UTF-8, a lone surrogate replaced: Go's protobuf refuses a string that is not UTF-8."""
    return value.encode("utf-8", "replace")


def _join(parts: list[_Part]) -> bytes:
    parts.sort(key=lambda part: part[0])  # stable: repeated fields keep their order
    return b"".join(data for _, data in parts)


# --- field kinds ----------------------------------------------------------------------------

_Encoder = Callable[[int, Any, "_Context"], list[_Part]]


class _Context:
    """What schema encoding needs to know about the whole document."""

    def __init__(self, definitions: Any) -> None:
        self.definitions = set(definitions) if isinstance(definitions, Mapping) else set()


def _string(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if not isinstance(value, str) or not value:
        return []
    return [_len(number, _utf8(value))]


def _strings(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [_len(number, _utf8(v)) for v in value if isinstance(v, str)]


def _bool(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if value is not True:
        return []
    return [(number, _key(number, _VARINT) + b"\x01")]


def _int64(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    if isinstance(value, float) and not math.isfinite(value):
        return []
    integer = int(value)
    if integer == 0 or not -(1 << 63) <= integer < (1 << 63):
        return []
    return [(number, _key(number, _VARINT) + _varint(integer))]


def _double(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if isinstance(value, bool) or not isinstance(value, int | float) or value == 0:
        return []
    try:
        packed = struct.pack("<d", float(value))
    except OverflowError:
        return []
    return [(number, _key(number, _I64) + packed)]


def _yaml_text(value: Any) -> str:
    """`value` as YAML text: its JSON form, with what YAML 1.1 refuses raw escaped."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            out.append("\\uFFFD")
        elif (
            0x7F <= code <= 0x9F
            or code in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
            or 0xFDD0 <= code <= 0xFDEF
        ):
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return "".join(out)


def _any_message(value: Any) -> bytes:
    """An `openapi.v2.Any`: field 2, `yaml`."""
    return _len(2, _yaml_text(value).encode("utf-8"))[1]


def _any(number: int, value: Any, ctx: _Context) -> list[_Part]:
    return [_len(number, _any_message(value))]


def _anys(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if not isinstance(value, list):
        return []
    return [_len(number, _any_message(item)) for item in value]


def _extensions(number: int, obj: Mapping[str, Any]) -> list[_Part]:
    """The `x-...` keys as repeated `NamedAny` (name 1, value 2)."""
    parts: list[_Part] = []
    for name, value in obj.items():
        if isinstance(name, str) and name.startswith("x-"):
            named = _len(1, _utf8(name))[1] + _len(2, _any_message(value))[1]
            parts.append(_len(number, named))
    return parts


_Table = Mapping[str, tuple[int, _Encoder]]


def _message(obj: Mapping[str, Any], table: _Table, extensions: int, ctx: _Context) -> bytes:
    parts: list[_Part] = []
    for name, value in obj.items():
        entry = table.get(name)
        if entry is not None and value is not None:
            number, encoder = entry
            parts.extend(encoder(number, value, ctx))
    if extensions:
        parts.extend(_extensions(extensions, obj))
    return _join(parts)


def _embedded(table: _Table, extensions: int) -> _Encoder:
    """An encoder of one embedded message described by `table`."""

    def encode_one(number: int, value: Any, ctx: _Context) -> list[_Part]:
        if not isinstance(value, Mapping):
            return []
        return [_len(number, _message(value, table, extensions, ctx))]

    return encode_one


def _repeated(encoder: _Encoder) -> _Encoder:
    def encode_all(number: int, value: Any, ctx: _Context) -> list[_Part]:
        if not isinstance(value, list):
            return []
        parts: list[_Part] = []
        for item in value:
            parts.extend(encoder(number, item, ctx))
        return parts

    return encode_all


def _named(value_encoder: _Encoder) -> _Encoder:
    """A JSON object as one `Named*` message per entry (name 1, value 2), in the field `number`.

    Used for the maps of the spec (`additional_properties` of `Definitions`, `Properties`, ...).
    """

    def encode_map(number: int, value: Any, ctx: _Context) -> list[_Part]:
        if not isinstance(value, Mapping):
            return []
        parts: list[_Part] = []
        for name, item in value.items():
            inner = [_len(1, _utf8(str(name)))]
            inner.extend(value_encoder(2, item, ctx))
            parts.append(_len(number, _join(inner)))
        return parts

    return encode_map


def _wrapped(field: int, encoder: _Encoder) -> _Encoder:
    """A message whose only field `field` holds the JSON value (`Definitions`, `Properties`...)."""

    def encode_wrapper(number: int, value: Any, ctx: _Context) -> list[_Part]:
        return [_len(number, _join(encoder(field, value, ctx)))]

    return encode_wrapper


# --- messages ---------------------------------------------------------------------------------

_EXTERNAL_DOCS = _embedded({"description": (1, _string), "url": (2, _string)}, 3)
_CONTACT = _embedded({"name": (1, _string), "url": (2, _string), "email": (3, _string)}, 4)
_LICENSE = _embedded({"name": (1, _string), "url": (2, _string)}, 3)
_INFO = _embedded(
    {
        "title": (1, _string),
        "version": (2, _string),
        "description": (3, _string),
        "termsOfService": (4, _string),
        "contact": (5, _CONTACT),
        "license": (6, _LICENSE),
    },
    7,
)
_XML = _embedded(
    {
        "name": (1, _string),
        "namespace": (2, _string),
        "prefix": (3, _string),
        "attribute": (4, _bool),
        "wrapped": (5, _bool),
    },
    6,
)


def _validations(first: int) -> dict[str, tuple[int, _Encoder]]:
    """The validation keywords shared by parameters, headers and primitive items, in their order."""
    kinds: list[tuple[str, _Encoder]] = [
        ("default", _any),
        ("maximum", _double),
        ("exclusiveMaximum", _bool),
        ("minimum", _double),
        ("exclusiveMinimum", _bool),
        ("maxLength", _int64),
        ("minLength", _int64),
        ("pattern", _string),
        ("maxItems", _int64),
        ("minItems", _int64),
        ("uniqueItems", _bool),
        ("enum", _anys),
        ("multipleOf", _double),
    ]
    return {name: (first + i, kind) for i, (name, kind) in enumerate(kinds)}


def _primitives_items(number: int, value: Any, ctx: _Context) -> list[_Part]:
    return _PRIMITIVES_ITEMS_EMBEDDED(number, value, ctx)


_PRIMITIVES_ITEMS_TABLE: dict[str, tuple[int, _Encoder]] = {
    "type": (1, _string),
    "format": (2, _string),
    "items": (3, _primitives_items),
    "collectionFormat": (4, _string),
    **_validations(5),
}
_PRIMITIVES_ITEMS_EMBEDDED = _embedded(_PRIMITIVES_ITEMS_TABLE, 18)

_HEADER = _embedded(
    {
        "type": (1, _string),
        "format": (2, _string),
        "items": (3, _primitives_items),
        "collectionFormat": (4, _string),
        **_validations(5),
        "description": (18, _string),
    },
    19,
)

# Query and formData parameters have `allowEmptyValue` (5), header and path ones do not.
_QUERY_LIKE: dict[str, tuple[int, _Encoder]] = {
    "required": (1, _bool),
    "in": (2, _string),
    "description": (3, _string),
    "name": (4, _string),
    "allowEmptyValue": (5, _bool),
    "type": (6, _string),
    "format": (7, _string),
    "items": (8, _primitives_items),
    "collectionFormat": (9, _string),
    **_validations(10),
}
_PATH_LIKE: dict[str, tuple[int, _Encoder]] = {
    "required": (1, _bool),
    "in": (2, _string),
    "description": (3, _string),
    "name": (4, _string),
    "type": (5, _string),
    "format": (6, _string),
    "items": (7, _primitives_items),
    "collectionFormat": (8, _string),
    **_validations(9),
}
# NonBodyParameter's oneof: header 1, formData 2, query 3, path 4.
_NON_BODY: dict[str, tuple[int, _Table, int]] = {
    "header": (1, _PATH_LIKE, 22),
    "formData": (2, _QUERY_LIKE, 23),
    "query": (3, _QUERY_LIKE, 23),
    "path": (4, _PATH_LIKE, 22),
}


# Schemas: the one message whose content is also made safe for kube-openapi (see the module's
# docstring).


def _schema_type(schema: Mapping[str, Any]) -> str | None:
    """The schema's one type, or None when it has none kube-openapi can use."""
    value = schema.get("type")
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, str) and value in _KNOWN_TYPES else None


def _item_schema(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    items = schema.get("items")
    if isinstance(items, list):
        items = items[0] if len(items) == 1 else None
    return items if isinstance(items, Mapping) else None


def _ref_target(ref: Any, ctx: _Context) -> str | None:
    if not isinstance(ref, str) or not ref.startswith(_DEFINITIONS_PREFIX):
        return None
    return ref if ref.removeprefix(_DEFINITIONS_PREFIX) in ctx.definitions else None


def _schema_message(schema: Mapping[str, Any], ctx: _Context) -> bytes:
    parts: list[_Part] = []
    ref = _ref_target(schema.get("$ref"), ctx)
    if ref is not None:
        parts.extend(_string(1, ref, ctx))
        parts.extend(_string(4, schema.get("description"), ctx))
        parts.extend(_extensions(31, schema))
        return _join(parts)

    kind = _schema_type(schema)
    untyped = schema.get("nullable") is True or (
        schema.get("x-kubernetes-preserve-unknown-fields") is True and kind != "object"
    )
    keep_structure = not (
        schema.get("nullable") is True or schema.get("x-kubernetes-preserve-unknown-fields") is True
    )
    items = _item_schema(schema)
    if kind == "array" and items is None:
        untyped = True
    if untyped:
        kind = None

    for name, value in schema.items():
        entry = _SCHEMA_TABLE.get(name)
        if entry is not None and value is not None:
            number, encoder = entry
            parts.extend(encoder(number, value, ctx))
    if kind is not None:
        parts.append(_len(22, _len(1, kind.encode())[1]))  # TypeItem: repeated string value = 1
    if keep_structure:
        if items is not None:
            parts.append(_len(23, _len(1, _schema_message(items, ctx))[1]))  # ItemsItem
        properties = schema.get("properties")
        if isinstance(properties, Mapping):
            parts.extend(_wrapped(1, _named(_schema))(25, properties, ctx))
    additional = schema.get("additionalProperties")
    if isinstance(additional, bool):  # AdditionalPropertiesItem: schema 1 | boolean 2
        parts.append(_len(21, _key(2, _VARINT) + (b"\x01" if additional else b"\x00")))
    elif isinstance(additional, Mapping):
        parts.append(_len(21, _len(1, _schema_message(additional, ctx))[1]))
    parts.extend(_extensions(31, schema))
    return _join(parts)


def _schema(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if not isinstance(value, Mapping):
        return []
    return [_len(number, _schema_message(value, ctx))]


# `$ref` (1), `type` (22), `items` (23), `properties` (25) and `additionalProperties` (21) are
# written by `_schema_message` itself.
_SCHEMA_TABLE: dict[str, tuple[int, _Encoder]] = {
    "format": (2, _string),
    "title": (3, _string),
    "description": (4, _string),
    "default": (5, _any),
    "multipleOf": (6, _double),
    "maximum": (7, _double),
    "exclusiveMaximum": (8, _bool),
    "minimum": (9, _double),
    "exclusiveMinimum": (10, _bool),
    "maxLength": (11, _int64),
    "minLength": (12, _int64),
    "pattern": (13, _string),
    "maxItems": (14, _int64),
    "minItems": (15, _int64),
    "uniqueItems": (16, _bool),
    "maxProperties": (17, _int64),
    "minProperties": (18, _int64),
    "required": (19, _strings),
    "enum": (20, _anys),
    "allOf": (24, _repeated(_schema)),
    "discriminator": (26, _string),
    "readOnly": (27, _bool),
    "xml": (28, _XML),
    "externalDocs": (29, _EXTERNAL_DOCS),
    "example": (30, _any),
}

_FILE_SCHEMA_TABLE: _Table = {
    "format": (1, _string),
    "title": (2, _string),
    "description": (3, _string),
    "default": (4, _any),
    "required": (5, _strings),
    "type": (6, _string),
    "readOnly": (7, _bool),
    "externalDocs": (8, _EXTERNAL_DOCS),
    "example": (9, _any),
}


def _json_reference(value: Mapping[str, Any]) -> bytes:
    """A `JsonReference`: `$ref` 1, description 2."""
    parts: list[_Part] = []
    parts.extend(_string(1, value.get("$ref"), _NO_CONTEXT))
    parts.extend(_string(2, value.get("description"), _NO_CONTEXT))
    return _join(parts)


_NO_CONTEXT = _Context(None)


def _parameter_message(value: Mapping[str, Any], ctx: _Context) -> bytes:
    """A `Parameter`: body_parameter 1 | non_body_parameter 2."""
    where = value.get("in")
    if where == "body":
        body = _message(
            value,
            {
                "description": (1, _string),
                "name": (2, _string),
                "in": (3, _string),
                "required": (4, _bool),
                "schema": (5, _schema),
            },
            6,
            ctx,
        )
        return _len(1, body)[1]
    number, table, extensions = _NON_BODY.get(str(where), _NON_BODY["query"])
    return _len(2, _len(number, _message(value, table, extensions, ctx))[1])[1]


def _parameter(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if not isinstance(value, Mapping):
        return []
    return [_len(number, _parameter_message(value, ctx))]


def _parameters_item(number: int, value: Any, ctx: _Context) -> list[_Part]:
    """A `ParametersItem`: parameter 1 | json_reference 2."""
    if not isinstance(value, Mapping):
        return []
    if "$ref" in value:
        return [_len(number, _len(2, _json_reference(value))[1])]
    return [_len(number, _len(1, _parameter_message(value, ctx))[1])]


def _schema_item(number: int, value: Any, ctx: _Context) -> list[_Part]:
    """A `SchemaItem`: schema 1 | file_schema 2."""
    if not isinstance(value, Mapping):
        return []
    if value.get("type") == "file":
        return [_len(number, _len(2, _message(value, _FILE_SCHEMA_TABLE, 10, ctx))[1])]
    return [_len(number, _join(_schema(1, value, ctx)))]


_RESPONSE_TABLE: _Table = {
    "description": (1, _string),
    "schema": (2, _schema_item),
    "headers": (3, _wrapped(1, _named(_HEADER))),
    "examples": (4, _wrapped(1, _named(_any))),
}
_RESPONSE = _embedded(_RESPONSE_TABLE, 5)


def _response_value(number: int, value: Any, ctx: _Context) -> list[_Part]:
    """A `ResponseValue`: response 1 | json_reference 2."""
    if not isinstance(value, Mapping):
        return []
    if "$ref" in value:
        return [_len(number, _len(2, _json_reference(value))[1])]
    return [_len(number, _join(_RESPONSE(1, value, ctx)))]


def _responses(number: int, value: Any, ctx: _Context) -> list[_Part]:
    """`Responses`: response_code 1 (NamedResponseValue), vendor_extension 2."""
    if not isinstance(value, Mapping):
        return []
    codes = {k: v for k, v in value.items() if not str(k).startswith("x-")}
    parts = _named(_response_value)(1, codes, ctx)
    parts.extend(_extensions(2, value))
    return [_len(number, _join(parts))]


_STRING_ARRAY = _wrapped(1, _strings)
_SECURITY_REQUIREMENT = _wrapped(1, _named(_STRING_ARRAY))

_OPERATION = _embedded(
    {
        "tags": (1, _strings),
        "summary": (2, _string),
        "description": (3, _string),
        "externalDocs": (4, _EXTERNAL_DOCS),
        "operationId": (5, _string),
        "produces": (6, _strings),
        "consumes": (7, _strings),
        "parameters": (8, _repeated(_parameters_item)),
        "responses": (9, _responses),
        "schemes": (10, _strings),
        "deprecated": (11, _bool),
        "security": (12, _repeated(_SECURITY_REQUIREMENT)),
    },
    13,
)
_PATH_ITEM = _embedded(
    {
        "$ref": (1, _string),
        "get": (2, _OPERATION),
        "put": (3, _OPERATION),
        "post": (4, _OPERATION),
        "delete": (5, _OPERATION),
        "options": (6, _OPERATION),
        "head": (7, _OPERATION),
        "patch": (8, _OPERATION),
        "parameters": (9, _repeated(_parameters_item)),
    },
    10,
)


def _paths(number: int, value: Any, ctx: _Context) -> list[_Part]:
    """`Paths`: vendor_extension 1, path 2 (NamedPathItem)."""
    if not isinstance(value, Mapping):
        return []
    parts = _extensions(1, value)
    routes = {k: v for k, v in value.items() if not str(k).startswith("x-")}
    parts.extend(_named(_PATH_ITEM)(2, routes, ctx))
    return [_len(number, _join(parts))]


_SCOPES = _wrapped(1, _named(_string))
# SecurityDefinitionsItem's oneof, by `type` (and `flow` for OAuth2): number and field table.
_BASIC: _Table = {"type": (1, _string), "description": (2, _string)}
_API_KEY: _Table = {
    "type": (1, _string),
    "name": (2, _string),
    "in": (3, _string),
    "description": (4, _string),
}
_OAUTH2: dict[str, tuple[int, _Table, int]] = {
    "implicit": (
        3,
        {"authorizationUrl": (4, _string), "description": (5, _string)},
        6,
    ),
    "password": (4, {"tokenUrl": (4, _string), "description": (5, _string)}, 6),
    "application": (5, {"tokenUrl": (4, _string), "description": (5, _string)}, 6),
    "accessCode": (
        6,
        {"authorizationUrl": (4, _string), "tokenUrl": (5, _string), "description": (6, _string)},
        7,
    ),
}
_OAUTH2_COMMON: _Table = {"type": (1, _string), "flow": (2, _string), "scopes": (3, _SCOPES)}


def _security_definitions_item(number: int, value: Any, ctx: _Context) -> list[_Part]:
    if not isinstance(value, Mapping):
        return []
    kind = value.get("type")
    if kind == "basic":
        inner = _len(1, _message(value, _BASIC, 3, ctx))
    elif kind == "oauth2" and value.get("flow") in _OAUTH2:
        which, table, extensions = _OAUTH2[str(value.get("flow"))]
        inner = _len(which, _message(value, {**_OAUTH2_COMMON, **table}, extensions, ctx))
    else:
        inner = _len(2, _message(value, _API_KEY, 5, ctx))
    return [_len(number, inner[1])]


_TAG = _embedded(
    {"name": (1, _string), "description": (2, _string), "externalDocs": (3, _EXTERNAL_DOCS)}, 4
)

_DOCUMENT_TABLE: _Table = {
    "swagger": (1, _string),
    "info": (2, _INFO),
    "host": (3, _string),
    "basePath": (4, _string),
    "schemes": (5, _strings),
    "consumes": (6, _strings),
    "produces": (7, _strings),
    "paths": (8, _paths),
    "definitions": (9, _wrapped(1, _named(_schema))),
    "parameters": (10, _wrapped(1, _named(_parameter))),
    "responses": (11, _wrapped(1, _named(_RESPONSE))),
    "security": (12, _repeated(_SECURITY_REQUIREMENT)),
    "securityDefinitions": (13, _wrapped(1, _named(_security_definitions_item))),
    "tags": (14, _repeated(_TAG)),
    "externalDocs": (15, _EXTERNAL_DOCS),
}


def encode(document: Mapping[str, Any]) -> bytes:
    """The Swagger 2.0 `document` as the bytes of a gnostic `openapi.v2.Document` message."""
    ctx = _Context(document.get("definitions"))
    return _message(document, _DOCUMENT_TABLE, 16, ctx)


def negotiate(accept: str | None) -> Literal["json", "protobuf"] | None:
    """Which form of `/openapi/v2` to answer an `Accept` header with, None for a 406.

    As kube-apiserver's handler (k8s.io/kube-openapi/pkg/handler, `RegisterOpenAPIVersionedService`)
    chooses: the media ranges by quality, highest first (then the more specific first), and for
    each in turn the first of JSON, protobuf that it matches; no header is `*/*`, hence JSON.
    """
    ranges: list[tuple[float, int, str, str]] = []
    for position, clause in enumerate((accept or "*/*").split(",")):
        media, *params = clause.split(";")
        media = media.strip().lower()
        if not media:
            continue
        kind, _, subtype = media.partition("/")
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        ranges.append((quality, position, kind, subtype))
    ranges.sort(key=lambda r: (-r[0], r[2] == "*", r[3] == "*", r[1]))
    for _, _, kind, subtype in ranges:
        if kind not in ("application", "*"):
            continue
        if subtype in ("json", "*"):
            return "json"
        if subtype in _PROTOBUF_SUBTYPES:
            return "protobuf"
    return None
