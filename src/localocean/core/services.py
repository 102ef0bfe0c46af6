"""What a running server holds, built once from the settings and the list of areas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localocean.config import Settings
    from localocean.core.area import (
        Area,
        ClusterResources,
        ProjectResources,
        Runtime,
        Taggable,
        VpcMembers,
    )
    from localocean.core.auth import Authenticator
    from localocean.core.clock import Clock
    from localocean.core.db import Database
    from localocean.core.faults import Faults
    from localocean.core.journal import Journal
    from localocean.core.lifecycle import Lifecycle
    from localocean.core.operations import Operation
    from localocean.core.ratelimit import RateLimiter
    from localocean.core.sync import ControlSync
    from localocean.core.timing import Timing


@dataclass
class Services:
    settings: Settings
    areas: tuple[Area, ...]
    db: Database
    clock: Clock
    timing: Timing
    lifecycle: Lifecycle
    auth: Authenticator
    limiter: RateLimiter
    faults: Faults
    journal: Journal
    taggables: dict[str, Taggable] = field(default_factory=dict)
    vpc_members: tuple[VpcMembers, ...] = ()
    cluster_resources: tuple[ClusterResources, ...] = ()
    project_resources: tuple[ProjectResources, ...] = ()
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    sync: ControlSync | None = None  # set once built (it needs the services)
    operations: list[Operation] = field(default_factory=list)  # every operation served
    stopping: bool = False  # set when the server begins to stop: long answers (events) end

    def runtime(self, area: str) -> Any:
        return self.runtimes[area]
