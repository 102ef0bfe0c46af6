"""A local HTTP server for image imports: files from memory, redirects, errors, slow streams."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ImageServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.slow: dict[str, tuple[bytes, float]] = {}  # path -> (data, seconds in all)
        self.aborted: set[str] = set()
        self.completed: set[str] = set()
        self.requests: list[str] = []
        # Every connection accepted, requests or not: a refused destination is never reached.
        self.connections = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path in server.files:
                    data = server.files[self.path]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif self.path in server.slow:
                    self._trickle(*server.slow[self.path])
                else:
                    self.send_error(404)

            def _trickle(self, data: bytes, seconds: float) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                pieces = 50
                size = -(-len(data) // pieces)
                try:
                    for start in range(0, len(data), size):
                        self.wfile.write(data[start : start + size])
                        self.wfile.flush()
                        time.sleep(seconds / pieces)
                    server.completed.add(self.path)
                except OSError:
                    server.aborted.add(self.path)

        class CountingServer(ThreadingHTTPServer):
            def get_request(self) -> tuple[socket.socket, Any]:
                accepted = super().get_request()
                server.connections += 1
                return accepted

        self.httpd = CountingServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, path: str, data: bytes) -> str:
        self.files[path] = data
        return self.url + path

    def redirect(self, path: str, target: str) -> str:
        self.redirects[path] = target
        return self.url + path

    def add_slow(self, path: str, data: bytes, seconds: float) -> str:
        self.slow[path] = (data, seconds)
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
