"""Fault rules: make the API misbehave on purpose, so clients' retry logic can be tested."""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any

from localocean.core.errors import APIError, Unprocessable
from localocean.core.validation import Body

ERROR_IDS = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    409: "conflict", 422: "unprocessable_entity", 429: "too_many_requests",
    500: "server_error", 502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout",
}  # fmt: skip


@dataclass
class FaultRule:
    id: str
    method: str | None
    path: str | None
    operation: str | None
    token: str | None
    status: int | None
    retry_after: int | None
    delay_ms: int
    drop: bool
    times: int | None
    probability: float | None
    fired: int = 0

    def render(self) -> dict[str, Any]:
        return asdict(self)

    def error_body(self, request_id: str) -> dict[str, Any]:
        return {
            "id": ERROR_IDS.get(self.status or 500, "error"),
            "message": f"Injected by LocalOcean fault rule {self.id}",
            "request_id": request_id,
        }


def parse(payload: Any) -> FaultRule:
    body = Body(payload)
    method = body.str("method")
    status = body.int("status", minimum=400, maximum=599)
    delay_ms = body.int("delay_ms", minimum=0, maximum=600_000) or 0
    drop = bool(body.bool("drop"))
    if status is None and not delay_ms and not drop:
        raise Unprocessable("a fault needs a status, a delay_ms or drop")
    probability = body.data.get("probability")
    if probability is not None and (
        isinstance(probability, bool)
        or not isinstance(probability, int | float)
        or not 0 < probability <= 1
    ):
        raise Unprocessable("probability must be a number above 0 and at most 1")
    return FaultRule(
        id=str(uuid.uuid4()),
        method=method.upper() if method else None,
        path=body.str("path"),
        operation=body.str("operation"),
        token=body.str("token"),
        status=status,
        retry_after=body.int("retry_after", minimum=0, maximum=3600),
        delay_ms=delay_ms,
        drop=drop,
        times=body.int("times", minimum=1),
        probability=float(probability) if probability is not None else None,
    )


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, payload: Any) -> FaultRule:
        rule = parse(payload)
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        before = len(self.rules)
        self.rules = [rule for rule in self.rules if rule.id != rule_id]
        return len(self.rules) < before

    def clear(self) -> None:
        self.rules.clear()

    def match(
        self, method: str, path: str, token: str | None, operation: str | None
    ) -> FaultRule | None:
        """The first rule for this request (`operation`: its operation id, if it has one)."""
        for rule in self.rules:
            if rule.method and rule.method != method:
                continue
            if rule.path and not fnmatchcase(path, rule.path):
                continue
            if rule.token and rule.token != token:
                continue
            if rule.operation and rule.operation != operation:
                continue
            if rule.probability is not None and random.random() >= rule.probability:
                continue
            rule.fired += 1
            if rule.times is not None and rule.fired >= rule.times:
                self.rules.remove(rule)
            return rule
        return None


class ConnectionDropped(Exception):
    """A fault rule drops the connection: uvicorn closes it when this escapes mid-response."""


class FaultError(APIError):
    """The error a fault rule answers with, in DigitalOcean's envelope."""

    def __init__(self, rule: FaultRule):
        headers = {}
        if rule.retry_after is not None or rule.status == 429:
            headers["retry-after"] = str(rule.retry_after if rule.retry_after is not None else 1)
        super().__init__(f"Injected by LocalOcean fault rule {rule.id}", headers=headers)
        self.status = rule.status or 500
        self.rule = rule

    def body(self, request_id: str) -> dict[str, Any]:
        return self.rule.error_body(request_id)
