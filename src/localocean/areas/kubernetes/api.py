"""Kubernetes (DOKS) operations: clusters, node pools, nodes, access, upgrades, registry,
clusterlint, status messages, associated resources."""

from __future__ import annotations

from typing import Any

from localocean.areas.kubernetes import (
    access,
    catalog,
    clusterlint,
    clusters,
    pools,
    registry,
    render,
    store,
    transitions,
    upgrades,
)
from localocean.core.operations import Call, Operations, Raw
from localocean.core.pagination import account_listing
from localocean.core.router import header
from localocean.core.validation import Body

routes = Operations()
CLUSTER = "/v2/kubernetes/clusters/{cluster_id}"
POOL = CLUSTER + "/node_pools/{node_pool_id}"


def _cluster(call: Call) -> Any:
    return clusters.get(call.db, call.account_id, call.params["cluster_id"])


@routes.get("/v2/kubernetes/options", "kubernetes_list_options", "kubernetes:read")
def options(call: Call) -> dict[str, Any]:
    return catalog.options()


@routes.get("/v2/kubernetes/clusters", "kubernetes_list_clusters", "kubernetes:read")
def list_clusters(call: Call) -> dict[str, Any]:
    return account_listing(call, "kubernetes_clusters", store.list_page, render.render_many)


@routes.post(
    "/v2/kubernetes/clusters", "kubernetes_create_cluster", "kubernetes:create", status=201
)
def create_cluster(call: Call) -> dict[str, Any]:
    cluster = clusters.create(
        call.db, call.services.lifecycle, call.account_id, call.body, call.now()
    )
    return {"kubernetes_cluster": render.render_one(call.db, cluster)}


@routes.get(CLUSTER, "kubernetes_get_cluster", "kubernetes:read")
def get_cluster(call: Call) -> dict[str, Any]:
    return {"kubernetes_cluster": render.render_one(call.db, _cluster(call))}


@routes.put(CLUSTER, "kubernetes_update_cluster", "kubernetes:update", status=202)
def update_cluster(call: Call) -> dict[str, Any]:
    cluster = clusters.update(
        call.db, call.account_id, call.params["cluster_id"], call.body, call.now()
    )
    return {"kubernetes_cluster": render.render_one(call.db, cluster)}


