"""Access to a cluster: kubeconfig (token or SSO), credentials with an expiry, the cluster user."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from sqlalchemy import Connection, Row

from localocean.areas.kubernetes import clusters, store
from localocean.core import accounts
from localocean.core.clock import rfc3339
from localocean.core.documents import dump_yaml
from localocean.core.errors import Unprocessable

DEFAULT_TOKEN_LIFETIME = 7 * 24 * 3600
# The name the cluster's API certificate is made for; kubeconfigs carry it as `tls-server-name`,
# so clients ask for it (SNI) whatever address they connect to, and need no DNS.
SERVER_NAME_SUFFIX = ".k8s.ondigitalocean.com"


def server_name(cluster_id: str) -> str:
    return f"{cluster_id}{SERVER_NAME_SUFFIX}"


def ca(connection: Connection, cluster: Row[Any]) -> tuple[str, str]:
    """The cluster's CA (certificate, private key), both PEM: made the first time anyone asks
    for access and kept; a cluster nobody connects to costs no key generation."""
    if cluster.ca_key:
        return str(cluster.ca_certificate), str(cluster.ca_key)
    certificate, key = _new_ca(cluster.id)
    # Written without a savepoint: this runs in GETs, which may read in autocommit mode. Two
    # first GETs at once: the first write wins and both answer with its certificate.
    store.set_ca(connection, cluster.id, certificate, key)
    current = store.get_any(connection, cluster.id)
    if current is not None and current.ca_key:
        return str(current.ca_certificate), str(current.ca_key)
    return certificate, key


def _new_ca(cluster_id: str) -> tuple[str, str]:
    """A real CA for the cluster (EC P-256), valid ten years. Clients check its dates against
    their own clock, so it starts at the real time, not LocalOcean's (which tests move)."""
    import datetime

    from cryptography.hazmat.primitives import serialization

    from localocean.core.clock import wall_time
    from localocean.tls import self_signed_ca

    start = datetime.datetime.fromtimestamp(wall_time(), datetime.UTC)
    key, certificate = self_signed_ca("DigitalOcean", f"k8saas Cluster CA {cluster_id[:8]}", start)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(
    connection: Connection, cluster_id: str, expiry_seconds: int, now: float
) -> tuple[str, float]:
    """A new bearer token for the cluster's Kubernetes API, kept (hashed) until it expires."""
    lifetime = expiry_seconds or DEFAULT_TOKEN_LIFETIME
    token = f"doks_{secrets.token_hex(32)}"
    store.add_token(connection, cluster_id, token_hash(token), now + lifetime)
    return token, now + lifetime


def _expiry(query: Any) -> int:
    text = query.get("expiry_seconds", "0") or "0"
    if not text.isdigit():
        raise Unprocessable("expiry_seconds must be an integer of 0 or more")
    return int(text)


def credentials(
    connection: Connection, account_id: str, cluster_id: str, query: Any, now: float, server: str
) -> dict[str, Any]:
    """`server`: the URL of the cluster's Kubernetes API, as this client reaches it."""
    cluster = clusters.get(connection, account_id, cluster_id)
    token, expires = _token(connection, cluster.id, _expiry(query), now)
    return {
        "server": server,
        "certificate_authority_data": base64.b64encode(
            ca(connection, cluster)[0].encode()
        ).decode(),
        "client_certificate_data": None,
        "client_key_data": None,
        "token": token,
        "expires_at": rfc3339(expires),
    }


def kubeconfig(
    connection: Connection, account_id: str, cluster_id: str, query: Any, now: float, server: str
) -> str:
    cluster = clusters.get(connection, account_id, cluster_id)
    sso_enabled = bool(cluster.settings.get("sso", {}).get("enabled"))
    kind = query.get("type") or ("sso" if sso_enabled else "token")
    if kind not in ("token", "sso"):
        raise Unprocessable("type must be token or sso")
    if kind == "sso" and not sso_enabled:
        raise Unprocessable("SSO is not enabled for this cluster")
    access = credentials(connection, account_id, cluster_id, query, now, server)
    name = f"do-{cluster.region}-{cluster.name}"
    user_name = f"{name}-admin"
    if kind == "sso":
        user: dict[str, Any] = {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "doctl",
                "args": [
                    "kubernetes",
                    "cluster",
                    "kubeconfig",
                    "exec-credential",
                    "--version=v1beta1",
                    "--sso",
                    cluster.id,
                ],
                "interactiveMode": "IfAvailable",
            }
        }
    else:
        user = {"token": access["token"]}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "cluster": {
                    "certificate-authority-data": access["certificate_authority_data"],
                    "server": access["server"],
                    "tls-server-name": server_name(cluster.id),
                },
                "name": name,
            }
        ],
        "contexts": [{"context": {"cluster": name, "user": user_name}, "name": name}],
        "current-context": name,
        "preferences": {},
        "users": [{"name": user_name, "user": user}],
    }
    return dump_yaml(config)


def user(connection: Connection, account_id: str, cluster_id: str) -> dict[str, Any]:
    clusters.get(connection, account_id, cluster_id)
    account = accounts.get(connection, account_id)
    email = account.email if account is not None else ""
    return {"kubernetes_cluster_user": {"username": email, "groups": ["k8saas:authenticated"]}}
