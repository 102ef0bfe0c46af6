"""Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) to JSON.

kubectl's typed commands and every client-go typed clientset send built-in objects as protobuf
and do not fall back to JSON on a 415, so the server turns such a body into the object the real
kube-apiserver would see: the decoded Go struct as `encoding/json` renders it (omitempty and
omitzero fields left out, nil pointers, slices and maps as null, structs always present, the
special types of apimachinery in their JSON forms).

The body is the protobuf envelope: the magic `k8s\\x00` and a `runtime.Unknown` message whose
TypeMeta names the type and whose `raw` holds the object's message. The field layout of every type
comes from `protos.json` (written by `scripts/kube_protos.py` from the Go sources of `k8s.io/api`,
`k8s.io/apimachinery` and `k8s.io/apiextensions-apiserver`), read on first use.

`decode(body)` returns the object or raises `ValueError`; nothing else is public.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MAGIC", "decode"]

MAGIC = b"k8s\x00"
"""The four bytes that open every Kubernetes protobuf body."""

_DATA_FILE = Path(__file__).with_name("protos.json")
_MAX_DEPTH = 100
"""Nesting limit for messages (a CRD schema nests deeply, nothing legitimate nests this far)."""

# Wire types.
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_NUMERIC_WIRE = {
    "t": _VARINT,
    "i32": _VARINT,
    "i64": _VARINT,
    "u32": _VARINT,
    "u64": _VARINT,
    "f64": _I64,
    "f32": _I32,
}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

# Types whose Go JSON form is custom: decoded here, not from rows.
_TIME = "meta/v1.Time"
_MICRO_TIME = "meta/v1.MicroTime"
_DURATION = "meta/v1.Duration"
_FIELDS_V1 = "meta/v1.FieldsV1"
_QUANTITY = "resource.Quantity"
_INT_OR_STRING = "intstr.IntOrString"
_RAW_EXTENSION = "runtime.RawExtension"
_JSON = "apiextensions/v1.JSON"
_PROPS = "apiextensions/v1.JSONSchemaProps"
_PROPS_OR_ARRAY = "apiextensions/v1.JSONSchemaPropsOrArray"
_PROPS_OR_BOOL = "apiextensions/v1.JSONSchemaPropsOrBool"
_PROPS_OR_STRINGS = "apiextensions/v1.JSONSchemaPropsOrStringArray"


@dataclass(frozen=True, slots=True)
class _Field:
    number: int
    name: str  # JSON name; "" for an inlined struct
    kind: str  # see scripts/kube_protos.py; message references are fully qualified here
    repeated: bool
    pointer: bool
    omitempty: bool
    omitzero: bool
    inline: bool


@dataclass(frozen=True, slots=True)
class _Type:
    fields: tuple[_Field, ...]
    by_number: dict[int, _Field]
    direct_names: frozenset[str]


class _Layouts:
    """The parsed contents of protos.json, types parsed on first use."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.kinds: dict[str, dict[str, str]] = raw["kinds"]
        self._rows: dict[str, list[str]] = raw["types"]
        self._types: dict[str, _Type] = {}

    def type(self, full: str) -> _Type:
        parsed = self._types.get(full)
        if parsed is None:
            rows = self._rows.get(full)
            if rows is None:
                raise ValueError(f"no protobuf layout for the Go type {full}")
            parsed = self._types[full] = _parse_rows(full, rows)
        return parsed

    def lookup(self, api_version: str, kind: str) -> str | None:
        full = self.kinds.get(api_version, {}).get(kind)
        if full is None and api_version in self.kinds:
            # Options and Status (DeleteOptions, ...) travel under every group's version.
            full = self.kinds.get("meta.k8s.io/v1", {}).get(kind)
        return full


def _parse_rows(full: str, rows: list[str]) -> _Type:
    package = full.rsplit(".", 1)[0]
    fields = []
    for row in rows:
        number, name, kind, flags = row.split(" ")
        # "@Name" and "{@Name}" refer to the type's own package.
        kind = _qualify(kind, package)
        fields.append(
            _Field(
                number=int(number),
                name="" if name == "." else name,
                kind=kind,
                repeated="r" in flags,
                pointer="p" in flags,
                omitempty="o" in flags,
                omitzero="z" in flags,
                inline="i" in flags,
            )
        )
    return _Type(
        fields=tuple(fields),
        by_number={f.number: f for f in fields},
        direct_names=frozenset(f.name for f in fields if not f.inline),
    )


