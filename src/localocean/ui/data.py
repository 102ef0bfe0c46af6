"""What the dashboard reads: accounts, tokens and tallies, the areas' own GET operations called
as an account, tags' resources, a cluster's Kubernetes nodes and pods, the journal, and the
fingerprint of everything that can change (the event stream)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from localocean.core import accounts as account_store
from localocean.core.accounts import Principal
from localocean.core.errors import NotFound, Unprocessable
from localocean.core.operations import PARAMS, Call, Operation, Raw
from localocean.core.router import Route, Router
from localocean.core.services import Services
from localocean.core.tables import (
    accounts as accounts_table,
)
from localocean.core.tables import (
    clock_state,
    counters,
    fault_rules,
    metadata,
    tagged_resources,
    tags,
    tallies,
    tokens,
    transitions,
)
from localocean.core.tables import journal as journal_table

ACCOUNTS_PER_PAGE = 50
JOURNAL_ROWS = 200
PODS_LIMIT = 2000
TAGGED_LIMIT = 500
ALIASES = ("/v2/floating_ips",)  # the same resources as /v2/reserved_ips, under the old name
# Sub-collections a resource's page opens at once (the rest open when clicked).
OPEN = ("actions", "node_pools", "members", "records", "rules", "resources")


@dataclass(frozen=True)
class Model:
    collections: list[dict[str, Any]]
    router: Router


_MODELS: dict[int, Model] = {}


def _model(services: Services) -> Model:
    """Collections from the operations served: a list operation with a `.../{id}` operation
    beside it. Built once per server."""
    found = _MODELS.get(id(services))
    if found is not None:
        return found
    gets = [op for op in services.operations if op.is_digitalocean and op.method == "GET"]
    router = Router()
    for op in gets:
        router.add(Route("GET", op.path, _never, op))
    by_path = {op.path: op for op in gets}
    collections = []
    for op in gets:
        if "{" in op.path or not op.path.startswith("/v2/") or op.path in ALIASES:
            continue
        detail = _detail(op, gets)
        if detail is None:
            continue
        subs = [
            other.path
            for other in gets
            if other.path.startswith(detail.path + "/")
            and "{" not in other.path[len(detail.path) :]
        ]
        collections.append(
            {
                "name": op.path.removeprefix("/v2/"),
                "path": op.path,
                "detail": detail.path,
                "subs": [
                    {"path": sub, "name": sub[len(detail.path) + 1 :], "open": _opens(sub)}
                    for sub in subs
                ],
                "list_operation": op.operation_id,
                "detail_operation": by_path[detail.path].operation_id,
            }
        )
    found = Model(collections, router)
    _MODELS[id(services)] = found
    return found


def _opens(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in OPEN


def _detail(listed: Operation, gets: list[Operation]) -> Operation | None:
    for op in gets:
        rest = op.path.removeprefix(listed.path + "/")
        if rest != op.path and rest.startswith("{") and rest.endswith("}") and "/" not in rest:
            return op
    return None


async def _never(*_: Any) -> None:  # the model's router only finds operations
    raise NotFound()


def collections(services: Services) -> list[dict[str, Any]]:
    return _model(services).collections


def _principal(connection: Connection, key: str) -> Principal:
    account_id = account_store.find_account(connection, key)
    row = account_store.get(connection, account_id) if account_id else None
    if row is None:
        raise NotFound(f"no account {key!r}")
    return Principal(row.id, row.number, "dashboard", ("*",), row.created_at)


def _run(
    call: Call, connection: Connection, principal: Principal, path: str, query: bytes
) -> tuple[Any, dict[str, str]]:
    """A DigitalOcean GET operation's handler, called as `principal` would call it."""
    route, params, _ = _model(call.services).router.match("GET", path)
    if route is None:
        raise NotFound(f"no operation serves GET {path}")
    operation: Operation = route.operation
    scope = {
        **{key: call.scope[key] for key in ("type", "scheme", "server", "headers")},
        "method": "GET",
        "path": path,
        "query_string": query,
        PARAMS: params,
    }
    inner = Call(scope, call.services, principal, params, b"")
    inner.connection = connection
    return operation.handler(inner), params


def call_operation(call: Call, key: str, path: str) -> dict[str, Any]:
    services = call.services
    services.lifecycle.apply_if_due()
    with services.db.transaction() as connection:
        principal = _principal(connection, key)
        query = call.scope.get("query_string", b"")
        result, params = _run(call, connection, principal, path, query)
        scheduled: list[dict[str, Any]] = []
        if params:
            resource_id = list(params.values())[-1]
            scheduled = [
                {"kind": row.kind, "target": row.target, "due_at": row.due_at}
                for row in connection.execute(
                    select(transitions.c.kind, transitions.c.target, transitions.c.due_at)
                    .where(
                        transitions.c.account_id == principal.account_id,
                        transitions.c.resource_id == resource_id,
                    )
                    .order_by(transitions.c.due_at)
                    .limit(20)
                )
            ]
    answer: dict[str, Any] = {"now": services.clock.now(), "transitions": scheduled}
    if isinstance(result, Raw):
        answer["raw"] = result.body.decode("utf-8", "replace")
        answer["media_type"] = result.media_type
    else:
        answer["result"] = result
    return answer


