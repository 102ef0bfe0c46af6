"""Projects: create, change, delete; the default project every account has; resources
assigned to projects by URN."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row

from localocean.areas.projects import store
from localocean.core import accounts
from localocean.core.clock import rfc3339
from localocean.core.db import Duplicate
from localocean.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    Unprocessable,
)
from localocean.core.validation import Body

if TYPE_CHECKING:
    from localocean.core.area import ProjectResources
    from localocean.core.operations import Call

# What DigitalOcean gives an account before it makes any project of its own.
DEFAULT_NAME = "first-project"
DEFAULT_DESCRIPTION = "Update your project information under Settings"
DEFAULT_PURPOSE = "Just trying out DigitalOcean"
DEFAULT_ENVIRONMENT = "Development"

PURPOSES = frozenset(
    {
        "Just trying out DigitalOcean",
        "Class project / Educational purposes",
        "Website or blog",
        "Web Application",
        "Service or API",
        "Mobile Application",
        "Machine learning / AI / Data processing",
        "IoT",
        "Operational / Developer tooling",
    }
)
OTHER = "Other: "
# Matched without regard to case ("production" is "Production"); "" is no environment.
ENVIRONMENTS = {name.lower(): name for name in ("Development", "Staging", "Production")}

# The URN kinds DigitalOcean takes in a project, with the path of such a resource in the API.
# Kinds no area declares (`Area.project_resources`) are assigned on trust.
KINDS = {
    "app": "/v2/apps/{}",
    "dbaas": "/v2/databases/{}",
    "domain": "/v2/domains/{}",
    "domainrecord": "/v2/domains/{}",
    "droplet": "/v2/droplets/{}",
    "firewall": "/v2/firewalls/{}",
    "floatingip": "/v2/floating_ips/{}",
    "reservedip": "/v2/reserved_ips/{}",
    "reservedipv6": "/v2/reserved_ipv6/{}",
    "image": "/v2/images/{}",
    "kubernetes": "/v2/kubernetes/clusters/{}",
    "loadbalancer": "/v2/load_balancers/{}",
    "marketplaceapp": "/v2/1-clicks/{}",
    "saas": "/v2/add-ons/saas/{}",
    "space": "/v2/spaces/{}",
    "volume": "/v2/volumes/{}",
}
_URN = re.compile(r"do:([A-Za-z0-9]+):(\S+)")
BAD_URN = "resource objects must have an urn in the following format: do:resource_type:resource_id"
BAD_KIND = (
    "resource types must be one of the following: AppPlatformApp Bucket Database Domain "
    "DomainRecord Droplet Firewall FloatingIp Image Kubernetes LoadBalancer MarketplaceApp "
    "Saas Volume"
)
NOT_EMPTY = "cannot delete a project with resources. move or remove the resources first"


# --- projects ------------------------------------------------------------------------------


def ensure_default(connection: Connection, account_id: str, now: float) -> Row[Any]:
    """The account's default project, made the first time anything asks for it (an account
    has one from the start on DigitalOcean). Processes sharing a database agree on one: the
    loser of a race finds the winner's."""
    found = store.default_of(connection, account_id)
    if found is not None:
        return found
    # DigitalOcean makes it with the account: it is the account's oldest project.
    account = accounts.get(connection, account_id)
    created_at = min(account.created_at, now) if account is not None else now
    # Made meanwhile by another transaction: that one it is.
    with contextlib.suppress(Duplicate):
        store.add(
            connection,
            default=True,
            id=str(uuid.uuid4()),
            account_id=account_id,
            name=DEFAULT_NAME,
            description=DEFAULT_DESCRIPTION,
            purpose=DEFAULT_PURPOSE,
            environment=DEFAULT_ENVIRONMENT,
            created_at=created_at,
            updated_at=created_at,
        )
    found = store.default_of(connection, account_id)
    if found is None:  # pragma: no cover - a project of that name and no default: not reachable
        raise Conflict(f"a project named {DEFAULT_NAME!r} exists but is not the default")
    return found


def default_project(call: Call) -> Row[Any]:
    """The default project, for any operation. A GET reads outside a transaction (on
    PostgreSQL, on an autocommit connection): the first time, the project is made in a
    transaction of its own."""
    found = store.default_of(call.db, call.account_id)
    if found is not None:
        return found
    if call.scope["method"] in ("GET", "HEAD"):
        with call.services.db.transaction() as connection:
            ensure_default(connection, call.account_id, call.now())
        found = store.default_of(call.db, call.account_id)
        if found is not None:
            return found
    return ensure_default(call.db, call.account_id, call.now())


