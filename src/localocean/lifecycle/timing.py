"""Timing profiles: how long each kind of transition takes. Durations are data, in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

# kind -> (fast, realistic). `instant` is always 0; `manual` uses the realistic durations but the
# clock only moves when advanced. `fast` keeps every client's first or second poll successful
# (Terraform checks a new custom image after 1 s, then waits a minute).
DURATIONS: dict[str, tuple[float, float]] = {
    "action.complete": (0.5, 30.0),
    "image.import": (0.2, 60.0),
    "image.transfer": (0.5, 120.0),
    "image.convert": (0.5, 30.0),
    "cluster.provision": (1.0, 360.0),
    "cluster.upgrade": (1.0, 600.0),
    "node.provision": (0.5, 120.0),
    "node.delete": (0.5, 60.0),
    "clusterlint.run": (0.5, 30.0),
}

# Realistic extra seconds per gigabyte of data, for kinds whose duration grows with size.
PER_GIGABYTE: dict[str, float] = {
    "image.import": 20.0,
    "image.transfer": 10.0,
}


@dataclass
class Timing:
    profile: str
    overrides: dict[str, float] = field(default_factory=dict)

    def delay(self, kind: str, gigabytes: float = 0.0) -> float:
        if kind in self.overrides:
            return self.overrides[kind]
        fast, realistic = DURATIONS.get(kind, (0.5, 30.0))
        if self.profile == "instant":
            return 0.0
        if self.profile == "fast":
            return fast
        return realistic + PER_GIGABYTE.get(kind, 0.0) * gigabytes

    def table(self) -> dict[str, float]:
        return {kind: self.delay(kind) for kind in DURATIONS}
