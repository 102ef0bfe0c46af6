"""Convert (backup to snapshot) and account transfers of snapshots between accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from localocean.app import schema
from localocean.areas import AREAS
from localocean.areas.images import store as image_store
from localocean.core import accounts
from localocean.core.db import Database
from tests.conftest import new_token
from tests.test_conventions import assert_error


def seed_images(url: str, token: str, *types: str) -> list[int]:
    """Snapshots and backups come from Droplets, which LocalOcean does not run; record them
    directly with LocalOcean's own store, as seeding will."""
    db = Database(url)
    db.migrate(schema(AREAS))
    ids = []
    with db.transaction() as connection:
        owner = accounts.open_account(connection, token, 1_700_000_000.0)
        for index, kind in enumerate(types):
            row = image_store.add(
                connection, account_id=owner.account_id, name=f"{kind}-{index}", type=kind,
                distribution="Ubuntu", description="", status="available",
                regions=["nyc3"], url=None, source_region="nyc3", min_disk_size=25,
                size_gigabytes=2.5, error_message="", created_at=1_700_000_000.0,
            )  # fmt: skip
            ids.append(row.id)
    db.dispose()
    return ids


@pytest.fixture
def seeded(backend, start_server, tmp_path: Path):
    def start(*types: str):
        args, url = backend.durable(tmp_path)
        token = new_token()
        ids = seed_images(url, token, *types)
        return start_server("--timing", "instant", database=args), token, ids

    return start


def test_convert_backup_to_snapshot(seeded, clients) -> None:
    server, token, (backup,) = seeded("backup")
    with clients.http(server.url, token) as http:
        assert http.get(f"/v2/images/{backup}").json()["image"]["type"] == "backup"
        action = http.post(f"/v2/images/{backup}/actions", json={"type": "convert"})
        assert action.status_code == 201
        action_id = action.json()["action"]["id"]
        assert action.json()["action"]["type"] == "convert"
        assert http.get(f"/v2/actions/{action_id}").json()["action"]["status"] == "completed"
        assert http.get(f"/v2/images/{backup}").json()["image"]["type"] == "snapshot"
        again = http.post(f"/v2/images/{backup}/actions", json={"type": "convert"})
        assert_error(again, 422, "unprocessable_entity")


def test_transfer_to_a_team_and_accept(seeded, clients) -> None:
    server, token, (snapshot,) = seeded("snapshot")
    with clients.http(server.url, token) as sender, clients.http(server.url, new_token()) as to:
        team = to.get("/v2/account").json()["account"]["team"]["uuid"]
        created = sender.post(f"/v2/images/{snapshot}/account_transfer",
                              json={"recipient_uuid": team})  # fmt: skip
        assert created.status_code == 201
        transfer_id = created.json()["transfer_id"]
        assert isinstance(transfer_id, int) and transfer_id != 0, "pending, not auto-accepted"
        assert_error(to.get(f"/v2/images/{snapshot}"), 404, "not_found")

        accept = {"transfer_id": transfer_id, "recipient_uuid": team}
        accepted = to.post(f"/v2/images/{snapshot}/account_transfer/accept", json=accept)
        assert accepted.status_code == 201 and accepted.content == b""
        assert to.get(f"/v2/images/{snapshot}").json()["image"]["name"] == "snapshot-0"
        assert [i["id"] for i in to.get("/v2/images?private=true").json()["images"]] == [snapshot]
        assert_error(sender.get(f"/v2/images/{snapshot}"), 404, "not_found")
        assert_error(to.post(f"/v2/images/{snapshot}/account_transfer/accept", json=accept),
                     404, "not_found")  # fmt: skip


def test_transfer_by_email_declined_or_cancelled(seeded, clients) -> None:
    server, token, (first, second) = seeded("snapshot", "snapshot")
    with (
        clients.http(server.url, token) as sender,
        clients.http(server.url, new_token()) as recipient,
        clients.http(server.url, new_token()) as bystander,
    ):
        email = recipient.get("/v2/account").json()["account"]["email"]
        body = {"recipient_email": email}
        declined = sender.post(f"/v2/images/{first}/account_transfer", json=body).json()
        decline = {"transfer_id": declined["transfer_id"]}
        assert_error(bystander.post(f"/v2/images/{first}/account_transfer/decline", json=decline),
                     404, "not_found")  # fmt: skip
        assert_error(recipient.post(f"/v2/images/{first}/account_transfer/cancel", json=decline),
                     404, "not_found")  # fmt: skip
        response = recipient.post(f"/v2/images/{first}/account_transfer/decline", json=decline)
        assert response.status_code == 204
        assert sender.get(f"/v2/images/{first}").status_code == 200, "the image stays"

        cancelled = sender.post(f"/v2/images/{second}/account_transfer", json=body).json()
        cancel = {"transfer_id": cancelled["transfer_id"]}
        assert_error(sender.post(f"/v2/images/{second}/account_transfer", json=body), 400,
                     "bad_request")  # fmt: skip
        response = sender.post(f"/v2/images/{second}/account_transfer/cancel", json=cancel)
        assert response.status_code == 204
        team = recipient.get("/v2/account").json()["account"]["team"]["uuid"]
        late = {**cancel, "recipient_uuid": team}
        assert_error(recipient.post(f"/v2/images/{second}/account_transfer/accept", json=late),
                     404, "not_found")  # fmt: skip
        assert sender.get(f"/v2/images/{second}").status_code == 200


def test_transfer_rules(seeded, clients, image_server) -> None:
    server, token, (snapshot, backup) = seeded("snapshot", "backup")
    with clients.http(server.url, token) as http:
        own = http.get("/v2/account").json()["account"]
        path = f"/v2/images/{snapshot}/account_transfer"
        for body in (
            {},
            None,
            {"recipient_email": "a@example.com", "recipient_uuid": "x"},
            {"recipient_email": ""},
            {"recipient_uuid": own["team"]["uuid"]},
            {"recipient_email": own["email"]},
        ):
            assert_error(http.post(path, json=body), 400, "bad_request")
        backup_path = f"/v2/images/{backup}/account_transfer"
        only = assert_error(http.post(backup_path, json={"recipient_email": "a@example.com"}),
                            400, "bad_request")  # fmt: skip
        assert "snapshot" in only["message"]
        assert_error(http.post(f"{path}/cancel", json={}), 400, "bad_request")
        assert_error(http.post(f"{path}/cancel", json={"transfer_id": 12345}), 404, "not_found")
        unknown = http.post("/v2/images/999999/account_transfer", json={"recipient_email": "a@b.c"})
        assert_error(unknown, 404, "not_found")
