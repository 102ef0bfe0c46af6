"""Per-token sliding-window rate limits, reported in DigitalOcean's ratelimit-* headers."""

from __future__ import annotations

import math
import time
from collections import deque

from localocean.config import DEFAULT_RATE_LIMIT, RateLimit

Headers = list[tuple[bytes, bytes]]


class RateLimiter:
    def __init__(self, limit: RateLimit):
        # With limits off, requests are still counted against the defaults so that the headers
        # clients read stay meaningful; nothing is ever refused.
        self.enforce = limit.enabled
        self.windows = (
            limit.windows if limit.enabled else RateLimit.parse(DEFAULT_RATE_LIMIT).windows
        )
        self._hits: dict[str, list[deque[float]]] = {}

    def hit(self, key: str) -> tuple[Headers, int | None]:
        """Count one request; returns the headers and, when refused, the seconds to wait."""
        now = time.time()
        queues = self._hits.get(key)
        if queues is None:
            queues = self._hits[key] = [deque() for _ in self.windows]
        retry_after = 0.0
        for (count, seconds), queue in zip(self.windows, queues, strict=True):
            horizon = now - seconds
            while queue and queue[0] <= horizon:
                queue.popleft()
            if len(queue) >= count:
                retry_after = max(retry_after, queue[0] + seconds - now)
        refused = self.enforce and retry_after > 0
        if not refused:
            for queue in queues:
                queue.append(now)
        quota, quota_seconds = self.windows[0]
        main = queues[0]
        remaining = 0 if refused else max(0, quota - len(main))
        reset = math.ceil(main[0] + quota_seconds) if main else int(now)
        headers = [
            (b"ratelimit-limit", str(quota).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if refused:
            wait = max(1, math.ceil(retry_after))
            headers.append((b"retry-after", str(wait).encode()))
            return headers, wait
        return headers, None

    def reset(self) -> None:
        self._hits.clear()
