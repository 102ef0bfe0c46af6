"""The DOKS version catalog: resolving requested versions, upgrade paths, HA defaults."""

from __future__ import annotations

from itertools import pairwise

import pytest

from localocean.areas.kubernetes import catalog

# Two patches in one minor and a two-digit patch: the shipped catalog has one patch per minor,
# which would hide both "newest patch of a minor" and string-versus-number ordering mistakes.
WIDER = ["1.37.1-do.0", "1.36.10-do.0", "1.36.9-do.3", "1.35.8-do.2", "1.34.2-do.0"]


def numbers(slug: str) -> tuple[int, ...]:
    version, _, revision = slug.partition("-do.")
    return (*(int(part) for part in version.split(".")), int(revision))


def test_versions_newest_first() -> None:
    keys = [numbers(slug) for slug in catalog.VERSIONS]
    assert all(newer > older for newer, older in pairwise(keys)), keys


def test_latest_is_the_first_version() -> None:
    assert catalog.resolve("latest") == catalog.VERSIONS[0]


@pytest.mark.parametrize("slug", catalog.VERSIONS)
def test_resolve_exact_slug(slug: str) -> None:
    assert catalog.resolve(slug) == slug


@pytest.mark.parametrize("slug", catalog.VERSIONS)
def test_resolve_minor_of_each_version(slug: str) -> None:
    assert catalog.resolve(catalog.minor(slug)) == slug


@pytest.mark.parametrize(
    "requested", ["", "1", "1.3", "1.34", "1.38", "2.0", "Latest", "1.36.4", "1.36.4-do.9", "v1.36"]
)
def test_resolve_unknown_is_none(requested: str) -> None:
    assert catalog.resolve(requested) is None


def test_resolve_minor_picks_its_newest_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "VERSIONS", WIDER)
    assert catalog.resolve("1.36") == "1.36.10-do.0"


@pytest.mark.parametrize(
    ("slug", "minor"),
    [("1.36.4-do.1", "1.36"), ("1.36.4", "1.36"), ("1.36", "1.36"), ("1.100.0-do.0", "1.100")],
)
def test_minor(slug: str, minor: str) -> None:
    assert catalog.minor(slug) == minor


def test_upgrades_of_latest_is_empty() -> None:
    assert catalog.upgrades(catalog.LATEST) == []


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        # Only the next minor, never two minors ahead.
        ("1.35.8-do.2", ["1.36.4-do.1"]),
        ("1.36.4-do.1", ["1.37.1-do.0"]),
        # A newer DigitalOcean revision of the same patch is an upgrade too.
        ("1.36.4-do.0", ["1.36.4-do.1", "1.37.1-do.0"]),
        ("1.36.3-do.9", ["1.36.4-do.1", "1.37.1-do.0"]),
        # A version older than the whole catalog may still move to the next minor.
        ("1.34.1-do.0", ["1.35.8-do.2"]),
        ("1.33.1-do.0", []),
        # Newer than anything offered: nothing to move to.
        ("1.38.0-do.0", []),
    ],
)
def test_upgrades(current: str, expected: list[str]) -> None:
    assert catalog.upgrades(current) == expected


def test_upgrades_compare_numbers_not_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "VERSIONS", WIDER)
    assert catalog.upgrades("1.36.9-do.3") == ["1.36.10-do.0", "1.37.1-do.0"]


def test_upgrades_oldest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "VERSIONS", WIDER)
    assert catalog.upgrades("1.35.8-do.2") == ["1.36.9-do.3", "1.36.10-do.0"]


@pytest.mark.parametrize("current", ["", "garbage", "1", "latest"])
def test_upgrades_of_unparseable_version_is_empty(current: str) -> None:
    assert catalog.upgrades(current) == []


@pytest.mark.parametrize("current", ["1.36.x-do.0", "1.36.4-do.x", "1.36.4-rc1"])
def test_upgrades_of_bad_patch_or_revision_is_empty(current: str) -> None:
    assert catalog.upgrades(current) == []


@pytest.mark.parametrize(
    ("slug", "ha"),
    [
        ("1.35.8-do.2", False),
        ("1.35.99-do.9", False),
        ("1.36.0-do.0", True),
        ("1.36.4-do.1", True),
        ("1.37.1-do.0", True),
        ("1.100.0-do.0", True),  # numeric: "1.100" sorts before "1.36" as text
        ("1.9.0-do.0", False),  # numeric: "1.9" sorts after "1.36" as text
        ("2.0.0-do.0", True),
    ],
)
def test_ha_default_from_1_36(slug: str, ha: bool) -> None:
    assert catalog.ha_default(slug) is ha
