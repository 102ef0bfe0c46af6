"""The lifecycle engine: durable scheduled transitions, the clock, timing profiles, restarts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from localocean.app import build_services
from localocean.areas import AREAS
from localocean.areas.actions import rules as actions
from localocean.config import Settings
from localocean.core import accounts
from localocean.core.area import Area
from localocean.core.clock import parse_rfc3339
from localocean.core.db import Database
from localocean.core.tables import transitions
from localocean.core.timing import Durations
from tests.conftest import new_token


def seed_action(url: str, token: str, *, profile: str, delay: float | None = None) -> int:
    """Put an in-progress action with a scheduled completion in a database no server runs on.

    No operation starts a bare action through the API, so the test builds LocalOcean's own
    services on the database and records one exactly as an area's handler would.
    """
    services = build_services(Settings(database_url=url, timing=profile), AREAS)
    lifecycle = services.lifecycle
    with services.db.transaction() as session:
        principal = accounts.open_account(session, token, services.clock.now())
        action = actions.start(
            session,
            lifecycle,
            principal.account_id,
            type="transfer",
            resource_type="image",
            resource_id=7555620,
            region_slug="nyc3",
        )
        if delay is not None:
            lifecycle.cancel(session, "action", [action.id])
            lifecycle.schedule(
                session, actions.COMPLETE, "action", action.id, "completed", delay=delay,
                account_id=principal.account_id,
            )  # fmt: skip
        action_id = action.id
    lifecycle.save_clock()
    services.db.dispose()
    return action_id


def pending_in(url: str) -> int:
    db = Database(url)
    try:
        with db.transaction() as session:
            return int(session.execute(select(func.count()).select_from(transitions)).scalar_one())
    finally:
        db.dispose()


def test_manual_timing_moves_only_when_advanced_and_survives_restart(
    backend, start_server, clients, tmp_path: Path
) -> None:
    args, url = backend.durable(tmp_path)
    token = new_token()
    action_id = seed_action(url, token, profile="manual")
    server = start_server("--timing", "manual", database=args)
    with clients.http(server.url, token) as http, clients.http(server.url, None) as control:
        action = http.get(f"/v2/actions/{action_id}").json()["action"]
        assert action["status"] == "in-progress"
        assert action["completed_at"] is None
        assert action["resource_type"] == "image" and action["region"]["slug"] == "nyc3"
        clock = control.get("/_localocean/clock").json()
        assert clock["pending"] == 1
        time.sleep(1.1)
        assert control.get("/_localocean/clock").json()["now"] == clock["now"], "frozen"
        advanced = control.post("/_localocean/clock/advance", json={"seconds": 10}).json()
        assert advanced["applied"] == 0 and advanced["pending"] == 1
        assert parse_rfc3339(advanced["now"]) - parse_rfc3339(clock["now"]) == 10

    server.restart()
    with clients.http(server.url, token) as http, clients.http(server.url, None) as control:
        assert http.get(f"/v2/actions/{action_id}").json()["action"]["status"] == "in-progress"
        after_restart = control.get("/_localocean/clock").json()
        assert after_restart == {"now": advanced["now"], "pending": 1}, "nothing lost or moved"
        done = control.post("/_localocean/clock/advance", json={"seconds": 25}).json()
        assert (done["applied"], done["pending"]) == (1, 0)
        action = http.get(f"/v2/actions/{action_id}").json()["action"]
        assert action["status"] == "completed"
        started, completed = (
            parse_rfc3339(action["started_at"]),
            parse_rfc3339(action["completed_at"]),
        )
        assert completed - started == 30, "completed when it fell due, by the realistic duration"
        assert [a["id"] for a in http.get("/v2/actions").json()["actions"]] == [action_id]


def test_worker_applies_pending_work_after_a_restart(
    backend, start_server, clients, tmp_path: Path
) -> None:
    args, url = backend.durable(tmp_path)
    token = new_token()
    action_id = seed_action(url, token, profile="fast", delay=0.5)
    assert pending_in(url) == 1
    server = start_server("--timing", "fast", database=args)
    # No request reaches the server: its own worker applies the transition when due.
    deadline = time.monotonic() + 10
    while pending_in(url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pending_in(url) == 0
    with clients.http(server.url, token) as http:
        assert http.get(f"/v2/actions/{action_id}").json()["action"]["status"] == "completed"


def test_overdue_work_is_applied_before_the_first_answer(
    backend, start_server, clients, tmp_path: Path
) -> None:
    args, url = backend.durable(tmp_path)
    token = new_token()
    action_id = seed_action(url, token, profile="instant")
    server = start_server("--timing", "instant", database=args)
    with clients.http(server.url, token) as http:
        action = http.get(f"/v2/actions/{action_id}").json()["action"]
        assert action["status"] == "completed"
        assert action["completed_at"] == action["started_at"]


def test_clock_follows_real_time_and_can_be_advanced(start_server, clients) -> None:
    server = start_server("--timing", "fast")
    with clients.http(server.url, None) as control:
        before = parse_rfc3339(control.get("/_localocean/clock").json()["now"])
        moved = control.post("/_localocean/clock/advance", json={"seconds": 3600}).json()
        assert 3600 <= parse_rfc3339(moved["now"]) - before <= 3605
        settled = control.post("/_localocean/clock/settle").json()
        assert settled["pending"] == 0
        for bad in ({"seconds": -1}, {"seconds": "soon"}, {}, {"seconds": True}):
            response = control.post("/_localocean/clock/advance", json=bad)
            assert response.status_code == 422
            assert response.json()["id"] == "unprocessable_entity"


def test_a_transition_without_a_handler_stays_pending(
    backend, start_server, clients, tmp_path: Path
) -> None:
    """Written by another LocalOcean version or loaded from a state document: never dropped."""
    args, _ = backend.durable(tmp_path)
    server = start_server("--timing", "instant", database=args)
    with clients.http(server.url, None) as control:
        state = control.get("/_localocean/state").json()
        state["tables"]["transitions"].append(
            {
                "id": 1, "kind": "droplet.boot", "account_id": None, "resource_type": "droplet",
                "resource_id": "1", "target": "active", "payload": {}, "due_at": 0.0,
                "created_at": 0.0,
            }
        )  # fmt: skip
        assert control.put("/_localocean/state", json=state).status_code == 200
        assert control.get("/_localocean/clock").json()["pending"] == 1
        settled = control.post("/_localocean/clock/settle").json()
        assert (settled["applied"], settled["pending"]) == (0, 1)
    server.restart()
    with clients.http(server.url, None) as control:
        assert control.get("/_localocean/clock").json()["pending"] == 1
    assert "'droplet.boot' have no handler" in server.logs()


def test_start_up_fails_when_a_timed_kind_has_no_handler() -> None:
    broken = Area("broken", durations={"broken.step": Durations(1.0, 2.0)})
    with pytest.raises(ValueError, match=r"broken\.step"):
        build_services(Settings(in_memory=True), [*AREAS, broken])


def test_deleting_a_cluster_cancels_what_its_nodes_had_scheduled(start_server, clients) -> None:
    server = start_server("--timing", "manual")
    with clients.http(server.url, new_token()) as http, clients.http(server.url, None) as control:
        body = {"name": "c", "region": "nyc1", "version": "latest",
                "node_pools": [{"name": "a", "size": "s-2vcpu-4gb", "count": 1}]}  # fmt: skip
        cluster = http.post("/v2/kubernetes/clusters", json=body).json()["kubernetes_cluster"]
        path = f"/v2/kubernetes/clusters/{cluster['id']}"
        pool = {"name": "b", "size": "s-2vcpu-4gb", "count": 2}
        assert http.post(f"{path}/node_pools", json=pool).status_code == 201
        assert http.post(f"{path}/clusterlint", json={}).status_code == 202
        # The cluster, two new nodes and a clusterlint run are waiting on the clock.
        assert control.get("/_localocean/clock").json()["pending"] == 4
        assert http.delete(path).status_code == 204
        assert control.get("/_localocean/clock").json()["pending"] == 0