def _qualify(kind: str, package: str) -> str:
    at = kind.find("@")
    if at < 0:
        return kind
    close = len(kind.rstrip("]}"))
    ref = kind[at + 1 : close]
    if "." not in ref:
        ref = f"{package}.{ref}"
    return kind[: at + 1] + ref + kind[close:]


_layouts: _Layouts | None = None


def _load() -> _Layouts:
    global _layouts
    if _layouts is None:
        _layouts = _Layouts(json.loads(_DATA_FILE.read_text(encoding="utf-8")))
    return _layouts


# -- wire format --------------------------------------------------------------------------


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated protobuf varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 70:
            raise ValueError("protobuf varint longer than 10 bytes")


def _read(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """The fields of one message as (number, wire type, value) in wire order."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("protobuf field number 0")
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _LEN:
            size, pos = _varint(buf, pos)
            if size > end - pos:
                raise ValueError("protobuf length-delimited field runs past the end of its message")
            value = buf[pos : pos + size]
            pos += size
        elif wire == _I64:
            if pos + 8 > end:
                raise ValueError("truncated protobuf fixed64 field")
            value = buf[pos : pos + 8]
            pos += 8
        elif wire == _I32:
            if pos + 4 > end:
                raise ValueError("truncated protobuf fixed32 field")
            value = buf[pos : pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} (field {number})")
        out.append((number, wire, value))
    return out


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _scalar(kind: str, wire: int, value: int | bytes, where: str) -> Any:
    """One scalar of `kind` from its wire value, as encoding/json would render it."""
    if kind in ("s", "b"):
        if wire != _LEN or not isinstance(value, bytes):
            raise ValueError(f"{where}: expected a length-delimited field, got wire type {wire}")
        if kind == "s":
            # Go keeps invalid UTF-8 in a string; encoding/json writes U+FFFD for it.
            return value.decode("utf-8", errors="replace")
        return base64.b64encode(value).decode("ascii")
    expected = _NUMERIC_WIRE.get(kind)
    if expected is None:
        raise ValueError(f"{where}: unknown scalar kind {kind!r}")
    if wire != expected:
        raise ValueError(f"{where}: wire type {wire} does not fit a {kind} field")
    if isinstance(value, bytes):
        number = struct.unpack("<d" if kind == "f64" else "<f", value)[0]
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"{where}: {number} has no JSON form")
        return int(number) if number.is_integer() and abs(number) < 1e21 else number
    if kind == "t":
        return value != 0
    if kind == "i32":
        return _signed(value, 32)
    if kind == "i64":
        return _signed(value, 64)
    if kind == "u32":
        return value & 0xFFFFFFFF
    return value


def _packed(kind: str, data: bytes, where: str) -> list[Any]:
    """The elements of a packed repeated numeric field."""
    wire = _NUMERIC_WIRE[kind]
    out = []
    pos = 0
    while pos < len(data):
        value: int | bytes
        if wire == _VARINT:
            value, pos = _varint(data, pos)
        else:
            size = 8 if wire == _I64 else 4
            if pos + size > len(data):
                raise ValueError(f"{where}: truncated packed field")
            value, pos = data[pos : pos + size], pos + size
        out.append(_scalar(kind, wire, value, where))
    return out


# -- values -------------------------------------------------------------------------------


def _zero(kind: str, depth: int) -> Any:
    """The JSON of a Go zero value of `kind` (a nil slice, map or []byte is null)."""
    if kind == "s":
        return ""
    if kind == "t":
        return False
    if kind in _NUMERIC_WIRE:
        return 0
    if kind.startswith("@"):
        return _message(kind[1:], b"", depth)
    return None  # "b", maps, wrapped slices


def _is_zero(kind: str, value: Any, depth: int) -> bool:
    if kind.startswith("@"):
        return bool(value == _zero(kind, depth))
    if kind.startswith(("{", "[")) or kind == "b":
        return not value
    return bool(value == _zero(kind, depth))


def _element(kind: str, wire: int, value: int | bytes, depth: int, where: str) -> Any:
    """One (non-repeated) value of `kind` from the wire."""
    if kind.startswith("@"):
        if not isinstance(value, bytes) or wire != _LEN:
            raise ValueError(f"{where}: expected an embedded message, got wire type {wire}")
        return _message(kind[1:], value, depth + 1)
    if kind.startswith("{"):
        if not isinstance(value, bytes) or wire != _LEN:
            raise ValueError(f"{where}: expected a map entry, got wire type {wire}")
        return _map_entry(kind[1:-1], value, depth + 1, where)
    if kind.startswith("["):
        if not isinstance(value, bytes) or wire != _LEN:
            raise ValueError(f"{where}: expected a list message, got wire type {wire}")
        inner = kind[1:-1]
        items: list[Any] = []
        for number, w, v in _read(value):
            if number == 1:
                _append(items, inner, w, v, depth + 1, where)
        return items
    return _scalar(kind, wire, value, where)


def _append(
    items: list[Any], kind: str, wire: int, value: int | bytes, depth: int, where: str
) -> None:
    if kind in _NUMERIC_WIRE and wire == _LEN and isinstance(value, bytes):
        items.extend(_packed(kind, value, where))
    else:
        items.append(_element(kind, wire, value, depth, where))


def _map_entry(value_kind: str, data: bytes, depth: int, where: str) -> tuple[str, Any]:
    key = ""
    value: Any = None
    seen = False
    for number, wire, v in _read(data):
        if number == 1:
            key = _scalar("s", wire, v, where)
        elif number == 2:
            value = _element(value_kind, wire, v, depth, where)
            seen = True
    if not seen:
        value = _zero(value_kind, depth)
    return key, value


def _message(full: str, data: bytes, depth: int) -> Any:
    """The JSON form of one message of the Go type `full`."""
    if depth > _MAX_DEPTH:
        raise ValueError("protobuf message nested too deeply")
    special = _SPECIAL.get(full)
    if special is not None:
        return special(data, depth)
    layout = _load().type(full)
    values: dict[int, Any] = {}
    pieces: dict[int, bytearray] = {}  # a message field seen twice merges: concatenate
    for number, wire, raw in _read(data):
        f = layout.by_number.get(number)
        if f is None:
            continue  # unknown fields are skipped, as by the Go decoder
        where = f"{full}.{f.name or 'inline'}"
        if f.repeated:
            _append(values.setdefault(number, []), f.kind, wire, raw, depth, where)
        elif f.kind.startswith("{"):
            key, entry = _element(f.kind, wire, raw, depth, where)
            values.setdefault(number, {})[key] = entry
        elif f.kind.startswith("@"):
            if wire != _LEN or not isinstance(raw, bytes):
                raise ValueError(f"{where}: expected an embedded message, got wire type {wire}")
            pieces.setdefault(number, bytearray()).extend(raw)
        elif f.kind.startswith("["):
            values.setdefault(number, []).extend(_element(f.kind, wire, raw, depth, where))
        else:
            values[number] = _element(f.kind, wire, raw, depth, where)
    for number, joined in pieces.items():
        f = layout.by_number[number]
        values[number] = _message(f.kind[1:], bytes(joined), depth + 1)

    out: dict[str, Any] = {}
    for f in layout.fields:
        present = f.number in values
        if f.inline:
            inner = values[f.number] if present else _zero(f.kind, depth + 1)
            for key, item in inner.items():
                if key not in layout.direct_names and key not in out:
                    out[key] = item
            continue
        if f.repeated or f.kind.startswith(("{", "[")) or f.kind == "b":
            value = values.get(f.number)
            if f.kind.startswith("{") and value is not None:
                value = dict(sorted(value.items()))
            if f.omitempty and not value:
                continue
        elif f.pointer:
            if not present:
                if f.omitempty or f.omitzero:
                    continue
                value = None
            else:
                value = values[f.number]
        else:
            value = values[f.number] if present else _zero(f.kind, depth + 1)
            if f.omitempty and not f.kind.startswith("@") and _is_zero(f.kind, value, depth):
                continue
        if f.omitzero and _is_zero(f.kind, value, depth + 1):
            continue
        out[f.name] = value
    return out


# -- the types with a custom JSON form ------------------------------------------------------


_Fields = dict[int, tuple[int, int | bytes]]


def _fields_of(data: bytes) -> _Fields:
    """The last value of each field number (for the small hand-decoded messages)."""
    return {number: (wire, value) for number, wire, value in _read(data)}


def _field_scalar(
    fields: dict[int, tuple[int, int | bytes]], number: int, kind: str, where: str
) -> Any:
    if number not in fields:
        return _zero(kind, 0)
    wire, value = fields[number]
    return _scalar(kind, wire, value, where)


def _format_time(seconds: int, micros: int | None, where: str) -> str:
    try:
        moment = _EPOCH + datetime.timedelta(seconds=seconds)
    except OverflowError as exc:
        raise ValueError(f"{where}: time out of range") from exc
    if micros is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{micros:06d}Z"


def _time(data: bytes, depth: int) -> Any:
    if not data:
        return None  # the zero Time marshals as null
    fields = _fields_of(data)
    seconds = _field_scalar(fields, 1, "i64", _TIME)
    return _format_time(seconds, None, _TIME)  # metav1.Time drops the nanoseconds


def _micro_time(data: bytes, depth: int) -> Any:
    if not data:
        return None
    fields = _fields_of(data)
    seconds = _field_scalar(fields, 1, "i64", _MICRO_TIME)
    nanos = _field_scalar(fields, 2, "i32", _MICRO_TIME)
    # Go's time.Unix normalises nanoseconds outside [0, 1e9).
    seconds += nanos // 1_000_000_000
    nanos %= 1_000_000_000
    return _format_time(seconds, nanos // 1000, _MICRO_TIME)


def _go_duration(nanos: int) -> str:
    """Go's time.Duration.String()."""
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    u = abs(nanos)
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                return sign + _fraction(u, size) + unit
    seconds_part = _fraction(u % 60_000_000_000, 1_000_000_000) + "s"
    minutes = u // 60_000_000_000
    if minutes == 0:
        return sign + seconds_part
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"{sign}{minutes}m{seconds_part}"
    return f"{sign}{hours}h{minutes}m{seconds_part}"


def _fraction(value: int, size: int) -> str:
    whole, rest = divmod(value, size)
    if not rest:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}." + f"{rest:0{digits}d}".rstrip("0")


