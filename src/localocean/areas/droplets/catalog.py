"""Fixed facts of the compute core: kernels, backup policies, the features a droplet can have."""

from __future__ import annotations

import time
from typing import Any

# Droplets boot their image's own kernel (GrubLoader); these are the choices DigitalOcean still
# lists for `change_kernel`.
KERNELS = [
    {"id": 7515, "name": "DigitalOcean GrubLoader v0.2 (20160714)",
     "version": "2016.07.13-DigitalOcean_loader_Ubuntu"},
    {"id": 7516, "name": "DigitalOcean GrubLoader v0.2 (20160714)",
     "version": "2016.07.13-DigitalOcean_loader_Debian"},
    {"id": 7517, "name": "DigitalOcean GrubLoader v0.2 (20160714)",
     "version": "2016.07.13-DigitalOcean_loader_CentOS"},
]  # fmt: skip
KERNEL_IDS = {kernel["id"] for kernel in KERNELS}

WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
WINDOW_STARTS = [0, 4, 8, 12, 16, 20]
WINDOW_HOURS = 4
RETENTION_DAYS = {"weekly": 28, "daily": 7}
SUPPORTED_POLICIES = [
    {
        "name": plan,
        "possible_window_starts": WINDOW_STARTS,
        "window_length_hours": WINDOW_HOURS,
        "retention_period_days": RETENTION_DAYS[plan],
        "possible_days": WEEKDAYS if plan == "weekly" else [],
    }
    for plan in ("weekly", "daily")
]
# Backups without a policy are daily, as the spec says.
DEFAULT_POLICY = {"plan": "daily", "hour": 0}

DAY = 86_400.0
HOUR = 3_600.0


def full_policy(policy: dict[str, Any]) -> dict[str, Any]:
    plan = policy["plan"]
    shown = {"plan": plan, "hour": policy["hour"]}
    if plan == "weekly":
        shown["weekday"] = policy["weekday"]
    return {
        **shown,
        "window_length_hours": WINDOW_HOURS,
        "retention_period_days": RETENTION_DAYS[plan],
    }


def next_window(policy: dict[str, Any], now: float) -> tuple[float, float]:
    """The start and end (epoch seconds, UTC) of the backup window in progress at `now`, or of
    the next one (a backup is taken by the end of its window)."""
    day_start = now - now % DAY
    # 1970-01-01 was a Thursday: weekday index (SUN=0) of a day is (days + 4) % 7.
    for days_ahead in range(-1, 9):  # yesterday's window may run past midnight
        start = day_start + days_ahead * DAY + policy["hour"] * HOUR
        if start + WINDOW_HOURS * HOUR <= now:
            continue
        if policy["plan"] == "weekly":
            weekday = WEEKDAYS[(int(start // DAY) + 4) % 7]
            if weekday != policy["weekday"]:
                continue
        return start, start + WINDOW_HOURS * HOUR
    raise AssertionError("a window falls within eight days")


def month_day(at: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(at))
