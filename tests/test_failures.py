"""Unexpected failures answer 500 in DigitalOcean's envelope, and the server recovers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.conftest import new_token


def test_lost_database_connection_is_a_500_then_recovers(backend, start_server, clients) -> None:
    if backend.name != "postgresql":
        pytest.skip("only a database server can drop the connection under a running LocalOcean")
    args = backend.args()
    database = args[1].rsplit("/", 1)[1]
    server = start_server(database=args)
    token = new_token()
    auth = {"Authorization": f"Bearer {token}"}
    with clients.http(server.url, token) as http:
        # Several GETs at once park several reader connections, all lost with the server.
        with ThreadPoolExecutor(8) as pool:
            warm = list(
                pool.map(lambda _: httpx.get(f"{server.url}/v2/vpcs", headers=auth), range(32))
            )
        assert {r.status_code for r in warm} == {200}
        with psycopg.connect(
            f"host=127.0.0.1 port={backend.cluster.port} user=postgres dbname=postgres",
            autocommit=True,
        ) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )
        failed = http.get("/v2/vpcs")
        assert failed.status_code == 500
        body = failed.json()
        assert body == {
            "id": "server_error",
            "message": "Unexpected server-side error",
            "request_id": failed.headers["x-request-id"],
        }
        # The answer leaves before the traceback is logged: give the log a moment.
        deadline = time.monotonic() + 5
        while body["request_id"] not in server.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Traceback" in server.logs() and body["request_id"] in server.logs()
        after = [http.get("/v2/vpcs").status_code for _ in range(8)]
        assert after == [200] * 8, "the next requests reconnect: no parked reader is reused"
