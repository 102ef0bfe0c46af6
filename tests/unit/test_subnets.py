"""Cluster and service subnets of DOKS (`specs.subnets`) and VPC ranges (`vpcs.rules`)."""

from __future__ import annotations

import ipaddress
from typing import Any, NamedTuple, cast

import pytest
from sqlalchemy import Row

from localocean.areas.kubernetes.specs import subnets
from localocean.areas.vpcs.rules import _generate_range, _parse_range
from localocean.core.errors import Unprocessable
from localocean.core.validation import Body


class VpcRow(NamedTuple):
    ip_range: str


def vpc(ip_range: str) -> Row[Any]:
    # The code reads only `.ip_range` of its database rows; a NamedTuple has that attribute.
    return cast("Row[Any]", VpcRow(ip_range))


def taken(*ranges: str) -> list[Row[Any]]:
    return [vpc(ip_range) for ip_range in ranges]


def subnets_for(vpc_range: str, **given: Any) -> tuple[str, str]:
    return subnets(Body(given), vpc(vpc_range))


def unprocessable(vpc_range: str, **given: Any) -> str:
    with pytest.raises(Unprocessable) as caught:
        subnets_for(vpc_range, **given)
    return caught.value.message


# Defaults


@pytest.mark.parametrize(
    ("vpc_range", "expected"),
    [
        ("10.100.0.0/20", ("10.244.0.0/16", "10.245.0.0/16")),
        ("192.168.0.0/16", ("10.244.0.0/16", "10.245.0.0/16")),
        # The cluster default moves off the VPC; the service default moves off both.
        ("10.244.0.0/16", ("10.245.0.0/16", "10.246.0.0/16")),
        ("10.244.128.0/28", ("10.245.0.0/16", "10.246.0.0/16")),
        ("10.245.0.0/16", ("10.244.0.0/16", "10.246.0.0/16")),
        ("10.245.255.240/28", ("10.244.0.0/16", "10.246.0.0/16")),
    ],
)
def test_defaults_avoid_the_vpc_and_each_other(vpc_range: str, expected: tuple[str, str]) -> None:
    assert subnets_for(vpc_range) == expected


def test_null_subnets_take_the_defaults() -> None:
    given = {"cluster_subnet": None, "service_subnet": None}
    assert subnets_for("10.100.0.0/20", **given) == ("10.244.0.0/16", "10.245.0.0/16")


def test_service_default_avoids_a_given_cluster_subnet() -> None:
    assert subnets_for("10.100.0.0/20", cluster_subnet="10.245.0.0/16") == (
        "10.245.0.0/16",
        "10.246.0.0/16",
    )


@pytest.mark.parametrize("cluster_subnet", ["10.240.0.0/12", "10.0.0.0/8"])
def test_service_default_stays_private(cluster_subnet: str) -> None:
    _, service = subnets_for("172.16.0.0/16", cluster_subnet=cluster_subnet)
    assert any(
        ipaddress.ip_network(service).subnet_of(ipaddress.ip_network(private))
        for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    ), service


# Given subnets


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"cluster_subnet": "10.50.0.0/16"}, ("10.50.0.0/16", "10.245.0.0/16")),
        ({"service_subnet": "172.20.0.0/24"}, ("10.244.0.0/16", "172.20.0.0/24")),
        (
            {"cluster_subnet": "192.168.0.0/20", "service_subnet": "172.16.0.0/24"},
            ("192.168.0.0/20", "172.16.0.0/24"),
        ),
        ({"cluster_subnet": "172.16.0.0/12"}, ("172.16.0.0/12", "10.245.0.0/16")),
    ],
)
def test_given_subnets_are_kept(given: dict[str, str], expected: tuple[str, str]) -> None:
    assert subnets_for("10.100.0.0/20", **given) == expected


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("cluster_subnet", "8.8.0.0/16"),
        ("cluster_subnet", "100.64.0.0/16"),  # shared address space is not RFC 1918
        ("cluster_subnet", "172.32.0.0/16"),  # just past 172.16.0.0/12
        ("cluster_subnet", "10.0.0.0/7"),  # wider than 10.0.0.0/8
        ("service_subnet", "192.169.0.0/24"),
        ("service_subnet", "fd00::/108"),
    ],
)
def test_subnets_outside_rfc1918_are_refused(field: str, text: str) -> None:
    assert unprocessable("10.100.0.0/20", **{field: text}) == (
        f"{field} must be within a private range (RFC 1918)"
    )


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("cluster_subnet", "10.50.0.1/16"),  # host bits set
        ("cluster_subnet", "not-a-cidr"),
        ("service_subnet", "10.50.0.0/33"),
        ("service_subnet", ""),
    ],
)
def test_invalid_cidr_is_refused(field: str, text: str) -> None:
    assert unprocessable("10.100.0.0/20", **{field: text}) == (
        f"{field} {text!r} is not a valid CIDR network"
    )


def test_non_string_subnet_is_refused() -> None:
    assert unprocessable("10.100.0.0/20", cluster_subnet=167772160) == (
        "cluster_subnet must be a string"
    )


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("cluster_subnet", "10.50.0.0/21", "cluster_subnet must be /20 or larger"),
        ("service_subnet", "10.50.0.0/25", "service_subnet must be /24 or larger"),
    ],
)
def test_too_small_subnets_are_refused(field: str, text: str, message: str) -> None:
    assert unprocessable("10.100.0.0/20", **{field: text}) == message


