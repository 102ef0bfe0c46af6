"""Timing profiles: how long each kind of transition takes. Durations are data, in seconds,
declared by the area that owns the kind (`Area.durations`).

- `instant`: every transition is due at once (applied by the next request);
- `fast`: the first durations below, so every client's first or second poll succeeds
  (Terraform checks a new custom image after 1 s, then waits a minute);
- `realistic`: DigitalOcean-like durations, the second ones, plus any per-gigabyte part;
- `manual`: the realistic durations, on a clock that moves only when told to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

PROFILES = ("instant", "fast", "realistic", "manual")


class Durations(NamedTuple):
    fast: float
    realistic: float
    per_gigabyte: float = 0.0  # realistic extra seconds per gigabyte of data


@dataclass
class Timing:
    profile: str
    durations: Mapping[str, Durations]
    overrides: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"timing must be one of {', '.join(PROFILES)}")

    def delay(self, kind: str, gigabytes: float = 0.0) -> float:
        if kind in self.overrides:
            return self.overrides[kind]
        if self.profile == "instant":
            return 0.0
        durations = self.durations[kind]
        if self.profile == "fast":
            return durations.fast
        return durations.realistic + durations.per_gigabyte * gigabytes

    def table(self) -> dict[str, float]:
        return {kind: self.delay(kind) for kind in self.durations}
