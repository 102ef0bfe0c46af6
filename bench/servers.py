"""The server processes the bench starts, and the guarantee that it stops all of them.

Every child is started in its own session, so a Ctrl-C in the terminal reaches only the bench,
which then stops its children in order (a server killed by the same Ctrl-C while it was being
measured would show up as errors instead of as an interruption). `stop_all` runs from the
bench's `finally` and again from `atexit`, so nothing outlives the run.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TOKEN = "dop_v1_benchmark"
HOST = "127.0.0.1"
PYCACHE = BENCH / "out" / "pycache"

_running: list[subprocess.Popen[bytes]] = []
_cleanups: list[Callable[[], None]] = []
# A child's stderr goes to a file, not a pipe: a pipe nobody reads during a load would fill up
# and block the server on its next warning.
_stderr: dict[int, IO[bytes]] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def child_environment() -> dict[str, str]:
    """The environment of every process the bench starts.

    Python writes bytecode to bench/out/pycache, whatever PYTHONDONTWRITEBYTECODE says: without
    a bytecode cache every launch compiles src/ from source, which no installed LocalOcean does,
    and start-up would measure the compiler. The prefix keeps the cache out of src/.
    """
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return environment


def start_process(command: list[str], **options: Any) -> subprocess.Popen[bytes]:
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (outlives this call: closed in stop_process)
    options.setdefault("stdout", subprocess.DEVNULL)
    options.setdefault("env", child_environment())
    process = subprocess.Popen(command, start_new_session=True, stderr=errors, **options)
    _running.append(process)
    _stderr[process.pid] = errors
    return process


def stderr_of(process: subprocess.Popen[bytes], limit: int = 2000) -> str:
    errors = _stderr.get(process.pid)
    if errors is None:
        return ""
    errors.seek(0)
    return errors.read().decode(errors="replace")[-limit:].strip()


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM first (uvicorn shuts down gracefully, cProfile gets to write its file), then
    SIGKILL if it does not go."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
    errors = _stderr.pop(process.pid, None)
    if errors is not None:
        errors.close()
    if process in _running:
        _running.remove(process)


def on_exit(cleanup: Callable[[], None]) -> Callable[[], None]:
    """Register a cleanup that `stop_all` runs (for what is not a child process: PostgreSQL);
    returns a function that runs it now instead, once."""
    _cleanups.append(cleanup)

    def now() -> None:
        if cleanup in _cleanups:
            _cleanups.remove(cleanup)
            _run_cleanup(cleanup)

    return now


def _run_cleanup(cleanup: Callable[[], None]) -> None:
    # Reported, not raised: a cleanup runs in `finally` blocks, where raising would hide the
    # error (or the Ctrl-C) that got there, and would keep the other cleanups from running.
    try:
        cleanup()
    except Exception as exc:
        print(f"bench: cleanup failed: {exc}", file=sys.stderr)


def stop_all() -> None:
    for process in list(reversed(_running)):
        stop_process(process, grace=5.0)
    while _cleanups:
        _run_cleanup(_cleanups.pop())


def _raise_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def install_cleanup() -> None:
    """Make SIGTERM and SIGHUP unwind like Ctrl-C does, through `finally` blocks."""
    atexit.register(stop_all)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_exit)


def rss_mib(pid: int) -> float:
    """Resident set size from /proc/PID/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# Commands


def localocean_command(
    port: int, database: str | None, data_dir: Path | None = None, workers: int = 1
) -> list[str]:
    """`database`: None for SQLite in memory, else a SQLAlchemy URL; `data_dir` for SQLite in a
    file (the list-flatness part writes rows into it)."""
    command = [
        sys.executable, "-m", "localocean", "serve", "--port", str(port), "--timing", "instant",
        "--rate-limit", "off", "--log-level", "warning",
    ]  # fmt: skip
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    elif database is None:
        command.append("--in-memory")
    else:
        command += ["--database-url", database]
    if workers != 1:
        command += ["--workers", str(workers)]
    return command


