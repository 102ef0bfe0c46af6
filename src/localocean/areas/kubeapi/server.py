"""The HTTP side of each cluster's Kubernetes API, at `/k8s/<cluster-id>/...` on LocalOcean's
listener (kubeconfigs name it, with the cluster's CA and `tls-server-name`).

One endpoint serves the whole API: it authenticates the cluster token, makes the cluster's
objects current (a first request bootstraps a fresh cluster; Node objects follow the node
pools), then serves discovery, OpenAPI, or a verb on a resource, and answers errors as
Kubernetes `Status` objects. Reads run as one database read, writes in one transaction with
the controllers' reconcile, so a response shows the state they left.
"""

from __future__ import annotations

import base64
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson
from sqlalchemy import Connection

from localocean.areas.kubeapi import controllers, discovery, nodes, patch, printers, store, watch
from localocean.areas.kubeapi.catalog import Resource
from localocean.areas.kubeapi.errors import (
    UNAUTHORIZED,
    KubeError,
    bad_request,
    conflict,
    gone,
    invalid,
    method_not_allowed,
    not_found,
    unsupported_media_type,
)
from localocean.areas.kubeapi.objects import Kube, Obj, timestamp
from localocean.areas.kubeapi.selectors import check_fields, field_equals, fields, labels
from localocean.core.operations import PARAMS, read_body
from localocean.core.router import header

if TYPE_CHECKING:
    from localocean.core.router import Receive, Scope, Send
    from localocean.core.services import Services

log = logging.getLogger("localocean.kubeapi")

