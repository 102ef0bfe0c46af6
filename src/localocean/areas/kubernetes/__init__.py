"""Kubernetes (DOKS): every operation of DigitalOcean's Kubernetes API.

Layout: `api.py` the operations; `specs.py` parses request blocks into typed values;
`clusters.py`, `pools.py`, `access.py`, `upgrades.py`, `registry.py`, `clusterlint.py` the
rules; `transitions.py` the state machine; `render.py` the answers; `catalog.py` versions and
sizes; `store.py` tables and queries; `seed.py` the seed section.
"""

from __future__ import annotations

from localocean.areas.kubernetes import clusters, seed, store, transitions
from localocean.areas.kubernetes.api import routes
from localocean.core.area import Area, ProjectResources, SeedSection, Taggable

AREA = Area(
    "kubernetes",
    operations=routes,
    tables=store.TABLES,
    transitions=transitions.HANDLERS,
    durations=transitions.DURATIONS,
    taggables=(
        Taggable(clusters.CLUSTER_TAGS, exists=None),
        Taggable(clusters.POOL_TAGS, exists=None),
    ),
    vpc_members=(store.in_vpc,),
    project_resources=(
        ProjectResources("kubernetes", store.clusters, "/v2/kubernetes/clusters/{}"),
    ),
    seed=SeedSection("clusters", seed.load, extra="associated"),
    reset_account=store.delete_account,
    counts={"clusters": store.CLUSTERS_PER_ACCOUNT, "nodes": store.NODES_PER_ACCOUNT},
    tallies={"clusters": store.CLUSTERS_PER_ACCOUNT},
)
