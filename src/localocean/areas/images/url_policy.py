"""Where the image importer may connect. Checked on every resolved address of every hop.

Link-local addresses and cloud metadata endpoints are always refused: a URL a user hands to
LocalOcean must never reach the credentials of the machine it runs on. `strict` also refuses
private and loopback addresses; `default` allows them, since images served from this machine or
the local network are the common case.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from localocean.core.errors import Unprocessable

ALWAYS_REFUSED = [
    ipaddress.ip_network("169.254.0.0/16"),  # IPv4 link-local, incl. 169.254.169.254 metadata
    ipaddress.ip_network("fe80::/10"),  # IPv6 link-local
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("0.0.0.0/8"),
    ipaddress.ip_network("::/128"),
]


def refusal(address: str, policy: str) -> str | None:
    """Why the importer may not connect to `address`, or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in ALWAYS_REFUSED):
        return f"address {ip} is link-local or a cloud metadata address"
    # ::1 lies in ::/8, which Python counts as reserved: loopback is judged by the policy below.
    if ip.is_multicast or (ip.is_reserved and not ip.is_loopback):
        return f"address {ip} is not a unicast address"
    if policy == "strict" and (ip.is_private or ip.is_loopback):
        return f"address {ip} is private or loopback, refused by --image-url-policy strict"
    return None


def check_url(url: str) -> str:
    """Validate the form of an image URL at create time (where it may go is checked later)."""
    # urlsplit drops tabs and line breaks and strips spaces silently; the download would then
    # fail on a URL the user never meant, after a 202.
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise Unprocessable("url must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Unprocessable(f"url is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unprocessable("url must be an http or https URL with a host")
    if port == 0:
        raise Unprocessable("url has an invalid port")
    return url
