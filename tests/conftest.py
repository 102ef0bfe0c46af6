"""Fixtures: real LocalOcean servers on SQLite and PostgreSQL, and clients that check every
response against DigitalOcean's spec and LocalOcean's conventions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pydo
import pytest
from azure.core.pipeline.policies import HeadersPolicy

from tests.support import postgres
from tests.support.image_server import ImageServer
from tests.support.server import ServerProcess
from tests.support.spec import Outcome, Spec, spec_path

IN_CI = os.environ.get("CI") == "true"
pytest_plugins = ["pytester"]
# The session's spec, for the summary at the end; absent when no test needed the spec.
SPEC = pytest.StashKey[Spec]()


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def spec(pytestconfig: pytest.Config) -> Spec:
    path = spec_path()
    if not path.exists():
        _unavailable(f"DigitalOcean spec not found at {path}; set LOCALOCEAN_DO_SPEC")
    loaded = Spec(path)
    pytestconfig.stash[SPEC] = loaded
    return loaded


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    loaded = config.stash.get(SPEC, None)
    if loaded is not None:
        terminalreporter.write_line(
            f"{loaded.tally.summary()} (spec loaded in {loaded.load_seconds:.2f}s)"
        )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.PostgresCluster]:
    reason = postgres.available()
    if reason:
        _unavailable(reason)
    cluster = postgres.PostgresCluster().start()
    yield cluster
    cluster.stop()


class Backend:
    def __init__(self, name: str, cluster: postgres.PostgresCluster | None):
        self.name = name
        self.cluster = cluster

    def args(self, data_dir: Path | None = None) -> list[str]:
        """Arguments for a fresh database; with `data_dir`, SQLite keeps a file there."""
        if self.cluster is not None:
            return ["--database-url", self.cluster.new_database()]
        if data_dir is not None:
            return ["--data-dir", str(data_dir)]
        return ["--in-memory"]

    def durable(self, data_dir: Path) -> tuple[list[str], str]:
        """Arguments and SQLAlchemy URL of a fresh database that outlives the server process."""
        if self.cluster is not None:
            url = self.cluster.new_database()
            return ["--database-url", url], url
        return ["--data-dir", str(data_dir)], f"sqlite:///{data_dir / 'localocean.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "postgresql":
        return Backend("postgresql", request.getfixturevalue("pg_cluster"))
    return Backend("sqlite", None)


@pytest.fixture(scope="session")
def server(backend: Backend, spec: Spec) -> Iterator[ServerProcess]:
    """One shared server per backend; tests stay apart by each using its own token (account)."""
    process = ServerProcess([*backend.args(), "--timing", "instant"]).start()
    yield process
    process.close()


@pytest.fixture
def start_server(backend: Backend, spec: Spec) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(*args: str, database: list[str] | None = None, env: dict[str, str] | None = None):
        process = ServerProcess([*(database or backend.args()), *args], env=env)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.close()


def new_token() -> str:
    return f"dop_v1_{uuid.uuid4().hex}"


@pytest.fixture
def token() -> str:
    return new_token()


def check_conventions(path: str, status: int, headers: Any) -> None:
    """What every answer of the DigitalOcean API carries, errors included."""
    if path.startswith(("/v2", "/v1/")):
        assert headers.get("x-request-id"), f"{path} -> {status}: no x-request-id"
        for name in ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"):
            assert headers.get(name, "").isdigit(), f"{path} -> {status}: bad {name}"


# The journal keeps bodies, not headers; the conventions are checked on every other client.
CONVENTION_HEADERS = {
    "x-request-id": "journal",
    "ratelimit-limit": "0",
    "ratelimit-remaining": "0",
    "ratelimit-reset": "0",
}


class Clients:
    """Builds clients for a server; every response they get is checked against the spec, and
    so is every request body they send that the server accepted."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.checked = 0

    def _check(
        self,
        method: str,
        path: str,
        status: int,
        headers: Any,
        body: bytes,
        request_body: bytes | None = None,
        request_type: str = "",
    ) -> None:
        check_conventions(path, status, headers)
        outcome = self.spec.check(
            method,
            path,
            status,
            headers.get("content-type", ""),
            body,
            request_body=request_body,
            request_type=request_type,
        )
        if outcome is Outcome.VALIDATED:
            self.checked += 1

    def check_journal(self, url: str) -> int:
        """Check, against the spec, every exchange the server journaled: for clients that are
        used exactly as shipped, with nothing of ours hooked into them."""
        entries = httpx.get(f"{url}/_localocean/requests").json()["requests"]
        for entry in entries:
            body = entry["response_body"]
            if isinstance(body, str):
                continue  # not JSON (a kubeconfig): the spec gives it no schema
            raw = b"" if body is None else json.dumps(body).encode()
            content_type = "application/json" if body is not None else ""
            # The journal keeps JSON request bodies parsed; others are text of an unrecorded
            # type, cut when large, so they cannot be held to a schema.
            sent = entry["request_body"]
            if sent is None or isinstance(sent, str):
                request_raw = None
            else:
                request_raw = json.dumps(sent).encode()
            self._check(
                entry["method"],
                entry["path"],
                entry["status"],
                {"content-type": content_type, **CONVENTION_HEADERS},
                raw,
                request_raw,
                "application/json",
            )
        return len(entries)

    def http(self, url: str, token: str | None) -> httpx.Client:
        def validate(response: httpx.Response) -> None:
            response.read()
            request = response.request
            try:
                sent: bytes | None = request.content
            except httpx.RequestNotRead:
                sent = None  # streamed: httpx keeps no copy, so there is nothing to check
            self._check(
                request.method,
                request.url.path,
                response.status_code,
                response.headers,
                response.content,
                sent,
                request.headers.get("content-type", ""),
            )

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(
            base_url=url, headers=headers, timeout=30, event_hooks={"response": [validate]}
        )

    def pydo(self, url: str, token: str) -> pydo.Client:
        def validate(pipeline_response: Any) -> None:
            request = pipeline_response.http_request
            response = pipeline_response.http_response
            sent = request.content  # str for pydo's JSON bodies
            if isinstance(sent, str):
                sent = sent.encode()
            self._check(
                request.method,
                httpx.URL(request.url).path,
                response.status_code,
                response.headers,
                response.body(),
                sent if isinstance(sent, bytes) else None,
                request.headers.get("content-type", ""),
            )

        return pydo.Client(
            token,
            endpoint=url,
            authentication_policy=HeadersPolicy({"Authorization": f"Bearer {token}"}),
            raw_response_hook=validate,
            retry_total=0,
        )


