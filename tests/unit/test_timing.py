"""Timing profiles: how long each kind of transition takes under each profile."""

from __future__ import annotations

import pytest

from localocean.core.timing import PROFILES, Durations, Timing

DURATIONS = {
    "boot": Durations(fast=1.0, realistic=30.0),
    "import": Durations(fast=2.0, realistic=60.0, per_gigabyte=4.0),
}


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="timing must be one of instant, fast, realistic, manual"):
        Timing("slow", DURATIONS)


@pytest.mark.parametrize(
    ("profile", "boot", "import_"),
    [("instant", 0.0, 0.0), ("fast", 1.0, 2.0), ("realistic", 30.0, 60.0), ("manual", 30.0, 60.0)],
)
def test_delay_per_profile(profile: str, boot: float, import_: float) -> None:
    timing = Timing(profile, DURATIONS)
    assert timing.delay("boot") == boot
    assert timing.delay("import") == import_


@pytest.mark.parametrize(
    ("profile", "delay"),
    [("instant", 0.0), ("fast", 2.0), ("realistic", 60.0 + 4.0 * 2.5), ("manual", 70.0)],
)
def test_per_gigabyte_counts_only_in_realistic_durations(profile: str, delay: float) -> None:
    assert Timing(profile, DURATIONS).delay("import", gigabytes=2.5) == delay


def test_per_gigabyte_defaults_to_nothing() -> None:
    assert Timing("realistic", DURATIONS).delay("boot", gigabytes=100.0) == 30.0


@pytest.mark.parametrize("profile", PROFILES)
def test_override_wins_in_every_profile(profile: str) -> None:
    timing = Timing(profile, DURATIONS, overrides={"import": 7.5})
    assert timing.delay("import", gigabytes=10.0) == 7.5
    assert timing.delay("boot") == Timing(profile, DURATIONS).delay("boot")


def test_override_of_zero_is_kept() -> None:
    assert Timing("realistic", DURATIONS, overrides={"boot": 0.0}).delay("boot") == 0.0


def test_override_of_a_kind_without_durations() -> None:
    assert Timing("fast", DURATIONS, overrides={"resize": 3.0}).delay("resize") == 3.0


def test_instant_needs_no_durations() -> None:
    assert Timing("instant", {}).delay("anything") == 0.0


@pytest.mark.parametrize("profile", ["fast", "realistic", "manual"])
def test_unknown_kind_is_a_key_error(profile: str) -> None:
    with pytest.raises(KeyError):
        Timing(profile, DURATIONS).delay("resize")


def test_table_lists_every_kind_without_per_gigabyte() -> None:
    timing = Timing("realistic", DURATIONS, overrides={"boot": 5.0})
    assert timing.table() == {"boot": 5.0, "import": 60.0}


def test_overrides_are_not_shared_between_timings() -> None:
    first = Timing("fast", DURATIONS)
    first.overrides["boot"] = 9.0
    assert Timing("fast", DURATIONS).delay("boot") == 1.0