def _duration(data: bytes, depth: int) -> Any:
    fields = _fields_of(data)
    return _go_duration(_field_scalar(fields, 1, "i64", _DURATION))


def _raw_json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: raw bytes are not JSON ({exc})") from exc


def _fields_v1(data: bytes, depth: int) -> Any:
    fields = _fields_of(data)
    if 1 not in fields:
        return None
    wire, raw = fields[1]
    if wire != _LEN or not isinstance(raw, bytes):
        raise ValueError(f"{_FIELDS_V1}: bad raw field")
    return _raw_json(raw, _FIELDS_V1) if raw else None


def _quantity(data: bytes, depth: int) -> Any:
    text = _field_scalar(_fields_of(data), 1, "s", _QUANTITY)
    return text or "0"


def _int_or_string(data: bytes, depth: int) -> Any:
    fields = _fields_of(data)
    if _field_scalar(fields, 1, "i64", _INT_OR_STRING) == 1:
        return _field_scalar(fields, 3, "s", _INT_OR_STRING)
    return _field_scalar(fields, 2, "i32", _INT_OR_STRING)


def _raw_extension(data: bytes, depth: int) -> Any:
    fields = _fields_of(data)
    if 1 not in fields:
        return None
    wire, raw = fields[1]
    if wire != _LEN or not isinstance(raw, bytes):
        raise ValueError(f"{_RAW_EXTENSION}: bad raw field")
    if not raw:
        return None
    if raw.startswith(MAGIC):
        return _decode(raw, depth + 1)
    return _raw_json(raw, _RAW_EXTENSION)


