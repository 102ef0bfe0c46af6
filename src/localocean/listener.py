"""The API port: plain HTTP, HTTPS, and an HTTPS proxy for DigitalOcean's API hosts, at once.

Each new connection's first bytes are peeked at (not consumed): a TLS handshake is served over
TLS; `CONNECT api.digitalocean.com:443` (or cloud.digitalocean.com) is answered `200 Connection
established` and the tunnel is served over TLS with LocalOcean's certificate for that host;
proxy requests for any other host are refused with 403 and logged, so LocalOcean is never an
open proxy; everything else is plain HTTP. The connection is then handed to uvicorn's own HTTP
protocol, so keep-alive, limits and graceful shutdown are uvicorn's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson

from localocean.core.pipeline import TUNNELLED
from localocean.tls import API_HOSTS

log = logging.getLogger("localocean.listener")

PEEK_LIMIT = 8192
HANDSHAKE_TIMEOUT = 10.0
TLS_RECORD = 0x16


class Listener:
    def __init__(
        self,
        sock: socket.socket,
        protocol_factory: Callable[[], asyncio.Protocol],
        tls_context: Callable[[], ssl.SSLContext],
        local_hosts: set[str],
        host_suffixes: tuple[str, ...] = (),
    ):
        self.sock = sock
        self.protocol_factory = protocol_factory
        self.tls_context = tls_context
        self.local_hosts = local_hosts
        # Hosts LocalOcean also answers for by name (each cluster's Kubernetes API).
        self.host_suffixes = host_suffixes
        self._accepting: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.sock.setblocking(False)
        self._accepting = asyncio.get_running_loop().create_task(self._accept())

    def close(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        for task in list(self._pending):
            task.cancel()

    async def wait_closed(self) -> None:
        if self._accepting is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            connection, _ = await loop.sock_accept(self.sock)
            connection.setblocking(False)
            task = loop.create_task(self._route(connection))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _route(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            head = await asyncio.wait_for(_peek(loop, connection), HANDSHAKE_TIMEOUT)
            if not head:
                connection.close()
                return
            if head[0] == TLS_RECORD:
                await self._serve(connection, tls=True)
                return
            method, target = _request_line(head)
            if method == "CONNECT":
                await self._tunnel(loop, connection, head, target)
            elif target.startswith(("http://", "https://")):  # a plain HTTP proxy's request
                if not self._ours(target):
                    await self._refuse(loop, connection, f"{method} {target}")
                else:
                    # A proxy client sends requests for any host on one connection: each is
                    # marked by the host it names.
                    await self._serve(connection, tls=False, mark=self._for_another_host)
            else:
                await self._serve(connection, tls=False)
        except (TimeoutError, OSError, ssl.SSLError, ValueError) as exc:
            log.debug("connection closed before it was served: %s", exc)
            connection.close()

    def _ours(self, target: str) -> bool:
        host = urlsplit(target).hostname or ""
        return host in API_HOSTS or host in self.local_hosts or self._named(host)

    def _named(self, host: str) -> bool:
        return any(host.endswith(suffix) and host != suffix[1:] for suffix in self.host_suffixes)

    def _for_another_host(self, scope: Any) -> bool:
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        return urlsplit("//" + host.decode("latin-1")).hostname not in self.local_hosts

    async def _serve(
        self, connection: socket.socket, tls: bool, mark: Callable[[Any], bool] | None = None
    ) -> None:
        loop = asyncio.get_running_loop()
        await loop.connect_accepted_socket(
            self.protocol_factory if mark is None else partial(self._marking, mark),
            connection,
            ssl=self.tls_context() if tls else None,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT if tls else None,
        )

    def _marking(self, mark: Callable[[Any], bool]) -> asyncio.Protocol:
        """uvicorn's protocol for a connection through the proxy (its tunnel, or plain HTTP
        proxy requests): the requests `mark` picks (all of a tunnel's, those of a proxy request
        for DigitalOcean's host) carry `TUNNELLED` in their scope (the dashboard is never
        served there)."""
        protocol = self.protocol_factory()
        app = protocol.app  # type: ignore[attr-defined]

        async def marked(scope: Any, receive: Any, send: Any) -> None:
            if mark(scope):
                scope[TUNNELLED] = True
            await app(scope, receive, send)

        protocol.app = marked  # type: ignore[attr-defined]
        return protocol

    async def _tunnel(
        self, loop: asyncio.AbstractEventLoop, connection: socket.socket, head: bytes, target: str
    ) -> None:
        host, _, port = target.rpartition(":")
        if (host not in API_HOSTS and not self._named(host)) or port != "443":
            await self._refuse(loop, connection, f"CONNECT {target}")
            return
        end = head.find(b"\r\n\r\n")
        request = await _read_exactly(loop, connection, end + 4)
        if not request.endswith(b"\r\n\r\n"):
            raise ValueError("incomplete CONNECT request")
        await loop.sock_sendall(connection, b"HTTP/1.1 200 Connection established\r\n\r\n")
        await self._serve(connection, tls=True, mark=_always)

    async def _refuse(self, loop: asyncio.AbstractEventLoop, connection: socket.socket, what: str):
        log.warning("refused proxy request %s: LocalOcean only serves DigitalOcean's API", what)
        body = orjson.dumps(
            {
                "id": "forbidden",
                "message": f"LocalOcean is not a proxy for {what.split(' ', 1)[1]}",
                "request_id": str(uuid.uuid4()),
            }
        )
        response = (
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(OSError):
            # Read what the client sent (so far only peeked at): closing a socket with unread
            # data resets the connection, and the client could lose the answer.
            with contextlib.suppress(BlockingIOError):
                connection.recv(PEEK_LIMIT)
            await loop.sock_sendall(connection, response)
            connection.shutdown(socket.SHUT_WR)
        connection.close()


def _always(_scope: Any) -> bool:
    return True


def _request_line(head: bytes) -> tuple[str, str]:
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3:
        return "", ""
    return parts[0], parts[1]


async def _peek(loop: asyncio.AbstractEventLoop, connection: socket.socket) -> bytes:
    """The first bytes of the connection, left in place: one byte decides TLS; otherwise up to
    the end of the request head (CONNECT) or at least the request line."""
    while True:
        try:
            data = connection.recv(PEEK_LIMIT, socket.MSG_PEEK)
        except BlockingIOError:
            data = None
        if data is not None:
            if not data or data[0] == TLS_RECORD or b"\r\n\r\n" in data:
                return data
            if b"\r\n" in data and not data.startswith(b"CONNECT "):
                return data
            if len(data) >= PEEK_LIMIT:
                return data
            await asyncio.sleep(0.005)  # part of the head has arrived: wait for the rest
            continue
        readable = loop.create_future()
        loop.add_reader(connection.fileno(), readable.set_result, None)
        try:
            await readable
        finally:
            loop.remove_reader(connection.fileno())


async def _read_exactly(loop: asyncio.AbstractEventLoop, connection: socket.socket, size: int):
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(connection, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def serve_with_listener(server: Any, listener_factory: Callable[..., Listener]) -> Any:
    """Start-up for a uvicorn Server that listens through a `Listener`."""

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        import sys

        await server.lifespan.startup()
        if server.lifespan.should_exit:
            sys.exit(3)
        config = server.config

        def create_protocol(_loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Protocol:
            return config.http_protocol_class(
                config=config,
                server_state=server.server_state,
                app_state=server.lifespan.state,
                _loop=_loop,
            )

        assert sockets
        listener = listener_factory(sockets[0], create_protocol)
        await listener.start()
        server.servers = [listener]
        server.started = True

    return startup
