"""`bench/run.py --profile [TARGET]`: where a LocalOcean request spends its time.

One LocalOcean SQLite server is loaded for BENCH_SECONDS while py-spy samples it from outside
(no change to the process, so the profile is of the same code path the bench measures). py-spy
is installed into the venv with pip if missing. If it cannot be installed or cannot attach (no
ptrace permission in a container), the server is started again under cProfile instead, which
works everywhere but slows every Python call and so exaggerates Python-heavy functions.

The full profile goes to bench/out/ (py-spy's raw collapsed stacks, which flamegraph tools
read, or a cProfile .prof file for pstats/snakeviz); the top 25 functions are printed.
"""

from __future__ import annotations

import io
import pstats
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import loadgen
from servers import (
    BENCH,
    TOKEN,
    Client,
    Server,
    free_port,
    localocean_command,
    running,
    start_process,
    stderr_of,
    stop_process,
)

OUT = BENCH / "out"
TOP = 25
TARGETS = ("image", "cluster", "list")
Progress = Callable[[str], None]


def _path(target: str, image: Any, cluster: Any) -> str:
    return {
        "image": f"/v2/images/{image}",
        "cluster": f"/v2/kubernetes/clusters/{cluster}",
        "list": "/v2/images?per_page=20",
    }[target]


def _prepare(server: Server, seed: dict[str, Any], target: str, seconds: float) -> str:
    """Seed, find the ids, warm up; returns the URL to load."""
    client = Client(server.port)
    try:
        client.post("/_localocean/seed", seed)
        image = client.get("/v2/images?private=true")["images"][0]["id"]
        cluster = client.get("/v2/kubernetes/clusters")["kubernetes_clusters"][0]["id"]
    finally:
        client.close()
    url = server.url(_path(target, image, cluster))
    loadgen.run_once(url, min(1.0, seconds), TOKEN)
    return url


def _py_spy(progress: Progress) -> str | None:
    installed = Path(sys.executable).parent / "py-spy"
    found = shutil.which("py-spy") or (str(installed) if installed.exists() else None)
    if found:
        return found
    progress("installing py-spy into the venv (pip)")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "py-spy"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not installed.exists():
        progress(f"py-spy could not be installed: {done.stderr.strip()[-300:]}")
        return None
    return str(installed)


def _short(frame: str) -> str:
    """`handle (localocean/core/pipeline.py:88)` instead of the full site-packages path."""
    for marker in ("/site-packages/", "/src/", "/lib/python3"):
        if marker in frame:
            head, _, tail = frame.partition("(")
            return f"{head}({tail.split(marker, 1)[1]}"
    return frame


def summarise_raw(raw: Path) -> tuple[list[tuple[str, int, int]], int]:
    """py-spy's raw output (`frame;frame;...;frame count` per line) by function:
    (function, samples in it, samples under it), and the total number of samples."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            under[frame] += count
    rows = [(frame, samples, under[frame]) for frame, samples in own.most_common(TOP)]
    return rows, total


def _print_raw_summary(raw: Path) -> None:
    rows, total = summarise_raw(raw)
    if not total:
        print("py-spy recorded no samples")
        return
    print(f"top {TOP} functions by own time ({total} samples); own % | with callees % | function")
    for frame, samples, inclusive in rows:
        print(f"{100 * samples / total:6.1f} {100 * inclusive / total:6.1f}  {frame}")


def _with_py_spy(py_spy: str, seed: dict[str, Any], target: str, seconds: float) -> Path | None:
    port = free_port()
    raw = OUT / f"profile-{target}-py-spy.txt"
    with running(Server("LocalOcean", localocean_command(port, None), port)) as server:
        url = _prepare(server, seed, target, seconds)
        record = [
            py_spy, "record", "--pid", str(server.pid), "--format", "raw", "--function",
            "--rate", "200", "--duration", str(round(seconds) + 1), "--output", str(raw),
        ]  # fmt: skip
        recorder = start_process(record)
        try:
            time.sleep(0.5)  # let py-spy attach before the load starts
            if recorder.poll() is not None and recorder.returncode != 0:
                print(f"py-spy could not attach: {stderr_of(recorder)}", file=sys.stderr)
                return None
            load = loadgen.run_once(url, seconds, TOKEN)
            recorder.wait(timeout=seconds + 30)
            if recorder.returncode != 0 or not raw.exists():
                print(f"py-spy failed: {stderr_of(recorder)}", file=sys.stderr)
                return None
        finally:
            stop_process(recorder)
    print(f"{target}: {load.rate:,.0f} req/s under py-spy (sampling slows the server a little)")
    return raw


def _with_cprofile(seed: dict[str, Any], target: str, seconds: float) -> Path:
    port = free_port()
    prof = OUT / f"profile-{target}.prof"
    command = localocean_command(port, None)
    # `python -m cProfile -o FILE -m localocean serve ...`: the server stops gracefully on
    # SIGTERM, and cProfile writes the file as the process exits.
    command[1:1] = ["-m", "cProfile", "-o", str(prof)]
    with running(Server("LocalOcean", command, port)) as server:
        url = _prepare(server, seed, target, seconds)
        load = loadgen.run_once(url, seconds, TOKEN)
    print(f"{target}: {load.rate:,.0f} req/s under cProfile (it slows every Python call)")
    stream = io.StringIO()
    stats = pstats.Stats(str(prof), stream=stream)
    stats.sort_stats("tottime").print_stats(TOP)
    print(stream.getvalue())
    return prof


def run(target: str, seed: dict[str, Any], seconds: float, progress: Progress) -> None:
    OUT.mkdir(exist_ok=True)
    py_spy = _py_spy(progress)
    raw = None
    if py_spy is not None:
        progress(f"profiling {target} under py-spy for {seconds:g} s")
        raw = _with_py_spy(py_spy, seed, target, seconds)
    if raw is not None:
        _print_raw_summary(raw)
        print(f"full profile: {raw.relative_to(BENCH.parent)}")
        return
    progress(f"profiling {target} under cProfile for {seconds:g} s (py-spy unavailable)")
    prof = _with_cprofile(seed, target, seconds)
    print(f"full profile: {prof.relative_to(BENCH.parent)}")