def _apiext_json(data: bytes, depth: int) -> Any:
    fields = _fields_of(data)
    if 1 not in fields:
        return None
    wire, raw = fields[1]
    if wire != _LEN or not isinstance(raw, bytes):
        raise ValueError(f"{_JSON}: bad raw field")
    return _raw_json(raw, _JSON) if raw else None


def _schemas(data: bytes, depth: int, schema_field: int, where: str) -> tuple[Any, list[Any]]:
    """The `schema` (None when absent) and the other field's elements of a JSONSchemaPropsOr*."""
    schema: Any = None
    pieces = bytearray()
    has_schema = False
    others: list[Any] = []
    for number, wire, value in _read(data):
        if number == schema_field:
            if wire != _LEN or not isinstance(value, bytes):
                raise ValueError(f"{where}: bad schema field")
            pieces.extend(value)
            has_schema = True
        else:
            others.append((number, wire, value))
    if has_schema:
        schema = _message(_PROPS, bytes(pieces), depth + 1)
    return schema, others


def _props_or_array(data: bytes, depth: int) -> Any:
    schema, others = _schemas(data, depth, 1, _PROPS_OR_ARRAY)
    items = [
        _element("@" + _PROPS, wire, value, depth, _PROPS_OR_ARRAY)
        for number, wire, value in others
        if number == 2
    ]
    return items if items else schema