def _token_rows(connection: Connection, account_ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict[str, Any]]] = {}
    rows = connection.execute(
        select(tokens).where(tokens.c.account_id.in_(account_ids)).order_by(tokens.c.created_at)
    )
    for row in rows:
        found.setdefault(row.account_id, []).append(
            {
                # Only a hash of each token is kept: the dashboard shows its beginning.
                "token": f"sha256:{row.token_hash[:10]}…",
                "scopes": list(row.scopes),
                "created_at": row.created_at,
            }
        )
    return found


def _account(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "email": row.email,
        "number": row.number,
        "created_at": row.created_at,
    }


def accounts(services: Services, page: int) -> dict[str, Any]:
    with services.db.transaction() as connection:
        total = connection.execute(select(func.count()).select_from(accounts_table)).scalar()
        rows = connection.execute(
            select(accounts_table)
            .order_by(accounts_table.c.created_at, accounts_table.c.id)
            .limit(ACCOUNTS_PER_PAGE)
            .offset((page - 1) * ACCOUNTS_PER_PAGE)
        ).all()
        ids = [row.id for row in rows]
        held = _token_rows(connection, ids)
        counts: dict[str, dict[str, int]] = {}
        for row in connection.execute(select(tallies).where(tallies.c.account_id.in_(ids))):
            counts.setdefault(row.account_id, {})[row.kind] = int(row._mapping["count"])
        pending: dict[str, int] = {
            account_id: int(number)
            for account_id, number in connection.execute(
                select(transitions.c.account_id, func.count())
                .where(transitions.c.account_id.in_(ids))
                .group_by(transitions.c.account_id)
            )
        }
    return {
        "accounts": [
            {
                **_account(row),
                "tokens": held.get(row.id, []),
                "counts": counts.get(row.id, {}),
                "pending": int(pending.get(row.id, 0)),
            }
            for row in rows
        ],
        "total": int(total or 0),
        "page": page,
        "per_page": ACCOUNTS_PER_PAGE,
    }


def account(call: Call, key: str) -> dict[str, Any]:
    """One account, its tokens, and the number of resources in each collection (each list
    operation's own total, read with one item per page)."""
    services = call.services
    services.lifecycle.apply_if_due()
    with services.db.transaction() as connection:
        principal = _principal(connection, key)
        row = account_store.get(connection, principal.account_id)
        counts = {}
        for collection in collections(services):
            result, _ = _run(call, connection, principal, collection["path"], b"per_page=1")
            counts[collection["path"]] = _total(result)
        held = _token_rows(connection, [principal.account_id])
    return {
        "account": {**_account(row), "tokens": held.get(principal.account_id, [])},
        "counts": counts,
    }


def _total(result: Any) -> int | None:
    if not isinstance(result, dict):
        return None
    total = (result.get("meta") or {}).get("total")
    if isinstance(total, int):
        return total
    lists = [value for value in result.values() if isinstance(value, list)]
    return len(lists[0]) if lists else None


def tagged(services: Services, key: str, tag: str) -> dict[str, Any]:
    with services.db.transaction() as connection:
        account_id = account_store.find_account(connection, key)
        if account_id is None:
            raise NotFound(f"no account {key!r}")
        rows = connection.execute(
            select(tagged_resources.c.resource_type, tagged_resources.c.resource_id)
            .join(tags, tags.c.id == tagged_resources.c.tag_id)
            .where(tags.c.account_id == account_id, tags.c.name == tag)
            .order_by(tagged_resources.c.resource_type, tagged_resources.c.id)
            .limit(TAGGED_LIMIT)
        ).all()
    return {"resources": [{"type": row[0], "id": row[1]} for row in rows]}


