"""Projects and project resources: list, create, get, update (PUT and PATCH), delete; the
default project (`/v2/projects/default`); resources assigned by URN."""

from __future__ import annotations

from typing import Any

from localocean.areas.projects import rules, store
from localocean.core.area import Area, SeedSection
from localocean.core.clock import rfc3339
from localocean.core.errors import Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.seed import SeedContext
from localocean.core.validation import Body

routes = Operations()


def _owner(call: Call) -> int:
    assert call.principal is not None
    return call.principal.account_number


@routes.get("/v2/projects", "projects_list", "project:read")
def list_projects(call: Call) -> dict[str, Any]:
    default = rules.default_project(call)
    page = Page.of(call)
    rows, total = store.list_page(call.db, call.account_id, page)
    owner = _owner(call)
    shown = [rules.render(row, row.id == default.id, owner) for row in rows]
    return listing(call, "projects", shown, total, page)


@routes.post("/v2/projects", "projects_create", "project:create", status=201)
def create_project(call: Call) -> dict[str, Any]:
    project = rules.create(call.db, call.account_id, call.body, call.now())
    return {"project": rules.render(project, False, _owner(call))}


def _get(call: Call, project_id: str) -> dict[str, Any]:
    project, is_default = rules.find(call, project_id)
    return {"project": rules.render(project, is_default, _owner(call))}


def _update(call: Call, project_id: str, *, replace: bool) -> dict[str, Any]:
    project, is_default = rules.update(call, project_id, replace=replace)
    return {"project": rules.render(project, is_default, _owner(call))}


@routes.get("/v2/projects/default", "projects_get_default", "project:read")
def get_default(call: Call) -> dict[str, Any]:
    return _get(call, "default")


@routes.put("/v2/projects/default", "projects_update_default", "project:update")
def update_default(call: Call) -> dict[str, Any]:
    return _update(call, "default", replace=True)


@routes.patch("/v2/projects/default", "projects_patch_default", "project:update")
def patch_default(call: Call) -> dict[str, Any]:
    return _update(call, "default", replace=False)


@routes.get("/v2/projects/{project_id}", "projects_get", "project:read")
def get_project(call: Call) -> dict[str, Any]:
    return _get(call, call.params["project_id"])


@routes.put("/v2/projects/{project_id}", "projects_update", "project:update")
def update_project(call: Call) -> dict[str, Any]:
    return _update(call, call.params["project_id"], replace=True)


@routes.patch("/v2/projects/{project_id}", "projects_patch", "project:update")
def patch_project(call: Call) -> dict[str, Any]:
    return _update(call, call.params["project_id"], replace=False)


@routes.delete("/v2/projects/{project_id}", "projects_delete", "project:delete", status=204)
def delete_project(call: Call) -> None:
    rules.delete(call, call.params["project_id"])


def _list_resources(call: Call, project_id: str) -> dict[str, Any]:
    project, is_default = rules.find(call, project_id)
    kinds = call.services.project_resources
    page = Page.of(call)
    rows, total = store.membership(kinds).page_of(
        call.db, call.account_id, project.id, is_default, page
    )
    base = call.base_url()
    shown = [
        {
            "urn": row.urn,
            "assigned_at": rfc3339(row.assigned_at),
            "links": rules.links(base, row.urn, kinds),
            "status": "ok",
        }
        for row in rows
    ]
    return listing(call, "resources", shown, total, page)


def _assign(call: Call, project_id: str) -> dict[str, Any]:
    project, is_default = rules.find(call, project_id)
    kinds = call.services.project_resources
    urns = Body(call.body).list("resources") or []
    outcomes = rules.assign(call.db, call.account_id, project, is_default, urns, call.now(), kinds)
    base = call.base_url()
    shown = []
    for urn, status, assigned_at in outcomes:
        item: dict[str, Any] = {"urn": urn}
        if assigned_at is not None:
            item["assigned_at"] = rfc3339(assigned_at)
        item["links"] = rules.links(base, urn, kinds)
        item["status"] = status
        shown.append(item)
    return {"resources": shown}


@routes.get("/v2/projects/default/resources", "projects_list_resources_default", "project:read")
def list_default_resources(call: Call) -> dict[str, Any]:
    return _list_resources(call, "default")


@routes.post(
    "/v2/projects/default/resources",
    "projects_assign_resources_default",
    "project:assign_resource",
)
def assign_default_resources(call: Call) -> dict[str, Any]:
    return _assign(call, "default")


@routes.get("/v2/projects/{project_id}/resources", "projects_list_resources", "project:read")
def list_resources(call: Call) -> dict[str, Any]:
    return _list_resources(call, call.params["project_id"])


@routes.post(
    "/v2/projects/{project_id}/resources", "projects_assign_resources", "project:assign_resource"
)
def assign_resources(call: Call) -> dict[str, Any]:
    return _assign(call, call.params["project_id"])


def _seed(context: SeedContext, entry: Any) -> int:
    """A project entry is a create request, plus `is_default` (it becomes the default project)
    and `resources` (URNs of resources seeded above, assigned to it)."""
    payload = context.request(entry, own=("is_default", "resources"))
    body = Body(entry)
    urns = body.list("resources") or []
    connection, account_id, now = context.connection, context.account_id, context.now
    project = rules.create(connection, account_id, payload, now)
    kinds = context.project_resources
    is_default = bool(body.bool("is_default"))
    if is_default:
        rules.make_the_default(connection, account_id, project.id, kinds)
    outcomes = rules.assign(connection, account_id, project, is_default, urns, now, kinds)
    missing = [urn for urn, status, _ in outcomes if status == "not_found"]
    if missing:
        raise Unprocessable(f"resources not found: {', '.join(missing)}")
    return len(outcomes)


AREA = Area(
    "projects",
    operations=routes,
    tables=store.TABLES,
    seed=SeedSection("projects", _seed, extra="project_resources"),
    reset_account=store.delete_account,
    counts={"projects": store.PER_ACCOUNT},
    tallies={"projects": store.PER_ACCOUNT},
)
