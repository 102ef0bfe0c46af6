"""Custom-image imports: a real, streaming download of the user's URL.

Each import runs as a task beside the API. It downloads the URL with httpx (redirects followed
one hop at a time), decompresses gzip or bzip2 on the fly, recognises the disk format from its
first bytes, counts the whole stream against the size limit, and keeps nothing of the data.
Every connection resolves its host once, checks each answer against the URL policy and connects
to exactly the address it checked: a DNS answer that changes between the check and the
connection (DNS rebinding) never reaches a refused address.

The outcome is then scheduled as an `image.import` transition, so the timing profile and the
clock decide when the image turns `available` (or `deleted` with an error). Imports still
unfinished when the server stopped start again at the next start.
"""

from __future__ import annotations

import asyncio
import bz2
import contextlib
import ipaddress
import logging
import math
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from localocean.areas.images import disk_formats, store, url_policy
from localocean.areas.images.disk_formats import Disk, DiskError, NeedMore
from localocean.areas.images.rules import IMPORT
from localocean.core.area import Runtime
from localocean.core.db import Database
from localocean.core.lifecycle import Lifecycle

if TYPE_CHECKING:
    import httpcore
    import httpx

    _NetworkBackend = httpcore.AsyncNetworkBackend
else:
    # httpcore takes 0.14 s to import: it is imported when the first import runs, and until
    # then the backend below needs no base class, since httpcore only calls its methods.
    _NetworkBackend = object

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CHUNK = 1024 * 1024
GIB = 1024**3
CONNECT_TIMEOUT, READ_TIMEOUT = 10.0, 30.0


class ImportFailure(Exception):
    """The import cannot succeed; the message becomes the image's `error_message`."""


Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Answers the addresses of a host name (the port is a hint, as for getaddrinfo)."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _CheckedBackend(_NetworkBackend):
    """httpcore's way to the network, allowed only to addresses the URL policy accepts.

    The host is resolved here, once per connection, and the connection is opened to the IP
    literal that was checked, so nothing resolves it again in between. httpcore still hands the
    original host name to TLS, for SNI and the certificate check.
    """

    def __init__(self, policy: str, resolver: Resolver):
        import httpcore

        self.policy = policy
        self.resolver = resolver
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        import httpcore

        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        addresses = await self._resolve(host, port, deadline)
        for address in addresses:
            reason = url_policy.refusal(address, self.policy)
            if reason:
                raise ImportFailure(f"refused to connect to {host}: {reason}")

        async def connect(address: str) -> httpcore.AsyncNetworkStream:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            return await self._network.connect_tcp(
                address, port, timeout=left, local_address=local_address,
                socket_options=socket_options,
            )  # fmt: skip

        # Every address is allowed: like a resolving client, try them in the resolver's order
        # (localhost may answer ::1 first while the server listens on 127.0.0.1 only).
        for address in addresses[:-1]:
            with contextlib.suppress(httpcore.ConnectError):
                return await connect(address)
        return await connect(addresses[-1])

    async def _resolve(self, host: str, port: int, deadline: float | None) -> list[str]:
        import httpcore

        try:
            return [str(ipaddress.ip_address(host))]  # a literal is checked without any lookup
        except ValueError:
            pass
        try:
            async with asyncio.timeout_at(deadline):
                addresses = list(await self.resolver(host, port))
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out resolving {host}") from exc
        except OSError as exc:
            raise ImportFailure(f"cannot resolve host {host}: {exc}") from exc
        if not addresses:
            raise ImportFailure(f"cannot resolve host {host}: no address")
        return addresses

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


def _checked_transport(policy: str, resolver: Resolver) -> httpx.AsyncBaseTransport:
    import httpcore
    import httpx

    ssl_context = httpx.create_ssl_context(trust_env=False)
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False)
    # httpx has no parameter for a network backend, so the pool it built (which would resolve
    # and connect on its own) is replaced. Checked first: should a later httpx keep its pool
    # elsewhere, imports must fail rather than connect unchecked.
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError("this httpx keeps no connection pool in _pool; the importer needs one")
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context, network_backend=_CheckedBackend(policy, resolver)
    )
    return transport


