"""Projects and project resources: DigitalOcean's rules, the default project every account has,
resources by URN, and the flows of pydo, godo/Terraform, python-digitalocean and Ansible."""

from __future__ import annotations

import concurrent.futures
import uuid

import pydo
import pytest

from tests.conftest import new_token
from tests.support.ansible import run_module
from tests.test_conventions import assert_error
from tests.test_droplets import create as create_droplet

PROJECT = {"name": "web-api", "purpose": "Service or API", "environment": "Production"}


def project(http, **body) -> dict:
    response = http.post("/v2/projects", json={**PROJECT, **body})
    assert response.status_code == 201, response.text
    return response.json()["project"]


def urns(http, project_id: str = "default") -> list[str]:
    body = http.get(f"/v2/projects/{project_id}/resources", params={"per_page": 200}).json()
    return [resource["urn"] for resource in body["resources"]]


def cluster(http, name: str = "k") -> dict:
    versions = http.get("/v2/kubernetes/options").json()["options"]["versions"]
    body = {
        "name": name,
        "region": "nyc1",
        "version": versions[0]["slug"],
        "node_pools": [{"name": "work", "size": "s-2vcpu-4gb", "count": 1}],
    }
    response = http.post("/v2/kubernetes/clusters", json=body)
    assert response.status_code == 201, response.text
    return response.json()["kubernetes_cluster"]


def test_a_new_account_has_its_default_project(do: pydo.Client, http) -> None:
    listed = do.projects.list()
    assert listed["meta"]["total"] == 1
    (default,) = listed["projects"]
    assert default["is_default"] is True
    assert (default["name"], default["purpose"], default["environment"]) == (
        "first-project",
        "Just trying out DigitalOcean",
        "Development",
    )
    assert uuid.UUID(default["id"])
    account = http.get("/v2/account").json()["account"]
    assert default["owner_uuid"] == account["uuid"]
    assert do.projects.get_default()["project"] == default
    assert do.projects.get(default["id"])["project"] == default
    # Every way in finds the same one.
    assert do.projects.list()["projects"] == [default]
    assert http.get("/v2/projects/default/resources").json()["resources"] == []


def test_create_get_list_update_patch_delete(do: pydo.Client, http) -> None:
    created = do.projects.create(
        {"name": "my-web-api", "description": "My website API", "purpose": "Service or API"}
    )["project"]
    assert created["is_default"] is False
    assert (created["description"], created["purpose"], created["environment"]) == (
        "My website API",
        "Service or API",
        "",
    ), "no environment given, none set"
    assert created["created_at"] == created["updated_at"]
    assert do.projects.get(created["id"])["project"] == created
    default = do.projects.get_default()["project"]
    assert [p["id"] for p in do.projects.list()["projects"]] == [default["id"], created["id"]]

    # A purpose not on DigitalOcean's list is stored as "Other: ...".
    other = do.projects.create({"name": "b", "purpose": "my own", "environment": "staging"})
    assert (other["project"]["purpose"], other["project"]["environment"]) == (
        "Other: my own",
        "Staging",
    )

    # PUT sends every attribute.
    put = do.projects.update(
        created["id"],
        {
            "name": "renamed",
            "description": "",
            "purpose": "IoT",
            "environment": "Development",
            "is_default": False,
        },
    )["project"]
    assert (put["name"], put["description"], put["purpose"], put["environment"]) == (
        "renamed",
        "",
        "IoT",
        "Development",
    )
    # PATCH changes only what it is given.
    patched = do.projects.patch(created["id"], {"description": "again"})["project"]
    assert (patched["name"], patched["description"], patched["environment"]) == (
        "renamed",
        "again",
        "Development",
    )
    assert patched["is_default"] is False

    do.projects.delete(created["id"])
    assert_error(http.get(f"/v2/projects/{created['id']}"), 404, "not_found")
    assert_error(http.delete(f"/v2/projects/{created['id']}"), 404, "not_found")
    assert do.projects.list()["meta"]["total"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": "IoT"}, "name"),
        ({"name": "", "purpose": "IoT"}, "name"),
        ({"name": "x" * 176, "purpose": "IoT"}, "name"),
        ({"name": 5, "purpose": "IoT"}, "name"),
        ({"name": "ok"}, "purpose"),
        ({"name": "ok", "purpose": ""}, "purpose"),
        ({"name": "ok", "purpose": "IoT", "description": "d" * 256}, "description"),
        ({"name": "ok", "purpose": "IoT", "environment": "Testing"}, "environment"),
        ({"name": "ok", "purpose": "IoT", "environment": 3}, "environment"),
    ],
)
def test_invalid_create_is_400_and_stores_nothing(http, body, field) -> None:
    error = assert_error(http.post("/v2/projects", json=body), 400, "bad_request")
    assert field in error["message"]
    assert http.get("/v2/projects").json()["meta"]["total"] == 1, "the default project only"


