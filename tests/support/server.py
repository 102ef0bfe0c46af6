"""A real LocalOcean server process for tests: started with `localocean serve --port 0`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

URL_LINE = re.compile(r"DigitalOcean API at (https?://\S+)")


class ServerProcess:
    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.url = ""
        self.output = ""
        self.process: subprocess.Popen[str] | None = None
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
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = URL_LINE.search(line)
            if match:
                self.url = match.group(1)
            if self.url and "Ctrl-C stops" in line:  # the banner's last line
                self.output = "".join(lines)
                return self
        self.stop()
        raise RuntimeError(f"server did not start: {''.join(lines)}\n{self.logs()}")

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
        if self.process.stdout:
            self.output += self.process.stdout.read()
            self.process.stdout.close()
        self.process = None
        return code

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        self._log.close()