def find(call: Call, project_id: str) -> tuple[Row[Any], bool]:
    """A project by id (`default` is the default project) and whether it is the default."""
    default = default_project(call)
    if project_id in ("default", default.id):
        return default, True
    project = store.get(call.db, call.account_id, project_id)
    if project is None:
        raise NotFound("project not found")
    return project, False


def _purpose(value: str) -> str:
    if value in PURPOSES or value.startswith(OTHER):
        return value
    return OTHER + value


def _environment(body: Body) -> str | None:
    value = body.str("environment", allow_empty=True)
    if value is None or value == "":
        return value
    known = ENVIRONMENTS.get(value.lower())
    if known is None:
        raise BadRequest("environment must be one of Development, Staging, Production")
    return known


def _fields(body: Body, *, required: bool) -> dict[str, Any]:
    """The attributes given; DigitalOcean's projects answer bad ones with a 400."""
    try:
        return _read_fields(body, required=required)
    except Unprocessable as exc:
        raise BadRequest(exc.message) from exc


def _read_fields(body: Body, *, required: bool) -> dict[str, Any]:
    name = body.str("name", required=required, max_length=175)
    if name is not None and not name.strip():
        raise BadRequest("name is required")
    description = body.str("description", max_length=255, allow_empty=True)
    purpose = body.str("purpose", required=required, max_length=255 - len(OTHER))
    if purpose is not None and not purpose.strip():
        raise BadRequest("purpose is required")
    values = {
        "name": name,
        "description": description,
        "purpose": _purpose(purpose) if purpose is not None else None,
        "environment": _environment(body),
    }
    return {key: value for key, value in values.items() if value is not None}


def _duplicate() -> Conflict:
    return Conflict("name is already in use")


def create(connection: Connection, account_id: str, payload: Any, now: float) -> Row[Any]:
    ensure_default(connection, account_id, now)
    values = {"description": "", "environment": "", **_fields(Body(payload), required=True)}
    if store.name_taken(connection, account_id, values["name"], None):
        raise _duplicate()
    project_id = str(uuid.uuid4())
    try:
        store.add(
            connection,
            id=project_id,
            account_id=account_id,
            created_at=now,
            updated_at=now,
            **values,
        )
    except Duplicate as exc:
        raise _duplicate() from exc
    found = store.get(connection, account_id, project_id)
    assert found is not None
    return found


def update(call: Call, project_id: str, *, replace: bool) -> tuple[Row[Any], bool]:
    """PUT (`replace`) sends every attribute, as DigitalOcean requires; PATCH only those to
    change. `is_default: true` makes the project the default; `false` leaves the default as it
    is (there is always one)."""
    project, is_default = find(call, project_id)
    body = Body(call.body)
    if replace:
        for name in ("name", "description", "purpose", "environment", "is_default"):
            if not body.has(name):
                raise BadRequest(f"{name} is required")
    changes = _fields(body, required=replace)
    changes = {key: value for key, value in changes.items() if value != project._mapping[key]}
    try:
        make_default = body.bool("is_default")
    except Unprocessable as exc:
        raise BadRequest(exc.message) from exc
    connection, account_id = call.db, call.account_id
    if "name" in changes and store.name_taken(connection, account_id, changes["name"], project.id):
        raise _duplicate()
    if make_default and not is_default:
        make_the_default(connection, account_id, project.id, call.services.project_resources)
        is_default = True
        changes["updated_at"] = call.now()
    if changes:
        changes["updated_at"] = call.now()
        try:
            store.change(connection, project.id, **changes)
        except Duplicate as exc:
            raise _duplicate() from exc
        found = store.get(connection, account_id, project.id)
        assert found is not None
        project = found
    return project, is_default


def make_the_default(
    connection: Connection, account_id: str, project_id: str, kinds: tuple[ProjectResources, ...]
) -> None:
    old = store.default_of(connection, account_id)
    assert old is not None
    # What was in the old default only because it was the default stays there.
    store.membership(kinds).pin_implicit(connection, account_id, old.id)
    store.set_default(connection, account_id, project_id)