def test_names_are_unique_and_updates_validated(http) -> None:
    first = project(http, name="one")
    second = project(http, name="two")
    error = assert_error(http.post("/v2/projects", json=PROJECT | {"name": "one"}), 409, "conflict")
    assert "already in use" in error["message"]
    assert_error(http.patch(f"/v2/projects/{second['id']}", json={"name": "one"}), 409, "conflict")
    (
        assert_error(http.patch("/v2/projects/default", json={"name": "two"}), 409, "conflict"),
        "the default project's name is one of the account's too",
    )
    # PUT needs every attribute.
    full = {
        "name": "x",
        "description": "",
        "purpose": "IoT",
        "environment": "",
        "is_default": False,
    }
    for name in full:
        missing = {k: v for k, v in full.items() if k != name}
        error = assert_error(
            http.put(f"/v2/projects/{first['id']}", json=missing), 400, "bad_request"
        )
        assert error["message"] == f"{name} is required"
    assert_error(
        http.put(f"/v2/projects/{first['id']}", json={**full, "is_default": "yes"}),
        400,
        "bad_request",
    )
    assert_error(
        http.patch(f"/v2/projects/{first['id']}", json={"environment": "prod"}), 400, "bad_request"
    )
    assert_error(http.patch(f"/v2/projects/{uuid.uuid4()}", json={"name": "x"}), 404, "not_found")
    assert http.get(f"/v2/projects/{first['id']}").json()["project"] == first
    # Renaming to its own name is no conflict; another account may use the same names.
    assert http.patch(f"/v2/projects/{first['id']}", json={"name": "one"}).status_code == 200


def test_the_default_project_moves_and_cannot_be_deleted(http) -> None:
    default = http.get("/v2/projects/default").json()["project"]
    droplet = create_droplet(http)
    error = assert_error(http.delete(f"/v2/projects/{default['id']}"), 412, "precondition_failed")
    assert "default" in error["message"]
    # The spec has no DELETE at /v2/projects/default.
    assert_error(http.delete("/v2/projects/default"), 405, "method_not_allowed")

    # `is_default: false` on the default project changes nothing: there is always one.
    kept = http.patch("/v2/projects/default", json={"is_default": False}).json()["project"]
    assert kept["is_default"] is True and kept["id"] == default["id"]

    other = project(http)
    moved = http.patch(f"/v2/projects/{other['id']}", json={"is_default": True}).json()["project"]
    assert moved["is_default"] is True
    assert http.get("/v2/projects/default").json()["project"]["id"] == other["id"]
    old = http.get(f"/v2/projects/{default['id']}").json()["project"]
    assert old["is_default"] is False
    listed = http.get("/v2/projects").json()["projects"]
    assert [p["id"] for p in listed if p["is_default"]] == [other["id"]]
    # The droplet stays where it was; what is created from now on lands in the new default.
    assert urns(http, default["id"]) == [f"do:droplet:{droplet['id']}"]
    newer = create_droplet(http, name="web-2")
    assert urns(http, other["id"]) == [f"do:droplet:{newer['id']}"]
    assert urns(http) == [f"do:droplet:{newer['id']}"]

    # The old default, emptied, can go now.
    assert_error(http.delete(f"/v2/projects/{default['id']}"), 412, "precondition_failed")
    http.post(
        f"/v2/projects/{other['id']}/resources", json={"resources": [f"do:droplet:{droplet['id']}"]}
    )
    assert http.delete(f"/v2/projects/{default['id']}").status_code == 204

    # PUT on /v2/projects/default updates it, `default` being its id everywhere.
    body = {
        "name": "main",
        "description": "d",
        "purpose": "Web Application",
        "environment": "Production",
        "is_default": True,
    }
    put = http.put("/v2/projects/default", json=body).json()["project"]
    assert (put["id"], put["name"], put["is_default"]) == (other["id"], "main", True)


