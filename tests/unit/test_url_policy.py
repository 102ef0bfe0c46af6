"""Where the image importer may connect (`refusal`) and which URLs it accepts (`check_url`)."""

from __future__ import annotations

import pytest

from localocean.areas.images.url_policy import check_url, refusal
from localocean.core.errors import Unprocessable

POLICIES = ["default", "strict"]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean metadata
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.0.1",
        "169.254.255.255",
        "fe80::1",
        "febf:ffff::1",  # last of fe80::/10
        "fd00:ec2::254",
        "100.100.100.200",
        "0.0.0.0",
        "0.1.2.3",
        "::",
    ],
)
def test_link_local_and_metadata_are_refused_under_every_policy(address: str, policy: str) -> None:
    assert refusal(address, policy) == (
        f"address {address} is link-local or a cloud metadata address"
    )


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("::ffff:169.254.169.254", "169.254.169.254"),
        ("::ffff:a9fe:a9fe", "169.254.169.254"),
        ("::ffff:100.100.100.200", "100.100.100.200"),
        ("::ffff:0.0.0.0", "0.0.0.0"),
    ],
)
def test_ipv4_mapped_ipv6_is_judged_as_its_ipv4_address(
    address: str, shown: str, policy: str
) -> None:
    assert refusal(address, policy) == f"address {shown} is link-local or a cloud metadata address"


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("address", ["fe80::1%eth0", "fe80::a9fe:a9fe%2", "169.254.169.254%x"])
def test_zone_id_does_not_hide_a_link_local_address(address: str, policy: str) -> None:
    assert "link-local" in (refusal(address, policy) or "")


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    "address",
    ["224.0.0.1", "239.255.255.250", "ff02::1", "ff05::fb", "240.0.0.1", "255.255.255.255"],
)
def test_multicast_and_reserved_are_not_unicast(address: str, policy: str) -> None:
    assert refusal(address, policy) == f"address {address} is not a unicast address"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.10", "fd12:3456::1"],
)
def test_default_policy_allows_private_and_loopback(address: str) -> None:
    assert refusal(address, "default") is None


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("10.0.0.1", "10.0.0.1"),
        ("172.31.255.254", "172.31.255.254"),
        ("192.168.1.10", "192.168.1.10"),
        ("fd12:3456::1", "fd12:3456::1"),
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("fd12::1%eth0", "fd12::1"),
    ],
)
def test_strict_policy_refuses_private_and_loopback(address: str, shown: str) -> None:
    assert refusal(address, "strict") == (
        f"address {shown} is private or loopback, refused by --image-url-policy strict"
    )


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"])
def test_public_unicast_is_allowed(address: str, policy: str) -> None:
    assert refusal(address, policy) is None


def test_default_policy_allows_ipv6_loopback() -> None:
    assert refusal("::1", "default") is None


def test_a_host_name_is_not_an_address() -> None:
    # The importer resolves names first; `refusal` only ever judges addresses.
    with pytest.raises(ValueError):
        refusal("localhost", "default")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/disk.img",
        "https://example.com:8443/images/disk.qcow2.gz?sig=abc#frag",
        "HTTPS://EXAMPLE.COM/disk.img",
        "http://user:secret@example.com/disk.img",
        "http://127.0.0.1:65535/disk.img",
        "http://[::1]:8080/disk.img",
        "http://[fe80::1%25eth0]/disk.img",  # where it may go is judged later, not here
        "http://169.254.169.254/latest/",
    ],
)
def test_valid_urls_are_returned_unchanged(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/disk.img", "url must be an http or https URL with a host"),
        ("file:///etc/passwd", "url must be an http or https URL with a host"),
        ("example.com/disk.img", "url must be an http or https URL with a host"),
        ("//example.com/disk.img", "url must be an http or https URL with a host"),
        ("http:///disk.img", "url must be an http or https URL with a host"),
        ("http://:8080/disk.img", "url must be an http or https URL with a host"),
        ("", "url must be an http or https URL with a host"),
        ("http://example.com:0/disk.img", "url has an invalid port"),
        ("http://example.com:000/disk.img", "url has an invalid port"),
        ("http://example.com:65536/disk.img", "url is not a valid URL: Port out of range"),
        ("http://example.com:http/disk.img", "url is not a valid URL: Port could not be cast"),
        ("http://[::1/disk.img", "url is not a valid URL: Invalid IPv6 URL"),
    ],
)
def test_invalid_urls_are_unprocessable(url: str, message: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        check_url(url)
    assert caught.value.message.startswith(message)
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "url",
    [
        "http://exa\nmple.com/disk.img",
        "http://example.com/disk\t.img",
        " http://example.com/disk.img",
    ],
)
def test_urls_with_control_characters_are_unprocessable(url: str) -> None:
    with pytest.raises(Unprocessable):
        check_url(url)
