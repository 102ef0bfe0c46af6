"""The public images every DigitalOcean account sees: OS distributions and 1-Click applications.

Facts (slugs, names, sizes) as the API lists them; ids are in DigitalOcean's range for images of
their age. Public images are in every available region and can be neither changed nor deleted.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from localocean.areas.regions import catalog as regions

# id, slug, name, distribution, min_disk_size GB, size GB, created (RFC 3339), description
DISTRIBUTIONS: list[tuple[int, str, str, str, int, float, str, str]] = [
    (196482011, "ubuntu-26-04-x64", "26.04 (LTS) x64", "Ubuntu", 8, 2.41, "2026-04-24T14:05:31Z",
     "Ubuntu 26.04 (LTS) x64"),
    (187120433, "ubuntu-25-10-x64", "25.10 x64", "Ubuntu", 8, 2.38, "2025-10-10T16:21:08Z",
     "Ubuntu 25.10 x64"),
    (160232537, "ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu", 7, 2.01, "2024-04-26T18:47:11Z",
     "Ubuntu 24.04 (LTS) x64"),
    (129211873, "ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu", 7, 2.36, "2023-03-30T19:25:08Z",
     "Ubuntu 22.04 (LTS) x64"),
    (183991272, "debian-13-x64", "13 x64", "Debian", 7, 1.02, "2025-08-12T09:14:40Z",
     "Debian 13 x64 (Trixie)"),
    (155247521, "debian-12-x64", "12 x64", "Debian", 7, 0.97, "2024-03-26T20:03:15Z",
     "Debian 12 x64 (Bookworm)"),
    (193771406, "fedora-44-x64", "44 x64", "Fedora", 7, 1.52, "2026-05-05T13:32:54Z",
     "Fedora 44 x64"),
    (202315877, "fedora-45-x64", "45 x64", "Fedora", 7, 1.55, "2026-11-03T11:48:27Z",
     "Fedora 45 x64"),
    (158416410, "centos-stream-9-x64", "Stream 9 x64", "CentOS", 10, 1.23,
     "2024-04-15T15:36:02Z", "CentOS Stream 9 x64"),
    (181205364, "centos-stream-10-x64", "Stream 10 x64", "CentOS", 10, 1.31,
     "2025-06-17T10:12:44Z", "CentOS Stream 10 x64"),
    (158401263, "rockylinux-9-x64", "9 x64", "Rocky Linux", 10, 1.27, "2024-04-15T14:20:51Z",
     "Rocky Linux 9 x64"),
    (182744019, "rockylinux-10-x64", "10 x64", "Rocky Linux", 10, 1.34, "2025-07-08T12:55:10Z",
     "Rocky Linux 10 x64"),
]  # fmt: skip

APPLICATIONS: list[tuple[int, str, str, str, int, float, str, str]] = [
    (189422306, "docker-24-04", "Docker on Ubuntu 24.04", "Ubuntu", 25, 3.31,
     "2025-11-18T17:40:02Z", "Docker 28 with Docker Compose on Ubuntu 24.04"),
    (188530127, "wordpress-24-04", "WordPress on Ubuntu 24.04", "Ubuntu", 25, 3.62,
     "2025-11-04T15:12:39Z", "WordPress 6.8 with LAMP on Ubuntu 24.04"),
    (186602455, "lamp-24-04", "LAMP on Ubuntu 24.04", "Ubuntu", 25, 3.05,
     "2025-10-02T13:28:57Z", "Apache, MySQL 8 and PHP 8.3 on Ubuntu 24.04"),
    (186602791, "lemp-24-04", "LEMP on Ubuntu 24.04", "Ubuntu", 25, 2.98,
     "2025-10-02T13:47:16Z", "Nginx, MySQL 8 and PHP 8.3 on Ubuntu 24.04"),
    (190276118, "nodejs-24-04", "NodeJS on Ubuntu 24.04", "Ubuntu", 25, 2.87,
     "2025-12-09T10:05:33Z", "Node.js 24 LTS with PM2 and Nginx on Ubuntu 24.04"),
    (191338840, "gitlab-24-04", "GitLab on Ubuntu 24.04", "Ubuntu", 50, 6.42,
     "2026-01-20T16:31:48Z", "GitLab Community Edition on Ubuntu 24.04"),
]  # fmt: skip

MAX_PUBLIC_ID = max(image[0] for image in DISTRIBUTIONS + APPLICATIONS)


def _render(entry: tuple[int, str, str, str, int, float, str, str], kind: str) -> dict[str, Any]:
    image_id, slug, name, distribution, min_disk, size, created, description = entry
    return {
        "id": image_id,
        "name": name,
        "distribution": distribution,
        "slug": slug,
        "public": True,
        "regions": list(regions.AVAILABLE),
        "created_at": created,
        "type": "base" if kind == "distribution" else "snapshot",
        "min_disk_size": min_disk,
        "size_gigabytes": size,
        "description": description,
        "tags": [],
        "status": "available",
        "error_message": "",
    }


@cache
def by_kind() -> dict[str, list[dict[str, Any]]]:
    return {
        "distribution": [_render(entry, "distribution") for entry in DISTRIBUTIONS],
        "application": [_render(entry, "application") for entry in APPLICATIONS],
    }


@cache
def _index() -> tuple[dict[int, dict[str, Any]], dict[str, dict[str, Any]]]:
    every = by_kind()["distribution"] + by_kind()["application"]
    return {image["id"]: image for image in every}, {image["slug"]: image for image in every}


def find(key: int | str) -> dict[str, Any] | None:
    """A public image by id or by slug."""
    by_id, by_slug = _index()
    return by_id.get(key) if isinstance(key, int) else by_slug.get(key)


def listed(kind: str | None) -> list[dict[str, Any]]:
    if kind is None:
        return by_kind()["distribution"] + by_kind()["application"]
    return by_kind()[kind]