def delete(call: Call, project_id: str) -> None:
    project, is_default = find(call, project_id)
    if is_default:
        raise PreconditionFailed("cannot delete the default project")
    members = store.membership(call.services.project_resources)
    if members.has_resources(call.db, call.account_id, project.id, False):
        raise PreconditionFailed(NOT_EMPTY)
    store.delete(call.db, project)


def render(project: Row[Any], is_default: bool, owner_number: int) -> dict[str, Any]:
    return {
        "id": project.id,
        "owner_uuid": project.account_id,
        "owner_id": owner_number,
        "name": project.name,
        "description": project.description,
        "purpose": project.purpose,
        "environment": project.environment,
        "is_default": is_default,
        "created_at": rfc3339(project.created_at),
        "updated_at": rfc3339(project.updated_at),
    }


# --- resources -----------------------------------------------------------------------------


def _aliases(kinds: Sequence[ProjectResources]) -> dict[str, str]:
    return {alias: kind.kind for kind in kinds for alias in (kind.kind, *kind.aliases)}


def parse_urn(urn: Any, aliases: dict[str, str]) -> tuple[str, str]:
    """(urn, kind) as stored: the kind in lower case, an alias as the kind it stands for."""
    match = _URN.fullmatch(urn) if isinstance(urn, str) else None
    if match is None:
        raise BadRequest(BAD_URN)
    kind = match.group(1).lower()
    if kind not in KINDS:
        raise BadRequest(BAD_KIND)
    kind = aliases.get(kind, kind)
    return f"do:{kind}:{match.group(2)}", kind


def links(base_url: str, urn: str, kinds: Sequence[ProjectResources]) -> dict[str, str]:
    _, kind, resource_id = urn.split(":", 2)
    template = next((k.link for k in kinds if k.kind == kind), None) or KINDS.get(kind, "/v2/{}")
    return {"self": base_url + template.format(resource_id)}


def assign(
    connection: Connection,
    account_id: str,
    project: Row[Any],
    is_default: bool,
    urns: Sequence[Any],
    now: float,
    kinds: tuple[ProjectResources, ...],
) -> list[tuple[str, str, float | None]]:
    """Move the resources to the project. Each URN's outcome, in the order given, as (urn,
    status, assigned_at): `assigned`, `already_assigned` (it was there), or `not_found` (a
    resource of a kind LocalOcean models that the account does not have)."""
    aliases = _aliases(kinds)
    parsed: dict[str, str] = {}
    for given in urns:
        urn, kind = parse_urn(given, aliases)
        parsed.setdefault(urn, kind)
    members = store.membership(kinds)
    where = members.where(connection, account_id, list(parsed))
    outcomes: list[tuple[str, str, float | None]] = []
    moved: list[tuple[str, str]] = []
    for urn, kind in parsed.items():
        if urn not in where:
            if kind in members.declared:
                outcomes.append((urn, "not_found", None))
                continue
        else:
            current, assigned_at = where[urn]
            if current == project.id or (current is None and is_default):
                outcomes.append((urn, "already_assigned", assigned_at))
                continue
        moved.append((urn, kind))
        outcomes.append((urn, "assigned", now))
    store.assign(connection, account_id, project.id, moved, now)
    return outcomes


# --- for other areas: where their resources go and are --------------------------------------


def place(
    connection: Connection,
    account_id: str,
    urn: str,
    kind: str,
    project_id: str | None,
    now: float,
) -> None:
    """A resource just made goes to the project it was created with (`project_id`, which must
    be the account's), else to the default project (made now if the account has none yet, so
    the resource can show its id)."""
    if not project_id:
        ensure_default(connection, account_id, now)
        return
    if store.get(connection, account_id, project_id) is None:
        raise Unprocessable(f"project_id: no project {project_id} in this account")
    store.assign(connection, account_id, project_id, [(urn, kind)], now)


def projects_of(
    connection: Connection, account_id: str, resources: Sequence[tuple[str, float]]
) -> dict[str, str | None]:
    """The project id of each resource ((urn, created_at), ...): where it was assigned since it
    was made, else the default project (None if the account never had one made)."""
    assigned = store.assignments(connection, account_id, [urn for urn, _ in resources])
    default = store.default_of(connection, account_id)
    found: dict[str, str | None] = {}
    for urn, created_at in resources:
        project_id, assigned_at = assigned.get(urn, (None, 0.0))
        fresh = project_id is not None and assigned_at >= created_at
        found[urn] = project_id if fresh else (default.id if default is not None else None)
    return found