@pytest.fixture
def clients(spec: Spec) -> Clients:
    return Clients(spec)


@pytest.fixture
def http(server: ServerProcess, token: str, clients: Clients) -> Iterator[httpx.Client]:
    with clients.http(server.url, token) as client:
        yield client


@pytest.fixture
def anonymous(server: ServerProcess, clients: Clients) -> Iterator[httpx.Client]:
    with clients.http(server.url, None) as client:
        yield client


@pytest.fixture
def do(server: ServerProcess, token: str, clients: Clients) -> pydo.Client:
    return clients.pydo(server.url, token)


@pytest.fixture(scope="session")
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.close()


# Clients that cannot be pointed at another host reach LocalOcean through its HTTPS proxy.
PROXY_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "DIGITALOCEAN_API_URL",
    "DIGITALOCEAN_ACCESS_TOKEN",
)


def localocean(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "localocean", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


@pytest.fixture
def proxied(start_server, tmp_path: Path, monkeypatch):
    """A server, and this process's environment set from `localocean env` only."""
    data_dir = tmp_path / "data"
    server = start_server("--timing", "instant", "--data-dir", str(data_dir))
    lines = localocean("env", "--url", server.url, "--data-dir", str(data_dir)).splitlines()
    exported = {}
    for line in lines:
        assert line.startswith("export ")
        name, _, value = line.removeprefix("export ").partition("=")
        exported[name] = value.strip("'")
    assert set(exported) == set(PROXY_VARS)
    for name in ("NO_PROXY", "no_proxy", "DIGITALOCEAN_END_POINT", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in exported.items():
        monkeypatch.setenv(name, value)
    return server, exported, data_dir