@dataclass(frozen=True)
class Outcome:
    virtual_size: int = 0
    stored_size: int = 0
    format: str = ""
    error: str | None = None

    def payload(self) -> dict[str, Any]:
        if self.error is not None:
            return {"error": self.error}
        return {
            "format": self.format,
            "min_disk_size": max(1, math.ceil(self.virtual_size / GIB)),
            "size_gigabytes": max(0.01, round(self.stored_size / GIB, 2)),
        }


class _Decompressor:
    """gzip or bzip2, in bounded pieces (no decompression bomb fills memory), multi-member safe."""

    def __init__(self, kind: str):
        self.kind = kind
        self._d = self._new()
        self._in_member = False  # bytes of a member were fed that did not reach its end yet

    @property
    def ended(self) -> bool:
        """Whether the stream so far ends where a member ends, as a whole stream must."""
        return not self._in_member

    def _new(self) -> Any:
        return (
            zlib.decompressobj(zlib.MAX_WBITS | 16)
            if self.kind == "gzip"
            else bz2.BZ2Decompressor()
        )

    def feed(self, data: bytes) -> list[bytes]:
        pieces: list[bytes] = []
        self._in_member = self._in_member or bool(data)
        while True:
            out = self._d.decompress(data, CHUNK)
            if out:
                pieces.append(out)
            data = getattr(self._d, "unconsumed_tail", b"")
            if self._d.eof:
                data = self._d.unused_data + data
                self._d = self._new()
                self._in_member = bool(data)
                if not data:
                    return pieces
            elif not data and len(out) < CHUNK and getattr(self._d, "needs_input", True):
                return pieces