SERVING = ("running", "upgrading", "degraded")
JSON = b"application/json"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
TOKEN_CACHE_SECONDS = 30.0
# What objects may be sent as ("" for clients that say nothing: read as JSON).
BODY_TYPES = ("", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf")


class DryRun(Exception):
    """Raised with the would-be answer to roll back a `dryRun=All` request's transaction."""

    def __init__(self, result: Any):
        self.result = result


@dataclass
class Request:
    scope: Scope
    method: str
    cluster_id: str
    path: str
    query: dict[str, str]
    accept: str
    content_type: str
    user_agent: str
    body: bytes = b""
    warnings: list[str] = field(default_factory=list)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true")

    @property
    def table(self) -> bool:
        return "as=Table" in self.accept

    @property
    def dry_run(self) -> bool:
        value = self.query.get("dryRun")
        if value not in (None, "", "All"):
            raise KubeError(
                422, "Invalid",
                f'Invalid value: "{value}": dryRun: Unsupported value: "{value}": supported '
                'values: "All"',
            )  # fmt: skip
        return value == "All"

    def manager(self, default: str | None = None) -> str:
        given = self.query.get("fieldManager")
        if given:
            return given
        return default or patch.default_manager(self.user_agent)


@dataclass
class Target:
    """What a resource path names."""

    resource: Resource
    namespace: str | None  # None: all namespaces (or a cluster-scoped resource)
    name: str
    subresource: str


def _status_body(code: int, reason: str, message: str) -> bytes:
    return orjson.dumps(KubeError(code, reason, message).status())


async def _respond(
    send: Send,
    status: int,
    body: Any,
    content_type: bytes = JSON,
    warnings: list[str] | None = None,
) -> None:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = [
        (b"content-type", content_type),
        (b"content-length", b"%d" % len(data)),
        (b"cache-control", b"no-cache, private"),
    ]
    # What kubectl prints as "Warning: ..." (RFC 7234 warning code 299).
    for warning in warnings or ():
        text = warning.replace("\\", "\\\\").replace('"', '\\"')
        headers.append((b"warning", f'299 - "{text}"'.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def mount(services: Services) -> Callable[[Scope, Receive, Send], Any]:
    return KubeServer(services).serve


class KubeServer:
    def __init__(self, services: Services):
        self.services = services
        self.db = services.db
        # token hash -> (cluster id, expires at, cached until): tokens are checked often.
        self._tokens: dict[str, tuple[str, float, float]] = {}
        self._openapi_v2: dict[int, bytes] = {}

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._serve(scope, receive, send)
        except KubeError as exc:
            await _respond(send, exc.code, exc.status())
        except patch.PatchError as exc:
            await _respond(send, 422, KubeError(422, "Invalid", exc.message).status())
        except patch.ApplyConflict as exc:
            conflict_status = KubeError(409, "Conflict", exc.message, {"causes": exc.causes})
            await _respond(send, 409, conflict_status.status())
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            await _respond(
                send,
                500,
                _status_body(
                    500,
                    "InternalError",
                    "an error on the server has prevented the request from succeeding",
                ),
            )

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = scope[PARAMS]
        query = {
            key: values[-1]
            for key, values in parse_qs(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            ).items()
        }
        request = Request(
            scope=scope,
            method=scope["method"],
            cluster_id=params["cluster_id"],
            path="/" + params.get("path", ""),
            query=query,
            accept=(header(scope, b"accept") or b"").decode("latin-1"),
            content_type=(header(scope, b"content-type") or b"")
            .decode("latin-1")
            .split(";")[0]
            .strip(),
            user_agent=(header(scope, b"user-agent") or b"").decode("latin-1"),
        )
        if request.method not in ("GET", "HEAD"):
            request.body = await read_body(receive)
        self.services.lifecycle.apply_if_due()
        authorization = (header(scope, b"authorization") or b"").decode("latin-1")
        await self._admit(request, authorization)
        path = request.path
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(
            ("/healthz/", "/livez/", "/readyz/")
        ):
            await _respond(send, 200, b"ok", b"text/plain; charset=utf-8")
            return
        if path == "/version":
            cluster = await self.db.read(lambda c: self._cluster(c, request.cluster_id))
            await _respond(send, 200, _version(cluster.version, cluster.created_at))
            return
        if path == "/" or (path.startswith(("/openapi", "/api")) and _is_discovery(path)):
            await self._discovery(request, send)
            return
        if path.startswith(("/api/", "/apis/")):
            await self._resource(request, receive, send)
            return
        raise KubeError(404, "NotFound", "the server could not find the requested resource")

    # Admission: the cluster, its token, its state

    def _cluster(self, connection: Connection, cluster_id: str) -> Any:
        from localocean.areas.kubernetes import store as clusters_store

        cluster = clusters_store.get_any(connection, cluster_id)
        if cluster is None:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        return cluster

    async def _admit(self, request: Request, authorization: str) -> None:
        from localocean.areas.kubernetes import access
        from localocean.areas.kubernetes import store as clusters_store

        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UNAUTHORIZED
        hashed = access.token_hash(token.strip())
        now = self.services.clock.now()

        def check(connection: Connection) -> tuple[Any, Any, list[Any]]:
            cluster = self._cluster(connection, request.cluster_id)
            cached = self._tokens.get(hashed)
            if cached is None or cached[2] < time.monotonic():
                row = clusters_store.token(connection, hashed)
                if row is None:
                    self._tokens.pop(hashed, None)
                    raise UNAUTHORIZED
                cached = (row.cluster_id, row.expires_at, time.monotonic() + TOKEN_CACHE_SECONDS)
                if len(self._tokens) > 10_000:
                    self._tokens.clear()
                self._tokens[hashed] = cached
            if cached[0] != request.cluster_id or cached[1] <= now:
                raise UNAUTHORIZED
            if cluster.state not in SERVING:
                raise KubeError(
                    503,
                    "ServiceUnavailable",
                    f"the cluster is {cluster.state}: its API server is not available",
                )
            state = store.state(connection, cluster.id)
            rows = nodes.doks_nodes(connection, cluster.id)
            return cluster, state, rows

        cluster, state, rows = await self.db.read(check)
        seen = nodes.fingerprint(cluster, rows)
        if state is not None and state.nodes_seen == seen:
            return

        def bring_current(kube: Kube) -> None:
            current = store.state(kube.connection, kube.cluster_id)
            if current is None:
                nodes.bootstrap(kube)
            elif current.nodes_seen == seen:
                return
            nodes.sync(kube, nodes.doks_nodes(kube.connection, kube.cluster_id), seen)

        await self._write(request.cluster_id, bring_current)

    # Running work

    async def _read(self, cluster_id: str, work: Callable[[Kube], Any]) -> Any:
        lifecycle = self.services.lifecycle

        def run(connection: Connection) -> Any:
            cluster = self._cluster(connection, cluster_id)
            return work(Kube(connection, cluster, lifecycle, self.services.clock.now()))

        return await self.db.read(run)

    async def _write(
        self, cluster_id: str, work: Callable[[Kube], Any], request: Request | None = None
    ) -> Any:
        lifecycle = self.services.lifecycle

        def change(connection: Connection) -> Any:
            cluster = self._cluster(connection, cluster_id)
            kube = Kube(connection, cluster, lifecycle, self.services.clock.now())
            if request is not None:
                kube.validation = request.query.get("fieldValidation") or "Warn"
                request.warnings = kube.warnings
            result = work(kube)
            controllers.reconcile(kube)
            if kube.changes:
                watch.notify_after_commit(kube)
            return result

        return await self.db.run(lambda: self.db.atomically(change))

    # Discovery and OpenAPI

    async def _discovery(self, request: Request, send: Send) -> None:
        if request.method != "GET":
            raise method_not_allowed()
        path = request.path
        resources: list[Resource] = await self._read(request.cluster_id, lambda k: k.resources())
        aggregated = discovery.accepts_aggregated(request.accept)
        prefix = f"/k8s/{request.cluster_id}"
        body: Any = None
        content_type = JSON
        if path in ("/api", "/apis") and aggregated:
            body = discovery.aggregated(resources, legacy=path == "/api", version=aggregated)
            content_type = discovery.aggregated_content_type(aggregated).encode()
        elif path == "/api":
            host = (header(request.scope, b"host") or b"127.0.0.1").decode("latin-1")
            body = discovery.api_versions(host)
        elif path == "/apis":
            body = discovery.group_list(resources)
        elif path == "/api/v1":
            body = discovery.resource_list(resources, "", "v1")
        elif path.startswith("/apis/"):
            parts = path.split("/")[2:]
            if len(parts) == 1:
                body = discovery.group(resources, parts[0])
            elif len(parts) == 2:
                body = discovery.resource_list(resources, parts[0], parts[1])
        elif path == "/openapi/v3":
            body = discovery.openapi_v3_root(resources, prefix)
        elif path.startswith("/openapi/v3/"):
            rest = path.removeprefix("/openapi/v3/")
            if rest.startswith("api/"):
                body = discovery.openapi_v3_group(resources, "", rest.removeprefix("api/"))
            elif rest.startswith("apis/") and rest.count("/") == 2:
                _, group, version = rest.split("/")
                body = discovery.openapi_v3_group(resources, group, version)
        elif path == "/openapi/v2":
            from localocean.areas.kubeapi import openapi_pb

            form = openapi_pb.negotiate(request.accept)
            if form is None:
                raise KubeError(406, "NotAcceptable", "the requested format is not served")
            if form == "protobuf":
                encoded = self._openapi_v2_protobuf(resources)
                await _respond(send, 200, encoded, openapi_pb.CONTENT_TYPE.encode())
                return
            body = discovery.openapi_v2(resources)
        elif path == "/":
            body = {
                "paths": sorted(
                    ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v2",
                     "/openapi/v3", "/readyz", "/version"]
                    + [f"/apis/{g}" for g in {r.group for r in resources if r.group}]
                )
            }  # fmt: skip
        if body is None:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        await _respond(send, 200, body, content_type)

    def _openapi_v2_protobuf(self, resources: list[Resource]) -> bytes:
        """The OpenAPI v2 document in protobuf (kubectl before 1.27 validates with it); the last
        few are kept, by what they describe, as encoding one takes a tenth of a second."""
        from localocean.areas.kubeapi import openapi_pb

        key = hash(tuple(sorted(repr(r) for r in resources if r.custom)))
        cached = self._openapi_v2.get(key)
        if cached is None:
            cached = openapi_pb.encode(discovery.openapi_v2(resources))
            if len(self._openapi_v2) >= 8:
                self._openapi_v2.pop(next(iter(self._openapi_v2)))
            self._openapi_v2[key] = cached
        return cached

    # Resources

    def _target(self, kube: Kube, request: Request) -> tuple[Target, bool]:
        parts = [p for p in request.path.split("/") if p]
        if parts[0] == "api":
            group, version, rest = "", parts[1] if len(parts) > 1 else "", parts[2:]
        else:
            if len(parts) < 3:
                raise KubeError(404, "NotFound", "the server could not find the requested resource")
            group, version, rest = parts[1], parts[2], parts[3:]
        legacy_watch = bool(rest) and rest[0] == "watch"
        if legacy_watch:
            rest = rest[1:]
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else ""
        subresource = rest[2] if len(rest) > 2 else ""
        resource = kube.resource(group, version, plural)
        if resource is None:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        if subresource and subresource not in resource.subresources:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        if resource.namespaced and namespace is None and name:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        if not resource.namespaced and namespace is not None:
            raise KubeError(404, "NotFound", "the server could not find the requested resource")
        return Target(resource, namespace, name, subresource), legacy_watch

    async def _resource(self, request: Request, receive: Receive, send: Send) -> None:
        method = request.method
        resolved: tuple[Target, bool] = await self._read(
            request.cluster_id, lambda kube: self._target(kube, request)
        )
        target, legacy_watch = resolved
        if target.subresource in ("log", "exec", "attach", "portforward", "proxy"):
            raise bad_request(
                f"LocalOcean simulates this cluster's workloads: no container runs, so "
                f"{target.subresource} is not available"
            )
        if target.subresource == "finalize" and method != "PUT":
            raise method_not_allowed()
        if method in ("GET", "HEAD"):
            if legacy_watch and target.subresource:
                raise KubeError(404, "NotFound", "the server could not find the requested resource")
            if legacy_watch or (not target.name and request.flag("watch")):
                await self._watch(request, target, receive, send)
                return
            result = await self._read(
                request.cluster_id, lambda kube: self._get(kube, request, target)
            )
            await _respond(send, 200, result)
            return
        handlers = {
            "POST": self._create,
            "PUT": self._update,
            "PATCH": self._patch,
            "DELETE": self._delete,
        }
        handler = handlers.get(method)
        if handler is None:
            raise method_not_allowed()
        try:
            status, result = await self._write(
                request.cluster_id, lambda kube: handler(kube, request, target), request
            )
        except DryRun as dry:
            status, result = dry.result
        await _respond(send, status, result, warnings=request.warnings)

    def _render(
        self,
        kube: Kube,
        request: Request,
        target: Target,
        objects: list[Obj],
        list_meta: Obj | None,
    ) -> Any:
        resource = target.resource
        include = request.query.get("includeObject", "Metadata")
        crd_columns = None
        if resource.custom:
            crd = kube.crd_of(resource)
            if crd is not None:
                for version in crd.get("spec", {}).get("versions") or []:
                    if version.get("name") == resource.version:
                        crd_columns = version.get("additionalPrinterColumns") or []
        return printers.table(
            resource.group,
            resource.plural,
            objects,
            kube.now,
            include_object=include,
            list_meta=list_meta,
            crd_columns=crd_columns,
        )

    def _get(self, kube: Kube, request: Request, target: Target) -> Any:
        resource = target.resource
        if target.name:
            obj = kube.require(resource, target.namespace or "", target.name)
            if target.subresource == "scale":
                return _scale_of(obj)
            if request.table:
                return self._render(
                    kube,
                    request,
                    target,
                    [obj],
                    {"resourceVersion": obj["metadata"]["resourceVersion"]},
                )
            return _as_version(obj, resource)
        return self._list(kube, request, target)

    def _list(self, kube: Kube, request: Request, target: Target) -> Any:
        resource = target.resource
        label_match = labels(request.query.get("labelSelector"))
        field_text = request.query.get("fieldSelector")
        check_fields(field_text, resource.group, resource.plural)
        field_match = fields(field_text)
        namespace = target.namespace
        if namespace is None:
            namespace = (
                field_equals(field_text, "metadata.namespace") if resource.namespaced else None
            )
        name = field_equals(field_text, "metadata.name")
        _check_list_version(request)
        version = store.latest_version(kube.connection)
        plain = not request.table and not request.query.get("labelSelector") and not field_text
        if plain and self._one_version(kube, resource):
            return self._list_json(kube, request, resource, namespace, version)
        if name is not None:
            found = [
                obj
                for obj in (
                    [kube.get(resource, namespace or "", name)]
                    if namespace is not None or not resource.namespaced
                    else [o for o in kube.list(resource, None) if o["metadata"]["name"] == name]
                )
                if obj is not None
            ]
        else:
            found = kube.list(resource, namespace)
        items = [obj for obj in found if label_match(obj) and field_match(obj)]
        meta: Obj = {"resourceVersion": str(version)}
        limit_text = _limit(request)
        start = request.query.get("continue", "")
        if start:
            after, listed_at = self._continue_from(kube, start)
            items = [
                obj
                for obj in items
                if (obj["metadata"].get("namespace", ""), obj["metadata"]["name"]) > after
            ]
            version = listed_at
            meta["resourceVersion"] = str(listed_at)
        if limit_text.isdigit() and int(limit_text) > 0 and len(items) > int(limit_text):
            limit = int(limit_text)
            remaining = len(items) - limit
            items = items[:limit]
            last = items[-1]["metadata"]
            meta["continue"] = _continue_token(version, last.get("namespace", ""), last["name"])
            meta["remainingItemCount"] = remaining
        if request.table:
            return self._render(kube, request, target, items, meta)
        return {
            "kind": resource.list_kind,
            "apiVersion": resource.api_version,
            "metadata": meta,
            "items": [_as_version(obj, resource) for obj in items],
        }

    @staticmethod
    def _one_version(kube: Kube, resource: Resource) -> bool:
        """Objects are stored in the version they were written in; where the group serves one
        version of the resource, they need no change to be listed."""
        key = (resource.group, resource.plural)
        return sum(1 for r in kube.resources() if (r.group, r.plural) == key) == 1

    def _list_json(
        self, kube: Kube, request: Request, resource: Resource, namespace: str | None, version: int
    ) -> bytes:
        """A list spliced from the stored JSON of its objects (the common, unfiltered list)."""
        rows = store.list_json(
            kube.connection, kube.cluster_id, resource.group, resource.plural, namespace
        )
        meta: Obj = {"resourceVersion": str(version)}
        start = request.query.get("continue", "")
        if start:
            after, listed_at = self._continue_from(kube, start)
            rows = [row for row in rows if (row[0], row[1]) > after]
            meta["resourceVersion"] = str(listed_at)
            version = listed_at
        limit_text = _limit(request)
        if limit_text.isdigit() and 0 < int(limit_text) < len(rows):
            limit = int(limit_text)
            meta["remainingItemCount"] = len(rows) - limit
            rows = rows[:limit]
            meta["continue"] = _continue_token(version, rows[-1][0], rows[-1][1])
        head = orjson.dumps(
            {"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": meta}
        )
        items = ",".join(row[2] for row in rows).encode()
        return head[:-1] + b',"items":[' + items + b"]}"

    def _continue_from(self, kube: Kube, token_text: str) -> tuple[tuple[str, str], int]:
        try:
            padded = token_text + "=" * (-len(token_text) % 4)
            token = orjson.loads(base64.urlsafe_b64decode(padded))
            after = (str(token["start"][0]), str(token["start"][1]))
            listed_at = int(token["rv"])
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise bad_request("continue key is not valid") from exc
        oldest = store.state(kube.connection, kube.cluster_id)
        if oldest is not None and listed_at < int(oldest.compacted_version):
            raise gone(listed_at, int(oldest.compacted_version) + 1)
        return after, listed_at

    async def _watch(self, request: Request, target: Target, receive: Receive, send: Send) -> None:
        resource = target.resource
        label_match = labels(request.query.get("labelSelector"))
        check_fields(request.query.get("fieldSelector"), resource.group, resource.plural)
        field_match = fields(request.query.get("fieldSelector"))
        only = target.name  # /api/v1/watch/namespaces/<ns>/<resource>/<name>

        def matches(obj: Obj) -> bool:
            if only and obj["metadata"]["name"] != only:
                return False
            return label_match(obj) and field_match(obj)

        since_text = request.query.get("resourceVersion", "")
        send_initial = request.flag("sendInitialEvents")

        def start(kube: Kube) -> tuple[int, list[Obj], int]:
            version = store.latest_version(kube.connection)
            state = store.state(kube.connection, kube.cluster_id)
            compacted = int(state.compacted_version) if state is not None else 0
            initial: list[Obj] = []
            if since_text in ("", "0") or send_initial:
                initial = [o for o in kube.list(resource, target.namespace) if matches(o)]
            return version, initial, compacted

        latest, initial, compacted = await self._read(request.cluster_id, start)
        if since_text in ("", "0") or send_initial:
            since = latest
        else:
            try:
                since = int(since_text)
            except ValueError as exc:
                raise bad_request(f"invalid resource version: {since_text}") from exc
            if since < compacted:
                raise gone(since, compacted + 1)
        timeout_text = request.query.get("timeoutSeconds", "")
        timeout = float(timeout_text) if timeout_text.isdigit() else 1800.0
        table = request.table
        stamp_now = self.services.clock.now

        def render(obj: Obj, first: bool) -> Any:
            if table:
                rendered = printers.table(
                    resource.group, resource.plural, [obj], stamp_now(),
                    include_object=request.query.get("includeObject", "Metadata"),
                )  # fmt: skip
                if not first:
                    rendered["columnDefinitions"] = []
                return rendered
            return _as_version(obj, resource)

        empty = {"kind": resource.kind, "apiVersion": resource.api_version}
        await watch.stream(
            send,
            receive,
            self.db.read,
            request.cluster_id,
            resource.group,
            resource.plural,
            target.namespace,
            matches,
            since,
            initial,
            timeout,
            request.flag("allowWatchBookmarks"),
            send_initial,
            render,
            empty,
        )

    # Writes

    def _body(self, request: Request) -> Any:
        if not request.body.strip():
            raise bad_request("the body of the request was empty")
        if request.content_type not in BODY_TYPES and request.content_type not in PATCH_TYPES:
            raise unsupported_media_type(request.content_type)
        if request.content_type == "application/vnd.kubernetes.protobuf":
            from localocean.areas.kubeapi import protobuf

            try:
                return protobuf.decode(request.body)
            except ValueError as exc:
                raise bad_request(f"the protobuf body could not be decoded: {exc}") from exc
        if request.content_type in ("application/yaml", "application/apply-patch+yaml"):
            from localocean.core.documents import read_text

            try:
                return read_text(request.body.decode())
            except ValueError as exc:
                raise bad_request(f"error decoding YAML: {exc}") from exc
        try:
            return orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc

    def _finish(self, request: Request, status: int, result: Any) -> tuple[int, Any]:
        if request.dry_run:
            raise DryRun((status, result))
        return status, result

    def _create(self, kube: Kube, request: Request, target: Target) -> tuple[int, Any]:
        resource = target.resource
        body = self._body(request)
        if target.name:
            return self._create_subresource(kube, request, target, body)
        if resource.verbs and "create" not in resource.verbs:
            raise method_not_allowed()
        if resource.kind in (
            "SelfSubjectAccessReview",
            "SelfSubjectRulesReview",
            "SubjectAccessReview",
            "LocalSubjectAccessReview",
            "TokenReview",
            "SelfSubjectReview",
        ):
            return 201, _review(resource, body)
        if resource.namespaced and target.namespace is None:
            raise method_not_allowed()  # a namespaced kind is created in its namespace's path
        created = kube.create(resource, target.namespace or "", body, request.manager())
        return self._finish(request, 201, _as_version(created, resource))

    def _create_subresource(
        self, kube: Kube, request: Request, target: Target, body: Any
    ) -> tuple[int, Any]:
        resource = target.resource
        if not isinstance(body, dict):
            raise bad_request(f"the body of the request was not a {target.subresource} object")
        obj = kube.require(resource, target.namespace or "", target.name)
        if target.subresource == "eviction":
            named = (
                (body.get("metadata") or {}).get("name") if _is_map(body.get("metadata")) else None
            )
            if named not in (None, target.name):
                raise bad_request("name in URL does not match name in Eviction object")
            kube.delete(resource, obj)
            return self._finish(request, 201, _success(target))
        if target.subresource == "token":
            import secrets

            spec = body.get("spec", {})
            if not _is_map(spec):
                raise bad_request("TokenRequest.spec must be an object")
            expiry = spec.get("expirationSeconds", 3600)
            if not _is_int(expiry):
                raise bad_request("TokenRequest.spec.expirationSeconds must be an integer")
            if expiry < 600:
                raise invalid(
                    "TokenRequest", "authentication.k8s.io", target.name,
                    [("spec.expirationSeconds", "FieldValueInvalid",
                      f"Invalid value: {expiry}: may not specify a duration less than 10 minutes")],
                )  # fmt: skip
            return 201, {
                "kind": "TokenRequest",
                "apiVersion": "authentication.k8s.io/v1",
                "metadata": {
                    "name": target.name,
                    "namespace": target.namespace,
                    "creationTimestamp": None,
                },
                "spec": {**spec, "expirationSeconds": expiry},
                "status": {
                    "token": "eyJhbGciOiJSUzI1NiJ9."
                    f"{secrets.token_urlsafe(48)}.{secrets.token_urlsafe(32)}",
                    "expirationTimestamp": timestamp(kube.now + expiry),
                },
            }
        if target.subresource == "binding":
            bound_to = body.get("target", {})
            if not _is_map(bound_to):
                raise bad_request("Binding.target must be an object")
            node = bound_to.get("name")
            if not node or not isinstance(node, str):
                raise invalid(
                    "Binding", "", target.name,
                    [("target.name", "FieldValueRequired", "Required value")],
                )  # fmt: skip
            if obj["spec"].get("nodeName"):
                raise KubeError(
                    409, "Conflict",
                    f'Operation cannot be fulfilled on pods/binding "{target.name}": pod '
                    f"{target.name} is already assigned to node \"{obj['spec']['nodeName']}\"",
                )  # fmt: skip
            changed = copy.deepcopy(obj)
            changed["spec"]["nodeName"] = node
            kube.save(resource, changed)
            controllers.start_pod(kube, changed)
            return 201, _success(target)
        raise method_not_allowed()

    def _update(self, kube: Kube, request: Request, target: Target) -> tuple[int, Any]:
        resource = target.resource
        if not target.name:
            raise method_not_allowed()
        body = self._body(request)
        namespace = target.namespace or ""
        if target.subresource == "scale":
            obj = kube.require(resource, namespace, target.name)
            replicas = _replicas_of(body, target.name)
            wanted = (body.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != obj["metadata"]["resourceVersion"]:
                raise conflict(resource.plural, resource.group, target.name)
            changed = copy.deepcopy(obj)
            changed.setdefault("spec", {})["replicas"] = replicas
            saved = kube.update(
                resource, namespace, target.name, changed, request.manager(), current=obj
            )
            return self._finish(request, 200, _scale_of(saved))
        saved = kube.update(
            resource, namespace, target.name, body, request.manager(), target.subresource
        )
        return self._finish(request, 200, _as_version(saved, resource))

    def _patch(self, kube: Kube, request: Request, target: Target) -> tuple[int, Any]:
        resource = target.resource
        if not target.name:
            raise method_not_allowed()
        kind = PATCH_TYPES.get(request.content_type)
        if kind is None or (kind == "strategic" and resource.custom):
            accepted = (
                "application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml"
            )
            if not resource.custom:
                accepted += ", application/strategic-merge-patch+json"
            raise KubeError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                f"include: {accepted}",
            )
        body = self._body(request)
        namespace = target.namespace or ""
        current = kube.get(resource, namespace, target.name)
        if kind == "apply":
            return self._apply(kube, request, target, current, body)
        if current is None:
            raise not_found(resource.plural, resource.group, target.name)
        if target.subresource == "scale":
            scale = _scale_of(current)
            patched_scale = self._patched(kind, scale, body, "Scale")
            changed = copy.deepcopy(current)
            changed.setdefault("spec", {})["replicas"] = _replicas_of(patched_scale, target.name)
            saved = kube.update(
                resource, namespace, target.name, changed, request.manager(), current=current
            )
            return self._finish(request, 200, _scale_of(saved))
        patched = self._patched(kind, _as_version(current, resource), body, resource.kind)
        if not isinstance(patched, dict):
            raise bad_request("the patch does not make an object")
        saved = kube.update(
            resource, namespace, target.name, patched, request.manager(), target.subresource,
            current=current,
        )  # fmt: skip
        return self._finish(request, 200, _as_version(saved, resource))

    def _patched(self, kind: str, current: Obj, body: Any, object_kind: str) -> Any:
        if kind == "json":
            return patch.json_patch(current, body)
        if kind == "merge":
            return patch.merge_patch(current, body)
        return patch.strategic_merge_patch(
            current, body, lambda path: patch.builtin_merge_key(object_kind, path)
        )

    def _apply(
        self, kube: Kube, request: Request, target: Target, current: Obj | None, body: Any
    ) -> tuple[int, Any]:
        resource = target.resource
        manager = request.query.get("fieldManager")
        if not manager:
            raise bad_request("PATCH, application/apply-patch+yaml requests must set fieldManager")
        if target.subresource and current is None:
            raise not_found(resource.plural, resource.group, target.name)
        if target.subresource == "scale" and current is not None:
            changed = copy.deepcopy(current)
            changed.setdefault("spec", {})["replicas"] = _replicas_of(body, target.name)
            saved = kube.update(
                resource, target.namespace or "", target.name, changed, manager, current=current
            )
            return self._finish(request, 200, _scale_of(saved))
        body = kube.read_object(resource, body)
        metadata = body.setdefault("metadata", {})
        if metadata.get("name") not in (None, target.name):
            raise bad_request(
                f"the name of the object ({metadata.get('name')}) does not match the name on "
                f"the URL ({target.name})"
            )
        metadata["name"] = target.name
        force = request.flag("force")
        applied = patch.apply(
            _as_version(current, resource) if current is not None else None,
            body,
            manager,
            force,
            resource.kind,
            resource.api_version,
            kube.stamp,
        )
        namespace = target.namespace or ""
        if current is None:
            managed = applied["metadata"].get("managedFields")
            created = kube.create(resource, namespace, applied, manager)
            if managed is not None:
                created = copy.deepcopy(created)
                created["metadata"]["managedFields"] = managed
                created = kube.save(resource, created)
            return self._finish(request, 201, _as_version(created, resource))
        saved = kube.update(
            resource, namespace, target.name, applied, manager, target.subresource,
            current=current, record=False,
        )  # fmt: skip
        return self._finish(request, 200, _as_version(saved, resource))

    def _delete(self, kube: Kube, request: Request, target: Target) -> tuple[int, Any]:
        resource = target.resource
        options: Obj = {}
        if request.body.strip():
            parsed = self._body(request)
            if not isinstance(parsed, dict):
                raise bad_request("the body of the request was not DeleteOptions")
            options = parsed
            _check_delete_options(options)
        propagation = (
            options.get("propagationPolicy")
            or request.query.get("propagationPolicy")
            or "Background"
        )
        if (
            options.get("orphanDependents") is True
            or request.query.get("orphanDependents") == "true"
        ):
            propagation = "Orphan"
        if propagation not in ("Background", "Foreground", "Orphan"):
            raise bad_request(
                f"propagationPolicy {propagation!r} is not one of Background, Foreground, Orphan"
            )
        if "dryRun" in options and options["dryRun"] == ["All"]:
            request.query["dryRun"] = "All"
        if not target.name:
            return self._delete_collection(kube, request, target, propagation)
        obj = kube.require(resource, target.namespace or "", target.name)
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != obj["metadata"]["uid"]:
            raise conflict(resource.plural, resource.group, target.name)
        if (
            preconditions.get("resourceVersion")
            and preconditions["resourceVersion"] != obj["metadata"]["resourceVersion"]
        ):
            raise conflict(resource.plural, resource.group, target.name)
        if (resource.group, resource.plural) == ("", "nodes"):
            nodes.replace(kube, obj)
        result = kube.delete(resource, copy.deepcopy(obj), propagation)
        still = kube.get(resource, target.namespace or "", target.name)
        if still is not None:
            return self._finish(
                request, 200 if propagation != "Foreground" else 202, _as_version(still, resource)
            )
        if resource.kind == "Pod":
            return self._finish(request, 200, _as_version(result, resource))
        return self._finish(request, 200, _success(target, result))

    def _delete_collection(
        self, kube: Kube, request: Request, target: Target, propagation: str
    ) -> tuple[int, Any]:
        resource = target.resource
        label_match = labels(request.query.get("labelSelector"))
        check_fields(request.query.get("fieldSelector"), resource.group, resource.plural)
        field_match = fields(request.query.get("fieldSelector"))
        deleted = []
        for obj in kube.list(resource, target.namespace):
            if label_match(obj) and field_match(obj):
                deleted.append(kube.delete(resource, copy.deepcopy(obj), propagation))
        return self._finish(
            request,
            200,
            {
                "kind": resource.list_kind,
                "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(store.latest_version(kube.connection))},
                "items": [_as_version(obj, resource) for obj in deleted],
            },
        )


# DeleteOptions' fields and the JSON types their Go fields read.
_DELETE_OPTIONS: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "apiVersion": (str,),
    "gracePeriodSeconds": (int,),
    "propagationPolicy": (str,),
    "orphanDependents": (bool,),
    "preconditions": (dict,),
    "dryRun": (list,),
    "ignoreStoreReadErrorWithClusterBreakingPotential": (bool,),
}


def _check_delete_options(options: Obj) -> None:
    for key, value in options.items():
        kinds = _DELETE_OPTIONS.get(key)
        if value is None or kinds is None:
            continue
        wrong = not isinstance(value, kinds) or (kinds == (int,) and isinstance(value, bool))
        if key == "preconditions" and not wrong:
            wrong = any(not isinstance(v, str) for v in value.values() if v is not None)
        if key == "dryRun" and not wrong:
            wrong = any(not isinstance(v, str) for v in value)
        if wrong:
            raise bad_request(
                'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: json: '
                f"cannot unmarshal into Go struct field DeleteOptions.{key}"
            )


def _check_list_version(request: Request) -> None:
    """A list's resourceVersion is a number; resourceVersionMatch one of kube's two."""
    text = request.query.get("resourceVersion", "")
    if text and not text.isdigit():
        raise bad_request(f"invalid resource version: {text}")
    match = request.query.get("resourceVersionMatch", "")
    if match not in ("", "NotOlderThan", "Exact"):
        raise KubeError(
            422, "Invalid",
            f'resourceVersionMatch: Unsupported value: "{match}": supported values: "Exact", '
            '"NotOlderThan"',
        )  # fmt: skip


def _is_map(value: Any) -> bool:
    return isinstance(value, dict)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _replicas_of(body: Any, name: str) -> int:
    """The replicas a Scale object asks for (400 if it is not one, or names another object)."""
    if not _is_map(body):
        raise bad_request("the body of the request was not a Scale object")
    metadata = body.get("metadata", {})
    if _is_map(metadata) and metadata.get("name") not in (None, name):
        raise bad_request(
            f"the name of the object ({metadata.get('name')}) does not match the name on the URL "
            f"({name})"
        )
    unreadable = 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal '
    spec = body.get("spec", {})
    if not _is_map(spec):
        raise bad_request(unreadable + "into Go struct field Scale.spec of type v1.ScaleSpec")
    replicas = spec.get("replicas", 0)
    if not _is_int(replicas):
        raise bad_request(unreadable + "into Go struct field ScaleSpec.spec.replicas of type int32")
    if replicas < 0:
        raise invalid("Scale", "autoscaling", name, [
            ("spec.replicas", "FieldValueInvalid",
             f"Invalid value: {replicas}: must be greater than or equal to 0")])  # fmt: skip
    return int(replicas)


def _limit(request: Request) -> str:
    text = request.query.get("limit", "")
    if text and not text.lstrip("-").isdigit():
        raise bad_request(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    return text


def _continue_token(version: int, namespace: str, name: str) -> str:
    """Where the next page starts, and as of which version the list is."""
    token = orjson.dumps({"rv": version, "start": [namespace, name]})
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def _is_discovery(path: str) -> bool:
    if path.startswith("/openapi"):
        return True
    parts = [p for p in path.split("/") if p]
    if parts[0] == "api":
        return len(parts) <= 2
    return parts[0] == "apis" and len(parts) <= 3


def _as_version(obj: Obj, resource: Resource) -> Obj:
    """The object as the version asked for (objects are stored once per group; versions of a
    group differ here only in apiVersion)."""
    if obj.get("apiVersion") == resource.api_version:
        return obj
    shown = dict(obj)
    shown["apiVersion"] = resource.api_version
    return shown


def _scale_of(obj: Obj) -> Obj:
    metadata = obj["metadata"]
    selector = (obj.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": metadata["name"],
            "namespace": metadata.get("namespace", ""),
            "uid": metadata["uid"],
            "resourceVersion": metadata["resourceVersion"],
            "creationTimestamp": metadata.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
        },
    }


def _success(target: Target, obj: Obj | None = None) -> Obj:
    details: Obj = {"name": target.name, "kind": target.resource.plural}
    if target.resource.group:
        details["group"] = target.resource.group
    if obj is not None:
        details["uid"] = obj["metadata"].get("uid")
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def _review(resource: Resource, body: Any) -> Obj:
    """Access reviews: the kubeconfig's user is the cluster's admin, so everything is allowed."""
    reviewed = dict(body) if isinstance(body, dict) else {}
    reviewed["apiVersion"], reviewed["kind"] = resource.api_version, resource.kind
    reviewed.setdefault("metadata", {})["creationTimestamp"] = None
    if resource.kind == "SelfSubjectRulesReview":
        reviewed["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    elif resource.kind == "SelfSubjectReview":
        reviewed["status"] = {
            "userInfo": {
                "username": "kubernetes-admin",
                "groups": ["system:masters", "system:authenticated"],
            }
        }
    elif resource.kind == "TokenReview":
        reviewed["status"] = {"authenticated": False}
    else:
        reviewed["status"] = {"allowed": True, "reason": "the cluster's admin may do anything"}
    return reviewed


def _version(cluster_version: str, created_at: float) -> Obj:
    number = cluster_version.split("-", 1)[0]
    major, minor, _ = ([*number.split("."), "0", "0"])[:3]
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(max(0, int(minor) - 1)),
        "gitVersion": f"v{number}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": timestamp(created_at),
        "goVersion": "go1.24.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
