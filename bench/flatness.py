"""List flatness: the latency of a list's first page with 10², 10⁴ and 10⁵ resources of its kind
in the account. Lists are paginated in SQL, so the page should cost about the same however many
rows the account holds (goal: largest/smallest ≤ 1.5).

Creating 10⁵ resources through the API would take far longer than the measurement, so the bench
seeds one of each kind through the API, stops the server, copies those rows straight into its
SQLite file and starts it again on that file. The copies are made from the schema SQLite
reports, not from a list of columns written here: every column of the seeded row is copied, a
primary key gets a fresh value (the next integer, or a new UUID), a text column under a unique
constraint gets a suffix, and the rows that reference the seeded one through a foreign key (a
cluster's node pools and their nodes, ...) are copied along with it. A schema change in
src/ therefore needs no change here unless it adds something this cannot copy, and then the
list is reported as not measured, with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from servers import TOKEN, Client, Server, free_port, localocean_command

ACCOUNT = "bench-lists"
REQUESTS = 200
WARM_UP = 20
FLUSH_EVERY = 20_000  # copies held in memory before they are written

Progress = Callable[[str], None]


def sizes() -> list[int]:
    text = os.environ.get("BENCH_LIST_SIZES", "100,10000,100000")
    return sorted({int(part) for part in text.replace(" ", "").split(",") if part})


@dataclass(frozen=True)
class ListSpec:
    path: str
    table: str | None  # None: a fixed catalog, not rows of the account
    template: str | None = None  # the `name` of the seeded row that is copied


LISTS = (
    ListSpec("/v2/images", "images", "bench-image"),
    ListSpec("/v2/images?private=true", "images", "bench-image"),
    ListSpec("/v2/actions", "actions"),
    ListSpec("/v2/vpcs", "vpcs", "bench-net"),
    ListSpec("/v2/tags", "tags", "bench-tag"),
    ListSpec("/v2/kubernetes/clusters", "clusters", "bench-cluster"),
    ListSpec("/v2/droplets", "droplets", "bench-droplet"),
    ListSpec("/v2/regions", None),
    ListSpec("/v2/sizes", None),
)

SEED = {
    "accounts": [
        {
            "name": ACCOUNT,
            "tokens": [TOKEN],
            "vpcs": [{"name": "bench-net", "region": "nyc1", "ip_range": "10.10.0.0/16"}],
            "tags": ["bench-tag"],
            "images": [{"name": "bench-image", "type": "snapshot", "region": "nyc3"}],
            "droplets": [
                {
                    "name": "bench-droplet",
                    "region": "nyc1",
                    "size": "s-1vcpu-1gb",
                    "image": "ubuntu-24-04-x64",
                }
            ],
            "clusters": [
                {
                    "name": "bench-cluster",
                    "region": "nyc1",
                    "version": "latest",
                    "node_pools": [{"name": "p", "size": "s-2vcpu-4gb", "count": 3}],
                }
            ],
        }
    ]
}


@dataclass
class ListResult:
    spec: ListSpec
    p50_ms: dict[int, float] = field(default_factory=dict)  # size -> p50 of the first page
    totals: dict[int, int] = field(default_factory=dict)  # size -> meta.total the list reported
    skipped: str | None = None  # why the list was not measured

    @property
    def ratio(self) -> float | None:
        if len(self.p50_ms) < 2:
            return None
        ordered = sorted(self.p50_ms)
        return self.p50_ms[ordered[-1]] / self.p50_ms[ordered[0]]


class Unclonable(Exception):
    """The schema has something the copier cannot make unique."""


# The schema, as SQLite reports it


class Schema:
    def __init__(self, db: sqlite3.Connection) -> None:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        self.columns: dict[str, list[str]] = {}
        self.pk: dict[str, str | None] = {}
        self.foreign: dict[str, set[str]] = {}
        self.unique: dict[str, list[list[str]]] = {}
        # parent -> [(child table, child's FK column, the parent column it refers to)]
        self.children: dict[str, list[tuple[str, str, str]]] = {name: [] for name in names}
        for name in names:
            info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
            self.columns[name] = [row[1] for row in info]
            keys = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5] > 0]
            self.pk[name] = keys[0] if len(keys) == 1 else None
            self.unique[name] = []
            for index in db.execute(f'PRAGMA index_list("{name}")'):
                _, index_name, unique, origin = index[:4]
                if unique and origin != "pk":
                    info = db.execute(f'PRAGMA index_info("{index_name}")').fetchall()
                    self.unique[name].append([row[2] for row in info])
        for name in names:
            self.foreign[name] = set()
            for fk in db.execute(f'PRAGMA foreign_key_list("{name}")'):
                parent, column, target = fk[2], fk[3], fk[4]
                self.foreign[name].add(column)
                target = target or self.pk.get(parent)
                if parent in self.children and parent != name and target:
                    self.children[parent].append((name, column, target))


@dataclass
class Tree:
    """A row and the rows that reference it, to be copied together."""

    table: str
    row: dict[str, Any]
    via: str | None  # this row's FK column to its parent (set to the parent copy's key)
    varied: list[str]  # text columns given a suffix so the copies stay unique
    children: list[tuple[str, Tree]]  # (the parent column the child refers to, the child)


def _varied(schema: Schema, table: str, row: dict[str, Any], via: str | None) -> list[str]:
    pk = schema.pk[table]
    keep = schema.foreign[table] | {pk}
    vary: set[str] = set()
    for group in schema.unique[table]:
        if via in group or pk in group:
            continue  # the copy's new key already makes it unique
        if any(row[c] is None for c in group):
            continue  # NULL is never equal to NULL: copies cannot clash here
        texts = [c for c in group if isinstance(row[c], str) and c not in keep]
        if not texts:
            raise Unclonable(f"{table}: no text column to vary in unique ({', '.join(group)})")
        vary.update(texts)
    # Columns holding the same text as a varied one (a name and its lookup key) change with it.
    values = {row[c] for c in vary}
    vary.update(c for c, v in row.items() if isinstance(v, str) and v in values and c not in keep)
    return sorted(vary)


def _tree(
    db: sqlite3.Connection, schema: Schema, table: str, row: dict[str, Any], via: str | None,
    seen: tuple[str, ...] = (),
) -> Tree:  # fmt: skip
    if table in seen:
        raise Unclonable(f"foreign keys loop through {table}")
    children = []
    for child, column, target in schema.children[table]:
        cursor = db.execute(f'SELECT * FROM "{child}" WHERE "{column}" = ?', (row[target],))
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            subtree = _tree(
                db, schema, child, dict(zip(names, values, strict=True)), column, (*seen, table)
            )
            children.append((target, subtree))
    return Tree(table, row, via, _varied(schema, table, row, via), children)


class Copier:
    def __init__(self, db: sqlite3.Connection, schema: Schema) -> None:
        self.db, self.schema = db, schema
        self.next_int: dict[str, int] = {}
        self.batches: dict[str, list[tuple[Any, ...]]] = {}

    def _new_key(self, table: str, column: str, template: Any) -> Any:
        if isinstance(template, int):
            if table not in self.next_int:
                top = self.db.execute(f'SELECT MAX("{column}") FROM "{table}"').fetchone()[0]
                self.next_int[table] = int(top or 0) + 1
            value = self.next_int[table]
            self.next_int[table] += 1
            return value
        return str(uuid.uuid4())

    def copy(self, tree: Tree, number: int, parent_key: Any = None) -> None:
        row = dict(tree.row)
        if tree.via is not None:
            row[tree.via] = parent_key
        pk = self.schema.pk[tree.table]
        if pk is not None:
            row[pk] = self._new_key(tree.table, pk, tree.row[pk])
        for column in tree.varied:
            row[column] = f"{tree.row[column]}-{number}"
        columns = self.schema.columns[tree.table]
        self.batches.setdefault(tree.table, []).append(tuple(row[c] for c in columns))
        for target, child in tree.children:
            self.copy(child, number, row[target])

    def flush(self) -> None:
        # Parents were added first (dicts keep insertion order), so foreign keys hold throughout.
        for table, rows in self.batches.items():
            columns = self.schema.columns[table]
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            self.db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        self.batches.clear()


def grow(db: sqlite3.Connection, spec: ListSpec, account_id: str, target: int) -> int:
    """Copy the seeded row until the account has `target` rows in the table; returns how many
    copies were made."""
    assert spec.table is not None
    schema = Schema(db)
    table = spec.table
    if table not in schema.columns:
        raise Unclonable(f"no table {table!r}")
    if "account_id" not in schema.columns[table]:
        raise Unclonable(f"{table} has no account_id column")
    have = db.execute(f'SELECT COUNT(*) FROM "{table}" WHERE account_id = ?', (account_id,))
    count = int(have.fetchone()[0])
    if count >= target:
        return 0
    where, params = "account_id = ?", [account_id]
    if spec.template is not None and "name" in schema.columns[table]:
        where, params = where + " AND name = ?", [*params, spec.template]
    cursor = db.execute(f'SELECT * FROM "{table}" WHERE {where} ORDER BY rowid LIMIT 1', params)
    found = cursor.fetchone()
    if found is None:
        raise Unclonable(f"no seeded row in {table} to copy")
    template = dict(zip([d[0] for d in cursor.description], found, strict=True))
    tree = _tree(db, schema, table, template, None)
    copier = Copier(db, schema)
    for number in range(count, target):
        copier.copy(tree, number)
        if (number - count + 1) % FLUSH_EVERY == 0:
            copier.flush()
    copier.flush()
    db.commit()
    return target - count


# The measurement


def _seed(client: Client) -> None:
    client.post("/_localocean/seed", SEED)
    image = client.get("/v2/images?private=true")["images"][0]
    # An image transfer is the one way to get an action row to copy.
    client.post(f"/v2/images/{image['id']}/actions", {"type": "transfer", "region": "nyc1"})
    # Under `instant` timing scheduled transitions land before the next request: the rows copied
    # are then in their settled state (cluster running, action completed).
    for spec in LISTS:
        client.get(spec.path)


def _account_id(db: sqlite3.Connection) -> str:
    rows = db.execute("SELECT id FROM accounts WHERE name = ?", (ACCOUNT,)).fetchall()
    if len(rows) != 1:
        raise Unclonable(f"expected one account named {ACCOUNT!r}, found {len(rows)}")
    return str(rows[0][0])


def _measure(clients: dict[int, Client], result: ListResult, requests: int) -> None:
    """Round-robin over the servers (one per size): whatever else the machine is doing slows
    every size alike, so the ratio between sizes stays meaningful on a shared machine."""
    path = result.spec.path
    times: dict[int, list[float]] = {size: [] for size in clients}
    for size, client in clients.items():
        for _ in range(WARM_UP):
            body = client.get(path)
        result.totals[size] = int(body["meta"]["total"]) if "meta" in body else -1
    for _ in range(requests):
        for size, client in clients.items():
            started = time.perf_counter()
            client.get(path)
            times[size].append(time.perf_counter() - started)
    for size, samples in times.items():
        result.p50_ms[size] = statistics.median(samples) * 1000


def _grow_all(path: Path, results: list[ListResult], size: int, progress: Progress) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA synchronous = OFF")  # a throwaway file: no need to wait for the disk
        account_id = _account_id(db)
        for result in results:
            if result.spec.table is None or result.skipped:
                continue
            started = time.perf_counter()
            try:
                made = grow(db, result.spec, account_id, size)
            except (Unclonable, sqlite3.Error) as exc:
                db.rollback()
                result.skipped = f"rows could not be copied: {exc}"
                continue
            if made:
                elapsed = time.perf_counter() - started
                progress(f"lists: {made} {result.spec.table} rows copied ({elapsed:.1f} s)")
        _recount(db)
    finally:
        db.close()  # closed before the server starts: it must be the file's only writer


def _recount(db: sqlite3.Connection) -> None:
    """Rows copied behind LocalOcean's back are not in its tallies (the per-account counts that
    lists read their totals from): count them again, as loading a state document does."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tallies'").fetchone():
        return
    db.execute("DELETE FROM tallies")
    for kind in ("images", "actions", "vpcs", "tags", "clusters", "droplets"):
        removed = " WHERE removed_at IS NULL" if kind == "images" else ""
        db.execute(
            f"INSERT INTO tallies (account_id, kind, count) SELECT account_id, '{kind}', "
            f"count(*) FROM {kind}{removed} GROUP BY account_id"
        )
    db.commit()


