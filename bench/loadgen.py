"""Load generation: wrk when it is installed, else a small Python keep-alive generator.

wrk is the instrument the goals are stated in: its figures compare with other published ones
and with earlier runs. The Python generator is kept only so the bench still runs where wrk
cannot be installed, and the output then says so: its figures are not comparable with wrk's.
On this 2-core machine it reported more requests/s and shorter tails than wrk (likely: one thread
that reads answers in batches takes less CPU from the server than wrk's two threads), so a
goal met under it says little about a goal met under wrk.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

THREADS = 2
CONNECTIONS = 32

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


@dataclass
class Load:
    rate: float  # requests/s
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # answers other than 2xx/3xx, plus socket errors


def wrk_path() -> str | None:
    return shutil.which("wrk")


def describe() -> str:
    if wrk_path():
        return f"wrk ({THREADS} threads, {CONNECTIONS} connections, keep-alive)"
    return (
        f"Python load generator ({CONNECTIONS} connections, keep-alive): wrk is not installed "
        "(`make bench` installs it with apt-get as root); figures not comparable with wrk's"
    )


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str) -> Load:
    """req/s, p50 and p99 (from `--latency`'s distribution), and the errors wrk reports."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not (rate and p50 and p99 and total):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx[1])
    sockets = re.search(r"Socket errors:(.*)", output)
    if sockets:
        errors += sum(int(n) for n in re.findall(r"\d+", sockets[1]))
    return Load(float(rate[1]), _ms(p50[1]), _ms(p99[1]), int(total[1]), errors)


def run_wrk(url: str, seconds: float, token: str) -> Load:
    command = [
        "wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency",
        "--timeout", "10s", "-H", f"Authorization: Bearer {token}", url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


# The fallback generator


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def _connection(
    host: str, port: int, payload: bytes, deadline: float, latencies: list[float]
) -> int:
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            if status >= 400:
                errors += 1
    finally:
        writer.close()
    return errors


async def _python_load(host: str, port: int, path: str, seconds: float, token: str) -> Load:
    payload = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    errors = await asyncio.gather(
        *(_connection(host, port, payload, deadline, latencies) for _ in range(CONNECTIONS))
    )
    elapsed = time.perf_counter() - started
    return Load(
        len(latencies) / elapsed,
        _percentile(latencies, 0.50) * 1000,
        _percentile(latencies, 0.99) * 1000,
        len(latencies),
        sum(errors),
    )


def run_python(url: str, seconds: float, token: str) -> Load:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_python_load(host, port, path, seconds, token))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_python_load(host, port, path, seconds, token))


def run_once(url: str, seconds: float, token: str) -> Load:
    return (run_wrk if wrk_path() else run_python)(url, seconds, token)


def measure(url: str, seconds: float, runs: int, token: str) -> Load:
    """A short warm-up (not counted), then the median of `runs` runs, figure by figure."""
    run_once(url, min(1.0, seconds), token)
    loads = [run_once(url, seconds, token) for _ in range(max(1, runs))]
    return Load(
        statistics.median(load.rate for load in loads),
        statistics.median(load.p50_ms for load in loads),
        statistics.median(load.p99_ms for load in loads),
        sum(load.requests for load in loads),
        sum(load.errors for load in loads),
    )
