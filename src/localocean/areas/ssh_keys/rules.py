"""SSH keys: OpenSSH public keys checked as DigitalOcean checks them, found by id or by MD5
fingerprint. Other areas (droplets) find the keys a request names through `resolve`."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.ssh_keys import store
from localocean.core.db import Duplicate
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.validation import Body, integer_id

# The types DigitalOcean names when it refuses a key. DSA keys (`ssh-dss`) are left out: OpenSSH
# has dropped them and `cryptography` deprecates loading them, so accepting them now would mean
# refusing them again after some upgrade.
KEY_TYPES = (
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-ed25519",
)
NAME_MAX = 255
# A public key is one line; an RSA key of 16384 bits is about 2,800 characters, so this leaves
# room for long comments without storing arbitrary text.
PUBLIC_KEY_MAX = 16_384
MAX_KEY_ID = 2**63 - 1

_MALFORMED = "Key invalid, key should be of the format `type key [comment]`"
_WRONG_TYPE = "Key invalid type, we support " + ", ".join(f"'{t}'" for t in KEY_TYPES[:-1])
_WRONG_TYPE += f", or '{KEY_TYPES[-1]}'"
_IN_USE = "SSH Key is already in use on your account"


def fingerprint(blob: bytes) -> str:
    """The MD5 fingerprint of a key blob, as `ssh-keygen -l -E md5` prints it (without `MD5:`)."""
    return ":".join(f"{byte:02x}" for byte in hashlib.md5(blob, usedforsecurity=False).digest())


def parse_public_key(text: str) -> tuple[str, str]:
    """The key as it is stored (surrounding whitespace removed) and its fingerprint; raises
    Unprocessable for anything that is not one OpenSSH public key of a supported type."""
    line = text.strip()
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise Unprocessable(_MALFORMED)
    key_type, encoded = parts[0], parts[1]
    # The type is looked at first, as DigitalOcean does: a PuTTY (SSH2) or PEM text is refused
    # as a key of an unsupported type.
    if key_type not in KEY_TYPES:
        raise Unprocessable(_WRONG_TYPE)
    if "\n" in line or "\r" in line:
        raise Unprocessable(_MALFORMED)  # more than one key, or a key broken over lines
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(_MALFORMED) from exc
    # `cryptography` checks the blob: that its embedded type is the declared one, that the key
    # material is a valid key of that type (a point on the curve, an RSA modulus), and that
    # nothing follows it. Imported here: the server starts without `cryptography` (8 MiB).
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    try:
        load_ssh_public_key(f"{key_type} {encoded}".encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise Unprocessable(_MALFORMED) from exc
    return line, fingerprint(blob)


def _name(body: Body, *, required: bool) -> str | None:
    name = body.str("name", required=required, max_length=NAME_MAX)
    if name is not None and not name.strip():
        raise Unprocessable("name is required")
    return name


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    body = Body(payload)
    name = _name(body, required=True) or ""
    text = body.str("public_key", required=True, max_length=PUBLIC_KEY_MAX) or ""
    public_key, key_fingerprint = parse_public_key(text)
    try:
        key_id = store.add(
            connection,
            account_id=account_id,
            name=name,
            public_key=public_key,
            fingerprint=key_fingerprint,
            created_at=now,
        )
    except Duplicate as exc:
        raise Unprocessable(_IN_USE) from exc
    return get(connection, account_id, key_id)


def resolve(connection: Connection, account_id: str, reference: int | str) -> Row[Any] | None:
    """The account's key named by `reference`: its integer id (an int or a string of digits) or
    its fingerprint. None if the account has no such key."""
    if isinstance(reference, bool):
        return None
    if isinstance(reference, int):
        if not 0 < reference <= MAX_KEY_ID:
            return None
        return store.by_id(connection, account_id, reference)
    text = reference.strip()
    number = integer_id(text)
    if number is not None:
        return store.by_id(connection, account_id, number)
    # Fingerprints are stored in lower case; clients may print them in upper case.
    return store.by_fingerprint(connection, account_id, text.lower())


def get(connection: Connection, account_id: str, reference: int | str) -> Row[Any]:
    key = resolve(connection, account_id, reference)
    if key is None:
        raise NotFound()
    return key


def update(connection: Connection, account_id: str, reference: int | str, payload: Any) -> Row[Any]:
    """Only the name changes; a body without one leaves the key as it is."""
    key = get(connection, account_id, reference)
    name = _name(Body(payload), required=False)
    if name is None or name == key.name:
        return key
    store.rename(connection, key.id, name)
    return get(connection, account_id, key.id)


def delete(connection: Connection, account_id: str, reference: int | str) -> None:
    store.delete(connection, get(connection, account_id, reference))


def render(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "fingerprint": row.fingerprint,
        "public_key": row.public_key,
        "name": row.name,
    }


def render_rows(_connection: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    return [render(row) for row in rows]
