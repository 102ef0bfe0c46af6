"""Timing profiles: how long each kind of transition takes. Durations are data, in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

# kind -> (fast, realistic). `instant` is always 0; `manual` uses the realistic durations but the
# clock only moves when advanced. `fast` keeps every client's first or second poll successful.
DURATIONS: dict[str, tuple[float, float]] = {
    "action.complete": (0.5, 30.0),
}


@dataclass
class Timing:
    profile: str
    overrides: dict[str, float] = field(default_factory=dict)

    def delay(self, kind: str) -> float:
        if kind in self.overrides:
            return self.overrides[kind]
        fast, realistic = DURATIONS.get(kind, (0.5, 30.0))
        if self.profile == "instant":
            return 0.0
        if self.profile == "fast":
            return fast
        return realistic

    def table(self) -> dict[str, float]:
        return {kind: self.delay(kind) for kind in DURATIONS}
