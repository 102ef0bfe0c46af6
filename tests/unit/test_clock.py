"""LocalOcean's clock: offset and frozen modes, restarts, and RFC 3339 text."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from localocean.core import clock
from localocean.core.clock import Clock, parse_rfc3339, rfc3339

START = 1_700_000_000.0


class FakeTime:
    """Stands in for the `time` module inside `localocean.core.clock` only."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def real() -> FakeTime:
    return FakeTime(START)


@pytest.fixture(autouse=True)
def _fake_time(monkeypatch: pytest.MonkeyPatch, real: FakeTime) -> None:
    # Replace the module's reference, not time.time itself: pytest keeps using the real clock.
    monkeypatch.setattr(clock, "time", real)


def test_running_clock_follows_real_time_plus_offset(real: FakeTime) -> None:
    running = Clock(frozen=False, offset=5.0)
    assert running.now() == START + 5.0
    real.now += 10.0
    assert running.now() == START + 15.0
    assert not running.frozen


def test_frozen_clock_stands_still(real: FakeTime) -> None:
    frozen = Clock(frozen=True)
    real.now += 100.0
    assert frozen.now() == START
    assert frozen.frozen


def test_frozen_clock_starts_at_real_time_plus_offset() -> None:
    assert Clock(frozen=True, offset=30.0).now() == START + 30.0


@pytest.mark.parametrize("frozen", [True, False])
def test_advance_moves_forward(frozen: bool) -> None:
    moving = Clock(frozen=frozen)
    moving.advance(90.0)
    moving.advance(0.0)
    assert moving.now() == START + 90.0


@pytest.mark.parametrize("frozen", [True, False])
def test_advance_backwards_is_refused(frozen: bool) -> None:
    moving = Clock(frozen=frozen)
    with pytest.raises(ValueError, match="time only moves forward"):
        moving.advance(-0.001)
    assert moving.now() == START


def test_freezing_stops_where_the_clock_is(real: FakeTime) -> None:
    moving = Clock(frozen=False, offset=20.0)
    moving.set_frozen(True)
    real.now += 50.0
    assert moving.now() == START + 20.0


def test_freezing_twice_does_not_move_it(real: FakeTime) -> None:
    moving = Clock(frozen=True)
    real.now += 50.0
    moving.set_frozen(True)
    assert moving.now() == START


def test_unfreezing_resumes_without_a_jump(real: FakeTime) -> None:
    moving = Clock(frozen=True)
    moving.advance(60.0)
    real.now += 10.0
    moving.set_frozen(False)
    assert moving.now() == START + 60.0
    real.now += 5.0
    assert moving.now() == START + 65.0


def test_unfreezing_a_running_clock_changes_nothing(real: FakeTime) -> None:
    moving = Clock(frozen=False, offset=7.0)
    moving.set_frozen(False)
    assert moving.now() == START + 7.0


# Restarts: the previous run's offset and frozen_at come back from the database.


@pytest.mark.parametrize(
    ("frozen", "offset", "frozen_at", "now"),
    [
        # A frozen clock that was advanced past real time keeps its time, in either mode.
        (True, 0.0, START + 500.0, START + 500.0),
        (False, 0.0, START + 500.0, START + 500.0),
        # A running clock that was advanced keeps its lead when the next run freezes it.
        (True, 300.0, None, START + 300.0),
        (False, 300.0, None, START + 300.0),
        # A frozen time already overtaken by real time is not gone back to.
        (True, 0.0, START - 500.0, START),
        (False, 0.0, START - 500.0, START),
        # Of an offset and a frozen time, the later wins.
        (True, 300.0, START + 100.0, START + 300.0),
        (False, 300.0, START + 100.0, START + 300.0),
        (True, 100.0, START + 300.0, START + 300.0),
        (False, 100.0, START + 300.0, START + 300.0),
    ],
)
def test_restart_never_goes_backwards(
    frozen: bool, offset: float, frozen_at: float | None, now: float
) -> None:
    restarted = Clock(frozen=frozen, offset=offset, frozen_at=frozen_at)
    assert restarted.now() == now
    assert restarted.frozen is frozen


def test_saved_state_of_a_frozen_clock_round_trips(real: FakeTime) -> None:
    first = Clock(frozen=True)
    first.advance(3600.0)
    real.now += 60.0
    second = Clock(frozen=True, offset=first.offset, frozen_at=first.frozen_at)
    assert second.now() == START + 3600.0


def test_saved_state_of_a_running_clock_round_trips(real: FakeTime) -> None:
    first = Clock(frozen=False)
    first.advance(3600.0)
    real.now += 60.0
    second = Clock(frozen=False, offset=first.offset, frozen_at=first.frozen_at)
    assert second.now() == START + 3660.0


# RFC 3339


@pytest.fixture
def five_hours_west() -> Iterator[None]:
    """A local zone other than UTC, so reading a naive time as local time would show."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "EST5"  # POSIX form: needs no tzdata
    time.tzset()
    assert time.timezone == 5 * 3600
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (0.0, "1970-01-01T00:00:00Z"),
        (START, "2023-11-14T22:13:20Z"),
        (START + 0.999, "2023-11-14T22:13:20Z"),  # seconds are truncated, not rounded
        (951_782_400.0, "2000-02-29T00:00:00Z"),
        (4_102_444_799.0, "2099-12-31T23:59:59Z"),
    ],
)
def test_rfc3339(epoch: float, text: str) -> None:
    assert rfc3339(epoch) == text


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2023-11-14T22:13:20Z", START),
        ("2023-11-14t22:13:20z", START),
        ("2023-11-14T22:13:20+00:00", START),
        ("2023-11-14T23:13:20+01:00", START),
        ("2023-11-14T17:13:20-05:00", START),
        ("2023-11-14T22:13:20", START),  # no zone: UTC, not the machine's local time
        ("2023-11-14 22:13:20Z", START),
        ("  2023-11-14T22:13:20Z\n", START),
        ("2023-11-14T22:13:20.250Z", START + 0.25),
    ],
)
def test_parse_rfc3339(text: str, epoch: float) -> None:
    assert parse_rfc3339(text) == epoch


def test_parse_without_zone_ignores_the_local_zone(five_hours_west: None) -> None:
    assert parse_rfc3339("2023-11-14T22:13:20") == START


@pytest.mark.parametrize("text", ["", "yesterday", "2023-13-01T00:00:00Z", "2023-11-14T25:00:00Z"])
def test_parse_rfc3339_invalid(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


@pytest.mark.parametrize("epoch", [0.0, START, 4_102_444_799.0])
def test_round_trip(epoch: float) -> None:
    assert parse_rfc3339(rfc3339(epoch)) == epoch
