"""Watches: the log of changes (`store.kube_changes`) streamed as Kubernetes watch events.

A committed change wakes this process's watches at once (`notify`); every watch also looks at
the log on a short interval, which covers changes made by another LocalOcean process sharing
the database."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from localocean.areas.kubeapi import store
from localocean.areas.kubeapi.objects import Kube
from localocean.core.area import Runtime

POLL_SECONDS = 1.0
BOOKMARK_SECONDS = 60.0
MAX_TIMEOUT = 1800.0


class Hub:
    """Which watches wait on which cluster; `notify` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def subscribe(self, cluster_id: str) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.setdefault(cluster_id, set()).add(entry)
        return entry

    def unsubscribe(
        self, cluster_id: str, entry: tuple[asyncio.AbstractEventLoop, asyncio.Event]
    ) -> None:
        with self._lock:
            waiting = self._waiting.get(cluster_id)
            if waiting is not None:
                waiting.discard(entry)
                if not waiting:
                    self._waiting.pop(cluster_id)

    def notify(self, cluster_id: str) -> None:
        with self._lock:
            entries = list(self._waiting.get(cluster_id, ()))
        for loop, event in entries:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)


HUB = Hub()
_NOTIFYING = "localocean.kube_notify"
CHANNEL = "localocean_kube"


def notify_after_commit(kube: Kube) -> None:
    """Wake the cluster's watches once this transaction has committed: this process's at once,
    and on PostgreSQL every other process's too (NOTIFY is delivered at commit)."""
    from sqlalchemy import text

    from localocean.core.db import Database

    connection = kube.connection
    clusters: set[str] = Database.transaction_state(connection).setdefault(_NOTIFYING, set())
    if kube.cluster_id in clusters:
        return
    clusters.add(kube.cluster_id)
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_notify(:channel, :cluster)"),
            {"channel": CHANNEL, "cluster": kube.cluster_id},
        )

    def wake() -> None:
        HUB.notify(kube.cluster_id)

    Database.after_commit(connection, wake)


Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Matches = Callable[[dict[str, Any]], bool]
Render = Callable[[dict[str, Any], bool], Any]


async def stream(
    send: Send,
    receive: Receive,
    read: Callable[[Callable[[Any], Any]], Awaitable[Any]],
    cluster_id: str,
    group: str,
    plural: str,
    namespace: str | None,
    matches: Matches,
    since: int,
    initial: list[dict[str, Any]],
    timeout: float,
    bookmarks: bool,
    initial_events_end: bool,
    render: Render,
    empty_object: dict[str, Any],
) -> None:
    """Send watch events from version `since` until the timeout or the client goes.

    `initial` objects are sent first as ADDED (a watch from "0", or `sendInitialEvents`);
    `render(obj, first)` shapes each event's object (a Table row for `kubectl get -w`)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-cache, private"),
            ],
        }
    )
    first = [True]

    async def event(kind: str, obj: dict[str, Any]) -> None:
        body = orjson.dumps({"type": kind, "object": render(obj, first[0])}) + b"\n"
        first[0] = False
        await send({"type": "http.response.body", "body": body, "more_body": True})

    def bookmark(version: int, end: bool = False) -> dict[str, Any]:
        metadata: dict[str, Any] = {"resourceVersion": str(version)}
        if end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {**empty_object, "metadata": metadata}

    matching: set[tuple[str, str]] = set()
    for obj in initial:
        matching.add(_key(obj))
        await event("ADDED", obj)
    if initial_events_end:
        await send(
            {
                "type": "http.response.body",
                "body": orjson.dumps({"type": "BOOKMARK", "object": bookmark(since, True)}) + b"\n",
                "more_body": True,
            }
        )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(timeout, MAX_TIMEOUT)
    gone = asyncio.ensure_future(_disconnected(receive))
    entry = HUB.subscribe(cluster_id)
    last_sent = loop.time()
    try:
        while not gone.done():
            entry[1].clear()

            def changes(connection: Any, after: int = since) -> tuple[int, list[Any]]:
                state = store.state(connection, cluster_id)
                compacted = int(state.compacted_version) if state is not None else 0
                return compacted, store.changes_after(connection, cluster_id, after)

            compacted, rows = await read(changes)
            if since < compacted:
                await _send_expired(send, since, compacted)
                return
            for row in rows:
                since = int(row.resource_version)
                if (row.api_group, row.resource) != (group, plural):
                    continue
                if namespace is not None and row.namespace != namespace:
                    continue
                obj = row.body
                key = _key(obj)
                now_matches = matches(obj)
                was = key in matching
                if row.type == "DELETED":
                    if was or now_matches:
                        matching.discard(key)
                        await event("DELETED", obj)
                elif now_matches:
                    matching.add(key)
                    await event("MODIFIED" if was and row.type != "ADDED" else "ADDED", obj)
                elif was:
                    matching.discard(key)
                    await event("DELETED", obj)
                last_sent = loop.time()
            if len(rows) >= 500:
                continue  # more are waiting
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            if bookmarks and loop.time() - last_sent >= BOOKMARK_SECONDS:
                await send(
                    {
                        "type": "http.response.body",
                        "body": orjson.dumps({"type": "BOOKMARK", "object": bookmark(since)})
                        + b"\n",
                        "more_body": True,
                    }
                )
                last_sent = loop.time()
            waiter = asyncio.ensure_future(entry[1].wait())
            await asyncio.wait(
                {waiter, gone},
                timeout=min(POLL_SECONDS, remaining),
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
    finally:
        HUB.unsubscribe(cluster_id, entry)
        gone.cancel()
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    metadata = obj.get("metadata", {})
    return str(metadata.get("namespace", "")), str(metadata.get("name", ""))


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _send_expired(send: Send, since: int, compacted: int) -> None:
    from localocean.areas.kubeapi.errors import gone

    body = orjson.dumps({"type": "ERROR", "object": gone(since, compacted + 1).status()}) + b"\n"
    await send({"type": "http.response.body", "body": body, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class Notifications(Runtime):
    """On PostgreSQL: LISTEN for the changes other processes commit, and wake this process's
    watches of their clusters at once (without it they see them at their next look)."""

    def __init__(self, services: Any):
        self.services = services
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        url = self.services.db.engine.url
        if url.get_backend_name() == "postgresql":
            self._task = asyncio.get_running_loop().create_task(self._listen(url))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self, url: Any) -> None:
        from localocean.core.db import listen

        await listen(url, CHANNEL, HUB.notify)
