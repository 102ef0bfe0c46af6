"""The documents a Kubernetes API server describes itself with: discovery and OpenAPI.

Every function takes the resource types to serve (`catalog.BUILTIN` plus those from
CustomResourceDefinitions) and returns plain dicts to be encoded as JSON:

* `/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`: `api_versions`, `resource_list`,
  `group_list`, `group`;
* aggregated discovery (`/api` and `/apis` asked with an `Accept` naming
  `g=apidiscovery.k8s.io;as=APIGroupDiscoveryList`): `accepts_aggregated`, `aggregated`,
  `aggregated_content_type`;
* OpenAPI v3 (`/openapi/v3`, `/openapi/v3/apis/<g>/<v>`): `openapi_v3_root`, `openapi_v3_group`;
* OpenAPI v2 (`/openapi/v2`): `openapi_v2`.

The field structure of the built-in kinds comes from `schemas.json` (made by
`scripts/kube_schemas.py`), read only the first time an OpenAPI document is asked for.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from localocean.areas.kubeapi.catalog import (
    META_PACKAGE,
    Resource,
    Subresource,
    group_versions,
    in_group_version,
    schema_name,
)

JSON = dict[str, Any]

AGGREGATED_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"
AGGREGATED_VERSIONS = ("v2", "v2beta1")

OBJECT_META = f"{META_PACKAGE}.ObjectMeta"
LIST_META = f"{META_PACKAGE}.ListMeta"
PATCH = f"{META_PACKAGE}.Patch"
DELETE_OPTIONS = f"{META_PACKAGE}.DeleteOptions"
STATUS = f"{META_PACKAGE}.Status"

PATCH_TYPES_BUILTIN = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
# Custom resources take no strategic merge patch: kubectl's apply reads this to fall back to
# a JSON merge patch (k8s.io/kubectl/pkg/cmd/apply/patcher.go, gvkSupportsPatchOpenAPIV3).
PATCH_TYPES_CUSTOM = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)
RESPONSE_TYPES = ("application/json", "application/yaml")

# Bump when the document builders below change what they produce; with the schemas file's
# size it feeds the `hash` of the OpenAPI v3 URLs, which clients use as a cache key.
_DOCUMENT_REVISION = "1"


# --- discovery ---------------------------------------------------------------------------


def api_versions(server_address: str = "127.0.0.1:6443") -> JSON:
    """`/api`: the legacy group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address},
        ],
    }


def storage_version_hash(resource: Resource) -> str:
    """A stable short hash of a type's stored form, as discovery shows it."""
    digest = hashlib.sha256(f"{resource.group}/{resource.version}/{resource.kind}".encode())
    return base64.b64encode(digest.digest()[:8]).decode()


def _top_level(resources: Iterable[Resource], group: str, version: str) -> list[Resource]:
    return sorted(in_group_version(resources, group, version), key=lambda r: r.plural)


def _gv(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def resource_list(resources: Iterable[Resource], group: str, version: str) -> JSON | None:
    """`/api/v1` or `/apis/<group>/<version>`: an APIResourceList, or None if not served."""
    served = _top_level(resources, group, version)
    if not served:
        return None
    entries: list[JSON] = []
    for resource in served:
        entry: JSON = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(resource.verbs),
        }
        if resource.short_names:
            entry["shortNames"] = list(resource.short_names)
        if resource.categories:
            entry["categories"] = list(resource.categories)
        if "create" in resource.verbs and "get" in resource.verbs:
            entry["storageVersionHash"] = storage_version_hash(resource)
        entries.append(entry)
        for sub in resource.subresource_infos():
            sub_entry: JSON = {
                "name": f"{resource.plural}/{sub.name}",
                "singularName": "",
                "namespaced": resource.namespaced,
            }
            if (sub.group, sub.version) != (group, version):
                sub_entry["group"] = sub.group
                sub_entry["version"] = sub.version
            sub_entry["kind"] = sub.kind
            sub_entry["verbs"] = list(sub.verbs)
            entries.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _gv(group, version),
        "resources": entries,
    }