@pytest.mark.parametrize(
    ("field", "text"), [("cluster_subnet", "10.50.0.0/20"), ("service_subnet", "10.50.0.0/24")]
)
def test_smallest_allowed_subnets(field: str, text: str) -> None:
    assert text in subnets_for("10.100.0.0/20", **{field: text})


@pytest.mark.parametrize(
    ("vpc_range", "given", "field"),
    [
        ("10.100.0.0/20", {"cluster_subnet": "10.100.0.0/16"}, "cluster_subnet"),
        ("10.100.0.0/16", {"cluster_subnet": "10.100.16.0/20"}, "cluster_subnet"),
        ("10.100.0.0/20", {"service_subnet": "10.100.8.0/24"}, "service_subnet"),
        (
            "10.100.0.0/20",
            {"cluster_subnet": "10.50.0.0/16", "service_subnet": "10.50.0.0/20"},
            "service_subnet",
        ),
        (
            "10.100.0.0/20",
            {"cluster_subnet": "10.50.0.0/20", "service_subnet": "10.48.0.0/14"},
            "service_subnet",
        ),
    ],
)
def test_overlapping_subnets_are_refused(vpc_range: str, given: dict[str, str], field: str) -> None:
    assert unprocessable(vpc_range, **given) == (
        f"{field} overlaps the VPC or the other cluster subnet"
    )


# VPC ranges


@pytest.mark.parametrize(
    "text",
    ["10.10.10.0/24", "10.0.0.0/16", "172.31.255.240/28", "192.168.0.0/16", "172.16.0.0/16"],
)
def test_parse_range_accepts_rfc1918_from_16_to_28(text: str) -> None:
    assert _parse_range(text, []) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.0/15", "ip_range may not be smaller than /28 nor larger than /16"),
        ("10.0.0.0/8", "ip_range may not be smaller than /28 nor larger than /16"),
        ("10.0.0.0/29", "ip_range may not be smaller than /28 nor larger than /16"),
        ("8.8.8.0/24", "ip_range must be within a private range (RFC 1918)"),
        ("172.32.0.0/16", "ip_range must be within a private range (RFC 1918)"),
        ("100.64.0.0/16", "ip_range must be within a private range (RFC 1918)"),
        ("fd00::/48", "ip_range must be within a private range (RFC 1918)"),
        ("10.0.0.1/24", "ip_range '10.0.0.1/24' is not a valid CIDR network:"),
        ("10.0.0.0/33", "ip_range '10.0.0.0/33' is not a valid CIDR network:"),
        ("ten/24", "ip_range 'ten/24' is not a valid CIDR network:"),
    ],
)
def test_parse_range_refusals(text: str, message: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        _parse_range(text, [])
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "others"),
    [
        ("10.10.0.0/20", ("10.10.0.0/20",)),
        ("10.10.0.0/16", ("192.168.0.0/24", "10.10.255.240/28")),
        ("10.10.8.0/24", ("10.10.0.0/20",)),
    ],
)
def test_parse_range_refuses_overlap_with_the_accounts_vpcs(
    text: str, others: tuple[str, ...]
) -> None:
    with pytest.raises(Unprocessable) as caught:
        _parse_range(text, taken(*others))
    assert caught.value.message == f"ip_range {text} overlaps with another VPC in this account"


def test_parse_range_allows_adjacent_ranges() -> None:
    assert _parse_range("10.10.16.0/20", taken("10.10.0.0/20", "10.10.32.0/20")) == (
        "10.10.16.0/20"
    )


@pytest.mark.parametrize(
    ("others", "expected"),
    [
        ((), "10.100.0.0/20"),
        (("10.100.0.0/20",), "10.100.16.0/20"),
        (("10.100.0.0/20", "10.100.32.0/20"), "10.100.16.0/20"),
        (("10.100.8.0/28",), "10.100.16.0/20"),
        (("10.100.0.0/16",), "10.101.0.0/20"),
        (("192.168.0.0/16", "172.16.0.0/12"), "10.100.0.0/20"),
        # 10.100.0.0 to the end of 10.0.0.0/8 is taken: wrap round to the start of 10.0.0.0/8.
        (("10.100.0.0/14", "10.104.0.0/13", "10.112.0.0/12", "10.128.0.0/9"), "10.0.0.0/20"),
        (
            ("10.0.0.0/20", "10.100.0.0/14", "10.104.0.0/13", "10.112.0.0/12", "10.128.0.0/9"),
            "10.0.16.0/20",
        ),
    ],
)
def test_generate_range_first_free_20(others: tuple[str, ...], expected: str) -> None:
    assert _generate_range(taken(*others)) == expected


def test_generate_range_full_account_is_unprocessable() -> None:
    with pytest.raises(Unprocessable) as caught:
        _generate_range(taken("10.0.0.0/9", "10.128.0.0/9"))
    assert caught.value.message == "no free /20 range is left in 10.0.0.0/8 for this account"
