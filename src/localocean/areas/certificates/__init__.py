"""Certificates (`/v2/certificates`): custom certificates uploaded as PEM, and Let's Encrypt
certificates for domains the account manages in the domains area."""

from __future__ import annotations

from typing import Any

from localocean.areas.certificates import rules, store
from localocean.core.area import Area, SeedSection
from localocean.core.operations import Call, Operations
from localocean.core.pagination import Page, listing
from localocean.core.seed import SeedContext
from localocean.core.timing import Durations

routes = Operations()
CERTIFICATE = "/v2/certificates/{certificate_id}"


@routes.get("/v2/certificates", "certificates_list", "certificate:read")
def list_certificates(call: Call) -> dict[str, Any]:
    page = Page.of(call)
    name = call.query.get("name") or None
    rows, total = store.list_page(call.db, call.account_id, page, name)
    return listing(call, "certificates", [rules.render(row) for row in rows], total, page)


@routes.post("/v2/certificates", "certificates_create", "certificate:create", status=201)
def create_certificate(call: Call) -> dict[str, Any]:
    certificate = rules.create(
        call.db, call.services.lifecycle, call.account_id, call.body, call.now()
    )
    return {"certificate": rules.render(certificate)}


@routes.get(CERTIFICATE, "certificates_get", "certificate:read")
def get_certificate(call: Call) -> dict[str, Any]:
    certificate = rules.get(call.db, call.account_id, call.params["certificate_id"])
    return {"certificate": rules.render(certificate)}


@routes.delete(CERTIFICATE, "certificates_delete", "certificate:delete", status=204)
def delete_certificate(call: Call) -> None:
    rules.delete(call.db, call.services.lifecycle, call.account_id, call.params["certificate_id"])


def _seed(context: SeedContext, entry: Any) -> int:
    """A certificate entry is a create request: custom (PEM) or Let's Encrypt for a domain
    seeded above; with `state: verified`, a Let's Encrypt one is issued at once."""
    payload = context.request(entry, own=("state",))
    certificate = rules.create(
        context.connection, context.lifecycle, context.account_id, payload, context.now
    )
    if entry.get("state") == "verified" and certificate.state == "pending":
        context.lifecycle.cancel(context.connection, "certificate", [certificate.id])
        rules.issue_now(context.connection, certificate, context.now)
    return 0


AREA = Area(
    "certificates",
    operations=routes,
    tables=(store.certificates,),
    transitions={rules.ISSUE: rules.issue},
    # Let's Encrypt answers a DNS challenge in about a minute.
    durations={rules.ISSUE: Durations(2.0, 60.0)},
    seed=SeedSection("certificates", _seed),
    reset_account=store.delete_account,
    counts={"certificates": store.PER_ACCOUNT},
    tallies={"certificates": store.PER_ACCOUNT},
)