def _group_entry(name: str, versions: Sequence[str]) -> JSON:
    listed = [{"groupVersion": _gv(name, v), "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": dict(listed[0])}


def group_list(resources: Iterable[Resource]) -> JSON:
    """`/apis`: every named group (the legacy core group is at `/api`)."""
    groups = [
        _group_entry(name, versions)
        for name, versions in group_versions(resources).items()
        if name  # the core group is not listed
    ]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(resources: Iterable[Resource], name: str) -> JSON | None:
    """`/apis/<name>`: an APIGroup, or None if no type of that group is served."""
    if not name:
        return None
    versions = group_versions(resources).get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(name, versions)}


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str]]]:
    ranges = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params: dict[str, str] = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
        ranges.append((pieces[0].lower(), params))
    return ranges


def accepts_aggregated(accept: str | None) -> str | None:
    """Which aggregated discovery version an `Accept` header asks for first: "v2", "v2beta1"
    or None (answer the plain APIVersions / APIGroupList).

    Clients list their choices in order of preference, without q-values
    (k8s.io/client-go/discovery/discovery_client.go: `AcceptV2 + "," + AcceptV1`). A
    `profile=nopeer` parameter asks to leave out peer servers' types; we have no peers, so
    it is answered the same way.
    """
    if not accept:
        return None
    for media, params in _media_ranges(accept):
        if params.get("q") in ("0", "0.0", "0.00", "0.000"):
            continue
        if media == "application/json" and params.get("g") == AGGREGATED_GROUP:
            if params.get("as") == AGGREGATED_KIND and params.get("v") in AGGREGATED_VERSIONS:
                return params["v"]
            continue
        if media in ("application/json", "application/*", "*/*"):
            return None
    return None


def aggregated_content_type(version: str = "v2") -> str:
    """The `Content-Type` of an aggregated discovery answer; client-go tells the two kinds of
    answer apart by it (`ContentTypeIsGVK`: base `application/json`, g, v and as)."""
    return f"application/json;g={AGGREGATED_GROUP};v={version};as={AGGREGATED_KIND}"


def _response_kind(group: str, version: str, kind: str) -> JSON:
    return {"group": group, "version": version, "kind": kind}


