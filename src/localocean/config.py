"""Settings of one LocalOcean server, resolved from CLI options and LOCALOCEAN_* variables."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from localocean.core.timing import PROFILES as TIMING_PROFILES

AUTH_MODES = ("open", "strict")
IMAGE_URL_POLICIES = ("default", "strict")
DEFAULT_IMAGE_SIZE_LIMIT = "100G"
DEFAULT_PORT = 8470
DEFAULT_RATE_LIMIT = "5000/h,250/min"
MAX_BODY_BYTES = 1024 * 1024


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "localocean"


@dataclass(frozen=True)
class RateLimit:
    """Per-token sliding windows as (requests, seconds); empty means no limit."""

    windows: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        text = text.strip().lower()
        if text in ("off", "none", "0", ""):
            return cls(())
        units = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400}
        windows = []
        for part in text.split(","):
            count, _, unit = part.strip().partition("/")
            count = count.strip()
            valid = count.isascii() and count.isdigit() and unit.strip() in units
            if not valid or int(count) < 1:
                raise ValueError(
                    f"invalid rate limit {part.strip()!r}: expected e.g. 5000/h,250/min"
                )
            windows.append((int(count), units[unit.strip()]))
        # The longest window is the quota reported in ratelimit-limit/remaining.
        return cls(tuple(sorted(windows, key=lambda w: -w[1])))

    @property
    def enabled(self) -> bool:
        return bool(self.windows)


def parse_size(text: str) -> int:
    """Bytes from `100G`, `512M`, `1.5G`, `4096` (decimal units, as DigitalOcean's 100 GB)."""
    units = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
    cleaned = text.strip().upper().removesuffix("B")
    number, unit = cleaned, ""
    if cleaned and cleaned[-1] in units:
        number, unit = cleaned[:-1], cleaned[-1]
    try:
        size = int(float(number) * units[unit])
    except (ValueError, OverflowError):
        raise ValueError(f"invalid size {text!r}: expected e.g. 100G or 512M") from None
    if size <= 0:
        raise ValueError(f"invalid size {text!r}: must be more than zero")
    return size


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = field(default_factory=default_data_dir)
    in_memory: bool = False
    database_url: str | None = None
    timing: str = "fast"
    auth: str = "open"
    tokens_file: Path | None = None
    rate_limit: RateLimit = field(default_factory=lambda: RateLimit.parse(DEFAULT_RATE_LIMIT))
    log_level: str = "info"
    max_body_bytes: int = MAX_BODY_BYTES
    image_url_policy: str = "default"
    # Droplets' public IPv4 addresses: RFC 2544 benchmarking space, which routes nowhere.
    public_ipv4_range: str = "198.18.0.0/15"
    image_size_limit: int = field(default_factory=lambda: parse_size(DEFAULT_IMAGE_SIZE_LIMIT))
    control_token: str | None = None
    seed_file: Path | None = None
    journal_size: int = 1000
    tls: bool = False

    def __post_init__(self) -> None:
        try:
            public = ipaddress.IPv4Network(self.public_ipv4_range)
        except ValueError as exc:
            raise ValueError(f"--public-ip-range: {exc}") from exc
        if public.prefixlen > 24:
            raise ValueError("--public-ip-range must be a /24 or larger")
        if self.image_url_policy not in IMAGE_URL_POLICIES:
            raise ValueError(f"--image-url-policy must be one of {', '.join(IMAGE_URL_POLICIES)}")
        if self.timing not in TIMING_PROFILES:
            raise ValueError(f"--timing must be one of {', '.join(TIMING_PROFILES)}")
        if self.auth not in AUTH_MODES:
            raise ValueError(f"--auth must be one of {', '.join(AUTH_MODES)}")
        if self.journal_size < 0:
            raise ValueError("--journal-size must be 0 (off) or more")
        if self.auth == "strict" and self.tokens_file is None:
            raise ValueError("--auth strict needs --tokens FILE")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        if self.in_memory:
            return "sqlite://"
        return f"sqlite:///{self.data_dir / 'localocean.db'}"

    @property
    def database_label(self) -> str:
        url = self.resolved_database_url
        if url == "sqlite://":
            return "SQLite in memory (discarded on exit)"
        if url.startswith("sqlite:///"):
            return f"SQLite {url.removeprefix('sqlite:///')}"
        scheme, _, rest = url.partition("://")
        return f"{scheme.split('+')[0]} {rest.rpartition('@')[2]}"
