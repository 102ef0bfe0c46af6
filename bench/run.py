"""`make bench`: how fast LocalOcean starts and how many requests a second it serves.

Starts real server processes (in memory, access log off, rate limits counted but not enforced),
then drives them from this process with a small keep-alive HTTP/1.1 load generator.
Numbers inform; nothing here asserts a threshold.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

TOKEN = "dop_v1_benchmark"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
STARTS = int(os.environ.get("BENCH_STARTS", "5"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "localocean", "serve", "--in-memory", "--port", str(port),
         "--rate-limit", "off", "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def request_bytes(path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()


def get_once(port: int, path: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request_bytes(path).replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        return int(sock.recv(64).split(b" ", 2)[1])


def time_to_first_answer() -> float:
    port = free_port()
    started = time.perf_counter()
    process = launch(port)
    try:
        while True:
            try:
                if get_once(port, "/v2/account") == 200:
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.002)
            if process.poll() is not None:
                raise RuntimeError("server exited during start-up")
    finally:
        process.terminate()
        process.wait()


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]


async def _connection(port: int, payload: bytes, deadline: float, result: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
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
            result.latencies.append(time.perf_counter() - sent)
            result.requests += 1
            if status != 200:
                result.errors += 1
    finally:
        writer.close()


async def load(port: int, path: str) -> Result:
    payload = request_bytes(path)
    result = Result(0, 0, 0.0, [])
    # Warm up: the first request creates the account, later ones are the steady state.
    warm_until = time.perf_counter() + 0.5
    await asyncio.gather(
        *(_connection(port, payload, warm_until, Result(0, 0, 0, [])) for _ in range(4))
    )
    started = time.perf_counter()
    deadline = started + SECONDS
    await asyncio.gather(
        *(_connection(port, payload, deadline, result) for _ in range(CONNECTIONS))
    )
    result.seconds = time.perf_counter() - started
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    starts = [time_to_first_answer() for _ in range(STARTS)]
    print(
        f"LocalOcean benchmark ({os.cpu_count()} cores, {CONNECTIONS} connections, {SECONDS:g} s)"
    )
    print()
    print(f"{'measure':<34}{'value':>12}")
    print(f"{'launch -> first answer (median)':<34}{statistics.median(starts) * 1000:>9.0f} ms")
    print(f"{'launch -> first answer (best)':<34}{min(starts) * 1000:>9.0f} ms")
    print()
    print(f"{'endpoint':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    port = free_port()
    process = launch(port)
    try:
        while True:
            try:
                get_once(port, "/v2/account")
                break
            except OSError:
                time.sleep(0.01)
        for path in ("/v2/account", "/v2/sizes", "/v2/vpcs"):
            result = asyncio.run(load(port, path))
            rate = result.requests / result.seconds
            p50 = percentile(result.latencies, 0.50) * 1000
            p99 = percentile(result.latencies, 0.99) * 1000
            print(f"GET {path:<20}{rate:>10.0f}{p50:>10.2f}{p99:>10.2f}{result.errors:>8}")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
