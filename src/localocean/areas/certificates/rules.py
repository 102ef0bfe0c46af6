"""Certificates: custom ones uploaded as PEM (checked with `cryptography` as DigitalOcean checks
them) and Let's Encrypt ones for the account's own domains, `pending` until issued on the
clock (`certificate.issue`).

Other areas find a certificate with `find` (load balancers' HTTPS rules); what keeps one from
being deleted is `in_use`.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.certificates import store
from localocean.areas.domains import rules as domains
from localocean.core.clock import rfc3339
from localocean.core.db import Duplicate
from localocean.core.errors import Forbidden, NotFound, Unprocessable
from localocean.core.lifecycle import Lifecycle
from localocean.core.validation import Body

ISSUE = "certificate.issue"
TYPES = ("custom", "lets_encrypt")
NAME_MAX = 255
PEM_MAX = 65_536
# Let's Encrypt certificates hold at most 100 names and are valid for 90 days.
MAX_DNS_NAMES = 100
LETS_ENCRYPT_DAYS = 90
# What a Let's Encrypt certificate shows for its expiry before it is issued (Go's zero time).
NOT_YET = "0001-01-01T00:00:00Z"
IN_USE = (
    "The certificate is being used by one or more load balancers. "
    "Make sure the certificate is not in use before deleting it."
)


def find(connection: Connection, account_id: str, certificate_id: str) -> Row[Any] | None:
    """The account's certificate with this id, or None."""
    return store.get(connection, account_id, certificate_id)


def get(connection: Connection, account_id: str, certificate_id: str) -> Row[Any]:
    certificate = find(connection, account_id, certificate_id)
    if certificate is None:
        raise NotFound()
    return certificate


def in_use(connection: Connection, certificate: Row[Any]) -> bool:
    """Is the certificate used by something that keeps it from being deleted: a load balancer's
    forwarding rule (or a GLOBAL one's domain) names it."""
    # The load_balancers area uses this one (it checks the certificates rules name): imported
    # when asked, not at import time.
    from localocean.areas.load_balancers import store as load_balancers

    return load_balancers.uses_certificate(connection, certificate.account_id, certificate.id)


def _name(body: Body) -> str:
    name = body.str("name", required=True, max_length=NAME_MAX) or ""
    if not name.strip():
        raise Unprocessable("name is required")
    return name


