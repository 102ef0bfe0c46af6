"""Projects, each account's default project, and the resources assigned to projects.

Only explicit assignments are stored (`project_resources`: URN -> project). The resources
themselves belong to other areas, which declare them (`Area.project_resources`); one without an
assignment is in the account's default project, and one whose row is gone is in no project
(its assignment, if any, is ignored). An assignment older than the resource it names is
ignored too: it was made for an earlier resource of the same URN (a domain deleted and added
again), so the new one starts in the default project as on DigitalOcean.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    Row,
    Select,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)

from localocean.core import tallies
from localocean.core.area import ProjectResources
from localocean.core.db import Duplicate, change_row, savepoint
from localocean.core.pagination import Page, PagedQuery
from localocean.core.query import Query, Write
from localocean.core.tables import account_id_column, metadata

projects = Table(
    "projects",
    metadata,
    Column("id", String(36), primary_key=True),
    account_id_column(),
    Column("name", String(175), nullable=False),
    Column("description", String(255), nullable=False),
    Column("purpose", String(255), nullable=False),
    Column("environment", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("account_id", "name", name="uq_projects_account_name"),
    Index("ix_projects_account_created", "account_id", "created_at", "id"),
)

# One row per account: which project is its default (the primary key makes it one).
project_defaults = Table(
    "project_defaults",
    metadata,
    Column(
        "account_id",
        String(40),
        ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("project_id", String(36), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
)

# Explicit assignments: a resource (by URN) of the account is in this project.
project_resources = Table(
    "project_resources",
    metadata,
    account_id_column(),
    Column("urn", String(512), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("project_id", String(36), ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("assigned_at", Float, nullable=False),
    PrimaryKeyConstraint("account_id", "urn", name="pk_project_resources"),
    Index("ix_project_resources_project", "project_id", "assigned_at"),
)

TABLES = (projects, project_defaults, project_resources)

_OF_ACCOUNT = projects.c.account_id == bindparam("account_id")
_LIST = PagedQuery(
    select(projects).where(_OF_ACCOUNT).order_by(projects.c.created_at, projects.c.id),
    tally="projects",
)
_GET = Query(select(projects).where(_OF_ACCOUNT, projects.c.id == bindparam("project_id")))
_DEFAULT = Query(
    select(projects)
    .join(project_defaults, project_defaults.c.project_id == projects.c.id)
    .where(project_defaults.c.account_id == bindparam("account_id"))
)
_NAMED = Query(
    select(projects.c.id).where(_OF_ACCOUNT, projects.c.name == bindparam("project_name"))
)
_ADD = Write(projects.insert())
_ADD_DEFAULT = Write(project_defaults.insert())
_SET_DEFAULT = Write(
    update(project_defaults)
    .where(project_defaults.c.account_id == bindparam("owner"))
    .values(project_id=bindparam("new_default"))
)
_DELETE = Write(projects.delete().where(projects.c.id == bindparam("project_id")))


def list_page(connection: Connection, account_id: str, page: Page) -> tuple[list[Row[Any]], int]:
    return _LIST.fetch(connection, {"account_id": account_id}, page)


def get(connection: Connection, account_id: str, project_id: str) -> Row[Any] | None:
    return _GET.first(connection, {"account_id": account_id, "project_id": project_id})


def default_of(connection: Connection, account_id: str) -> Row[Any] | None:
    return _DEFAULT.first(connection, {"account_id": account_id})


def name_taken(connection: Connection, account_id: str, name: str, but: str | None) -> bool:
    found = _NAMED.scalar(connection, {"account_id": account_id, "project_name": name})
    return found is not None and found != but


def add(connection: Connection, *, default: bool = False, **values: Any) -> None:
    """Raises Duplicate if the name is taken, or (`default`) if the account has a default."""
    with savepoint(connection):
        _ADD.run(connection, values)
        if default:
            _ADD_DEFAULT.run(
                connection, {"account_id": values["account_id"], "project_id": values["id"]}
            )
    tallies.add(connection, values["account_id"], "projects")


def change(connection: Connection, project_id: str, **values: Any) -> None:
    """Raises Duplicate if a new name is taken."""
    with savepoint(connection):
        change_row(connection, projects, project_id, values)


def set_default(connection: Connection, account_id: str, project_id: str) -> None:
    _SET_DEFAULT.run(connection, {"owner": account_id, "new_default": project_id})


def delete(connection: Connection, project: Row[Any]) -> None:
    # Assignments left by resources deleted meanwhile go with it (ON DELETE CASCADE).
    connection.execute(
        project_resources.delete().where(project_resources.c.project_id == project.id)
    )
    _DELETE.run(connection, {"project_id": project.id})
    tallies.add(connection, project.account_id, "projects", -1)


def delete_account(connection: Connection, account_id: str) -> None:
    for table in (project_resources, project_defaults, projects):
        connection.execute(table.delete().where(table.c.account_id == account_id))


PER_ACCOUNT = select(projects.c.account_id, func.count()).group_by(projects.c.account_id)


class Membership:
    """The statements over the resources the areas declare, built once per set of
    declarations: which project each is in, a page of a project's resources, the assignment
    of the implicit members of the default project."""

    def __init__(self, kinds: tuple[ProjectResources, ...]):
        self.kinds = kinds
        self.declared = frozenset(kind.kind for kind in kinds)
        assigned = project_resources
        mine = assigned.c.account_id == bindparam("account_id")
        # Resources of kinds no area declares are taken on trust: their assignment is the row.
        on_trust = and_(mine, *(assigned.c.kind != kind for kind in sorted(self.declared)))
        trusted = select(
            assigned.c.urn,
            assigned.c.kind,
            assigned.c.project_id,
            assigned.c.assigned_at,
        ).where(on_trust)
        if kinds:
            resources = union_all(*(kind.members() for kind in kinds)).subquery("resources")
            valid = and_(
                mine,
                assigned.c.urn == resources.c.urn,
                assigned.c.assigned_at >= resources.c.created_at,
            )
            declared: Select[Any] = select(
                resources.c.urn,
                resources.c.kind,
                assigned.c.project_id,
                func.coalesce(assigned.c.assigned_at, resources.c.created_at).label("assigned_at"),
            ).select_from(resources.outerjoin(assigned, valid))
            everything = union_all(declared, trusted).subquery("everything")
            self.resources: Any = resources
        else:
            everything = trusted.subquery("everything")
            self.resources = None
        in_project = everything.c.project_id == bindparam("project_id")
        in_default = or_(in_project, everything.c.project_id.is_(None))
        shown = (everything.c.urn, everything.c.kind, everything.c.assigned_at)
        order = (everything.c.assigned_at, everything.c.urn)
        self.page = PagedQuery(select(*shown).where(in_project).order_by(*order))
        self.default_page = PagedQuery(select(*shown).where(in_default).order_by(*order))
        self.any_in = Query(select(literal(1)).where(in_project).limit(1))
        self.any_in_default = Query(select(literal(1)).where(in_default).limit(1))
        # Given URNs: those that exist (or were assigned, for kinds taken on trust).
        urns = bindparam("urns", expanding=True, type_=String)
        self.found = Query(
            select(everything.c.urn, everything.c.project_id, everything.c.assigned_at).where(
                everything.c.urn.in_(urns)
            )
        )

    def page_of(
        self, connection: Connection, account_id: str, project_id: str, default: bool, page: Page
    ) -> tuple[list[Row[Any]], int]:
        query = self.default_page if default else self.page
        return query.fetch(connection, {"account_id": account_id, "project_id": project_id}, page)

    def has_resources(
        self, connection: Connection, account_id: str, project_id: str, default: bool
    ) -> bool:
        query = self.any_in_default if default else self.any_in
        params = {"account_id": account_id, "project_id": project_id}
        return query.first(connection, params) is not None

    def where(self, connection: Connection, account_id: str, urns: Sequence[str]) -> dict[str, Any]:
        """URN -> (project id or None for the default project, assigned at), for the given
        URNs: those of declared kinds that exist, those of other kinds that were assigned."""
        if not urns:
            return {}
        rows = self.found.all(connection, {"account_id": account_id, "urns": list(urns)})
        return {row.urn: (row.project_id, row.assigned_at) for row in rows}

    def pin_implicit(self, connection: Connection, account_id: str, project_id: str) -> None:
        """Assign every resource that is in the default project only implicitly to it
        (`project_id`) explicitly, before another project becomes the default."""
        if self.resources is None:
            return
        resources, assigned = self.resources, project_resources
        mine = assigned.c.account_id == account_id
        stale = exists().where(
            resources.c.urn == assigned.c.urn, resources.c.created_at > assigned.c.assigned_at
        )
        params = {"account_id": account_id}
        connection.execute(assigned.delete().where(mine, stale), params)
        unassigned = ~exists().where(mine, assigned.c.urn == resources.c.urn)
        implicit = select(
            literal(account_id, String).label("account_id"),
            resources.c.urn,
            resources.c.kind,
            literal(project_id, String).label("project_id"),
            resources.c.created_at,
        ).where(unassigned)
        columns = ["account_id", "urn", "kind", "project_id", "assigned_at"]
        connection.execute(assigned.insert().from_select(columns, implicit), params)


_ASSIGNMENTS = Query(
    select(
        project_resources.c.urn, project_resources.c.project_id, project_resources.c.assigned_at
    ).where(
        project_resources.c.account_id == bindparam("account_id"),
        project_resources.c.urn.in_(bindparam("urns", expanding=True)),
    )
)


def assignments(
    connection: Connection, account_id: str, urns: Sequence[str]
) -> dict[str, tuple[str, float]]:
    """URN -> (project id, assigned at) of the given URNs' stored assignments."""
    if not urns:
        return {}
    rows = _ASSIGNMENTS.all(connection, {"account_id": account_id, "urns": list(urns)})
    return {row.urn: (row.project_id, row.assigned_at) for row in rows}


@cache
def membership(kinds: tuple[ProjectResources, ...]) -> Membership:
    return Membership(kinds)


_ASSIGN = Write(project_resources.insert())
_REASSIGN = Write(
    project_resources.update()
    .where(
        project_resources.c.account_id == bindparam("of_account"),
        project_resources.c.urn == bindparam("of_urn"),
    )
    .values(
        kind=bindparam("moved_kind"),
        project_id=bindparam("moved_to"),
        assigned_at=bindparam("moved_at"),
    )
)


def assign(
    connection: Connection,
    account_id: str,
    project_id: str,
    urns: Sequence[tuple[str, str]],
    now: float,
) -> None:
    """Put the resources ((urn, kind), ...) in the project, wherever they were."""
    if not urns:
        return
    for urn, kind in urns:
        row = {
            "account_id": account_id,
            "urn": urn,
            "kind": kind,
            "project_id": project_id,
            "assigned_at": now,
        }
        try:
            with savepoint(connection):
                _ASSIGN.run(connection, row)
        except Duplicate:  # assigned before (or meanwhile, by another request): moved here
            moved = {"moved_kind": kind, "moved_to": project_id, "moved_at": now}
            _REASSIGN.run(connection, {"of_account": account_id, "of_urn": urn, **moved})