def _aggregated_resource(resource: Resource) -> JSON:
    entry: JSON = {
        "resource": resource.plural,
        "responseKind": _response_kind(resource.group, resource.version, resource.kind),
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    subs = [
        {
            "subresource": sub.name,
            "responseKind": _response_kind(sub.group, sub.version, sub.kind),
            "verbs": list(sub.verbs),
        }
        for sub in resource.subresource_infos()
    ]
    if subs:
        entry["subresources"] = subs
    return entry


def aggregated(resources: Iterable[Resource], legacy: bool, version: str = "v2") -> JSON:
    """An APIGroupDiscoveryList: `/api` (legacy=True, the core group only) or `/apis`.

    Each group's versions come preferred first: client-go takes the first as the preferred
    version (k8s.io/client-go/discovery/aggregated_discovery.go, convertAPIGroup).
    """
    served = list(resources)
    items: list[JSON] = []
    for name, versions in group_versions(served).items():
        if bool(name) == legacy:
            continue
        version_entries = [
            {
                "version": v,
                "resources": [_aggregated_resource(r) for r in _top_level(served, name, v)],
                "freshness": "Current",
            }
            for v in versions
        ]
        metadata: JSON = {"name": name} if name else {}
        metadata["creationTimestamp"] = None
        items.append({"metadata": metadata, "versions": version_entries})
    return {
        "kind": AGGREGATED_KIND,
        "apiVersion": f"{AGGREGATED_GROUP}/{version}",
        "metadata": {},
        "items": items,
    }


# --- OpenAPI: schemas ----------------------------------------------------------------------


@functools.cache
def _models() -> dict[str, JSON]:
    """The built-in models of `schemas.json` (loaded once, on first use)."""
    from importlib import resources as package_files

    text = package_files.files(__package__).joinpath("schemas.json").read_text()
    models: dict[str, JSON] = json.loads(text)["models"]
    return models


def _schemas_stamp() -> str:
    from importlib import resources as package_files

    try:
        file = package_files.files(__package__).joinpath("schemas.json")
        return str(len(file.read_bytes()))
    except OSError:
        return "0"


# Patch metadata of list (and a few object) fields: strategic merge patch reads the
# `x-kubernetes-patch-*` extensions, server-side apply the `x-kubernetes-list-*` ones.
# Keyed by (model short name, JSON field name).
_MAP_BY_NAME: JSON = {
    "x-kubernetes-patch-merge-key": "name",
    "x-kubernetes-patch-strategy": "merge",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["name"],
}
_CONDITIONS: JSON = {
    "x-kubernetes-patch-merge-key": "type",
    "x-kubernetes-patch-strategy": "merge",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
}


def _merge(key: str, *map_keys: str, strategy: str = "merge") -> JSON:
    return {
        "x-kubernetes-patch-merge-key": key,
        "x-kubernetes-patch-strategy": strategy,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": list(map_keys or (key,)),
    }


_SET: JSON = {"x-kubernetes-patch-strategy": "merge", "x-kubernetes-list-type": "set"}
_CONTAINER_FIELDS: dict[str, JSON] = {
    "ports": _merge("containerPort", "containerPort", "protocol"),
    "env": _MAP_BY_NAME,
    "volumeMounts": _merge("mountPath"),
    "volumeDevices": _merge("devicePath"),
    "resizePolicy": {"x-kubernetes-list-type": "atomic"},
}
PATCH_METADATA: dict[tuple[str, str], JSON] = {
    ("ObjectMeta", "finalizers"): _SET,
    ("ObjectMeta", "ownerReferences"): _merge("uid"),
    ("PodSpec", "containers"): _MAP_BY_NAME,
    ("PodSpec", "initContainers"): _MAP_BY_NAME,
    ("PodSpec", "ephemeralContainers"): _MAP_BY_NAME,
    ("PodSpec", "volumes"): _merge("name", strategy="merge,retainKeys"),
    ("PodSpec", "imagePullSecrets"): _MAP_BY_NAME,
    ("PodSpec", "hostAliases"): _merge("ip"),
    ("PodSpec", "topologySpreadConstraints"): _merge(
        "topologyKey", "topologyKey", "whenUnsatisfiable"
    ),
    ("PodSpec", "resourceClaims"): _merge("name", strategy="merge,retainKeys"),
    ("PodSpec", "schedulingGates"): _MAP_BY_NAME,
    ("PodSpec", "tolerations"): {"x-kubernetes-list-type": "atomic"},
    ("PodStatus", "conditions"): _CONDITIONS,
    ("PodStatus", "podIPs"): _merge("ip"),
    ("PodStatus", "hostIPs"): _merge("ip"),
    ("NodeSpec", "podCIDRs"): _SET,
    ("NodeStatus", "conditions"): _CONDITIONS,
    ("NodeStatus", "addresses"): _merge("type"),
    ("NamespaceStatus", "conditions"): _CONDITIONS,
    ("PersistentVolumeClaimStatus", "conditions"): _CONDITIONS,
    ("ReplicationControllerStatus", "conditions"): _CONDITIONS,
    ("ServiceStatus", "conditions"): _CONDITIONS,
    ("ServiceSpec", "ports"): _merge("port", "port", "protocol"),
    ("ServiceAccount", "secrets"): _MAP_BY_NAME,
    ("DeploymentSpec", "strategy"): {"x-kubernetes-patch-strategy": "retainKeys"},
    ("DeploymentStatus", "conditions"): _CONDITIONS,
    ("ReplicaSetStatus", "conditions"): _CONDITIONS,
    ("StatefulSetStatus", "conditions"): _CONDITIONS,
    ("DaemonSetStatus", "conditions"): _CONDITIONS,
    ("HorizontalPodAutoscalerStatus", "conditions"): _CONDITIONS,
    ("PodDisruptionBudgetStatus", "conditions"): _CONDITIONS,
    ("JobStatus", "conditions"): {
        "x-kubernetes-patch-merge-key": "type",
        "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-list-type": "atomic",
    },
    **{("Container", f): meta for f, meta in _CONTAINER_FIELDS.items()},
    **{("EphemeralContainer", f): meta for f, meta in _CONTAINER_FIELDS.items()},
}

_SCALARS: dict[str, JSON] = {
    "string": {"type": "string"},
    "integer": {"type": "integer", "format": "int64"},
    "number": {"type": "number", "format": "double"},
    "boolean": {"type": "boolean"},
    "date-time": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "byte": {"type": "string", "format": "byte"},
    "int-or-string": {
        "type": "string",
        "format": "int-or-string",
        "x-kubernetes-int-or-string": True,
    },
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}


def _expand_type(notation: str, ref_prefix: str) -> JSON:
    if notation.startswith("[]"):
        return {"type": "array", "items": _expand_type(notation[2:], ref_prefix)}
    if notation.startswith("{}"):
        return {"type": "object", "additionalProperties": _expand_type(notation[2:], ref_prefix)}
    if notation.startswith("@"):
        return {"$ref": ref_prefix + notation[1:]}
    return dict(_SCALARS.get(notation, _SCALARS["object"]))


def _refs(notation: str) -> str | None:
    stripped = notation.lstrip("[]{}")
    return stripped[1:] if stripped.startswith("@") else None


def _expand_model(name: str, model: JSON, ref_prefix: str) -> JSON:
    short = name.rsplit(".", 1)[-1]
    properties: JSON = {}
    for field_name, notation in model["f"].items():
        schema = _expand_type(notation, ref_prefix)
        extra = PATCH_METADATA.get((short, field_name))
        if extra:
            schema.update(copy.deepcopy(extra))
        properties[field_name] = schema
    out: JSON = {"type": "object", "properties": properties}
    if model.get("r"):
        out["required"] = list(model["r"])
    return out


def _closure(roots: Iterable[str]) -> list[str]:
    """The built-in models the roots refer to, directly or not (roots included)."""
    models = _models()
    seen: dict[str, None] = {}
    stack = [r for r in roots if r in models]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen[name] = None
        for notation in models[name]["f"].values():
            target = _refs(notation)
            if target and target in models and target not in seen:
                stack.append(target)
    return sorted(seen)


def _gvk(group: str, version: str, kind: str) -> JSON:
    return {"group": group, "version": version, "kind": kind}


def _custom_schema(resource: Resource, ref_prefix: str) -> JSON:
    """A custom resource's schema: its CRD's openAPIV3Schema with the fields every object has."""
    source = resource.openapi_schema
    if source:
        schema: JSON = copy.deepcopy(dict(source))
    else:
        schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    schema.setdefault("type", "object")
    properties = dict(schema.get("properties") or {})
    properties["apiVersion"] = {"type": "string"}
    properties["kind"] = {"type": "string"}
    properties["metadata"] = {"$ref": ref_prefix + OBJECT_META}
    schema["properties"] = properties
    return schema


def _list_schema(resource: Resource, ref_prefix: str) -> JSON:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "items": {
                "type": "array",
                "items": {"$ref": ref_prefix + schema_name(*resource.group_version, resource.kind)},
            },
            "kind": {"type": "string"},
            "metadata": {"$ref": ref_prefix + LIST_META},
        },
    }