def _custom(body: Body, now: float) -> dict[str, Any]:
    """The leaf certificate's facts, once the key, the leaf and the chain check out."""
    key_text = body.str("private_key", required=True, max_length=PEM_MAX) or ""
    leaf_text = body.str("leaf_certificate", required=True, max_length=PEM_MAX) or ""
    chain_text = body.str("certificate_chain", max_length=PEM_MAX) or ""
    # Imported here: the server starts without loading `cryptography`.
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        leaf = x509.load_pem_x509_certificate(leaf_text.encode())
    except ValueError as exc:
        raise Unprocessable("leaf_certificate is not a valid PEM-encoded certificate") from exc
    try:
        key = serialization.load_pem_private_key(key_text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise Unprocessable("private_key is not a valid, unencrypted PEM-encoded key") from exc
    if chain_text.strip():
        try:
            x509.load_pem_x509_certificates(chain_text.encode())
        except ValueError as exc:
            raise Unprocessable(
                "certificate_chain is not a valid chain of PEM-encoded certificates"
            ) from exc
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        matches = key.public_key().public_bytes(*spki) == leaf.public_key().public_bytes(*spki)
    except (ValueError, UnsupportedAlgorithm):
        matches = False
    if not matches:
        raise Unprocessable("private_key does not match the leaf_certificate's public key")
    not_after = leaf.not_valid_after_utc.timestamp()
    if not_after <= now:
        raise Unprocessable("leaf_certificate has expired")
    try:
        names = leaf.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    except (ValueError, x509.DuplicateExtension) as exc:  # a malformed or repeated extension
        raise Unprocessable("leaf_certificate has malformed extensions") from exc
    except x509.ExtensionNotFound:
        names = [
            str(attribute.value)
            for attribute in leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        ]
    return {
        "state": "verified",
        "dns_names": list(names),
        "not_after": not_after,
        "sha1_fingerprint": leaf.fingerprint(hashes.SHA1()).hex(),
    }


def _lets_encrypt(connection: Connection, account_id: str, body: Body) -> dict[str, Any]:
    given = body.str_list("dns_names", required=True) or []
    if not given:
        raise Unprocessable("dns_names must name at least one domain")
    if len(given) > MAX_DNS_NAMES:
        raise Unprocessable(f"dns_names may hold at most {MAX_DNS_NAMES} names")
    names: list[str] = []
    for text in given:
        name = text.strip().lower().removesuffix(".")
        if domains.zone_of(connection, account_id, name) is None:
            raise Unprocessable(
                f"dns_names: {text!r} is not a domain, or a name under a domain, managed by "
                "DigitalOcean DNS on this account"
            )
        if name not in names:
            names.append(name)
    return {"state": "pending", "dns_names": names, "not_after": None, "sha1_fingerprint": ""}


def create(
    connection: Connection, lifecycle: Lifecycle, account_id: str, payload: Any, now: float
) -> Row[Any]:
    body = Body(payload)
    name = _name(body)
    kind = body.str("type") or "custom"
    if kind not in TYPES:
        raise Unprocessable(f"type must be one of {', '.join(TYPES)}")
    facts = _custom(body, now) if kind == "custom" else _lets_encrypt(connection, account_id, body)
    certificate_id = str(uuid.uuid4())
    try:
        store.add(
            connection,
            id=certificate_id,
            account_id=account_id,
            name=name,
            type=kind,
            created_at=now,
            **facts,
        )
    except Duplicate as exc:
        raise Unprocessable(f"a certificate named {name!r} already exists") from exc
    if kind == "lets_encrypt":
        lifecycle.schedule(
            connection, ISSUE, "certificate", certificate_id, "verified", account_id=account_id
        )
    return get(connection, account_id, certificate_id)


def issue(
    connection: Connection, transition: Row[Any], _payload: dict[str, Any], _lifecycle: Lifecycle
) -> None:
    """Let's Encrypt has issued the certificate (the `certificate.issue` transition)."""
    certificate = store.get_any(connection, transition.resource_id)
    if certificate is not None and certificate.state == "pending":
        issue_now(connection, certificate, transition.due_at)


def issue_now(connection: Connection, certificate: Row[Any], issued: float) -> None:
    """A pending Let's Encrypt certificate issued at `issued`: valid for 90 days."""
    fingerprint = hashlib.sha1(f"{certificate.id}:{issued}".encode(), usedforsecurity=False)
    store.change(
        connection,
        certificate.id,
        state="verified",
        not_after=issued + LETS_ENCRYPT_DAYS * 86_400,
        sha1_fingerprint=fingerprint.hexdigest(),
    )


def delete(
    connection: Connection, lifecycle: Lifecycle, account_id: str, certificate_id: str
) -> None:
    certificate = get(connection, account_id, certificate_id)
    if in_use(connection, certificate):
        raise Forbidden(IN_USE)
    lifecycle.cancel(connection, "certificate", [certificate.id])
    store.delete(connection, certificate)


def render(certificate: Row[Any]) -> dict[str, Any]:
    not_after = certificate.not_after
    return {
        "id": certificate.id,
        "name": certificate.name,
        "not_after": NOT_YET if not_after is None else rfc3339(not_after),
        "sha1_fingerprint": certificate.sha1_fingerprint,
        "created_at": rfc3339(certificate.created_at),
        "dns_names": list(certificate.dns_names),
        "state": certificate.state,
        "type": certificate.type,
    }