def reference_command(app: str, port: int) -> list[str]:
    # --no-server-header: LocalOcean sends none either, so the bodies on the wire compare.
    return [
        sys.executable, "-m", "uvicorn", f"reference_apps:{app}", "--app-dir", str(BENCH),
        "--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--log-level", "warning", "--no-access-log", "--no-server-header",
    ]  # fmt: skip


# Talking to a server


def status_once(port: int, path: str) -> int:
    """One request on a fresh connection; raises OSError while nothing listens."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        head = sock.recv(64)
        return int(head.split(b" ", 2)[1])


def wait_until_answering(
    process: subprocess.Popen[bytes], port: int, path: str = "/v2/account", timeout: float = 60
) -> float:
    """Seconds from now until `path` answers 200; polls every 2 ms (a refused connect is cheap,
    so the polling barely competes with the starting server). The servers bind their socket
    before they accept, so the first answer is a real one: any other status fails at once."""
    started = time.perf_counter()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        try:
            status = status_once(port, path)
        except (OSError, IndexError, ValueError):
            status = None
        if status == 200:
            return time.perf_counter() - started
        if status is not None:
            raise RuntimeError(f"GET {path} answered {status}; {_log_tail(process)}")
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); {_log_tail(process)}")
        time.sleep(0.002)
    raise RuntimeError(f"no answer to GET {path} within {timeout:.0f} s; {_log_tail(process)}")


def _log_tail(process: subprocess.Popen[bytes]) -> str:
    """The last line of the server's log that says what went wrong (the whole log is long:
    a rich traceback)."""
    lines = [line.strip(" │") for line in stderr_of(process, 20_000).splitlines()]
    lines = [line for line in lines if line and not line.startswith(("╭", "╰"))]
    return f"its log ends: {lines[-1][:300]}" if lines else "its log is empty"


class Client:
    """A keep-alive HTTP/1.1 client with the bench token (http.client: little per-request
    overhead, so sequential latencies are mostly the server's)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        payload = None if body is None else json.dumps(body).encode()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body

    def post(self, path: str, body: Any) -> Any:
        status, answer = self.request("POST", path, body)
        if status >= 300:
            raise RuntimeError(f"POST {path}: {status} {answer}")
        return answer

    def close(self) -> None:
        self.connection.close()


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self, timeout: float = 60) -> float:
        """Launch and wait for the first answered request; returns the seconds that took."""
        started = time.perf_counter()
        self.process = start_process(self.command)
        wait_until_answering(self.process, self.port, timeout=timeout)
        return time.perf_counter() - started

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server was not started"
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def rss_mib(self) -> float:
        return rss_mib(self.pid)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


# PostgreSQL


def _postgres_on_path() -> None:
    """Debian installs the server binaries outside PATH; the test helper looks them up there."""
    if any((Path(d) / "initdb").exists() for d in os.environ.get("PATH", "").split(os.pathsep)):
        return
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            os.environ["PATH"] = f"{candidate}{os.pathsep}{os.environ.get('PATH', '')}"
            return


def postgres_database() -> tuple[str | None, str, Callable[[], None]]:
    """Start a throwaway cluster (the tests' helper: initdb + pg_ctl in a temp dir, as the
    postgres user when root) and make a database: (URL, note, stop) or (None, why not, stop)."""
    _postgres_on_path()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from tests.support import postgres
    except ImportError as exc:
        return None, f"tests/support/postgres.py not importable: {exc}", _nothing
    reason = postgres.available()
    if reason is not None:
        return None, reason, _nothing
    cluster = postgres.PostgresCluster()
    stop = on_exit(cluster.stop)
    try:
        cluster.start()
        url = cluster.new_database()
    except Exception as exc:  # initdb, pg_ctl or psycopg: any of them means "not measured"
        detail = getattr(exc, "stderr", "") or str(exc)
        stop()
        return None, f"PostgreSQL did not start: {detail.strip()[:200]}", _nothing
    answer = subprocess.run(["pg_ctl", "--version"], capture_output=True, text=True).stdout
    version = answer.split("(PostgreSQL)")[-1].split()[0] if "(PostgreSQL)" in answer else "?"
    return url, f"{version}, a throwaway cluster (fsync off, as in the tests)", stop


def _nothing() -> None:
    pass