def test_droplets_and_clusters_are_in_the_default_project_until_assigned(
    do: pydo.Client, http
) -> None:
    droplet = create_droplet(http)
    made = cluster(http)
    nodes = {int(d["id"]) for d in http.get("/v2/droplets").json()["droplets"]} - {droplet["id"]}
    droplet_urn, cluster_urn = f"do:droplet:{droplet['id']}", f"do:kubernetes:{made['id']}"
    listed = do.projects.list_resources_default()
    expected = {droplet_urn, cluster_urn, *(f"do:droplet:{n}" for n in nodes)}
    assert {r["urn"] for r in listed["resources"]} == expected
    first = next(r for r in listed["resources"] if r["urn"] == droplet_urn)
    assert first["status"] == "ok" and first["assigned_at"] == droplet["created_at"]
    assert first["links"]["self"].endswith(f"/v2/droplets/{droplet['id']}")

    other = project(http)
    assigned = do.projects.assign_resources(
        other["id"], {"resources": [droplet_urn, cluster_urn, droplet_urn]}
    )["resources"]
    assert [(r["urn"], r["status"]) for r in assigned] == [
        (droplet_urn, "assigned"),
        (cluster_urn, "assigned"),
    ]
    assert assigned[1]["links"]["self"].endswith(f"/v2/kubernetes/clusters/{made['id']}")
    assert set(urns(http, other["id"])) == {droplet_urn, cluster_urn}
    assert droplet_urn not in urns(http) and cluster_urn not in urns(http)
    again = do.projects.assign_resources(other["id"], {"resources": [droplet_urn]})["resources"]
    assert [r["status"] for r in again] == ["already_assigned"]

    # A project with resources stays.
    error = assert_error(http.delete(f"/v2/projects/{other['id']}"), 412, "precondition_failed")
    assert error["message"].startswith("cannot delete a project with resources")

    # Deleted resources vanish from every project.
    assert http.delete(f"/v2/droplets/{droplet['id']}").status_code == 204
    assert urns(http, other["id"]) == [cluster_urn]
    assert http.delete(f"/v2/kubernetes/clusters/{made['id']}").status_code == 204
    assert urns(http, other["id"]) == []
    assert urns(http) == []
    assert http.delete(f"/v2/projects/{other['id']}").status_code == 204

    # Back to the default project, explicitly.
    again = create_droplet(http, name="again")
    third = project(http, name="third")
    urn = f"do:droplet:{again['id']}"
    do.projects.assign_resources(third["id"], {"resources": [urn]})
    moved = do.projects.assign_resources_default({"resources": [urn]})["resources"]
    assert [r["status"] for r in moved] == ["assigned"]
    assert urns(http) == [urn] and urns(http, third["id"]) == []


def test_reserved_ips_and_volumes_belong_to_projects(do: pydo.Client, http) -> None:
    """A reserved IP created with a project is in it and shows it; one created without, and a
    volume, are in the default project; moved, the reserved IP shows its new project."""
    default = http.get("/v2/projects/default").json()["project"]
    other = project(http)
    placed = http.post("/v2/reserved_ips", json={"region": "nyc3", "project_id": other["id"]})
    assert placed.status_code == 202, placed.text
    ip = placed.json()["reserved_ip"]["ip"]
    assert placed.json()["reserved_ip"]["project_id"] == other["id"]
    assert urns(http, other["id"]) == [f"do:floatingip:{ip}"]
    plain = http.post("/v2/reserved_ips", json={"region": "nyc3"}).json()["reserved_ip"]
    assert plain["project_id"] == default["id"]
    volume = do.volumes.create({"name": "data", "region": "nyc3", "size_gigabytes": 10})
    volume_urn = f"do:volume:{volume['volume']['id']}"
    assert set(urns(http)) == {f"do:floatingip:{plain['ip']}", volume_urn}
    moved = do.projects.assign_resources_default({"resources": [f"do:floatingip:{ip}"]})
    assert [r["status"] for r in moved["resources"]] == ["assigned"]
    assert http.get(f"/v2/reserved_ips/{ip}").json()["reserved_ip"]["project_id"] == default["id"]
    unknown = {"region": "nyc3", "project_id": str(uuid.uuid4())}
    assert_error(http.post("/v2/reserved_ips", json=unknown), 422, "unprocessable_entity")
    assert len(http.get("/v2/reserved_ips").json()["reserved_ips"]) == 2, "nothing stored"
    gone = do.projects.assign_resources(other["id"], {"resources": [f"do:volume:{uuid.uuid4()}"]})
    assert [r["status"] for r in gone["resources"]] == ["not_found"]


