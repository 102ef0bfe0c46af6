"""Fault rules: make the API misbehave on purpose, so clients' retry logic can be tested."""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, true, update

from localocean.core.errors import APIError, Unprocessable
from localocean.core.tables import fault_rules
from localocean.core.validation import Body

if TYPE_CHECKING:
    from localocean.core.db import Database

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
    """The fault rules, kept in the database (so every process sharing it applies them) and
    held here for the requests to match against; `load` reads them again."""

    def __init__(self, db: Database | None = None) -> None:
        self.db = db
        self.rules: list[FaultRule] = []

    def load(self) -> None:
        if self.db is None:
            return
        with self.db.transaction() as connection:
            rows = connection.execute(
                select(fault_rules.c.rule, fault_rules.c.fired).order_by(fault_rules.c.position)
            ).all()
        self.rules = [FaultRule(**{**row.rule, "fired": int(row.fired)}) for row in rows]

    def add(self, payload: Any) -> FaultRule:
        rule = parse(payload)
        if self.db is not None:
            from localocean.core.db import next_id

            with self.db.transaction() as connection:
                stored = {k: v for k, v in rule.render().items() if k != "fired"}
                connection.execute(
                    fault_rules.insert().values(
                        id=rule.id,
                        position=next_id(connection, "fault_position", 0),
                        rule=stored,
                        fired=0,
                    )
                )
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        before = len(self.rules)
        if self.db is not None:
            with self.db.transaction() as connection:
                connection.execute(fault_rules.delete().where(fault_rules.c.id == rule_id))
        self.rules = [rule for rule in self.rules if rule.id != rule_id]
        return len(self.rules) < before

    def clear(self) -> None:
        if self.db is not None:
            with self.db.transaction() as connection:
                connection.execute(fault_rules.delete())
        self.rules.clear()

    def _fire(self, rule: FaultRule) -> bool:
        """Count a firing where every process sees it; False if another process used up the
        rule's `times` first."""
        if self.db is None:
            rule.fired += 1
            return True
        within = fault_rules.c.fired < rule.times if rule.times is not None else true()
        with self.db.transaction() as connection:
            fired = connection.execute(
                update(fault_rules)
                .where(fault_rules.c.id == rule.id, within)
                .values(fired=fault_rules.c.fired + 1)
                .returning(fault_rules.c.fired)
            ).scalar()
            if fired is not None and rule.times is not None and fired >= rule.times:
                connection.execute(fault_rules.delete().where(fault_rules.c.id == rule.id))
        if fired is None:
            return False
        rule.fired = int(fired)
        return True

    def match(
        self, method: str, path: str, token: str | None, operation: str | None
    ) -> FaultRule | None:
        """The first rule for this request (`operation`: its operation id, if it has one)."""
        for rule in list(self.rules):
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
            fired = self._fire(rule)
            if not fired or (rule.times is not None and rule.fired >= rule.times):
                self.rules.remove(rule)
            if fired:
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
