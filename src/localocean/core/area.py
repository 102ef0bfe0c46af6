"""What an area of DigitalOcean's API declares about itself: one explicit object per area.

The app, the schema, the lifecycle engine, the tags mechanism, seeding, resets and the status
summary are all built from the list of areas in `localocean.areas`; nothing registers itself
as a side effect of an import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, String, Table, bindparam, cast, literal, select

from localocean.core.operations import Operations
from localocean.core.timing import Durations

if TYPE_CHECKING:
    import ssl

    from localocean.core.lifecycle import Lifecycle
    from localocean.core.seed import SeedContext
    from localocean.core.services import Services

# (the transaction, the transition row, its payload, the engine: to schedule what follows)
TransitionHandler = Callable[[Connection, Row[Any], dict[str, Any], "Lifecycle"], None]
# Does this account have a resource with this id? (account_id, resource_id)
Exists = Callable[[Connection, str, str], bool]
# An area's resources in a VPC (account_id, vpc_id), oldest first, as rows of
# (resource_type, id, name, created_at): `GET /v2/vpcs/{id}/members`; a VPC with members stays.
VpcMembers = Callable[[Connection, str, str], list[Row[Any]]]


@dataclass(frozen=True)
class Taggable:
    """A kind of resource that carries tags, through the one tags mechanism (`core/tags.py`)."""

    resource_type: str
    # Where a tag's `resources` object counts it (`images`) and the URI segment of
    # `last_tagged_uri`; None for kinds DigitalOcean does not count there (clusters, pools).
    listed_as: str | None = None
    uri_segment: str | None = None
    # Given, the kind can be tagged through `POST /v2/tags/{tag}/resources` and the id is checked.
    exists: Exists | None = None
    # Accepted by `POST /v2/tags/{tag}/resources` without a check: kinds LocalOcean does not
    # model yet (droplets, volumes, ...), recorded and counted as DigitalOcean would.
    on_trust: bool = False


@dataclass(frozen=True)
class ProjectResources:
    """A kind of resource that belongs to a project (`/v2/projects/{id}/resources`): the rows of
    `table` an account owns, known by the URN `do:<kind>:<id>`. One the account never assigned
    is in its default project; a deleted one (its row gone) is in none.

        project_resources=(ProjectResources("droplet", store.droplets, "/v2/droplets/{}"),)
    """

    kind: str
    table: Table
    # The resource's own path in the API, `{}` standing for its id (`links.self`).
    link: str
    id_column: str = "id"
    created_column: str = "created_at"
    # Other URN kinds clients use for the same resources (`floatingip` for `reservedip`).
    aliases: tuple[str, ...] = ()
    # Only the rows with these column values ((column, value), ...): IPv4s of a table of both.
    only: tuple[tuple[str, Any], ...] = ()

    def members(self) -> Select[Any]:
        """SELECT urn, kind, created_at of the account's resources (bind parameter
        `account_id`)."""
        table = self.table
        urn = literal(f"do:{self.kind}:", String) + cast(table.c[self.id_column], String)
        return select(
            urn.label("urn"),
            literal(self.kind, String).label("kind"),
            table.c[self.created_column].label("created_at"),
        ).where(
            table.c.account_id == bindparam("account_id"),
            *(table.c[name] == value for name, value in self.only),
        )


@dataclass(frozen=True)
class ClusterResources:
    """Resources a Kubernetes cluster's workloads made (the CSI driver's volumes, the cloud
    controller manager's load balancers), known by the tag `k8s:<cluster-id>` they carry: what
    the cluster's `destroy_with_associated_resources` lists (as `key`) and destroys."""

    key: str  # "load_balancers", "volumes", "volume_snapshots"
    # (account_id, tag) -> [(id, name), ...] of the account's resources carrying the tag
    tagged: Callable[[Connection, str, str], list[tuple[str, str]]]
    # (account_id, id): destroy one of them
    destroy: Callable[[Connection, str, str], None]


@dataclass(frozen=True)
class SeedSection:
    """The part of a seed document's account entry an area reads: `key: [item, ...]`."""

    key: str
    # Creates one item; returns how many extra things it made (counted under `extra`).
    load: Callable[[SeedContext, Any], int]
    extra: str | None = None


class Runtime:
    """Work an area does beside the requests (the image importer): started and stopped with the
    server."""

    def start(self) -> None:  # pragma: no cover - the default does nothing
        return None

    async def stop(self) -> None:  # pragma: no cover - the default does nothing
        return None


@dataclass(frozen=True)
class Area:
    name: str
    operations: Operations = field(default_factory=Operations)
    tables: tuple[Table, ...] = ()
    # Transition kind -> the handler that applies it, and how long each kind takes.
    transitions: Mapping[str, TransitionHandler] = field(default_factory=dict)
    durations: Mapping[str, Durations] = field(default_factory=dict)
    # Kinds whose handler schedules the next one (backups): never "settled".
    recurring: tuple[str, ...] = ()
    taggables: tuple[Taggable, ...] = ()
    vpc_members: tuple[VpcMembers, ...] = ()
    project_resources: tuple[ProjectResources, ...] = ()
    cluster_resources: tuple[ClusterResources, ...] = ()
    seed: SeedSection | None = None
    # Remove everything the account has in this area (the account itself stays).
    reset_account: Callable[[Connection, str], None] | None = None
    # `localocean status`: name -> SELECT account_id, count(*) ... GROUP BY account_id
    counts: Mapping[str, Select[Any]] = field(default_factory=dict)
    # Kinds whose count the store keeps in `core/tallies.py` (list totals), with the statement
    # that counts them from scratch (the same shape as `counts`).
    tallies: Mapping[str, Select[Any]] = field(default_factory=dict)
    runtime: Callable[[Services], Runtime] | None = None
    # Names the area serves over TLS with its own certificates (a cluster's Kubernetes API):
    # the name a client asked for (SNI) -> the context to answer with; None if not the area's.
    tls: Callable[[Services, str], ssl.SSLContext | None] | None = None
    # Paths the area serves with its own protocol rather than as DigitalOcean operations (a
    # cluster's Kubernetes API): path prefix -> the endpoint for everything under it.
    mounts: Mapping[str, Callable[[Services], Any]] = field(default_factory=dict)
    # Hosts the area answers for by name (through the HTTPS proxy): a host ending in the suffix
    # is served as the path prefix, `{name}` being the host's first part
    # (`<id>.k8s.ondigitalocean.com/api` -> `/k8s/<id>/api`).
    virtual_hosts: Mapping[str, str] = field(default_factory=dict)