class ImageImporter(Runtime):
    def __init__(
        self,
        db: Database,
        lifecycle: Lifecycle,
        policy: str,
        size_limit: int,
        resolver: Resolver = system_resolver,
    ):
        self.db = db
        self.lifecycle = lifecycle
        self.policy = policy
        self.size_limit = size_limit
        self.resolver = resolver
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._owners: dict[int, str] = {}

    # Managing tasks

    def begin(self, image_id: int, url: str, account_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(image_id, url))
        self._tasks[image_id] = task
        self._owners[image_id] = account_id
        task.add_done_callback(lambda _: self._forget(image_id))

    def _forget(self, image_id: int) -> None:
        self._tasks.pop(image_id, None)
        self._owners.pop(image_id, None)

    def cancel(self, image_id: int) -> None:
        task = self._tasks.pop(image_id, None)
        if task is not None:
            task.cancel()

    async def wait(self, account_id: str, image_id: int | None, timeout: float) -> None:
        """Wait for one of the account's imports (or, with None, all of them) to download."""
        tasks = [
            task
            for key, task in list(self._tasks.items())
            if self._owners.get(key) == account_id and image_id in (None, key)
        ]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    def start(self) -> None:
        self.resume()

    def resume(self) -> int:
        """Start again every import that a stop interrupted before its outcome was scheduled."""
        with self.db.transaction() as connection:
            waiting = {int(r) for r in self.lifecycle.scheduled_resources(connection, IMPORT)}
            unfinished = [row for row in store.unfinished(connection) if row.id not in waiting]
        for row in unfinished:
            log.info("resuming the import of image %s", row.id)
            self.begin(row.id, row.url, row.account_id)
        return len(unfinished)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # One import

    async def _run(self, image_id: int, url: str) -> None:
        with self.db.transaction() as connection:
            if not store.change_if(connection, image_id, ("NEW", "pending"), status="pending"):
                return  # deleted meanwhile
        try:
            outcome = await self.fetch(url)
        except asyncio.CancelledError:
            raise
        except ImportFailure as exc:
            outcome = Outcome(error=str(exc))
        except Exception as exc:  # anything else is still the import failing, never a crash
            log.exception("import of image %s failed unexpectedly", image_id)
            outcome = Outcome(error=f"the import failed: {exc}")
        gigabytes = outcome.stored_size / GIB
        with self.db.transaction() as connection:
            image = store.get_any(connection, image_id)
            if image is None or image.removed_at is not None:
                return
            delay = self.lifecycle.timing.delay(IMPORT, gigabytes)
            self.lifecycle.schedule(
                connection, IMPORT, "image", image_id, "finished", outcome.payload(), delay=delay,
                account_id=image.account_id,
            )  # fmt: skip
        log.info("import of image %s: %s", image_id, outcome.error or outcome.format)

    async def fetch(self, url: str) -> Outcome:
        import httpx  # imported when the first import runs: it adds 0.1 s to start-up

        timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        transport = _checked_transport(self.policy, self.resolver)
        async with httpx.AsyncClient(
            timeout=timeout, transport=transport, trust_env=False
        ) as client:
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    async with client.stream("GET", url) as response:
                        if response.is_redirect:
                            url = self._next_hop(url, response.headers.get("location", ""))
                            continue
                        if response.status_code >= 400:
                            raise ImportFailure(
                                f"the server answered HTTP {response.status_code} for {url}"
                            )
                        return await self._consume(response.aiter_bytes())
                except httpx.TimeoutException as exc:
                    raise ImportFailure(f"timed out downloading {url}") from exc
                except httpx.HTTPError as exc:
                    raise ImportFailure(f"could not download {url}: {exc}") from exc
        raise ImportFailure(f"too many redirects (more than {MAX_REDIRECTS})")

    @staticmethod
    def _next_hop(url: str, location: str) -> str:
        target = urljoin(url, location)
        if urlsplit(target).scheme not in ("http", "https"):
            raise ImportFailure(f"redirect to a URL that is not http or https: {target}")
        return target

    async def _consume(self, chunks: AsyncIterator[bytes]) -> Outcome:
        head = bytearray()
        decompressor: _Decompressor | None = None
        compression_known = False
        disk: Disk | None = None
        header = bytearray()
        total = 0
        stored = 0

        def take(data: bytes) -> None:
            nonlocal total, disk
            total += len(data)
            if total > self.size_limit:
                raise ImportFailure(
                    f"the image is larger than the limit of {self.size_limit / 1e9:g} GB "
                    "after decompression"
                )
            if disk is None and len(header) < disk_formats.MAX_HEADER:
                header.extend(data[: disk_formats.MAX_HEADER - len(header)])
                try:
                    disk = disk_formats.identify(bytes(header))
                except NeedMore as more:
                    if more.size > disk_formats.MAX_HEADER:
                        raise ImportFailure("the image header is too large") from None
                except DiskError as exc:
                    raise ImportFailure(str(exc)) from exc

        async for chunk in chunks:
            stored += len(chunk)
            if not compression_known:
                head.extend(chunk)
                if len(head) < 8:
                    continue
                try:
                    kind = disk_formats.compression(bytes(head))
                except DiskError as exc:
                    raise ImportFailure(str(exc)) from exc
                decompressor = _Decompressor(kind) if kind else None
                compression_known, chunk = True, bytes(head)
            if decompressor is None:
                take(chunk)
            else:
                # zlib and bz2 release the GIL: large images do not stall the API.
                try:
                    pieces = await asyncio.to_thread(decompressor.feed, chunk)
                except (OSError, EOFError, zlib.error, ValueError) as exc:
                    raise ImportFailure(f"corrupt compressed data: {exc}") from exc
                for piece in pieces:
                    take(piece)
        if decompressor is not None and not decompressor.ended:
            # zlib and bz2 take a cut stream as one still arriving, so only here can it be told
            raise ImportFailure("corrupt compressed data: the stream ended early")
        if not compression_known and head:
            take(bytes(head))
        if total == 0:
            raise ImportFailure("the image is empty")
        if disk is None:
            try:
                disk = disk_formats.identify(bytes(header), complete=True)
            except DiskError as exc:
                raise ImportFailure(str(exc)) from exc
        virtual = disk.virtual_size if disk.virtual_size is not None else total
        return Outcome(virtual_size=virtual, stored_size=total, format=disk.format)
