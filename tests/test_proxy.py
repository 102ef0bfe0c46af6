"""HTTPS and zero-change redirection: unmodified clients reach LocalOcean through environment
variables alone, while plain HTTP and HTTPS keep working on the same port."""

from __future__ import annotations

import os
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import localocean
from tests.support import disk_images


def test_unmodified_pydo(proxied, clients, image_server) -> None:
    import pydo

    server, exported, _ = proxied
    client = pydo.Client(exported["DIGITALOCEAN_ACCESS_TOKEN"])  # no endpoint, no policy
    url = image_server.add(
        f"/proxied-{time.monotonic_ns()}.qcow2", disk_images.qcow2(disk_images.GIB)
    )
    image = client.images.create_custom({"name": "via-proxy", "url": url, "region": "nyc3"})
    assert image["image"]["status"] == "NEW"
    assert client.images.get(image["image"]["id"])["image"]["status"] == "available"
    cluster = client.kubernetes.create_cluster(
        {
            "name": "via-proxy",
            "region": "nyc1",
            "version": "latest",
            "node_pools": [{"name": "pool", "size": "s-2vcpu-4gb", "count": 1}],
        }
    )
    cluster_id = cluster["kubernetes_cluster"]["id"]
    read = client.kubernetes.get_cluster(cluster_id)["kubernetes_cluster"]
    assert read["status"]["state"] == "running"
    assert [c["id"] for c in client.kubernetes.list_clusters()["kubernetes_clusters"]] == [
        cluster_id
    ]
    # Its keep-alive connection through the tunnel would hold the server's graceful shutdown.
    client.close()
    assert clients.check_journal(server.url) == 5, "all five of pydo's requests, spec-checked"


def test_unmodified_python_digitalocean(proxied, clients, image_server) -> None:
    import digitalocean

    server, exported, _ = proxied
    token = exported["DIGITALOCEAN_ACCESS_TOKEN"]
    manager = digitalocean.Manager(token=token)  # no DIGITALOCEAN_END_POINT
    assert manager.get_account().status == "active"
    url = image_server.add(f"/pdo-proxied-{time.monotonic_ns()}.img", disk_images.raw_mbr())
    created = digitalocean.Image(token=token, name="pdo", url=url, region="nyc3").create()
    assert digitalocean.Image.get_object(token, created.id).status == "available"
    assert [i.id for i in manager.get_my_images()] == [created.id]
    assert clients.check_journal(server.url) == 4  # account, create, get, list


def test_plain_https_and_proxy_on_one_port(proxied) -> None:
    server, exported, data_dir = proxied
    headers = {"Authorization": "Bearer dop_v1_same"}
    https_url = server.url.replace("http://", "https://")
    ca = ssl.create_default_context(cafile=exported["SSL_CERT_FILE"])
    with (
        httpx.Client(base_url=server.url, headers=headers, trust_env=False) as plain,
        httpx.Client(base_url=https_url, headers=headers, verify=ca, trust_env=False) as direct,
        httpx.Client(
            base_url="https://api.digitalocean.com",
            headers=headers,
            verify=ca,
            proxy=server.url,
            trust_env=False,
        ) as tunneled,
    ):
        for _ in range(3):  # keep-alive on each
            uuids = {
                c.get("/v2/account").json()["account"]["uuid"] for c in (plain, direct, tunneled)
            }
            assert len(uuids) == 1, "one server, one account for the token"
        assert plain.get("/v2/regions").url.scheme == "http"
        assert direct.get("/v2/sizes").status_code == 200
        assert tunneled.get("https://cloud.digitalocean.com/v2/regions").status_code == 200
    assert localocean("ca", "--data-dir", str(data_dir)).strip() == exported["NODE_EXTRA_CA_CERTS"]


def test_stops_at_once_while_clients_keep_tls_connections_idle(proxied) -> None:
    """Clients keep connections in their pools and never close them: a stop must not wait for
    them (asyncio waits 30 s for a TLS peer's goodbye), nor need a kill."""
    server, exported, _ = proxied
    headers = {"Authorization": "Bearer dop_v1_idle"}
    ca = ssl.create_default_context(cafile=exported["SSL_CERT_FILE"])
    https_url = server.url.replace("http://", "https://")
    with (
        httpx.Client(base_url=https_url, headers=headers, verify=ca, trust_env=False) as direct,
        httpx.Client(
            base_url="https://api.digitalocean.com",
            headers=headers,
            verify=ca,
            proxy=server.url,
            trust_env=False,
        ) as tunneled,
    ):
        assert direct.get("/v2/regions").status_code == 200
        assert tunneled.get("/v2/regions").status_code == 200
        assert server.stop(timeout=10) == 0, "a clean exit, not a kill after 10 s"


def _raw(server_url: str, request: bytes) -> bytes:
    host, port = server_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        b"CONNECT api.digitalocean.com:8443 HTTP/1.1\r\nHost: api.digitalocean.com:8443\r\n\r\n",
        b"CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n",
        b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    ],
)
def test_never_an_open_proxy(start_server, request_bytes: bytes) -> None:
    server = start_server()
    answer = _raw(server.url, request_bytes)
    assert answer.startswith(b"HTTP/1.1 403 Forbidden")
    assert b'"id":"forbidden"' in answer
    deadline = time.monotonic() + 5
    while "refused proxy request" not in server.logs():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_tls_flag(start_server, tmp_path: Path) -> None:
    data_dir = tmp_path / "tls"
    server = start_server("--tls", "--data-dir", str(data_dir))
    assert server.url.startswith("https://")
    ca = data_dir / "ca" / "localocean-ca.pem"
    with httpx.Client(verify=ssl.create_default_context(cafile=ca), trust_env=False) as client:
        answer = client.get(f"{server.url}/v2/account", headers={"Authorization": "Bearer t"})
        assert answer.status_code == 200
        for name in ("localhost", "127.0.0.1"):
            port = server.url.rsplit(":", 1)[1]
            assert client.get(f"https://{name}:{port}/_localocean/health").status_code == 200
    first = ca.read_bytes()
    assert localocean("ca", "--data-dir", str(data_dir)).strip() == str(ca)
    assert ca.read_bytes() == first, "created once, then kept"
    assert oct(os.stat(data_dir / "ca" / "localocean-ca-key.pem").st_mode & 0o777) == "0o600"
