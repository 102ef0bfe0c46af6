"""CronJob schedules: five fields (minute hour day-of-month month day-of-week) with `*`, lists,
ranges, steps and names, and the `@hourly`-style macros; times in UTC or the CronJob's
timeZone."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))

Schedule = tuple[set[int], set[int], set[int], set[int], set[int], bool, bool]


def _value(text: str, index: int) -> int:
    lowered = text.lower()
    if index == 3 and lowered in _MONTHS:
        return _MONTHS.index(lowered) + 1
    if index == 4 and lowered in _DAYS:
        return _DAYS.index(lowered)
    if not text.isdigit():
        raise ValueError(f"failed to parse int from {text}")
    value = int(text)
    if index == 4 and value == 7:
        return 0
    return value


def _field(text: str, index: int) -> set[int]:
    low, high = _RANGES[index]
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ValueError(f"failed to parse step from {part}")
        if body in ("*", "?"):
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _value(first, index), _value(last, index)
        else:
            start = _value(body, index)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise ValueError(f"end of range ({end}) above maximum ({high}): {part}")
        values.update(range(start, end + 1, step))
    return values


def parse(expression: str) -> Schedule:
    text = MACROS.get(expression.strip(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"expected exactly 5 fields, found {len(fields)}: {expression}")
    minutes, hours, days, months, weekdays = (_field(f, i) for i, f in enumerate(fields))
    return minutes, hours, days, months, weekdays, fields[2] in ("*", "?"), fields[4] in ("*", "?")


def zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name}") from exc


def next_after(expression: str, after: float, time_zone: str | None = None) -> float:
    """The first scheduled time strictly after `after` (Unix seconds)."""
    minutes, hours, days, months, weekdays, any_day, any_weekday = parse(expression)
    from datetime import UTC

    local = zone(time_zone) or UTC
    moment = datetime.fromtimestamp(after, local).replace(second=0, microsecond=0)
    moment += timedelta(minutes=1)
    for _ in range(366 * 24 * 60 * 5):
        if moment.month not in months:
            moment = (moment.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
            continue
        day_ok = moment.day in days
        weekday_ok = (moment.isoweekday() % 7) in weekdays
        # Cron's rule: when both day fields are restricted, either may match.
        matches = day_ok and weekday_ok if any_day or any_weekday else day_ok or weekday_ok
        if not matches:
            moment = moment.replace(hour=0, minute=0) + timedelta(days=1)
            continue
        if moment.hour not in hours:
            moment = moment.replace(minute=0) + timedelta(hours=1)
            continue
        if moment.minute not in minutes:
            moment += timedelta(minutes=1)
            continue
        return moment.timestamp()
    raise ValueError(f"{expression} never runs")
