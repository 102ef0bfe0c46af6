"""SSH keys (`/v2/account/keys`): list, create, and get, rename, delete by id or fingerprint."""

from __future__ import annotations

from typing import Any

from localocean.areas.ssh_keys import rules, store
from localocean.core.area import Area, SeedSection
from localocean.core.operations import Call, Operations
from localocean.core.pagination import account_listing
from localocean.core.seed import SeedContext

routes = Operations()
KEY = "/v2/account/keys/{ssh_key_identifier}"


@routes.get("/v2/account/keys", "sshKeys_list", "ssh_key:read")
def list_keys(call: Call) -> dict[str, Any]:
    return account_listing(call, "ssh_keys", store.list_page, rules.render_rows)


@routes.post("/v2/account/keys", "sshKeys_create", "ssh_key:create", status=201)
def create_key(call: Call) -> dict[str, Any]:
    key = rules.create(call.db, call.account_id, call.body, call.now())
    return {"ssh_key": rules.render(key)}


@routes.get(KEY, "sshKeys_get", "ssh_key:read")
def get_key(call: Call) -> dict[str, Any]:
    key = rules.get(call.db, call.account_id, call.params["ssh_key_identifier"])
    return {"ssh_key": rules.render(key)}


@routes.put(KEY, "sshKeys_update", "ssh_key:update")
def update_key(call: Call) -> dict[str, Any]:
    reference = call.params["ssh_key_identifier"]
    return {"ssh_key": rules.render(rules.update(call.db, call.account_id, reference, call.body))}


@routes.delete(KEY, "sshKeys_delete", "ssh_key:delete", status=204)
def delete_key(call: Call) -> None:
    rules.delete(call.db, call.account_id, call.params["ssh_key_identifier"])


def _seed(context: SeedContext, entry: Any) -> int:
    rules.create(context.connection, context.account_id, entry, context.now)
    return 0


AREA = Area(
    "ssh_keys",
    operations=routes,
    tables=(store.ssh_keys,),
    seed=SeedSection("ssh_keys", _seed),
    reset_account=store.delete_account,
    counts={"ssh_keys": store.PER_ACCOUNT},
    tallies={"ssh_keys": store.PER_ACCOUNT},
)