def kube(services: Services, cluster_id: str) -> dict[str, Any]:
    """Nodes and the pods on each, when the cluster's Kubernetes API exists (`kubeapi`)."""
    objects = metadata.tables.get("kube_objects")
    if objects is None:
        return {"available": False, "nodes": [], "unscheduled": []}
    with services.db.transaction() as connection:
        rows = connection.execute(
            select(objects.c.resource, objects.c.namespace, objects.c.name, objects.c.body)
            .where(
                objects.c.cluster_id == cluster_id,
                objects.c.api_group == "",
                objects.c.resource.in_(("nodes", "pods")),
            )
            .order_by(objects.c.resource, objects.c.node, objects.c.namespace, objects.c.name)
            .limit(PODS_LIMIT)
        ).all()
    nodes: dict[str, dict[str, Any]] = {}
    unscheduled = []
    for resource, _namespace, name, body in rows:
        if resource == "nodes":
            conditions = (body.get("status") or {}).get("conditions") or []
            ready = next((c["status"] for c in conditions if c.get("type") == "Ready"), "Unknown")
            labels = (body.get("metadata") or {}).get("labels") or {}
            nodes[name] = {
                "name": name,
                "ready": ready == "True",
                "pool": labels.get("doks.digitalocean.com/node-pool", ""),
                "droplet_id": (body.get("spec") or {}).get("providerID", "").rsplit("/", 1)[-1],
                "pods": [],
            }
    for resource, namespace, name, body in rows:
        if resource != "pods":
            continue
        pod = {
            "namespace": namespace,
            "name": name,
            "phase": (body.get("status") or {}).get("phase", ""),
            "created_at": (body.get("metadata") or {}).get("creationTimestamp"),
        }
        node = (body.get("spec") or {}).get("nodeName") or ""
        if node in nodes:
            nodes[node]["pods"].append(pod)
        else:
            unscheduled.append(pod)
    return {"available": bool(rows), "nodes": list(nodes.values()), "unscheduled": unscheduled}


def _slugs(connection: Connection, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = connection.execute(
        select(accounts_table.c.id, accounts_table.c.slug).where(accounts_table.c.id.in_(ids))
    )
    return dict(rows.all())


def journal(call: Call) -> dict[str, Any]:
    """The newest entries (bodies left out: one entry's are read when it is opened), filtered
    by method, path pattern, status and account."""
    query = call.query
    services = call.services
    status, who = query.get("status", ""), query.get("account", "")
    if status and not status.rstrip("x").isdigit():
        raise Unprocessable("status is a code (404) or a class (4xx)")
    with services.db.transaction() as connection:
        entries = services.journal.query(
            query.get("method") or None, query.get("path") or None, None, connection, bodies=False
        )
        slugs = _slugs(connection, {entry["account"] for entry in entries if entry["account"]})
    rows = []
    for entry in reversed(entries):
        if status and not str(entry["status"]).startswith(status.rstrip("x")):
            continue
        slug = slugs.get(entry["account"] or "", "")
        if who and who not in (slug, entry["account"]):
            continue
        rows.append(
            {
                key: entry[key]
                for key in ("time", "method", "path", "query", "status", "duration_ms")
            }
            | {"request_id": entry["request_id"], "account": slug or entry["account"]}
        )
        if len(rows) >= JOURNAL_ROWS:
            break
    return {"requests": rows, "size": services.journal.size}


def journal_entry(services: Services, request_id: str) -> dict[str, Any]:
    with services.db.transaction() as connection:
        found = services.journal.query(None, None, None, connection, request_id=request_id)
    if not found:
        raise NotFound(f"no request {request_id} in the journal")
    return {"request": found[-1]}


def _fingerprint_statement(shared_journal: bool) -> Any:
    values = [
        select(func.count()).select_from(transitions),
        select(func.max(transitions.c.id)),
        select(func.sum(tallies.c.count)),
        select(func.count()).select_from(tallies),
        select(func.sum(counters.c.value)),
        select(func.max(clock_state.c.offset_seconds)),
        select(func.max(clock_state.c.frozen_at)),
        select(func.count()).select_from(fault_rules),
        select(func.sum(fault_rules.c.fired)),
    ]
    changes = metadata.tables.get("kube_changes")
    if changes is not None:
        values.append(select(func.max(changes.c.resource_version)))
    if shared_journal:
        values.append(select(func.max(journal_table.c.id)))
    return select(*(value.scalar_subquery() for value in values))


_FINGERPRINT = {shared: _fingerprint_statement(shared) for shared in (False, True)}


# The newest fingerprint read (the services it is of, when, what): every open tab's stream
# shares it rather than reading the database itself.
_latest: tuple[Services, float, tuple[Any, ...]] | None = None


def fingerprint(services: Services, fresh_for: float) -> tuple[Any, ...]:
    """Changes whenever anything the dashboard shows may have: resources (tallies, scheduled
    transitions, counters), the clock, fault rules, Kubernetes objects, the journal (this
    process's, or on PostgreSQL the one every process writes four times a second). One read
    younger than `fresh_for` seconds is reused."""
    global _latest
    now = time.monotonic()
    if _latest is not None and _latest[0] is services and now - _latest[1] < fresh_for:
        return _latest[2]
    with services.db.transaction() as connection:
        row = connection.execute(_FINGERPRINT[services.journal.shared]).first()
    entries = services.journal.entries
    last = entries[-1]["request_id"] if entries else None
    value = (*(row or ()), len(entries), last, services.timing.profile)
    _latest = (services, now, value)
    return value
