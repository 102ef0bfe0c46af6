"""A real LocalOcean server process for tests: started with `localocean serve --port 0`."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

URL_LINE = re.compile(r"DigitalOcean API at (https?://\S+)")


class ServerProcess:
    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.url = ""
        self.output = ""
        self.process: subprocess.Popen[str] | None = None
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._reader: threading.Thread | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
            "w+", prefix="localocean-", suffix=".log"
        )

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self._log.seek(0)
        self._log.truncate()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localocean", "serve", "--port", "0", *self.args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=self.env,
        )
        assert self.process.stdout is not None
        # readline() blocks until the server prints: a thread reads, so that waiting for the
        # banner can give up at the deadline, and keeps reading so the pipe never fills up.
        self._lines = queue.SimpleQueue()
        self._reader = threading.Thread(
            target=_forward, args=(self.process.stdout, self._lines), daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        waited = ""
        while True:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                waited = f" within {timeout:g}s"
                break
            if line is None:
                break
            lines.append(line)
            match = URL_LINE.search(line)
            if match:
                self.url = match.group(1)
            if self.url and "Ctrl-C stops" in line:  # the banner's last line
                self.output = "".join(lines)
                return self
        self.stop()
        raise RuntimeError(f"server did not start{waited}: {''.join(lines)}\n{self.logs()}")

    def logs(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        reading = False
        if self._reader is not None:
            # The process is gone, so its stdout ends and the reader stops, unless a child of
            # the server still holds the pipe: then neither wait for it nor close the pipe under
            # it (close would wait for its read).
            self._reader.join(timeout=5)
            reading = self._reader.is_alive()
            self._reader = None
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.output += line
        if self.process.stdout and not reading:
            self.process.stdout.close()
        self.process = None
        return code

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        self._log.close()


def _forward(stream: IO[str], lines: queue.SimpleQueue[str | None]) -> None:
    """Every line of `stream`, then None at its end."""
    try:
        for line in stream:
            lines.put(line)
    finally:
        lines.put(None)