def test_urns_are_checked(http, clients, server) -> None:
    other = project(http)
    path = f"/v2/projects/{other['id']}/resources"
    for bad in ("droplet:1", "do:droplet", "do:droplet:", "do::1", 5, "do:droplet:1 2"):
        error = assert_error(http.post(path, json={"resources": [bad]}), 400, "bad_request")
        assert "do:resource_type:resource_id" in error["message"]
    error = assert_error(
        http.post(path, json={"resources": [f"do:vpc:{uuid.uuid4()}"]}), 400, "bad_request"
    )
    assert error["message"].startswith("resource types must be one of")
    assert_error(http.post(path, json={"resources": "do:droplet:1"}), 422, "unprocessable_entity")
    assert_error(
        http.post(f"/v2/projects/{uuid.uuid4()}/resources", json={"resources": []}),
        404,
        "not_found",
    )
    assert_error(http.get(f"/v2/projects/{uuid.uuid4()}/resources"), 404, "not_found")

    # A resource LocalOcean models and the account lacks is not found; nothing is stored.
    droplet = create_droplet(http)
    mine = f"do:droplet:{droplet['id']}"
    with clients.http(server.url, new_token()) as someone_else:
        others = create_droplet(someone_else)
    answer = http.post(
        path, json={"resources": [mine, "do:droplet:999999999", f"do:droplet:{others['id']}"]}
    ).json()["resources"]
    assert [r["status"] for r in answer] == ["assigned", "not_found", "not_found"]
    assert urns(http, other["id"]) == [mine]
    # Kinds LocalOcean does not model yet are taken on trust, and listed.
    database = f"do:dbaas:{uuid.uuid4()}"
    trusted = http.post(path, json={"resources": ["do:space:assets", database]})
    assert [r["urn"] for r in trusted.json()["resources"]] == ["do:space:assets", database]
    # Oldest assignment first; those made together by URN.
    assert urns(http, other["id"]) == [mine, *sorted([database, "do:space:assets"])]
    listed = http.get(f"/v2/projects/{other['id']}/resources").json()["resources"]
    found = next(r for r in listed if r["urn"] == database)
    assert found["links"]["self"].endswith(f"/v2/databases/{database.rsplit(':', 1)[1]}")
    # Domains are the account's zones: one it does not hold is not found.
    zone = f"p{uuid.uuid4().hex[:12]}.com"
    absent = http.post(path, json={"resources": [f"do:domain:{zone}"]}).json()
    assert [r["status"] for r in absent["resources"]] == ["not_found"]
    assert http.post("/v2/domains", json={"name": zone}).status_code == 201
    assert f"do:domain:{zone}" in urns(http)


def test_resources_are_paginated(http) -> None:
    made = [create_droplet(http, name=f"d{i}")["id"] for i in range(5)]
    page = http.get("/v2/projects/default/resources", params={"per_page": 2, "page": 2}).json()
    assert page["meta"]["total"] == 5
    assert [r["urn"] for r in page["resources"]] == [f"do:droplet:{i}" for i in made[2:4]]
    assert set(page["links"]["pages"]) == {"first", "prev", "next", "last"}
    assert page["links"]["pages"]["last"].endswith("page=3")