def _schemas(served: Sequence[Resource], ref_prefix: str) -> JSON:
    """The definitions for the given types: each kind, its list, everything they refer to."""
    models = _models()
    kinds: dict[str, list[JSON]] = {}
    custom: dict[str, Resource] = {}
    lists: dict[str, Resource] = {}

    def add_kind(name: str, gvk: JSON) -> None:
        entries = kinds.setdefault(name, [])
        if gvk not in entries:
            entries.append(gvk)

    for resource in served:
        name = schema_name(resource.group, resource.version, resource.kind)
        add_kind(name, _gvk(resource.group, resource.version, resource.kind))
        if resource.custom:
            custom[name] = resource
        if "list" in resource.verbs:
            list_name = schema_name(resource.group, resource.version, resource.list_kind)
            lists[list_name] = resource
            add_kind(list_name, _gvk(resource.group, resource.version, resource.list_kind))
        for sub in resource.subresource_infos():
            if sub.name in _SUBRESOURCE_PATHS or sub.verbs == ("create",):
                add_kind(
                    schema_name(sub.group, sub.version, sub.kind),
                    _gvk(sub.group, sub.version, sub.kind),
                )
    for group_version in {(r.group, r.version) for r in served}:
        add_kind(DELETE_OPTIONS, _gvk(*group_version, "DeleteOptions"))
    add_kind(STATUS, _gvk("", "v1", "Status"))

    out: JSON = {}
    for name in _closure([*kinds, OBJECT_META, LIST_META, DELETE_OPTIONS, STATUS]):
        out[name] = _expand_model(name, models[name], ref_prefix)
    for name, resource in custom.items():
        out[name] = _custom_schema(resource, ref_prefix)
    for name, resource in lists.items():
        out[name] = _list_schema(resource, ref_prefix)
    out[PATCH] = {"type": "object"}
    for name, gvks in kinds.items():
        if name in out:
            out[name]["x-kubernetes-group-version-kind"] = gvks
    return dict(sorted(out.items()))


