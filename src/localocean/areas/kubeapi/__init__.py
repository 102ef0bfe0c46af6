"""A Kubernetes API behind every cluster (KWOK-style): what a LocalOcean cluster's kubeconfig
reaches, at `/k8s/<cluster-id>` on LocalOcean's listener.

Layout: `server.py` the HTTP side (auth, discovery, verbs, watches); `objects.py` the API
machinery (names, versions, owners, deletion); `controllers.py` the simulated control plane
(deployments to pods, scheduling, services, jobs, storage); `nodes.py` and `system.py` what the
DigitalOcean API made (nodes, a fresh cluster's objects); `catalog.py`, `discovery.py`,
`printers.py`, `patch.py`, `selectors.py`, `validation.py`, `defaults.py`, `cron.py`,
`quantity.py` the pure parts; `store.py` the tables; `watch.py` watches; `tls.py` the
cluster's serving certificate. Nothing but the tables is imported until the API is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row

from localocean.areas.kubeapi import store
from localocean.core.area import Area
from localocean.core.timing import Durations

if TYPE_CHECKING:
    import ssl

    from localocean.core.lifecycle import Lifecycle
    from localocean.core.services import Services

POD_START = "kube.pod.start"
POD_FINISH = "kube.pod.finish"
NAMESPACE_CLEANUP = "kube.namespace.cleanup"
CRONJOB_RUN = "kube.cronjob.run"
RESYNC = "kube.resync"


def _handler(kind: str) -> Any:
    def handle(
        connection: Connection, transition: Row[Any], payload: dict[str, Any], lifecycle: Lifecycle
    ) -> None:
        from localocean.areas.kubeapi import controllers

        controllers.HANDLERS[kind](connection, transition, payload, lifecycle)

    return handle


def _mount(services: Services) -> Any:
    from localocean.areas.kubeapi import server

    return server.mount(services)


def _notifications(services: Services) -> Any:
    from localocean.areas.kubeapi import watch

    return watch.Notifications(services)


def _tls(services: Services, name: str) -> ssl.SSLContext | None:
    from localocean.areas.kubeapi import tls

    return tls.context_for(services, name)


AREA = Area(
    "kubeapi",
    tables=store.TABLES,
    transitions={
        kind: _handler(kind)
        for kind in (POD_START, POD_FINISH, NAMESPACE_CLEANUP, CRONJOB_RUN, RESYNC)
    },
    durations={
        POD_START: Durations(fast=1.0, realistic=6.0),
        POD_FINISH: Durations(fast=2.0, realistic=10.0),
        NAMESPACE_CLEANUP: Durations(fast=0.5, realistic=5.0),
    },
    recurring=(CRONJOB_RUN,),
    counts={"kubernetes objects": store.OBJECTS_PER_ACCOUNT},
    mounts={"/k8s/{cluster_id}": _mount},
    virtual_hosts={".k8s.ondigitalocean.com": "/k8s/{name}"},
    tls=_tls,
    runtime=_notifications,
)