def test_terraform_project_shape(http) -> None:
    """What the Terraform provider's `digitalocean_project` does, through godo."""
    droplet = create_droplet(http)
    urn = f"do:droplet:{droplet['id']}"
    # Create: godo's CreateProjectRequest sends every field, "" for those not set.
    body = {"name": "tf", "description": "", "purpose": "Web Application", "environment": ""}
    created = http.post("/v2/projects", json=body).json()["project"]
    assigned = http.post(f"/v2/projects/{created['id']}/resources", json={"resources": [urn]})
    assert assigned.status_code == 200
    # Read: the project and its resources' URNs.
    read = http.get(f"/v2/projects/{created['id']}").json()["project"]
    assert (read["environment"], read["purpose"]) == ("", "Web Application")
    assert urns(http, created["id"]) == [urn]
    # Update: godo's Update is a PATCH with every attribute; `production` in any case.
    update = {
        "name": "tf",
        "description": "now",
        "purpose": "my purpose",
        "environment": "production",
        "is_default": False,
    }
    updated = http.patch(f"/v2/projects/{created['id']}", json=update).json()["project"]
    assert (updated["purpose"], updated["environment"]) == ("Other: my purpose", "Production")
    assert updated["updated_at"] >= updated["created_at"]
    # Removed from `resources`: assigned back to the default project.
    default = http.get("/v2/projects/default").json()["project"]
    http.post(f"/v2/projects/{default['id']}/resources", json={"resources": [urn]})
    assert urns(http, created["id"]) == []
    # Destroy: resources to the default first, then the delete (which DigitalOcean refuses with
    # 412 while the project still has resources).
    http.post(f"/v2/projects/{created['id']}/resources", json={"resources": [urn]})
    assert_error(http.delete(f"/v2/projects/{created['id']}"), 412, "precondition_failed")
    http.post(f"/v2/projects/{default['id']}/resources", json={"resources": [urn]})
    assert http.delete(f"/v2/projects/{created['id']}").status_code == 204
    assert urns(http) == [urn]


def test_godo_projects_service_sequence(http) -> None:
    """godo's ProjectsService: List, GetDefault, Create, Get, Update (PATCH, nulls for what is
    not set), AssignResources, ListResources, Delete."""
    listed = http.get("/v2/projects", params={"page": 1, "per_page": 200}).json()
    assert listed["links"] == {} and listed["meta"] == {"total": 1}
    default = http.get("/v2/projects/default").json()["project"]
    body = {"name": "g", "description": "", "purpose": "IoT", "environment": "Staging"}
    created = http.post("/v2/projects", json=body).json()["project"]
    assert http.get(f"/v2/projects/{created['id']}").json()["project"] == created
    patch = {
        "name": None,
        "description": "d",
        "purpose": None,
        "environment": None,
        "is_default": None,
    }
    patched = http.patch(f"/v2/projects/{created['id']}", json=patch).json()["project"]
    assert (patched["name"], patched["description"], patched["environment"]) == (
        "g",
        "d",
        "Staging",
    )
    empty = http.post(f"/v2/projects/{created['id']}/resources", json={"resources": []})
    assert empty.json() == {"resources": []}
    resources = http.get(f"/v2/projects/{created['id']}/resources").json()
    assert resources == {"resources": [], "links": {}, "meta": {"total": 0}}
    assert http.delete(f"/v2/projects/{created['id']}").status_code == 204
    assert http.get("/v2/projects").json()["projects"] == [default]


def test_python_digitalocean(server, token, monkeypatch) -> None:
    import digitalocean

    monkeypatch.setenv("DIGITALOCEAN_END_POINT", f"{server.url}/v2/")
    manager = digitalocean.Manager(token=token)
    default = manager.get_default_project()
    assert default.is_default is True and default.name == "first-project"
    made = digitalocean.Project(token=token, name="pdo", purpose="IoT", environment="Staging")
    made.create_project()
    assert made.id and made.is_default is False
    droplet = digitalocean.Droplet(
        token=token, name="pdo", region="nyc1", size_slug="s-1vcpu-1gb", image="ubuntu-24-04-x64"
    )
    droplet.create()
    made.assign_resource([f"do:droplet:{droplet.id}"])
    assert made.get_all_resources() == [f"do:droplet:{droplet.id}"]
    made.update_project(description="via PUT")
    assert made.description == "via PUT" and made.environment == "Staging"
    made.set_as_default_project()
    assert manager.get_default_project().id == made.id
    assert sorted(p.name for p in manager.get_all_projects()) == ["first-project", "pdo"]


