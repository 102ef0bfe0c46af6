"""Reading request bodies field by field, with DigitalOcean-style 422 errors naming the field.

`null` means "not given", as real clients (Ansible, Terraform) send it; unknown fields are ignored.
"""

from __future__ import annotations

import builtins
import re
from typing import Any

from localocean.core.errors import Unprocessable

_MISSING = object()
MAX_ID_DIGITS = 18  # integer ids are 64-bit


def integer_id(text: str) -> int | None:
    """A numeric path id (image, action), or None if it cannot be one."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None  # (isdigit alone takes "²" and other scripts' digits)
    return int(text)


def numeric_id(value: Any) -> int | None:
    """A 64-bit resource id (a droplet's) given in a body as a JSON integer or, as some clients
    send it, a string of digits; None if `value` is not one."""
    if isinstance(value, str):
        value = integer_id(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value


class Body:
    # The readers are named after the JSON types they return (`body.str(...)`), so inside the
    # class those names are the methods: annotations spell the types `builtins.str` etc.

    def __init__(self, payload: Any):
        if payload is None:
            payload = {}
        if not isinstance(payload, dict):
            raise Unprocessable("request body must be a JSON object")
        self.data: dict[builtins.str, Any] = {k: v for k, v in payload.items() if v is not None}

    def has(self, name: builtins.str) -> builtins.bool:
        return name in self.data

    def str(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = False,
        max_length: builtins.int | None = None,
        pattern: re.Pattern[builtins.str] | None = None,
        pattern_hint: builtins.str = "contains invalid characters",
        allow_empty: builtins.bool = False,
    ) -> builtins.str | None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or (value == "" and not allow_empty and required):
            if required:
                raise Unprocessable(f"{name} is required")
            return None
        if not isinstance(value, str):
            raise Unprocessable(f"{name} must be a string")
        if max_length is not None and len(value) > max_length:
            raise Unprocessable(f"{name} must be at most {max_length} characters")
        if pattern is not None and value and not pattern.fullmatch(value):
            raise Unprocessable(f"{name} {pattern_hint}")
        return value

    def bool(self, name: builtins.str) -> builtins.bool | None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            return None
        if not isinstance(value, bool):
            raise Unprocessable(f"{name} must be a boolean")
        return value

    def int(
        self,
        name: builtins.str,
        *,
        required: builtins.bool = False,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int | None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise Unprocessable(f"{name} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise Unprocessable(f"{name} must be an integer")
        if minimum is not None and value < minimum:
            raise Unprocessable(f"{name} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise Unprocessable(f"{name} must be at most {maximum}")
        return value

    def list(
        self, name: builtins.str, *, required: builtins.bool = False
    ) -> builtins.list[Any] | None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if required:
                raise Unprocessable(f"{name} is required")
            return None
        if not isinstance(value, list):
            raise Unprocessable(f"{name} must be an array")
        return value

    def str_list(
        self, name: builtins.str, *, required: builtins.bool = False
    ) -> builtins.list[builtins.str] | None:
        values = self.list(name, required=required)
        if values is not None and not all(isinstance(v, str) for v in values):
            raise Unprocessable(f"{name} must be an array of strings")
        return values
