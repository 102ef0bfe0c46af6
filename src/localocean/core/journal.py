"""The request journal: what clients sent and got, newest last, bounded in memory."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import orjson

MAX_BODY = 64 * 1024


def body_value(raw: bytes) -> Any:
    """JSON bodies as JSON, others as text, large ones cut."""
    if not raw:
        return None
    if len(raw) > MAX_BODY:
        return raw[:MAX_BODY].decode("utf-8", "replace") + "...(truncated)"
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


class Journal:
    """Entries are kept raw (bytes, epoch seconds) and rendered only when someone reads them:
    recording stays cheap on every request."""

    def __init__(self, size: int, render_time: Callable[[float], str]):
        self.entries: deque[dict[str, Any]] = deque(maxlen=max(size, 1))
        self.enabled = size > 0
        self.render_time = render_time
        # Clients poll: the same body comes back again and again. Equal bodies are kept once.
        self._bodies: dict[bytes, bytes] = {}
        self._bodies_limit = 2 * max(size, 1)

    def _shared(self, body: bytes) -> bytes:
        if len(self._bodies) >= self._bodies_limit:
            self._bodies.clear()
        return self._bodies.setdefault(body, body)

    def record(self, entry: dict[str, Any]) -> None:
        entry["request_body"] = self._shared(entry["request_body"])
        entry["response_body"] = self._shared(entry["response_body"])
        self.entries.append(entry)

    def query(self, method: str | None, path: str | None, limit: int | None) -> list[dict]:
        found = [
            entry
            for entry in self.entries
            if (not method or entry["method"] == method.upper())
            and (not path or fnmatchcase(entry["path"], path))
        ]
        return [self._render(entry) for entry in (found[-limit:] if limit else found)]

    def _render(self, entry: dict[str, Any]) -> dict[str, Any]:
        return {
            **entry,
            "time": self.render_time(entry["time"]),
            "request_body": body_value(entry["request_body"]),
            "response_body": body_value(entry["response_body"]),
        }

    def clear(self) -> None:
        self.entries.clear()
        self._bodies.clear()