def test_ansible_project_modules(proxied, tmp_path) -> None:
    _server, _exported, _data_dir = proxied
    token = new_token()
    args = {"name": "ansible", "purpose": "IoT", "description": "d", "environment": "Development"}
    created = run_module("digital_ocean_project", {"state": "present", **args}, token, tmp_path)
    assert not created.get("failed"), created
    assert created["changed"] is True
    project_data = created["data"]["project"]
    assert (project_data["name"], project_data["purpose"]) == ("ansible", "IoT")
    again = run_module("digital_ocean_project", {"state": "present", **args}, token, tmp_path)
    assert again["changed"] is False, again
    changed = {**args, "environment": "Production", "purpose": "my own"}
    updated = run_module("digital_ocean_project", {"state": "present", **changed}, token, tmp_path)
    assert updated["changed"] is True, updated
    assert updated["data"]["project"]["environment"] == "Production"
    assert updated["data"]["project"]["purpose"] == "Other: my own"

    info = run_module("digital_ocean_project_resource_info", {}, token, tmp_path)
    assert not info.get("failed"), info
    assert info["data"] == []
    by_name = run_module(
        "digital_ocean_project_resource_info", {"name": "ansible"}, token, tmp_path
    )
    assert by_name["data"] == []
    missing = run_module("digital_ocean_project_resource_info", {"name": "nope"}, token, tmp_path)
    assert missing["failed"] is True

    gone = run_module(
        "digital_ocean_project", {"state": "absent", "name": "ansible"}, token, tmp_path
    )
    assert gone["changed"] is True, gone
    still = run_module(
        "digital_ocean_project", {"state": "absent", "name": "ansible"}, token, tmp_path
    )
    assert still["changed"] is False


def test_seeds_reset_export_and_status(start_server, clients, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: team\n"
        "    tokens: [dop_v1_seeded_projects]\n"
        "    projects:\n"
        "      - {name: shop, purpose: Web Application, environment: Production,\n"
        "         is_default: true, resources: ['do:space:shop-assets']}\n"
        "      - {name: lab, purpose: research}\n"
    )
    server = start_server("--seed", str(seed))
    with clients.http(server.url, "dop_v1_seeded_projects") as http:
        listed = http.get("/v2/projects").json()["projects"]
        by_name = {p["name"]: p for p in listed}
        assert sorted(by_name) == ["first-project", "lab", "shop"]
        assert [p["name"] for p in listed if p["is_default"]] == ["shop"]
        assert by_name["lab"]["purpose"] == "Other: research"
        assert urns(http) == ["do:space:shop-assets"]
        status = http.get("/_localocean/status").json()
        (team,) = [entry for entry in status["accounts"] if entry["account"] == "team"]
        assert team["projects"] == 3

        state = http.get("/_localocean/state").json()
        assert http.post("/_localocean/reset", json={}).status_code == 200
        fresh = http.get("/v2/projects").json()["projects"]
        assert [p["name"] for p in fresh] == ["first-project"] and fresh[0]["is_default"]
        assert http.put("/_localocean/state", json=state).status_code == 200
        assert http.get("/v2/projects").json()["projects"] == listed
        assert urns(http) == ["do:space:shop-assets"]


def test_a_bad_seed_is_refused(start_server, tmp_path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts:\n"
        "  - name: team\n"
        "    projects: [{name: shop, purpose: IoT, resources: ['do:droplet:12345']}]\n"
    )
    with pytest.raises(RuntimeError, match="resources not found: do:droplet:12345"):
        start_server("--seed", str(seed))


def test_fault_rule_on_a_project_operation(http, clients, server) -> None:
    with clients.http(server.url, None) as control:
        rule = {"operation": "projects_list", "status": 503, "times": 1}
        assert control.post("/_localocean/faults", json=rule).status_code == 201
        assert_error(http.get("/v2/projects"), 503, "service_unavailable")
        assert http.get("/v2/projects").status_code == 200


def test_one_default_project_for_concurrent_first_requests(
    backend, start_server, clients, tmp_path
) -> None:
    """A new account's first requests, at once, through one process or (PostgreSQL) two
    processes sharing the database: one default project."""
    if backend.name == "postgresql":
        database, _ = backend.durable(tmp_path / "data")
        servers = [start_server(database=database), start_server(database=database)]
    else:
        servers = [start_server()]
    token = new_token()
    urls = [servers[i % len(servers)].url for i in range(12)]

    def first_look(url: str) -> str:
        with clients.http(url, token) as http:
            return http.get("/v2/projects/default").json()["project"]["id"]

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        seen = set(pool.map(first_look, urls))
    assert len(seen) == 1
    with clients.http(servers[-1].url, token) as http:
        listed = http.get("/v2/projects").json()
        assert listed["meta"]["total"] == 1 and listed["projects"][0]["id"] in seen