# --- OpenAPI: paths ------------------------------------------------------------------------

_SUBRESOURCE_PATHS = ("status", "scale", "approval", "ephemeralcontainers", "resize")

_LIST_PARAMS = (
    ("allowWatchBookmarks", "boolean"),
    ("continue", "string"),
    ("fieldSelector", "string"),
    ("labelSelector", "string"),
    ("limit", "integer"),
    ("resourceVersion", "string"),
    ("resourceVersionMatch", "string"),
    ("sendInitialEvents", "boolean"),
    ("timeoutSeconds", "integer"),
    ("watch", "boolean"),
)
_WRITE_PARAMS = (("dryRun", "string"), ("fieldManager", "string"), ("fieldValidation", "string"))
_PATCH_PARAMS = (*_WRITE_PARAMS, ("force", "boolean"))
_DELETE_PARAMS = (
    ("dryRun", "string"),
    ("gracePeriodSeconds", "integer"),
    ("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean"),
    ("orphanDependents", "boolean"),
    ("propagationPolicy", "string"),
)


def _operation_group(group: str) -> str:
    if not group:
        return "Core"
    trimmed = group.removesuffix(".k8s.io")
    return "".join(part[:1].upper() + part[1:] for part in trimmed.replace("-", ".").split("."))


class _PathBuilder:
    """Builds the operations of one group/version, in OpenAPI v3 or Swagger 2.0 form."""

    def __init__(self, v3: bool) -> None:
        self.v3 = v3
        self.ref_prefix = "#/components/schemas/" if v3 else "#/definitions/"
        self.paths: dict[str, JSON] = {}

    def ref(self, name: str) -> JSON:
        return {"$ref": self.ref_prefix + name}

    def param(self, name: str, kind: str, where: str = "query") -> JSON:
        out: JSON = {"name": name, "in": where}
        if where == "path":
            out["required"] = True
        else:
            out["uniqueItems"] = True
        if self.v3:
            out["schema"] = {"type": kind}
        else:
            out["type"] = kind
        return out

    def body(self, schema: str, content_types: Sequence[str] = ("*/*",)) -> JSON:
        if self.v3:
            return {
                "requestBody": {
                    "required": True,
                    "content": {ct: {"schema": self.ref(schema)} for ct in content_types},
                }
            }
        return {
            "parameters": [
                {"name": "body", "in": "body", "required": True, "schema": self.ref(schema)}
            ],
            "consumes": list(content_types),
        }

    def responses(self, schema: str, codes: Sequence[str]) -> JSON:
        out: JSON = {}
        for code in codes:
            if self.v3:
                content = {ct: {"schema": self.ref(schema)} for ct in RESPONSE_TYPES}
                out[code] = {"description": _CODE_TEXT[code], "content": content}
            else:
                out[code] = {"description": _CODE_TEXT[code], "schema": self.ref(schema)}
        out["401"] = {"description": "Unauthorized"}
        return out

    def operation(
        self,
        path: str,
        method: str,
        *,
        operation_id: str,
        action: str,
        gvk: JSON,
        params: Sequence[tuple[str, str]] = (),
        body: JSON | None = None,
        response: str,
        codes: Sequence[str] = ("200",),
        tag: str,
    ) -> None:
        op: JSON = {"tags": [tag], "operationId": operation_id}
        parameters = [self.param(name, kind) for name, kind in params]
        if body:
            parameters = list(body.get("parameters", [])) + parameters
            if "requestBody" in body:
                op["requestBody"] = body["requestBody"]
            if "consumes" in body:
                op["consumes"] = body["consumes"]
        if parameters:
            op["parameters"] = parameters
        op["responses"] = self.responses(response, codes)
        if not self.v3:
            op["produces"] = list(RESPONSE_TYPES)
            op["schemes"] = ["https"]
            op.setdefault("consumes", ["*/*"])
        op["x-kubernetes-action"] = action
        op["x-kubernetes-group-version-kind"] = gvk
        item = self.paths.setdefault(path, {})
        item[method] = op

    def path_parameters(self, path: str) -> None:
        item = self.paths.get(path)
        if item is None:
            return
        params = []
        if "{name}" in path:
            params.append(self.param("name", "string", "path"))
        if "{namespace}" in path:
            params.append(self.param("namespace", "string", "path"))
        params.append(self.param("pretty", "string"))
        item["parameters"] = params

    def add_resource(self, resource: Resource) -> None:
        group, version, kind = resource.group, resource.version, resource.kind
        root = f"/apis/{group}/{version}" if group else f"/api/{version}"
        tag = f"{_operation_group(group).lower()}_{version}"
        op_prefix = f"{_operation_group(group)}{version.capitalize()}"
        scoped = "Namespaced" if resource.namespaced else ""
        collection = (
            f"{root}/namespaces/{{namespace}}/{resource.plural}"
            if resource.namespaced
            else f"{root}/{resource.plural}"
        )
        item = f"{collection}/{{name}}"
        own = schema_name(group, version, kind)
        list_schema = schema_name(group, version, resource.list_kind)
        gvk = _gvk(group, version, kind)
        verbs = set(resource.verbs)
        patch_types = PATCH_TYPES_CUSTOM if resource.custom else PATCH_TYPES_BUILTIN

        def op(path: str, method: str, verb: str, action: str, **kw: Any) -> None:
            self.operation(
                path,
                method,
                operation_id=f"{verb}{op_prefix}{kw.pop('scope', scoped)}{kw.pop('name', kind)}",
                action=action,
                gvk=kw.pop("gvk", gvk),
                tag=tag,
                **kw,
            )

        if "list" in verbs:
            op(collection, "get", "list", "list", params=_LIST_PARAMS, response=list_schema)
            if resource.namespaced:
                op(
                    f"{root}/{resource.plural}",
                    "get",
                    "list",
                    "list",
                    scope="",
                    name=f"{kind}ForAllNamespaces",
                    params=_LIST_PARAMS,
                    response=list_schema,
                )
        if "create" in verbs:
            op(
                collection,
                "post",
                "create",
                "post",
                params=_WRITE_PARAMS,
                body=self.body(own),
                response=own,
                codes=("200", "201", "202"),
            )
        if "deletecollection" in verbs:
            op(
                collection,
                "delete",
                "delete",
                "deletecollection",
                scope=f"Collection{scoped}",
                params=(*_LIST_PARAMS, *_DELETE_PARAMS),
                body=self.body(DELETE_OPTIONS),
                response=STATUS,
            )
        if "get" in verbs:
            op(item, "get", "read", "get", response=own)
        if "update" in verbs:
            op(
                item,
                "put",
                "replace",
                "put",
                params=_WRITE_PARAMS,
                body=self.body(own),
                response=own,
                codes=("200", "201"),
            )
        if "patch" in verbs:
            op(
                item,
                "patch",
                "patch",
                "patch",
                params=_PATCH_PARAMS,
                body=self.body(PATCH, patch_types),
                response=own,
                codes=("200", "201"),
            )
        if "delete" in verbs:
            op(
                item,
                "delete",
                "delete",
                "delete",
                params=_DELETE_PARAMS,
                body=self.body(DELETE_OPTIONS),
                response=STATUS,
                codes=("200", "202"),
            )
        for sub in resource.subresource_infos():
            self._add_subresource(resource, sub, item, op, patch_types)
        for path in (collection, item, f"{root}/{resource.plural}"):
            self.path_parameters(path)
        for sub_name in resource.subresources:
            self.path_parameters(f"{item}/{sub_name}")

    def _add_subresource(
        self,
        resource: Resource,
        sub: Subresource,
        item: str,
        op: Any,
        patch_types: Sequence[str],
    ) -> None:
        path = f"{item}/{sub.name}"
        sub_schema = schema_name(sub.group, sub.version, sub.kind)
        sub_gvk = _gvk(sub.group, sub.version, sub.kind)
        suffix = f"{resource.kind}{sub.name[:1].upper()}{sub.name[1:]}"
        if sub.name in _SUBRESOURCE_PATHS:
            if "get" in sub.verbs:
                op(path, "get", "read", "get", name=suffix, gvk=sub_gvk, response=sub_schema)
            if "update" in sub.verbs:
                op(
                    path,
                    "put",
                    "replace",
                    "put",
                    name=suffix,
                    gvk=sub_gvk,
                    params=_WRITE_PARAMS,
                    body=self.body(sub_schema),
                    response=sub_schema,
                    codes=("200", "201"),
                )
            if "patch" in sub.verbs:
                op(
                    path,
                    "patch",
                    "patch",
                    "patch",
                    name=suffix,
                    gvk=sub_gvk,
                    params=_PATCH_PARAMS,
                    body=self.body(PATCH, patch_types),
                    response=sub_schema,
                    codes=("200", "201"),
                )
        elif sub.verbs == ("create",):
            op(
                path,
                "post",
                "create",
                "post",
                name=suffix,
                gvk=sub_gvk,
                params=_WRITE_PARAMS,
                body=self.body(sub_schema),
                response=sub_schema,
                codes=("200", "201", "202"),
            )


