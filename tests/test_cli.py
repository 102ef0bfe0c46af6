"""The `localocean` command: banner, options as environment variables, defaults, bad options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess


def test_banner_tells_how_to_point_clients(tmp_path: Path) -> None:
    server = ServerProcess(["--in-memory", "--timing", "manual"]).start()
    try:
        banner = server.output
        assert f"DigitalOcean API at {server.url}" in banner
        assert "SQLite in memory" in banner
        assert "timing     manual" in banner and "auth: open" in banner
        assert "rate limit: 5000/h, 250/min" in banner
        assert f"export DIGITALOCEAN_API_URL={server.url}" in banner
        assert f'pydo.Client(token, endpoint="{server.url}"' in banner
        assert httpx.get(f"{server.url}/_localocean/health").json()["status"] == "ok"
    finally:
        server.close()


def test_options_come_from_environment_and_data_dir_from_xdg(tmp_path: Path) -> None:
    env = {
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "LOCALOCEAN_TIMING": "realistic",
        "LOCALOCEAN_RATE_LIMIT": "100/min",
        "LOCALOCEAN_AUTH": "open",
    }
    server = ServerProcess([], env=env).start()
    try:
        database = tmp_path / "xdg" / "localocean" / "localocean.db"
        assert f"SQLite {database}" in server.output
        assert "timing     realistic" in server.output
        assert "rate limit: 100/min" in server.output
        response = httpx.get(f"{server.url}/v2/account", headers={"Authorization": "Bearer t"})
        assert response.headers["ratelimit-limit"] == "100"
        assert database.exists()
    finally:
        server.close()


@pytest.mark.parametrize(
    "args",
    [
        ["--timing", "slow"],
        ["--auth", "closed"],
        ["--rate-limit", "lots"],
        ["--tokens", "/nonexistent.yaml", "--auth", "strict"],
    ],
)
def test_bad_options_exit_with_a_message(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localocean", "serve", "--in-memory", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("localocean: ")


def test_port_in_use_is_reported(tmp_path: Path) -> None:
    server = ServerProcess(["--in-memory"]).start()
    try:
        port = server.url.rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "localocean", "serve", "--in-memory", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "cannot listen" in result.stderr
    finally:
        server.close()
