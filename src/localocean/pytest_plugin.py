"""pytest plugin: a LocalOcean server for your tests, one fixture away.

    def test_my_code(localocean_pydo):
        localocean_pydo.vpcs.create({"name": "net", "region": "nyc1"})

`localocean` is a handle on a server started once per test session (in memory, `instant`
timing, no rate limits) with a token of its own for each test: tests never see each other's
resources, and the handle's faults are cleared and its account emptied after each test.
Registered through the `pytest11` entry point; imports nothing heavy until a fixture is used.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import IO, Any

import pytest

URL_LINE = re.compile(r"DigitalOcean API at (https?://\S+)")
BANNER_END = "Ctrl-C stops"
BANNER_TIMEOUT = 60.0


class LocalOceanServer:
    def __init__(self, *args: str, timeout: float = BANNER_TIMEOUT):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localocean",
                "serve",
                "--port",
                "0",
                "--in-memory",
                "--timing",
                "instant",
                "--rate-limit",
                "off",
                "--log-level",
                "warning",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "LOCALOCEAN_CONTROL_TOKEN": ""},
        )
        self.url = ""
        assert self.process.stdout is not None
        # Reading the banner straight from the pipe would block forever on a server that
        # prints nothing: a thread reads it, and goes on draining the pipe so it never fills.
        lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._reader = threading.Thread(
            target=_read_banner, args=(self.process.stdout, lines), daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"LocalOcean did not start within {timeout:g}s") from None
            if line is None:
                break
            match = URL_LINE.search(line)
            if match:
                self.url = match.group(1)
            if BANNER_END in line:
                break
        if not self.url:
            self.stop()
            raise RuntimeError("LocalOcean did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # Closing the pipe while the reader is still in a read would wait for that read.
        self._reader.join(5)
        if self.process.stdout and not self._reader.is_alive():
            self.process.stdout.close()


def _read_banner(stream: IO[str], lines: queue.SimpleQueue[str | None]) -> None:
    """Queue the lines up to the banner's end, then read on without keeping anything."""
    in_banner = True
    try:
        for line in stream:
            if in_banner:
                lines.put(line)
                in_banner = BANNER_END not in line
    finally:
        lines.put(None)


class Faults:
    def __init__(self, ocean: LocalOcean):
        self._ocean = ocean

    def add(self, **rule: Any) -> dict[str, Any]:
        """Add a fault rule (see the README): e.g. add(path="/v2/account", status=503, times=2).
        Rules without a `token` apply to this test's token only."""
        rule.setdefault("token", self._ocean.token)
        return self._ocean.control("POST", "/faults", json=rule)["fault"]

    def list(self) -> list[dict[str, Any]]:
        return self._ocean.control("GET", "/faults")["faults"]

    def clear(self) -> None:
        self._ocean.control("DELETE", "/faults")


class LocalOcean:
    """A test's view of the shared server: its URL, its own token, and the controls."""

    def __init__(self, server: LocalOceanServer):
        import httpx

        self.url = server.url
        self.token = f"dop_v1_{uuid.uuid4().hex}"
        self._http = httpx.Client(base_url=f"{self.url}/_localocean", timeout=60)
        self.faults = Faults(self)
        # One request at setup creates the account; the journal shows what came after it.
        with self.client() as http:
            response = http.get("/v2/account")
        self.account_id: str = response.json()["account"]["uuid"]
        self._setup_request = response.headers["x-request-id"]

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def client(self) -> Any:
        """An httpx client for the API, authenticated with this test's token."""
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def reset(self) -> None:
        """Empty this test's account (other tests' accounts are untouched)."""
        self.control("POST", "/reset", json={"account": self.account_id})

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.control("POST", "/clock/advance", json={"seconds": seconds})

    def settle(self) -> dict[str, Any]:
        return self.control("POST", "/clock/settle")

    @property
    def requests(self) -> list[dict[str, Any]]:
        """This test's requests from the server's journal, oldest first."""
        entries = self.control("GET", "/requests")["requests"]
        mine = [entry for entry in entries if entry["account"] == self.account_id]
        ids = [entry["request_id"] for entry in mine]
        if self._setup_request in ids:
            mine = mine[ids.index(self._setup_request) + 1 :]
        return mine

    def close(self) -> None:
        self._http.close()


@pytest.fixture(scope="session")
def localocean_server() -> Iterator[LocalOceanServer]:
    server = LocalOceanServer()
    yield server
    server.stop()


@pytest.fixture
def localocean(localocean_server: LocalOceanServer) -> Iterator[LocalOcean]:
    ocean = LocalOcean(localocean_server)
    yield ocean
    for rule in ocean.faults.list():
        if rule["token"] == ocean.token:
            ocean.control("DELETE", f"/faults/{rule['id']}")
    ocean.reset()
    ocean.close()


@pytest.fixture
def localocean_pydo(localocean: LocalOcean) -> Any:
    """A pydo.Client on the test's LocalOcean, over plain http (pydo needs its token set by a
    policy there: azure-core refuses bearer tokens over http otherwise)."""
    pydo = pytest.importorskip("pydo")
    from azure.core.pipeline.policies import HeadersPolicy

    return pydo.Client(
        localocean.token,
        endpoint=localocean.url,
        authentication_policy=HeadersPolicy({"Authorization": f"Bearer {localocean.token}"}),
    )