@routes.delete(CLUSTER, "kubernetes_delete_cluster", "kubernetes:delete", status=204)
def delete_cluster(call: Call) -> None:
    clusters.delete(call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"])


@routes.get(
    CLUSTER + "/destroy_with_associated_resources",
    "kubernetes_list_associatedResources",
    "kubernetes:read",
)
def list_associated(call: Call) -> dict[str, Any]:
    return clusters.associated(
        call.db, call.account_id, call.params["cluster_id"], call.services.cluster_resources
    )


@routes.delete(
    CLUSTER + "/destroy_with_associated_resources/selective",
    "kubernetes_destroy_associatedResourcesSelective", "kubernetes:delete", status=204,
)  # fmt: skip
def destroy_selective(call: Call) -> None:
    s = call.services
    cluster_id = call.params["cluster_id"]
    clusters.destroy_selective(
        call.db, s.lifecycle, call.account_id, cluster_id, call.body, s.cluster_resources
    )


@routes.delete(
    CLUSTER + "/destroy_with_associated_resources/dangerous",
    "kubernetes_destroy_associatedResourcesDangerous", "kubernetes:delete", status=204,
)  # fmt: skip
def destroy_dangerous(call: Call) -> None:
    s = call.services
    clusters.destroy_dangerous(
        call.db, s.lifecycle, call.account_id, call.params["cluster_id"], s.cluster_resources
    )


@routes.get(CLUSTER + "/kubeconfig", "kubernetes_get_kubeconfig", "kubernetes:access_cluster")
def kubeconfig(call: Call) -> Raw:
    text = access.kubeconfig(
        call.db, call.account_id, call.params["cluster_id"], call.query, call.now(), _server(call)
    )
    return Raw(text.encode(), "application/yaml")


@routes.get(CLUSTER + "/credentials", "kubernetes_get_credentials", "kubernetes:access_cluster")
def credentials(call: Call) -> dict[str, Any]:
    return access.credentials(
        call.db, call.account_id, call.params["cluster_id"], call.query, call.now(), _server(call)
    )


def _server(call: Call) -> str:
    """The URL of the cluster's Kubernetes API for this client. One that reached LocalOcean as
    api.digitalocean.com (through the HTTPS proxy) gets DigitalOcean's own form, which the
    proxy also serves; any other gets LocalOcean's listener as it addressed it, with the
    cluster's path (https on any port: the listener serves TLS wherever it listens)."""
    from localocean.tls import API_HOSTS

    cluster_id = call.params["cluster_id"]
    host = (header(call.scope, b"host") or b"").decode("latin-1")
    if not host or host.rsplit(":", 1)[0] in API_HOSTS:
        return f"https://{access.server_name(cluster_id)}"
    return f"https://{host}/k8s/{cluster_id}"


@routes.get(CLUSTER + "/upgrades", "kubernetes_get_availableUpgrades", "kubernetes:read")
def available_upgrades(call: Call) -> dict[str, Any]:
    return upgrades.upgrades(call.db, call.account_id, call.params["cluster_id"])


@routes.post(CLUSTER + "/upgrade", "kubernetes_upgrade_cluster", "kubernetes:update", status=202)
def upgrade_cluster(call: Call) -> None:
    upgrades.upgrade(
        call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"], call.body,
        call.now(),
    )  # fmt: skip


@routes.get(CLUSTER + "/node_pools", "kubernetes_list_nodePools", "kubernetes:read")
def list_pools(call: Call) -> dict[str, Any]:
    cluster = _cluster(call)
    rows = store.pools_of(call.db, [cluster.id])
    return {"node_pools": render.render_pools(call.db, call.account_id, rows)}


@routes.post(CLUSTER + "/node_pools", "kubernetes_add_nodePool", "kubernetes:update", status=201)
def add_pool(call: Call) -> dict[str, Any]:
    pool = pools.add(
        call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"], call.body,
        call.now(),
    )  # fmt: skip
    (rendered,) = render.render_pools(call.db, call.account_id, [pool])
    return {"node_pool": rendered}


@routes.get(POOL, "kubernetes_get_nodePool", "kubernetes:read")
def get_pool(call: Call) -> dict[str, Any]:
    pool = pools.get(
        call.db, call.account_id, call.params["cluster_id"], call.params["node_pool_id"]
    )
    (rendered,) = render.render_pools(call.db, call.account_id, [pool])
    return {"node_pool": rendered}


@routes.put(POOL, "kubernetes_update_nodePool", "kubernetes:update", status=202)
def update_pool(call: Call) -> dict[str, Any]:
    pool = pools.update(
        call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"],
        call.params["node_pool_id"], call.body, call.now(),
    )  # fmt: skip
    (rendered,) = render.render_pools(call.db, call.account_id, [pool])
    return {"node_pool": rendered}


@routes.delete(POOL, "kubernetes_delete_nodePool", "kubernetes:update", status=204)
def delete_pool(call: Call) -> None:
    pools.delete(
        call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"],
        call.params["node_pool_id"], call.now(),
    )  # fmt: skip


@routes.delete(POOL + "/nodes/{node_id}", "kubernetes_delete_node", "kubernetes:update", status=202)
def delete_node(call: Call) -> None:
    pools.delete_node(
        call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"],
        call.params["node_pool_id"], call.params["node_id"], call.query, call.now(),
    )  # fmt: skip


@routes.post(POOL + "/recycle", "kubernetes_recycle_node_pool", "kubernetes:delete", status=202)
def recycle_pool(call: Call) -> None:
    pools.recycle(
        call.db, call.services.lifecycle, call.account_id, call.params["cluster_id"],
        call.params["node_pool_id"], call.body, call.now(),
    )  # fmt: skip


@routes.get(CLUSTER + "/user", "kubernetes_get_clusterUser", "kubernetes:read")
def cluster_user(call: Call) -> dict[str, Any]:
    return access.user(call.db, call.account_id, call.params["cluster_id"])


@routes.post(
    CLUSTER + "/clusterlint", "kubernetes_run_clusterLint", "kubernetes:update", status=202
)
def run_clusterlint(call: Call) -> dict[str, Any]:
    cluster = _cluster(call)
    body = Body(call.body)
    request = {
        field: body.str_list(field) or []
        for field in ("include_groups", "include_checks", "exclude_groups", "exclude_checks")
    }
    run_id = transitions.run_clusterlint(
        call.db, call.services.lifecycle, cluster, request, call.now()
    )
    return {"run_id": run_id}


@routes.get(CLUSTER + "/clusterlint", "kubernetes_get_clusterLintResults", "kubernetes:read")
def clusterlint_results(call: Call) -> dict[str, Any]:
    return clusterlint.results(call.db, _cluster(call), call.query.get("run_id"))


@routes.get(CLUSTER + "/status_messages", "kubernetes_get_status_messages", "kubernetes:read")
def status_messages(call: Call) -> dict[str, Any]:
    return clusters.status_messages(
        call.db, call.account_id, call.params["cluster_id"], call.query.get("since")
    )


@routes.post(
    "/v2/kubernetes/registry", "kubernetes_add_registry", "kubernetes:create",
    "kubernetes:update", status=204,
)  # fmt: skip
def add_registry(call: Call) -> None:
    registry.set_registry(call.db, call.account_id, call.body, True, call.now())


@routes.delete(
    "/v2/kubernetes/registry", "kubernetes_remove_registry", "kubernetes:update", status=204
)
def remove_registry(call: Call) -> None:
    registry.set_registry(call.db, call.account_id, call.body, False, call.now())


@routes.post(
    "/v2/kubernetes/registries", "kubernetes_add_registries", "kubernetes:create",
    "kubernetes:update", status=204,
)  # fmt: skip
def add_registries(call: Call) -> None:
    registry.set_registries(call.db, call.account_id, call.body, True, call.now())


@routes.delete(
    "/v2/kubernetes/registries", "kubernetes_remove_registries", "kubernetes:update", status=204
)
def remove_registries(call: Call) -> None:
    registry.set_registries(call.db, call.account_id, call.body, False, call.now())
