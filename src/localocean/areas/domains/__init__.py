"""Domains and domain records (`/v2/domains`): DNS zones with DigitalOcean's default records,
their zone files, and records of every type DigitalOcean serves. Domains are not taggable."""

from __future__ import annotations

from typing import Any

from localocean.areas.domains import rules, store
from localocean.core.area import Area, ProjectResources, SeedSection
from localocean.core.errors import Unprocessable
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, account_listing, listing
from localocean.core.seed import SeedContext
from localocean.core.validation import Body

routes = Operations()
DOMAIN = "/v2/domains/{domain_name}"
RECORDS = DOMAIN + "/records"
RECORD = RECORDS + "/{domain_record_id}"


@routes.get("/v2/domains", "domains_list", "domain:read")
def list_domains(call: Call) -> dict[str, Any]:
    return account_listing(call, "domains", store.list_page, rules.render_rows)


@routes.post("/v2/domains", "domains_create", "domain:create", status=201)
def create_domain(call: Call) -> dict[str, Any]:
    domain = rules.create(call.db, call.account_id, call.body, call.now())
    return {"domain": rules.render(domain, None)}


@routes.get(DOMAIN, "domains_get", "domain:read")
def get_domain(call: Call) -> dict[str, Any]:
    domain = rules.get(call.db, call.account_id, call.params["domain_name"])
    return {"domain": rules.render_one(call.db, domain)}


@routes.delete(DOMAIN, "domains_delete", "domain:delete", status=204)
def delete_domain(call: Call) -> None:
    rules.delete(call.db, call.account_id, call.params["domain_name"])


@routes.get(RECORDS, "domains_list_records", "domain:read")
def list_records(call: Call) -> dict[str, Any]:
    domain = rules.get(call.db, call.account_id, call.params["domain_name"])
    page = Page.of(call)
    kind, name, possible = rules.filters(domain.name, call.query)
    if not possible:
        return listing(call, "domain_records", [], 0, page)
    rows, total = store.records_page(call.db, domain.name, page, record_type=kind, name=name)
    return listing(call, "domain_records", [rules.render_record(r) for r in rows], total, page)


@routes.post(
    RECORDS, "domains_create_record", "domain:create", "domain:update", status=201, any_scope=True
)
def create_record(call: Call) -> dict[str, Any]:
    record = rules.create_record(
        call.db, call.account_id, call.params["domain_name"], call.body, call.now()
    )
    return {"domain_record": rules.render_record(record)}


@routes.get(RECORD, "domains_get_record", "domain:read")
def get_record(call: Call) -> dict[str, Any]:
    record = rules.get_record(
        call.db, call.account_id, call.params["domain_name"], call.params["domain_record_id"]
    )
    return {"domain_record": rules.render_record(record)}


def _update(call: Call) -> dict[str, Any]:
    record = rules.update_record(
        call.db,
        call.account_id,
        call.params["domain_name"],
        call.params["domain_record_id"],
        call.body,
        call.now(),
    )
    return {"domain_record": rules.render_record(record)}


@routes.put(RECORD, "domains_update_record", "domain:update")
def update_record(call: Call) -> dict[str, Any]:
    return _update(call)


@routes.patch(RECORD, "domains_patch_record", "domain:update")
def patch_record(call: Call) -> dict[str, Any]:
    return _update(call)


@routes.delete(
    RECORD, "domains_delete_record", "domain:delete", "domain:update", status=204, any_scope=True
)
def delete_record(call: Call) -> None:
    rules.delete_record(
        call.db,
        call.account_id,
        call.params["domain_name"],
        call.params["domain_record_id"],
        call.now(),
    )


def _seed(context: SeedContext, entry: Any) -> int:
    """A domain entry is a create request plus `records`: record create requests."""
    payload = context.request(entry, own=("records",))
    records = Body({"records": entry.get("records")}).list("records") or []
    domain = rules.create(context.connection, context.account_id, payload, context.now)
    for index, record in enumerate(records):
        try:
            rules.create_record(
                context.connection, context.account_id, domain.name, record, context.now
            )
        except Unprocessable as exc:
            raise Unprocessable(f"records[{index}]: {exc.message}") from exc
    return len(records)


AREA = Area(
    "domains",
    operations=routes,
    tables=(store.domains, store.domain_records),
    project_resources=(
        ProjectResources("domain", store.domains, "/v2/domains/{}", id_column="name"),
    ),
    seed=SeedSection("domains", _seed, extra="domain_records"),
    reset_account=store.delete_account,
    counts={"domains": store.PER_ACCOUNT, "domain_records": store.RECORDS_PER_ACCOUNT},
    tallies={"domains": store.PER_ACCOUNT},
)
