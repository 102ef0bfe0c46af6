"""`make bench`: LocalOcean measured against its performance goals, in one run, as one table.

What it measures (each part can be run alone with `--only`):

- sqlite, postgresql: requests/s and p50/p99 latency under wrk (2 threads, 32 keep-alive
  connections, BENCH_SECONDS per run, median of BENCH_RUNS runs) for `GET /v2/images/{id}`,
  `GET /v2/kubernetes/clusters/{id}` and `GET /v2/images?per_page=20`, next to two reference
  apps on the same stack: plain Starlette (the ceiling) and FastAPI with a pydantic response
  model (the yardstick the goals are stated against); the resident memory of each server after
  its load. `postgresql` starts a throwaway PostgreSQL cluster and also runs `sqlite` (its goal
  is a ratio to SQLite); `sqlite` also runs the reference apps.
- startup: launch -> first answered `GET /v2/account`, median of BENCH_STARTS launches.
- lists: p50 of each list's first page with 10², 10⁴, 10⁵ resources in the account
  (BENCH_LIST_SIZES), sequential requests; see flatness.py.
- create: clusters created and polled to `running` per second under `instant` timing.
- kubernetes: a cluster's Kubernetes API: GET a pod and LIST 10³ pods under load, and the time
  from `kubectl apply` of a 100-replica Deployment to all replicas Ready (see kubeapi.py).

`--profile` instead runs one LocalOcean target under py-spy (or cProfile) and prints where the
time goes. Numbers inform: a missed goal is reported, never an error exit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flatness
import kubeapi
import loadgen
import profiling
from servers import (
    PYCACHE,
    ROOT,
    TOKEN,
    Client,
    Server,
    free_port,
    install_cleanup,
    localocean_command,
    postgres_database,
    reference_command,
    running,
    stop_all,
)

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
RUNS = int(os.environ.get("BENCH_RUNS", "2"))
STARTS = int(os.environ.get("BENCH_STARTS", "5"))
CREATORS = 8
PARTS = ("sqlite", "postgresql", "lists", "startup", "create", "kubernetes")
RSS_GOAL_MIB = 60.0
X = "\N{MULTIPLICATION SIGN}"  # ratios print as the goals are written (0.8 times FastAPI)

# One account with a custom image and a cluster to read; the token reaches it.
SEED = {
    "accounts": [
        {
            "name": "bench",
            "tokens": [TOKEN],
            "images": [{"name": "i", "type": "snapshot", "region": "nyc3"}],
            "clusters": [
                {
                    "name": "c",
                    "region": "nyc1",
                    "version": "latest",
                    "node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 3}],
                }
            ],
        }
    ]
}


def progress(text: str) -> None:
    """Progress goes to stderr, so stdout holds only the table."""
    print(f"bench: {text}", file=sys.stderr, flush=True)


# The report: one table, sections in it, goals next to the figures


@dataclass
class Goal:
    text: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.met is None else ("met" if self.met else "MISSED")


@dataclass
class Row:
    measure: str
    figures: str
    goals: list[Goal] = field(default_factory=list)


@dataclass
class Section:
    title: str
    columns: str  # heading of the figures column
    rows: list[Row] = field(default_factory=list)


@dataclass
class Report:
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failed: bool = False

    def section(self, title: str, columns: str) -> Section:
        section = Section(title, columns)
        self.sections.append(section)
        return section

    def print(self) -> None:
        rows = [row for section in self.sections for row in section.rows]
        measure_width = max([len(r.measure) for r in rows] + [1])
        figures_width = max(
            [len(r.figures) for r in rows] + [len(s.columns) for s in self.sections] + [1]
        )
        goal_width = max([len(" · ".join(g.text for g in r.goals)) for r in rows] + [4])

        def line(measure: str, figures: str, goal: str, met: str) -> str:
            text = f"{measure:<{measure_width}}  {figures:<{figures_width}}  {goal:<{goal_width}}"
            return f"{text}  {met}".rstrip()

        width = measure_width + figures_width + goal_width + 14
        print()
        print(
            f"LocalOcean benchmark: {os.cpu_count()} cores, {loadgen.describe()}, "
            f"{SECONDS:g} s x {RUNS} runs (median)"
        )
        print("=" * width)
        for section in self.sections:
            print(section.title)
            print(line("", section.columns, "goal", "result"))
            print("-" * width)
            for row in section.rows:
                goals = " · ".join(g.text for g in row.goals)
                print(
                    line(row.measure, row.figures, goals, " · ".join(g.verdict for g in row.goals))
                )
            print("=" * width)
        missed = [g for s in self.sections for r in s.rows for g in r.goals if g.met is False]
        met = [g for s in self.sections for r in s.rows for g in r.goals if g.met]
        print(
            f"goals: {len(met)} met, {len(missed)} missed (numbers inform; nothing fails on them)"
        )
        for note in self.notes:
            print(f"- {note}")


def ratio_goal(text: str, value: float | None, minimum: float) -> Goal:
    return Goal(text, None if value is None else value >= minimum)


def ceiling_goal(text: str, value: float | None, maximum: float) -> Goal:
    return Goal(text, None if value is None else value <= maximum)


# Throughput: the reference apps and LocalOcean on SQLite and PostgreSQL


@dataclass
class Target:
    label: str
    endpoint: str
    load: loadgen.Load
    rss_mib: float


ENDPOINTS: tuple[tuple[str, Callable[[Any, Any], str]], ...] = (
    ("GET /v2/images/{id}", lambda image, _: f"/v2/images/{image}"),
    (
        "GET /v2/kubernetes/clusters/{id}",
        lambda image, cluster: f"/v2/kubernetes/clusters/{cluster}",
    ),
    ("GET /v2/images?per_page=20", lambda _, __: "/v2/images?per_page=20"),
)


def measure_references() -> dict[str, Target]:
    targets = {}
    for app, label in (("ceiling", "Starlette (ceiling)"), ("yardstick", "FastAPI (yardstick)")):
        port = free_port()
        with running(Server(label, reference_command(app, port), port)) as server:
            progress(f"{label}: GET /v2/images/{{id}}")
            load = loadgen.measure(server.url("/v2/images/210000001"), SECONDS, RUNS, TOKEN)
            targets[app] = Target(label, "GET /v2/images/{id}", load, server.rss_mib())
    return targets


def measure_localocean(
    label: str, database: str | None, workers: int = 1, endpoints: int | None = None
) -> list[Target]:
    port = free_port()
    targets = []
    command = localocean_command(port, database, workers=workers)
    with running(Server(label, command, port)) as server:
        client = Client(port)
        try:
            client.post("/_localocean/reset", {})  # the database may be a previous run's
            client.post("/_localocean/seed", SEED)
            image = client.get("/v2/images?private=true")["images"][0]["id"]
            cluster = client.get("/v2/kubernetes/clusters")["kubernetes_clusters"][0]["id"]
        finally:
            client.close()
        for endpoint, path in ENDPOINTS[:endpoints]:
            progress(f"LocalOcean {label}: {endpoint}")
            load = loadgen.measure(server.url(path(image, cluster)), SECONDS, RUNS, TOKEN)
            targets.append(Target(label, endpoint, load, server.rss_mib()))
    return targets


def throughput_section(
    report: Report,
    references: dict[str, Target],
    sqlite: list[Target],
    postgresql: list[Target],
) -> None:
    section = report.section(
        "throughput: LocalOcean on SQLite and PostgreSQL, and the two reference apps",
        f"{'req/s':>8} {X + 'FastAPI':>8} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} "
        f"{'PG/SQLite':>9} {'RSS MiB':>7}",
    )
    yardstick = references.get("yardstick")
    by_endpoint = {target.endpoint: target for target in sqlite}

    def figures(target: Target, pg_ratio: float | None) -> tuple[str, float | None]:
        load = target.load
        x = load.rate / yardstick.load.rate if yardstick else None
        text = (
            f"{load.rate:>8,.0f} {_num(x, 8, 2, X)} {load.p50_ms:>7.2f} {load.p99_ms:>7.2f} "
            f"{_num(spread(load), 7, 1)} {_num(pg_ratio, 9, 2, X)} {target.rss_mib:>7.1f}"
        )
        if load.errors:
            report.notes.append(
                f"{target.label} {target.endpoint}: {load.errors} error answers during the load"
            )
        return text, x

    for target in references.values():
        section.rows.append(Row(f"{target.label}  {target.endpoint}", figures(target, None)[0]))
    for target in sqlite:
        text, x = figures(target, None)
        minimum = 0.8 if "per_page" in target.endpoint else 1.0
        section.rows.append(
            Row(
                f"SQLite  {target.endpoint}",
                text,
                [
                    ratio_goal(f"≥{minimum:.1f}{X} FastAPI", x, minimum),
                    ceiling_goal(f"RSS ≤{RSS_GOAL_MIB:.0f} MiB", target.rss_mib, RSS_GOAL_MIB),
                ],
            )
        )
    for target in postgresql:
        base = by_endpoint.get(target.endpoint)
        pg_ratio = target.load.rate / base.load.rate if base else None
        text, _ = figures(target, pg_ratio)

        section.rows.append(
            Row(
                f"PostgreSQL  {target.endpoint}",
                text,
                [
                    ratio_goal(f"≥0.8{X} SQLite", pg_ratio, 0.8),
                    ceiling_goal(f"p99 ≤3{X} p50", spread(target.load), 3.0),
                    ceiling_goal(f"RSS ≤{RSS_GOAL_MIB:.0f} MiB", target.rss_mib, RSS_GOAL_MIB),
                ],
            )
        )


def spread(load: loadgen.Load) -> float | None:
    """p99/p50: how far the slow requests are from the typical one."""
    return load.p99_ms / load.p50_ms if load.p50_ms > 0 else None


def _num(value: float | None, width: int, digits: int, suffix: str = "") -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width - len(suffix)}.{digits}f}{suffix}"


# Start-up


def startup_section(report: Report) -> None:
    section = report.section(
        f"start-up: launch -> first answered GET /v2/account ({STARTS} launches)",
        f"{'median ms':>9} {'best ms':>8} {'worst ms':>8}",
    )
    launches: tuple[tuple[str, Callable[[int], list[str]]], ...] = (
        ("LocalOcean (SQLite in memory)", lambda port: localocean_command(port, None)),
        ("Starlette (ceiling)", lambda port: reference_command("ceiling", port)),
        ("FastAPI (yardstick)", lambda port: reference_command("yardstick", port)),
    )
    for label, command in launches:
        progress(f"start-up: {label}")
        times = []
        # One untimed launch first: it fills the bytecode cache and the OS page cache, which
        # every later launch of an installed server finds filled.
        for number in range(max(1, STARTS) + 1):
            port = free_port()
            server = Server(label, command(port), port)
            try:
                took = server.start()
            finally:
                server.stop()
            if number:
                times.append(took)
        median = statistics.median(times)
        goals = [ceiling_goal("≤0.5 s", median, 0.5)] if label.startswith("LocalOcean") else []
        figures = f"{median * 1000:>9.0f} {min(times) * 1000:>8.0f} {max(times) * 1000:>8.0f}"
        section.rows.append(Row(label, figures, goals))
    report.notes.append(
        f"start-up: bytecode cached in {PYCACHE.relative_to(ROOT)} (PYTHONDONTWRITEBYTECODE "
        "is ignored for the servers), one untimed launch before the timed ones"
    )


# List flatness


def _size(size: int) -> str:
    """10², 10⁴, 10⁵ for powers of ten (as the goals are written), the number otherwise."""
    superscripts = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    exponent = len(str(size)) - 1
    if size == 10**exponent and exponent > 1:
        return "10" + str(exponent).translate(superscripts)
    return str(size)


def lists_section(report: Report) -> None:
    sizes = flatness.sizes()
    columns = " ".join(f"{_size(s):>7}" for s in sizes)
    section = report.section(
        "lists: p50 ms of the first page, by resources in the account",
        f"{columns} {'largest/smallest':>17}",
    )
    results = flatness.run(sizes, progress)
    for result in results:
        spec = result.spec
        label = spec.path if spec.table else f"{spec.path} (catalog)"
        if result.skipped:
            section.rows.append(Row(label, f"not measured: {result.skipped}"))
            continue
        cells = " ".join(_num(result.p50_ms.get(s), 7, 2) for s in sizes)
        ratio = result.ratio
        section.rows.append(
            Row(label, f"{cells} {_num(ratio, 17, 2, X)}", [ceiling_goal(f"≤1.5{X}", ratio, 1.5)])
        )
    measured = [r for r in results if not r.skipped]
    totals = "; ".join(
        f"{r.spec.path} " + "/".join(str(r.totals[s]) for s in sizes if s in r.totals)
        for r in measured
    )
    report.notes.append(
        f"lists: {len(measured)} of {len(results)} measured, {flatness.REQUESTS} sequential "
        f"requests each on SQLite (rows copied into the file); catalogs are fixed lists, "
        f"measured while the account holds that many of every other kind. meta.total seen: {totals}"
    )


# Create and poll to running


@dataclass
class CreateCounts:
    done: int = 0
    errors: int = 0
    polls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)  # of the answers that were errors

    def error(self, status: int) -> None:
        self.errors += 1
        self.statuses[status] += 1


async def _creator(base: str, name: str, deadline: float, counts: CreateCounts) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        sequence = 0
        while time.perf_counter() < deadline:
            sequence += 1
            body = {
                "name": f"{name}-{sequence}",
                "region": "nyc1",
                "version": "latest",
                "node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 3}],
            }
            created = await client.post("/v2/kubernetes/clusters", json=body)
            if created.status_code != 201:
                counts.error(created.status_code)
                continue
            path = f"/v2/kubernetes/clusters/{created.json()['kubernetes_cluster']['id']}"
            for _ in range(1000):  # a cluster that never runs counts as an error, not a hang
                answer = await client.get(path)
                counts.polls += 1
                if answer.status_code != 200:
                    counts.error(answer.status_code)
                    break
                if answer.json()["kubernetes_cluster"]["status"]["state"] == "running":
                    counts.done += 1
                    break
            else:
                counts.error(0)  # polled 1000 times and never running


async def _droplet_creator(base: str, name: str, deadline: float, counts: CreateCounts) -> None:
    """Create a droplet, poll it to `active`, delete it (the account's droplet limit is 25):
    in an account of its own, which the clusters' node droplets do not fill."""
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}-droplets"}
    body = {"region": "nyc1", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        sequence = 0
        while time.perf_counter() < deadline:
            sequence += 1
            created = await client.post("/v2/droplets", json={**body, "name": f"{name}-{sequence}"})
            if created.status_code != 202:
                counts.error(created.status_code)
                continue
            path = f"/v2/droplets/{created.json()['droplet']['id']}"
            for _ in range(1000):
                answer = await client.get(path)
                counts.polls += 1
                if answer.status_code != 200:
                    counts.error(answer.status_code)
                    break
                if answer.json()["droplet"]["status"] == "active":
                    counts.done += 1
                    break
            else:
                counts.error(0)
            await client.delete(path)


async def _create_load(
    base: str, run: str, seconds: float, creator: Any = None
) -> tuple[CreateCounts, float]:
    """`run` starts the resources' names, which must differ from one load to the next."""
    creator = creator or _creator
    counts = CreateCounts()
    started = time.perf_counter()
    deadline = started + seconds
    creators = (creator(base, f"{run}-{n}", deadline, counts) for n in range(CREATORS))
    await asyncio.gather(*creators)
    return counts, time.perf_counter() - started


def create_section(report: Report) -> None:
    section = report.section(
        f"create: POST, GET until ready ({CREATORS} httpx clients, SQLite, instant)",
        f"{'per second':>10} {'GETs each':>9} {'errors':>6} {'RSS MiB':>7}",
    )
    port = free_port()
    loads = (
        ("clusters created and running", "clusters", _creator, 500.0),
        ("droplets created and active (then deleted)", "droplets", _droplet_creator, None),
    )
    with running(Server("LocalOcean", localocean_command(port, None), port)) as server:
        for label, kind, creator, goal in loads:
            progress(f"create: {kind} until ready")
            asyncio.run(_create_load(server.url(""), f"warm-{kind}", min(1.0, SECONDS), creator))
            counts, elapsed = asyncio.run(
                _create_load(server.url(""), f"bench-{kind}", SECONDS, creator)
            )
            rss = server.rss_mib()
            rate = counts.done / elapsed
            polls = counts.polls / counts.done if counts.done else 0.0
            figures = f"{rate:>10,.0f} {polls:>9.2f} {counts.errors:>6} {rss:>7.1f}"
            measured = rate if counts.done else None
            goals = [] if goal is None else [ratio_goal(f"≥{goal:.0f}/s", measured, goal)]
            section.rows.append(Row(label, figures, goals))
            if counts.errors:
                statuses = ", ".join(
                    f"{n} x {status or 'never ready'}" for status, n in counts.statuses.items()
                )
                report.notes.append(f"create ({kind}): error answers: {statuses}")
            report.notes.append(f"create: {counts.done} {kind} in {elapsed:.1f} s")
    report.notes.append(
        f"create: the clients are Python (httpx) on the same {os.cpu_count()} cores, so part "
        "of the CPU goes to them"
    )


# A cluster's Kubernetes API


def kubernetes_section(report: Report) -> None:
    section = report.section(
        f"kubernetes: a cluster's API (SQLite in memory, instant), {kubeapi.PODS} pods",
        f"{'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'seconds':>8} {'RSS MiB':>7}",
    )
    port = free_port()
    with running(Server("LocalOcean", localocean_command(port, None), port)) as server:
        figures = kubeapi.measure(port, SECONDS, RUNS, progress)
        rss = server.rss_mib()
    for label, key in (("GET a pod", "get"), (f"LIST {kubeapi.PODS} pods", "list")):
        load = figures[key]
        section.rows.append(
            Row(
                label,
                f"{load.rate:>8,.0f} {load.p50_ms:>7.2f} {load.p99_ms:>7.2f} {'':>8} {rss:>7.1f}",
            )
        )
        if load.errors:
            report.notes.append(f"kubernetes {label}: {load.errors} error answers during the load")
    section.rows.append(
        Row(
            f"{kubeapi.REPLICAS}-replica Deployment: apply to all Ready",
            f"{'':>8} {'':>7} {'':>7} {figures['rollout_seconds']:>8.2f} {'':>7}",
        )
    )
    report.notes.append(
        f"kubernetes: {figures['pods_listed']} pods listed, {figures['pods_running']} Running, "
        f"created at {figures['pods_created_per_second']:,.0f}/s one POST at a time; rollout "
        f"timed with {figures['rollout_client']}"
    )


# Running the parts


def run_parts(parts: set[str], report: Report) -> None:
    references: dict[str, Target] = {}
    sqlite: list[Target] = []
    postgresql: list[Target] = []

    def attempt(name: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # one broken part must not cost the others' figures
            report.failed = True
            report.notes.append(f"{name} FAILED: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)

    if parts & {"sqlite", "postgresql"}:
        attempt("reference apps", lambda: references.update(measure_references()))
        attempt("SQLite", lambda: sqlite.extend(measure_localocean("SQLite", None)))
    if "postgresql" in parts:
        attempt("PostgreSQL", lambda: postgresql.extend(_postgresql(report)))
    if references or sqlite or postgresql:
        throughput_section(report, references, sqlite, postgresql)
    if "startup" in parts:
        attempt("start-up", lambda: startup_section(report))
    if "lists" in parts:
        attempt("lists", lambda: lists_section(report))
    if "create" in parts:
        attempt("create", lambda: create_section(report))
    if "kubernetes" in parts:
        attempt("kubernetes", lambda: kubernetes_section(report))


def _postgresql(report: Report) -> list[Target]:
    progress("PostgreSQL: starting a throwaway cluster")
    url, note, stop = postgres_database()
    try:
        if url is None:
            report.notes.append(f"PostgreSQL not measured: {note}")
            return []
        report.notes.append(f"PostgreSQL {note}")
        one = measure_localocean("PostgreSQL", url)
        two = measure_localocean("PostgreSQL, 2 workers", url, workers=2, endpoints=1)
        if one and two:
            report.notes.append(
                f"PostgreSQL GET /v2/images/{{id}} with 2 workers: {two[0].load.rate:,.0f} req/s, "
                f"{two[0].load.rate / one[0].load.rate:.2f}{X} one worker (goal ≥1.6{X})"
            )
        return one
    finally:
        stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Environment: BENCH_SECONDS (5), BENCH_RUNS (2), BENCH_STARTS (5), "
        "BENCH_LIST_SIZES (100,10000,100000).",
    )
    parser.add_argument(
        "--only", nargs="+", choices=PARTS, metavar="PART", help=f"run only: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="image",
        choices=profiling.TARGETS,
        help="profile one LocalOcean SQLite target under load instead "
        f"({', '.join(profiling.TARGETS)}; default image); full profile in bench/out/",
    )
    args = parser.parse_args()
    install_cleanup()
    try:
        if args.profile:
            profiling.run(args.profile, SEED, SECONDS, progress)
            return 0
        report = Report()
        if not loadgen.wrk_path():
            progress("wrk not found: falling back to the Python load generator")
        run_parts(set(args.only or PARTS), report)
        report.print()
        return 1 if report.failed else 0
    except KeyboardInterrupt:
        progress("interrupted; stopping the servers")
        return 130
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
