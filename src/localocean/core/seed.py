"""Seeding: a whole starting state from one YAML or JSON document.

    accounts:
      - name: team-a                      # created if new
        tokens: [dop_v1_team_a]           # bearer tokens that reach it (scopes: "*")
        vpcs: [{name: net, region: nyc1, ip_range: 10.10.0.0/16}]
        tags: [prod]
        images: [{name: base, type: snapshot, region: nyc3, min_disk_size: 25}]
        clusters:
          - name: prod
            region: nyc1
            version: latest
            vpc: net                      # a seeded VPC by name (or vpc_uuid)
            node_pools: [{name: pool, size: s-2vcpu-4gb, count: 3}]
            state: running                # or provisioning (then the timing profile applies)
            associated:
              load_balancers: [{name: lb-1}]
              volumes: [{id: my-volume, name: pvc-1}]
              volume_snapshots: [{name: snap-1}]

Each area reads its own section of an account entry (`Area.seed`), in the order of the list of
areas, through the same rules as the API; an invalid document changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from localocean.core import accounts
from localocean.core.errors import Unprocessable
from localocean.core.validation import Body

if TYPE_CHECKING:
    from localocean.config import Settings
    from localocean.core.area import Area, ProjectResources
    from localocean.core.lifecycle import Lifecycle


@dataclass
class SeedContext:
    connection: Connection
    lifecycle: Lifecycle
    account_id: str
    now: float
    settings: Settings
    vpc_ids: dict[str, str] = field(default_factory=dict)  # seeded VPCs by name
    # Every area's resources that belong to projects (the `projects` section assigns them).
    project_resources: tuple[ProjectResources, ...] = ()

    def request(self, entry: Any, own: tuple[str, ...] = ()) -> dict[str, Any]:
        """A seed entry as the API request it stands for: without the seed's own keys (`own`),
        and with `vpc`, a VPC seeded above by name, as `vpc_uuid`."""
        if not isinstance(entry, dict):
            raise Unprocessable("must be an object")
        payload = {k: v for k, v in entry.items() if k not in own and k != "vpc"}
        vpc_name = entry.get("vpc")
        if vpc_name is not None:
            if vpc_name not in self.vpc_ids:
                raise Unprocessable(f"vpc {vpc_name!r} is not a VPC seeded for this account")
            payload["vpc_uuid"] = self.vpc_ids[vpc_name]
        return payload


@contextmanager
def _at(where: str) -> Iterator[None]:
    """Name the place in the document in any error raised inside."""
    try:
        yield
    except Unprocessable as exc:
        raise Unprocessable(f"{where}: {exc.message}") from exc


def apply(
    connection: Connection,
    lifecycle: Lifecycle,
    areas: Sequence[Area],
    document: Any,
    now: float,
    settings: Settings,
) -> dict[str, Any]:
    """Create what the document describes; returns counts and the tokens it made valid."""
    if not isinstance(document, dict):
        raise Unprocessable("a seed document must be an object with an `accounts` list")
    sections = [area.seed for area in areas if area.seed is not None]
    counts = {"accounts": 0}
    for section in sections:
        counts[section.key] = 0
        if section.extra:
            counts[section.extra] = 0
    token_hashes: list[str] = []
    for index, entry in enumerate(Body(document).list("accounts") or []):
        where = f"accounts[{index}]"
        with _at(where):
            if not isinstance(entry, dict):
                raise Unprocessable("must be an object")
            body = Body(entry)
            name = body.str("name", required=True, max_length=255) or ""
            account = accounts.ensure_account(connection, name, now)
            counts["accounts"] += 1
            for token in body.str_list("tokens") or []:
                if not token.strip():
                    raise Unprocessable("tokens must not be empty")
                scopes = list(accounts.ALL_SCOPES)
                token_hashes.append(
                    accounts.grant_token(connection, token, account.id, scopes, now)
                )
        context = SeedContext(
            connection,
            lifecycle,
            account.id,
            now,
            settings,
            project_resources=tuple(kind for area in areas for kind in area.project_resources),
        )
        for section in sections:
            for i, item in enumerate(body.list(section.key) or []):
                with _at(f"{where}.{section.key}[{i}]"):
                    extras = section.load(context, item)
                counts[section.key] += 1
                if section.extra:
                    counts[section.extra] += extras
    return {"seeded": counts, "token_hashes": token_hashes}