@contextlib.contextmanager
def _serving(directory: Path, timeout: float = 60) -> Iterator[Client]:
    """A LocalOcean server on the data directory, and a client of it."""
    port = free_port()
    server = Server("LocalOcean lists", localocean_command(port, None, directory), port)
    try:
        server.start(timeout)
        client = Client(port)
        try:
            yield client
        finally:
            client.close()
    finally:
        server.stop()


def run(list_sizes: list[int], progress: Progress, requests: int = REQUESTS) -> list[ListResult]:
    results = [ListResult(spec) for spec in LISTS]
    with tempfile.TemporaryDirectory(prefix="localocean-bench-") as temp:
        # One data directory per size, each grown from a copy of the one before; one server on
        # each, all running at once so that the requests can be interleaved.
        directories = {size: Path(temp) / f"n{size}" for size in list_sizes}
        previous: Path | None = None
        for size, directory in directories.items():
            if previous is None:
                with _serving(directory) as client:
                    _seed(client)
            else:
                shutil.copytree(previous, directory)
            _grow_all(directory / "localocean.db", results, size, progress)
            previous = directory
        with contextlib.ExitStack() as stack:
            progress("lists: starting one server per size")
            clients = {
                size: stack.enter_context(_serving(directory, timeout=180))
                for size, directory in directories.items()
            }
            for result in results:
                if not result.skipped:
                    _measure(clients, result, requests)
    return results
