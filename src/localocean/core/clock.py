"""LocalOcean's clock: real time plus an offset tests can move, or frozen in `manual` timing."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache
from time import gmtime, strftime


def wall_time() -> float:
    """Real time, for what must follow the wall clock whatever LocalOcean's clock says (rate
    limits); everything else asks a Clock."""
    return time.time()


class Clock:
    def __init__(self, *, frozen: bool, offset: float = 0.0, frozen_at: float | None = None):
        real = wall_time()
        # Time never runs backwards across restarts, whichever mode the previous run used.
        if frozen:
            self.frozen_at: float | None = max(frozen_at or 0.0, real + offset)
            self.offset = offset
        else:
            self.frozen_at = None
            self.offset = max(offset, (frozen_at or 0.0) - real)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def now(self) -> float:
        if self.frozen_at is not None:
            return self.frozen_at
        return wall_time() + self.offset

    def set_frozen(self, frozen: bool) -> None:
        """Stop the clock where it is (manual timing) or let it follow real time again."""
        if frozen and self.frozen_at is None:
            self.frozen_at = self.now()
        elif not frozen and self.frozen_at is not None:
            self.offset = self.frozen_at - wall_time()
            self.frozen_at = None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        if self.frozen_at is not None:
            self.frozen_at += seconds
        else:
            self.offset += seconds


def rfc3339(epoch: float) -> str:
    return _rfc3339(int(epoch))


@lru_cache(maxsize=16384)
def _rfc3339(seconds: int) -> str:
    # Renders repeat the same few times (creation, updates) over and over: formatted once each.
    return strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(seconds))


def parse_rfc3339(text: str) -> float:
    """Parse an RFC 3339 / ISO 8601 time; a time without zone is taken as UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