_CODE_TEXT = {"200": "OK", "201": "Created", "202": "Accepted"}


# --- OpenAPI: documents --------------------------------------------------------------------


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_hash(resources: Iterable[Resource], group: str, version: str) -> str:
    """The `hash` of one group/version's OpenAPI v3 document, without building it."""
    digest = hashlib.sha512()
    digest.update(f"{_DOCUMENT_REVISION}:{_schemas_stamp()}".encode())
    for resource in _top_level(resources, group, version):
        digest.update(repr(resource).encode())
        digest.update(json.dumps(resource.openapi_schema, sort_keys=True, default=str).encode())
    return digest.hexdigest().upper()


def openapi_v3_root(resources: Iterable[Resource], prefix: str = "") -> JSON:
    """`/openapi/v3`: where each group/version's document is.

    `prefix` is the path our API server is reached at (`/k8s/<cluster-id>`), and it is part
    of each `serverRelativeURL`, which is then truly relative to the server's root. client-go
    copes with both forms (k8s.io/client-go/openapi/client.go, PathsWithContext, lines
    115-126: it trims its own base path, `/k8s/<cluster-id>`, off the front of the URL, and
    if what is left starts with `/openapi/v3` it adds its base path back when fetching,
    groupversion.go lines 90-117), but a client that simply joins the URL to the server's
    origin only finds the document when the prefix is included.
    """
    base = "/" + prefix.strip("/") if prefix.strip("/") else ""
    served = list(resources)
    paths: JSON = {}
    for group_name, versions in group_versions(served).items():
        for version in versions:
            key = _gv_path(group_name, version)
            digest = openapi_v3_hash(served, group_name, version)
            paths[key] = {"serverRelativeURL": f"{base}/openapi/v3/{key}?hash={digest}"}
    return {"paths": dict(sorted(paths.items()))}