def _props_or_bool(data: bytes, depth: int) -> Any:
    schema, others = _schemas(data, depth, 2, _PROPS_OR_BOOL)
    if schema is not None:
        return schema
    allows = False
    for number, wire, value in others:
        if number == 1:
            allows = _scalar("t", wire, value, _PROPS_OR_BOOL)
    return allows


def _props_or_strings(data: bytes, depth: int) -> Any:
    schema, others = _schemas(data, depth, 1, _PROPS_OR_STRINGS)
    strings = [
        _scalar("s", wire, value, _PROPS_OR_STRINGS)
        for number, wire, value in others
        if number == 2
    ]
    if strings:
        return strings
    return schema


_SPECIAL = {
    _TIME: _time,
    _MICRO_TIME: _micro_time,
    _DURATION: _duration,
    _FIELDS_V1: _fields_v1,
    _QUANTITY: _quantity,
    _INT_OR_STRING: _int_or_string,
    _RAW_EXTENSION: _raw_extension,
    _JSON: _apiext_json,
    _PROPS_OR_ARRAY: _props_or_array,
    _PROPS_OR_BOOL: _props_or_bool,
    _PROPS_OR_STRINGS: _props_or_strings,
}


# -- the envelope -------------------------------------------------------------------------


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object of a Kubernetes protobuf body (`k8s\\x00` + runtime.Unknown).

    Raises ValueError when the body is not such an envelope, is malformed, or holds a type
    with no known layout.
    """
    return _decode(bytes(body), 0)


def _decode(body: bytes, depth: int) -> dict[str, Any]:
    if not body.startswith(MAGIC):
        raise ValueError("not a Kubernetes protobuf body (the magic bytes k8s\\x00 are missing)")
    api_version = kind = content_encoding = content_type = ""
    raw = b""
    for number, wire, value in _read(body[len(MAGIC) :]):
        if number == 1:
            if wire != _LEN or not isinstance(value, bytes):
                raise ValueError("runtime.Unknown: bad typeMeta field")
            for n, w, v in _read(value):
                if n == 1:
                    api_version = _scalar("s", w, v, "TypeMeta.apiVersion")
                elif n == 2:
                    kind = _scalar("s", w, v, "TypeMeta.kind")
        elif number == 2:
            if wire != _LEN or not isinstance(value, bytes):
                raise ValueError("runtime.Unknown: bad raw field")
            raw = value
        elif number == 3:
            content_encoding = _scalar("s", wire, value, "runtime.Unknown.contentEncoding")
        elif number == 4:
            content_type = _scalar("s", wire, value, "runtime.Unknown.contentType")
    if content_encoding:
        raise ValueError(f"unsupported protobuf content encoding {content_encoding!r}")
    if content_type and content_type != "application/vnd.kubernetes.protobuf":
        raise ValueError(f"unsupported content type {content_type!r} inside the protobuf envelope")
    if not api_version or not kind:
        raise ValueError("the protobuf envelope does not name the object's apiVersion and kind")
    full = _load().lookup(api_version, kind)
    if full is None:
        raise ValueError(f"no protobuf decoding for apiVersion {api_version!r}, kind {kind!r}")
    obj = _message(full, raw, depth + 1)
    return {"kind": kind, "apiVersion": api_version, **obj}
