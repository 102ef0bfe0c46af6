"""The rate limiter forgets idle tokens: its memory follows the active tokens, not every token
it has ever seen."""

from __future__ import annotations

import tracemalloc

from localocean.config import RateLimit
from localocean.core.ratelimit import RateLimiter


class Wall:
    """The wall clock the limiter reads, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_idle_tokens_are_forgotten_and_memory_returns() -> None:
    wall = Wall()
    limiter = RateLimiter(RateLimit.parse("5000/h,250/min"), now=wall)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for number in range(100_000):
            limiter.hit(f"token-{number}")
        assert limiter.tracked == 100_000
        grown = tracemalloc.get_traced_memory()[0] - baseline
        wall.now += 3601  # every token idle for longer than the longest window
        headers, refused = limiter.hit("token-still-active")
        assert refused is None and (b"ratelimit-remaining", b"4999") in headers
        assert limiter.tracked == 1
        left = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert left < grown / 20, f"{left} bytes still held of {grown}"


def test_a_token_seen_within_the_window_keeps_its_count() -> None:
    wall = Wall()
    limiter = RateLimiter(RateLimit.parse("3/h"), now=wall)
    for _ in range(3):
        limiter.hit("busy")
    wall.now += 1800
    limiter.hit("other")  # may sweep; `busy` is not idle
    wall.now += 1799
    _, refused = limiter.hit("busy")
    assert refused is not None, "the three hits of the last hour still count"
    wall.now += 2
    _headers, refused = limiter.hit("busy")
    assert refused is None
