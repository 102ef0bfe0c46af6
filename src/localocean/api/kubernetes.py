"""Kubernetes (DOKS): clusters, node pools, nodes, access, upgrades, registry, clusterlint."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from localocean.api.http import JSON, account_id, no_content, read_json, services
from localocean.api.pagination import account_listing
from localocean.api.routing import operation, router
from localocean.domain import kubernetes as k8s
from localocean.domain import kubernetes_catalog as catalog
from localocean.store import kubernetes as store

api = router()
CLUSTER = "/v2/kubernetes/clusters/{cluster_id}"
POOL = CLUSTER + "/node_pools/{node_pool_id}"


class YAML(Response):
    media_type = "application/yaml"


@operation(api, "GET", "/v2/kubernetes/options", "kubernetes_list_options", "kubernetes:read")
async def options(request: Request) -> JSON:
    return JSON(catalog.options())


@operation(api, "GET", "/v2/kubernetes/clusters", "kubernetes_list_clusters", "kubernetes:read")
async def list_clusters(request: Request) -> JSON:
    return account_listing(request, "kubernetes_clusters", store.list_page, k8s.render_many)


@operation(
    api, "POST", "/v2/kubernetes/clusters", "kubernetes_create_cluster", "kubernetes:create",
    status=201,
)  # fmt: skip
async def create_cluster(request: Request) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        cluster = k8s.create(connection, s.engine, account_id(request), payload, s.clock.now())
        return JSON({"kubernetes_cluster": k8s.render_one(connection, cluster)}, status_code=201)


@operation(api, "GET", CLUSTER, "kubernetes_get_cluster", "kubernetes:read")
async def get_cluster(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        cluster = k8s.get(connection, account_id(request), cluster_id)
        return JSON({"kubernetes_cluster": k8s.render_one(connection, cluster)})


@operation(api, "PUT", CLUSTER, "kubernetes_update_cluster", "kubernetes:update", status=202)
async def update_cluster(request: Request, cluster_id: str) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        cluster = k8s.update(connection, account_id(request), cluster_id, payload, s.clock.now())
        return JSON({"kubernetes_cluster": k8s.render_one(connection, cluster)}, status_code=202)


@operation(api, "DELETE", CLUSTER, "kubernetes_delete_cluster", "kubernetes:delete", status=204)
async def delete_cluster(request: Request, cluster_id: str) -> Response:
    s = services(request)
    with s.db.transaction() as connection:
        k8s.delete(connection, s.engine, account_id(request), cluster_id)
    return no_content()


@operation(
    api, "GET", CLUSTER + "/destroy_with_associated_resources",
    "kubernetes_list_associatedResources", "kubernetes:read",
)  # fmt: skip
async def list_associated(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        return JSON(k8s.associated(connection, account_id(request), cluster_id))


@operation(
    api, "DELETE", CLUSTER + "/destroy_with_associated_resources/selective",
    "kubernetes_destroy_associatedResourcesSelective", "kubernetes:delete", status=204,
)  # fmt: skip
async def destroy_selective(request: Request, cluster_id: str) -> Response:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        k8s.destroy_selective(connection, s.engine, account_id(request), cluster_id, payload)
    return no_content()


@operation(
    api, "DELETE", CLUSTER + "/destroy_with_associated_resources/dangerous",
    "kubernetes_destroy_associatedResourcesDangerous", "kubernetes:delete", status=204,
)  # fmt: skip
async def destroy_dangerous(request: Request, cluster_id: str) -> Response:
    s = services(request)
    with s.db.transaction() as connection:
        k8s.destroy_dangerous(connection, s.engine, account_id(request), cluster_id)
    return no_content()


@operation(
    api, "GET", CLUSTER + "/kubeconfig", "kubernetes_get_kubeconfig",
    "kubernetes:access_cluster",
)  # fmt: skip
async def kubeconfig(request: Request, cluster_id: str) -> Response:
    s = services(request)
    with s.db.transaction() as connection:
        text = k8s.kubeconfig(
            connection, account_id(request), cluster_id, request.query_params, s.clock.now()
        )
    return YAML(text)


@operation(
    api, "GET", CLUSTER + "/credentials", "kubernetes_get_credentials",
    "kubernetes:access_cluster",
)  # fmt: skip
async def credentials(request: Request, cluster_id: str) -> JSON:
    s = services(request)
    with s.db.transaction() as connection:
        return JSON(
            k8s.credentials(
                connection, account_id(request), cluster_id, request.query_params, s.clock.now()
            )
        )


@operation(api, "GET", CLUSTER + "/upgrades", "kubernetes_get_availableUpgrades", "kubernetes:read")
async def available_upgrades(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        return JSON(k8s.upgrades(connection, account_id(request), cluster_id))


@operation(
    api, "POST", CLUSTER + "/upgrade", "kubernetes_upgrade_cluster", "kubernetes:update",
    status=202,
)  # fmt: skip
async def upgrade_cluster(request: Request, cluster_id: str) -> Response:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        k8s.upgrade(connection, s.engine, account_id(request), cluster_id, payload, s.clock.now())
    return Response(status_code=202)


@operation(api, "GET", CLUSTER + "/node_pools", "kubernetes_list_nodePools", "kubernetes:read")
async def list_pools(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        cluster = k8s.get(connection, account_id(request), cluster_id)
        pools = store.pools_of(connection, [cluster.id])
        return JSON({"node_pools": k8s.render_pools(connection, pools)})


@operation(
    api, "POST", CLUSTER + "/node_pools", "kubernetes_add_nodePool", "kubernetes:update",
    status=201,
)  # fmt: skip
async def add_pool(request: Request, cluster_id: str) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        pool = k8s.add_pool(
            connection, s.engine, account_id(request), cluster_id, payload, s.clock.now()
        )
        (rendered,) = k8s.render_pools(connection, [pool])
    return JSON({"node_pool": rendered}, status_code=201)


@operation(api, "GET", POOL, "kubernetes_get_nodePool", "kubernetes:read")
async def get_pool(request: Request, cluster_id: str, node_pool_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        pool = k8s.pool(connection, account_id(request), cluster_id, node_pool_id)
        (rendered,) = k8s.render_pools(connection, [pool])
    return JSON({"node_pool": rendered})


@operation(api, "PUT", POOL, "kubernetes_update_nodePool", "kubernetes:update", status=202)
async def update_pool(request: Request, cluster_id: str, node_pool_id: str) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        pool = k8s.update_pool(
            connection, s.engine, account_id(request), cluster_id, node_pool_id, payload,
            s.clock.now(),
        )  # fmt: skip
        (rendered,) = k8s.render_pools(connection, [pool])
    return JSON({"node_pool": rendered}, status_code=202)


@operation(api, "DELETE", POOL, "kubernetes_delete_nodePool", "kubernetes:update", status=204)
async def delete_pool(request: Request, cluster_id: str, node_pool_id: str) -> Response:
    s = services(request)
    with s.db.transaction() as connection:
        k8s.delete_pool(
            connection, s.engine, account_id(request), cluster_id, node_pool_id, s.clock.now()
        )
    return no_content()


@operation(
    api, "DELETE", POOL + "/nodes/{node_id}", "kubernetes_delete_node", "kubernetes:update",
    status=202,
)  # fmt: skip
async def delete_node(request: Request, cluster_id: str, node_pool_id: str, node_id: str):
    s = services(request)
    with s.db.transaction() as connection:
        k8s.delete_node(
            connection, s.engine, account_id(request), cluster_id, node_pool_id, node_id,
            request.query_params, s.clock.now(),
        )  # fmt: skip
    return Response(status_code=202)


@operation(
    api, "POST", POOL + "/recycle", "kubernetes_recycle_node_pool", "kubernetes:delete",
    status=202,
)  # fmt: skip
async def recycle_pool(request: Request, cluster_id: str, node_pool_id: str) -> Response:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        k8s.recycle(
            connection, s.engine, account_id(request), cluster_id, node_pool_id, payload,
            s.clock.now(),
        )  # fmt: skip
    return Response(status_code=202)


@operation(api, "GET", CLUSTER + "/user", "kubernetes_get_clusterUser", "kubernetes:read")
async def cluster_user(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        return JSON(k8s.user(connection, account_id(request), cluster_id))


@operation(
    api, "POST", CLUSTER + "/clusterlint", "kubernetes_run_clusterLint", "kubernetes:update",
    status=202,
)  # fmt: skip
async def run_clusterlint(request: Request, cluster_id: str) -> JSON:
    payload = await read_json(request)
    s = services(request)
    with s.db.transaction() as connection:
        run_id = k8s.run_clusterlint(
            connection, s.engine, account_id(request), cluster_id, payload, s.clock.now()
        )
    return JSON({"run_id": run_id}, status_code=202)


@operation(
    api, "GET", CLUSTER + "/clusterlint", "kubernetes_get_clusterLintResults", "kubernetes:read"
)
async def clusterlint_results(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        return JSON(
            k8s.clusterlint_results(
                connection, account_id(request), cluster_id, request.query_params.get("run_id")
            )
        )


@operation(
    api, "GET", CLUSTER + "/status_messages", "kubernetes_get_status_messages", "kubernetes:read"
)
async def status_messages(request: Request, cluster_id: str) -> JSON:
    with services(request).db.transaction() as connection:
        return JSON(
            k8s.status_messages(
                connection, account_id(request), cluster_id, request.query_params.get("since")
            )
        )


def _registry_route(method: str, path: str, operation_id: str, scopes: tuple[str, ...], apply):
    @operation(api, method, path, operation_id, *scopes, status=204)
    async def handle(request: Request) -> Response:
        payload = await read_json(request)
        s = services(request)
        with s.db.transaction() as connection:
            apply(connection, account_id(request), payload, s.clock.now())
        return no_content()


for _route in (
    ("POST", "/v2/kubernetes/registry", "kubernetes_add_registry",
     ("kubernetes:create", "kubernetes:update"),
     lambda c, a, p, now: k8s.set_registry(c, a, p, True, now)),
    ("DELETE", "/v2/kubernetes/registry", "kubernetes_remove_registry", ("kubernetes:update",),
     lambda c, a, p, now: k8s.set_registry(c, a, p, False, now)),
    ("POST", "/v2/kubernetes/registries", "kubernetes_add_registries",
     ("kubernetes:create", "kubernetes:update"),
     lambda c, a, p, now: k8s.set_registries(c, a, p, True, now)),
    ("DELETE", "/v2/kubernetes/registries", "kubernetes_remove_registries",
     ("kubernetes:update",), lambda c, a, p, now: k8s.set_registries(c, a, p, False, now)),
):  # fmt: skip
    _registry_route(*_route)
