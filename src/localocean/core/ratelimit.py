"""Per-token sliding-window rate limits, reported in DigitalOcean's ratelimit-* headers.

Windows follow the wall clock (DigitalOcean's `ratelimit-reset` is a real epoch time), not
LocalOcean's movable clock. Keys that have been idle for longer than the longest window carry
no information any more and are forgotten, so memory follows the active tokens only.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from localocean.config import DEFAULT_RATE_LIMIT, RateLimit
from localocean.core.clock import wall_time

Headers = list[tuple[bytes, bytes]]


class RateLimiter:
    def __init__(self, limit: RateLimit, now: Callable[[], float] = wall_time):
        # With limits off, requests are still counted against the defaults so that the headers
        # clients read stay meaningful; nothing is ever refused.
        self.enforce = limit.enabled
        self.windows = (
            limit.windows if limit.enabled else RateLimit.parse(DEFAULT_RATE_LIMIT).windows
        )
        self.now = now
        self._longest = max(seconds for _, seconds in self.windows)
        self._hits: dict[str, list[deque[float]]] = {}
        self._next_sweep = now() + self._longest
        # Several processes on one database: the hits this process has not written yet (by key
        # and second), and the other processes' counts in each window as last read.
        self.shared = False
        self.unsent: dict[tuple[str, int], int] = {}
        self.others: dict[str, list[int]] = {}
        self._alone = [0] * len(self.windows)  # no other process's hits

    def hit(self, key: str) -> tuple[Headers, int | None]:
        """Count one request; returns the headers and, when refused, the seconds to wait."""
        now = self.now()
        if now >= self._next_sweep:
            self._sweep(now)
        queues = self._hits.get(key)
        if queues is None:
            queues = self._hits[key] = [deque() for _ in self.windows]
        retry_after = 0.0
        elsewhere = self.others.get(key) or self._alone
        for (count, seconds), queue, other in zip(self.windows, queues, elsewhere, strict=True):
            horizon = now - seconds
            while queue and queue[0] <= horizon:
                queue.popleft()
            if len(queue) + other >= count:
                # Other processes' hits are known by the second: the oldest of ours tells when
                # room comes, or a second from now.
                retry_after = max(retry_after, queue[0] + seconds - now if queue else 1.0)
        refused = self.enforce and retry_after > 0
        if not refused:
            for queue in queues:
                queue.append(now)
            if self.shared:
                second = (key, int(now))
                self.unsent[second] = self.unsent.get(second, 0) + 1
        quota, quota_seconds = self.windows[0]
        main = queues[0]
        remaining = 0 if refused else max(0, quota - len(main) - elsewhere[0])
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

    def _sweep(self, now: float) -> None:
        """Forget the keys with no hit inside any window: once per longest window, so the cost
        per request stays constant."""
        horizon = now - self._longest
        idle = [
            key for key, queues in self._hits.items() if all(q[-1] <= horizon for q in queues if q)
        ]
        for key in idle:
            del self._hits[key]
        self._next_sweep = now + self._longest

    @property
    def tracked(self) -> int:
        """How many keys are remembered."""
        return len(self._hits)

    def reset(self) -> None:
        self._hits.clear()
        self.unsent.clear()
        self.others.clear()

    @property
    def active_keys(self) -> list[str]:
        return list(self._hits)

    def window_counts(self, per_second: list[tuple[int, int]]) -> list[int]:
        """Hits in each window from (second, count) rows, as of now."""
        now = self.now()
        return [
            sum(count for second, count in per_second if second > now - seconds)
            for _, seconds in self.windows
        ]