_BEARER = {
    "BearerToken": {
        "type": "apiKey",
        "description": "Bearer token",
        "name": "authorization",
        "in": "header",
    }
}


def openapi_v3_group(resources: Iterable[Resource], group: str, version: str) -> JSON | None:
    """`/openapi/v3/api/v1` or `/openapi/v3/apis/<group>/<version>`, or None if not served.

    Custom resources carry their CRD's `openAPIV3Schema` (`Resource.openapi_schema`).
    """
    served = _top_level(resources, group, version)
    if not served:
        return None
    builder = _PathBuilder(v3=True)
    for resource in served:
        builder.add_resource(resource)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": dict(sorted(builder.paths.items())),
        "components": {
            "schemas": _schemas(served, builder.ref_prefix),
            "securitySchemes": copy.deepcopy(_BEARER),
        },
        "security": [{"BearerToken": []}],
    }


def openapi_v2(resources: Iterable[Resource]) -> JSON:
    """`/openapi/v2`: one Swagger 2.0 document of every type served.

    client-go asks for it as protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+
    protobuf`); this JSON form is for clients that ask for `application/json`.
    """
    served = sorted(resources, key=lambda r: (r.group, r.version, r.plural))
    builder = _PathBuilder(v3=False)
    for resource in served:
        builder.add_resource(resource)
    return {
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": dict(sorted(builder.paths.items())),
        "definitions": _schemas(served, builder.ref_prefix),
        "securityDefinitions": copy.deepcopy(_BEARER),
        "security": [{"BearerToken": []}],
    }
