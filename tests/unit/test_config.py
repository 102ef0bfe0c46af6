"""Parsing of --rate-limit (`RateLimit.parse`) and --image-size-limit (`parse_size`)."""

from __future__ import annotations

import pytest

from localocean.config import DEFAULT_IMAGE_SIZE_LIMIT, DEFAULT_RATE_LIMIT, RateLimit, parse_size

HOUR, MINUTE, DAY = 3600, 60, 86400


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        ("5000/h", ((5000, HOUR),)),
        ("250/min", ((250, MINUTE),)),
        ("1/s", ((1, 1),)),
        ("10/sec", ((10, 1),)),
        ("10/m", ((10, MINUTE),)),
        ("100/hour", ((100, HOUR),)),
        ("100000/d", ((100000, DAY),)),
        ("5000/h,250/min", ((5000, HOUR), (250, MINUTE))),
        (" 5000 / H , 250/MIN ", ((5000, HOUR), (250, MINUTE))),
    ],
)
def test_rate_limit_forms(text: str, windows: tuple[tuple[int, int], ...]) -> None:
    limit = RateLimit.parse(text)
    assert limit.windows == windows
    assert limit.enabled


@pytest.mark.parametrize(
    "text", ["250/min,5000/h", "5000/h,250/min", "1/s,100000/d,250/min,5000/h"]
)
def test_rate_limit_windows_longest_first(text: str) -> None:
    # The first window is the quota that the ratelimit-limit/remaining headers report.
    seconds = [window for _, window in RateLimit.parse(text).windows]
    assert seconds == sorted(seconds, reverse=True)


def test_rate_limit_same_window_keeps_given_order() -> None:
    assert RateLimit.parse("10/m,20/min").windows == ((10, MINUTE), (20, MINUTE))


def test_default_rate_limit_is_digitaloceans() -> None:
    assert RateLimit.parse(DEFAULT_RATE_LIMIT).windows == ((5000, HOUR), (250, MINUTE))


@pytest.mark.parametrize("text", ["off", "OFF", " none ", "0", "", "   "])
def test_rate_limit_off(text: str) -> None:
    limit = RateLimit.parse(text)
    assert limit.windows == ()
    assert not limit.enabled


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("5000", "5000"),
        ("5000/", "5000/"),
        ("/h", "/h"),
        ("5000/y", "5000/y"),
        ("5000/day", "5000/day"),
        ("0/h", "0/h"),
        ("-1/h", "-1/h"),
        ("1.5/h", "1.5/h"),
        ("many/h", "many/h"),
        ("5000/h,", ""),
        ("5000/h,,250/min", ""),
        ("5000/h;250/min", "5000/h;250/min"),
        ("5000/h,250/fortnight", "250/fortnight"),
    ],
)
def test_rate_limit_invalid_names_the_part(text: str, part: str) -> None:
    with pytest.raises(ValueError) as caught:
        RateLimit.parse(text)
    assert str(caught.value) == f"invalid rate limit {part!r}: expected e.g. 5000/h,250/min"


def test_rate_limit_superscript_digit_is_named_invalid() -> None:
    with pytest.raises(ValueError, match="invalid rate limit"):
        RateLimit.parse("²/h")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("4096", 4096),
        ("1K", 1000),
        ("512M", 512 * 10**6),
        ("100G", 100 * 10**9),
        ("2T", 2 * 10**12),
        ("1.5G", 1_500_000_000),
        ("100GB", 100 * 10**9),
        ("100gb", 100 * 10**9),
        (" 512m ", 512 * 10**6),
        ("4096B", 4096),
        ("0.5K", 500),
    ],
)
def test_parse_size_decimal_units(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_default_image_size_limit_is_100_gb() -> None:
    assert parse_size(DEFAULT_IMAGE_SIZE_LIMIT) == 100 * 10**9


@pytest.mark.parametrize("text", ["", "B", "G", "abc", "100X", "100KiB", "1,5G", "nan", "--1G"])
def test_parse_size_invalid(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_size(text)
    assert str(caught.value) == f"invalid size {text!r}: expected e.g. 100G or 512M"


@pytest.mark.parametrize("text", ["0", "0G", "-1G", "0.0001"])
def test_parse_size_must_be_positive(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_size(text)
    assert str(caught.value) == f"invalid size {text!r}: must be more than zero"


@pytest.mark.parametrize("text", ["inf", "infG", "1e400"])
def test_parse_size_infinite_is_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_size(text)
