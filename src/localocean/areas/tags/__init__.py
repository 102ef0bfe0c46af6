"""Tags: list, create, get, delete, and tagging or untagging resources (`/v2/tags`).

The mechanism every taggable resource uses is `core/tags.py`; this area is the API over it.
Databases are a kind LocalOcean does not model yet: they are accepted on trust and counted, as
DigitalOcean would.
"""

from __future__ import annotations

from typing import Any

from localocean.areas.tags import rules
from localocean.core import tags
from localocean.core.area import Area, SeedSection, Taggable
from localocean.core.errors import BadRequest, TagBadRequest, Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.pagination import account_listing
from localocean.core.seed import SeedContext

routes = Operations()


@routes.get("/v2/tags", "tags_list", "tag:read")
def list_tags(call: Call) -> dict[str, Any]:
    base, taggables = call.base_url(), call.services.taggables
    return account_listing(
        call, "tags", rules.list_page, lambda c, rows: rules.render_many(c, rows, taggables, base)
    )


@routes.post("/v2/tags", "tags_create", "tag:create", status=201)
def create_tag(call: Call) -> dict[str, Any]:
    try:
        payload = call.body
    except BadRequest as exc:  # this operation's 400 has its own shape in the spec
        raise TagBadRequest(exc.message) from exc
    tag = rules.create(call.db, call.account_id, payload, call.now())
    (rendered,) = rules.render_many(call.db, [tag], call.services.taggables, call.base_url())
    return {"tag": rendered}


@routes.get("/v2/tags/{tag_id}", "tags_get", "tag:read")
def get_tag(call: Call) -> dict[str, Any]:
    tag = rules.get(call.db, call.account_id, call.params["tag_id"])
    (rendered,) = rules.render_many(call.db, [tag], call.services.taggables, call.base_url())
    return {"tag": rendered}


@routes.delete("/v2/tags/{tag_id}", "tags_delete", "tag:delete", status=204)
def delete_tag(call: Call) -> None:
    rules.delete(call.db, call.account_id, call.params["tag_id"])


@routes.post("/v2/tags/{tag_id}/resources", "tags_assign_resources", "tag:create", status=204)
def tag_resources(call: Call) -> None:
    rules.assign(
        call.db,
        call.account_id,
        call.params["tag_id"],
        call.body,
        call.services.taggables,
        call.now(),
    )


@routes.delete("/v2/tags/{tag_id}/resources", "tags_unassign_resources", "tag:delete", status=204)
def untag_resources(call: Call) -> None:
    rules.unassign(
        call.db, call.account_id, call.params["tag_id"], call.body, call.services.taggables
    )


# Kinds DigitalOcean counts under a tag's `resources` that LocalOcean does not model yet.
ON_TRUST = (Taggable("database", "databases", "databases", on_trust=True),)


def _seed(context: SeedContext, name: Any) -> int:
    if not tags.valid_name(name):
        raise Unprocessable(f"{name!r} is not a valid tag name")
    tags.ensure(context.connection, context.account_id, name, context.now)
    return 0


AREA = Area(
    "tags",
    operations=routes,
    taggables=ON_TRUST,
    seed=SeedSection("tags", _seed),
    counts={"tags": tags.PER_ACCOUNT},
    tallies={"tags": tags.PER_ACCOUNT},
)
