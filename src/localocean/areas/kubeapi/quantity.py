"""Kubernetes resource quantities (`100m`, `1.5`, `128Mi`, `1G`, `1e3`) as numbers."""

from __future__ import annotations

import re
from typing import Any

_SUFFIXES = {
    "": 1.0,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def parse(value: object) -> float:
    """The quantity in base units (cores, bytes); ValueError if it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIXES:
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    return float(match.group(1)) * _SUFFIXES[match.group(2)]


def parse_or_zero(value: object) -> float:
    try:
        return parse(value)
    except ValueError:
        return 0.0


def pod_requests(pod_spec: dict[str, Any]) -> tuple[float, float]:
    """The CPU (cores) and memory (bytes) a pod's containers request together."""
    cpu = memory = 0.0
    for container in pod_spec.get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        cpu += parse_or_zero(requests.get("cpu", 0))
        memory += parse_or_zero(requests.get("memory", 0))
    return cpu, memory
