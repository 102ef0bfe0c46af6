"""The Kubernetes resource types this API server serves: names, scopes, verbs, subresources.

`BUILTIN` lists the built-in types of a current kube-apiserver (1.33 and later) that LocalOcean
serves; `resource_from_crd` turns a CustomResourceDefinition object into the types it adds.
Everything here is plain data: no I/O, nothing imported beyond the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
"""The verbs of an ordinary stored type."""

NO_COLLECTION_DELETE: tuple[str, ...] = (
    "create",
    "delete",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)
CREATE_ONLY: tuple[str, ...] = ("create",)
STATUS_VERBS: tuple[str, ...] = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    """One subresource of a type, as discovery shows it (`deployments/scale`)."""

    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class Resource:
    """One resource type at one group/version (`apps/v1 deployments`)."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[str, ...] = ()
    list_kind_name: str = ""
    """The list kind when it is not `<Kind>List` (a CRD may name its own)."""
    custom: bool = False
    """True for a type defined by a CustomResourceDefinition (no strategic merge patch)."""
    openapi_schema: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    """The CRD's `openAPIV3Schema` for this version, when it has one."""
    scale_paths: Mapping[str, str] | None = field(default=None, compare=False, hash=False)
    """A CRD's scale subresource (specReplicasPath, statusReplicasPath, labelSelectorPath)."""

    @property
    def list_kind(self) -> str:
        return self.list_kind_name or f"{self.kind}List"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> tuple[str, str]:
        return (self.group, self.version)

    def subresource(self, name: str) -> Subresource | None:
        """The group, version, kind and verbs of one of this type's subresources."""
        if name not in self.subresources:
            return None
        return _subresource_info(self, name)

    def subresource_infos(self) -> list[Subresource]:
        return [_subresource_info(self, name) for name in self.subresources]


# Subresources whose answer is not the parent's kind, or whose verbs are not get/patch/update.
# Keyed by (plural, subresource); "status" and "scale" are handled for every type below.
_SUBRESOURCES: dict[tuple[str, str], tuple[str, str, str, tuple[str, ...]]] = {
    ("pods", "attach"): ("", "v1", "PodAttachOptions", ("create", "get")),
    ("pods", "binding"): ("", "v1", "Binding", ("create",)),
    ("pods", "ephemeralcontainers"): ("", "v1", "Pod", STATUS_VERBS),
    ("pods", "eviction"): ("policy", "v1", "Eviction", ("create",)),
    ("pods", "exec"): ("", "v1", "PodExecOptions", ("create", "get")),
    ("pods", "log"): ("", "v1", "Pod", ("get",)),
    ("pods", "portforward"): ("", "v1", "PodPortForwardOptions", ("create", "get")),
    ("pods", "proxy"): (
        "",
        "v1",
        "PodProxyOptions",
        ("create", "delete", "get", "patch", "update"),
    ),
    ("pods", "resize"): ("", "v1", "Pod", STATUS_VERBS),
    ("nodes", "proxy"): (
        "",
        "v1",
        "NodeProxyOptions",
        ("create", "delete", "get", "patch", "update"),
    ),
    ("services", "proxy"): (
        "",
        "v1",
        "ServiceProxyOptions",
        ("create", "delete", "get", "patch", "update"),
    ),
    ("serviceaccounts", "token"): ("authentication.k8s.io", "v1", "TokenRequest", ("create",)),
    ("namespaces", "finalize"): ("", "v1", "Namespace", ("update",)),
    ("certificatesigningrequests", "approval"): (
        "certificates.k8s.io",
        "v1",
        "CertificateSigningRequest",
        STATUS_VERBS,
    ),
}


def _subresource_info(resource: Resource, name: str) -> Subresource:
    if name == "scale":
        return Subresource(name, "autoscaling", "v1", "Scale", STATUS_VERBS)
    known = _SUBRESOURCES.get((resource.plural, name))
    if known is not None:
        group, version, kind, verbs = known
        return Subresource(name, group, version, kind, verbs)
    return Subresource(name, resource.group, resource.version, resource.kind, STATUS_VERBS)


def _r(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    verbs: tuple[str, ...] = ALL_VERBS,
    sub: tuple[str, ...] = (),
) -> Resource:
    return Resource(
        group=group,
        version=version,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        verbs=verbs,
        subresources=sub,
    )


_ALL = ("all",)
_EXT = ("api-extensions",)
_NS = True
_CLUSTER = False

BUILTIN: tuple[Resource, ...] = (
    # core/v1
    _r("", "v1", "Binding", "bindings", _NS, verbs=CREATE_ONLY),
    _r("", "v1", "ComponentStatus", "componentstatuses", _CLUSTER, ("cs",), verbs=("get", "list")),
    _r("", "v1", "ConfigMap", "configmaps", _NS, ("cm",)),
    _r("", "v1", "Endpoints", "endpoints", _NS, ("ep",)),
    _r("", "v1", "Event", "events", _NS, ("ev",)),
    _r("", "v1", "LimitRange", "limitranges", _NS, ("limits",)),
    _r(
        "",
        "v1",
        "Namespace",
        "namespaces",
        _CLUSTER,
        ("ns",),
        verbs=NO_COLLECTION_DELETE,
        sub=("finalize", "status"),
    ),
    _r("", "v1", "Node", "nodes", _CLUSTER, ("no",), sub=("proxy", "status")),
    _r("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", _NS, ("pvc",), sub=("status",)),
    _r("", "v1", "PersistentVolume", "persistentvolumes", _CLUSTER, ("pv",), sub=("status",)),
    _r(
        "",
        "v1",
        "Pod",
        "pods",
        _NS,
        ("po",),
        _ALL,
        sub=(
            "attach",
            "binding",
            "ephemeralcontainers",
            "eviction",
            "exec",
            "log",
            "portforward",
            "proxy",
            "resize",
            "status",
        ),
    ),
    _r("", "v1", "PodTemplate", "podtemplates", _NS),
    _r(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        _NS,
        ("rc",),
        _ALL,
        sub=("scale", "status"),
    ),
    _r("", "v1", "ResourceQuota", "resourcequotas", _NS, ("quota",), sub=("status",)),
    _r("", "v1", "Secret", "secrets", _NS),
    _r("", "v1", "ServiceAccount", "serviceaccounts", _NS, ("sa",), sub=("token",)),
    _r(
        "",
        "v1",
        "Service",
        "services",
        _NS,
        ("svc",),
        _ALL,
        sub=("proxy", "status"),
    ),
    # apps/v1
    _r("apps", "v1", "ControllerRevision", "controllerrevisions", _NS),
    _r("apps", "v1", "DaemonSet", "daemonsets", _NS, ("ds",), _ALL, sub=("status",)),
    _r("apps", "v1", "Deployment", "deployments", _NS, ("deploy",), _ALL, sub=("scale", "status")),
    _r("apps", "v1", "ReplicaSet", "replicasets", _NS, ("rs",), _ALL, sub=("scale", "status")),
    _r("apps", "v1", "StatefulSet", "statefulsets", _NS, ("sts",), _ALL, sub=("scale", "status")),
    # batch/v1
    _r("batch", "v1", "CronJob", "cronjobs", _NS, ("cj",), _ALL, sub=("status",)),
    _r("batch", "v1", "Job", "jobs", _NS, (), _ALL, sub=("status",)),
    # autoscaling
    _r(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        _NS,
        ("hpa",),
        _ALL,
        sub=("status",),
    ),
    _r(
        "autoscaling",
        "v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        _NS,
        ("hpa",),
        _ALL,
        sub=("status",),
    ),
    # discovery, events
    _r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", _NS),
    _r("events.k8s.io", "v1", "Event", "events", _NS, ("ev",)),
    # networking
    _r("networking.k8s.io", "v1", "IngressClass", "ingressclasses", _CLUSTER),
    _r("networking.k8s.io", "v1", "Ingress", "ingresses", _NS, ("ing",), sub=("status",)),
    _r("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", _NS, ("netpol",)),
    # rbac
    _r("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", _CLUSTER),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", _CLUSTER),
    _r("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", _NS),
    _r("rbac.authorization.k8s.io", "v1", "Role", "roles", _NS),
    # storage
    _r("storage.k8s.io", "v1", "CSIDriver", "csidrivers", _CLUSTER),
    _r("storage.k8s.io", "v1", "CSINode", "csinodes", _CLUSTER),
    _r("storage.k8s.io", "v1", "StorageClass", "storageclasses", _CLUSTER, ("sc",)),
    _r(
        "storage.k8s.io",
        "v1",
        "VolumeAttachment",
        "volumeattachments",
        _CLUSTER,
        sub=("status",),
    ),
    # coordination, scheduling, policy, node
    _r("coordination.k8s.io", "v1", "Lease", "leases", _NS),
    _r("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", _CLUSTER, ("pc",)),
    _r(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        _NS,
        ("pdb",),
        sub=("status",),
    ),
    _r("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", _CLUSTER),
    # extension points
    _r(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        _CLUSTER,
        ("crd", "crds"),
        _EXT,
        sub=("status",),
    ),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        _CLUSTER,
        (),
        _EXT,
    ),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        _CLUSTER,
        (),
        _EXT,
    ),
    _r(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        _CLUSTER,
        (),
        _EXT,
        sub=("status",),
    ),
    # certificates, flow control
    _r(
        "certificates.k8s.io",
        "v1",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        _CLUSTER,
        ("csr",),
        sub=("approval", "status"),
    ),
    _r(
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "FlowSchema",
        "flowschemas",
        _CLUSTER,
        sub=("status",),
    ),
    _r(
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
        _CLUSTER,
        sub=("status",),
    ),
    # reviews: create only, never stored
    _r(
        "authentication.k8s.io",
        "v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        _CLUSTER,
        verbs=CREATE_ONLY,
    ),
    _r("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", _CLUSTER, verbs=CREATE_ONLY),
    _r(
        "authorization.k8s.io",
        "v1",
        "LocalSubjectAccessReview",
        "localsubjectaccessreviews",
        _NS,
        verbs=CREATE_ONLY,
    ),
    _r(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        _CLUSTER,
        verbs=CREATE_ONLY,
    ),
    _r(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        _CLUSTER,
        verbs=CREATE_ONLY,
    ),
    _r(
        "authorization.k8s.io",
        "v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        _CLUSTER,
        verbs=CREATE_ONLY,
    ),
)

# The order kube-apiserver lists its groups in (its group priorities); others follow by name.
GROUP_ORDER: tuple[str, ...] = (
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
)

# Where kube-apiserver's OpenAPI documents name the types of each built-in group.
GROUP_PACKAGES: dict[str, str] = {
    "": "io.k8s.api.core",
    "admissionregistration.k8s.io": "io.k8s.api.admissionregistration",
    "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
    "apiregistration.k8s.io": "io.k8s.kube-aggregator.pkg.apis.apiregistration",
    "apps": "io.k8s.api.apps",
    "authentication.k8s.io": "io.k8s.api.authentication",
    "authorization.k8s.io": "io.k8s.api.authorization",
    "autoscaling": "io.k8s.api.autoscaling",
    "batch": "io.k8s.api.batch",
    "certificates.k8s.io": "io.k8s.api.certificates",
    "coordination.k8s.io": "io.k8s.api.coordination",
    "discovery.k8s.io": "io.k8s.api.discovery",
    "events.k8s.io": "io.k8s.api.events",
    "flowcontrol.apiserver.k8s.io": "io.k8s.api.flowcontrol",
    "networking.k8s.io": "io.k8s.api.networking",
    "node.k8s.io": "io.k8s.api.node",
    "policy": "io.k8s.api.policy",
    "rbac.authorization.k8s.io": "io.k8s.api.rbac",
    "scheduling.k8s.io": "io.k8s.api.scheduling",
    "storage.k8s.io": "io.k8s.api.storage",
}
META_PACKAGE = "io.k8s.apimachinery.pkg.apis.meta.v1"


def schema_name(group: str, version: str, kind: str) -> str:
    """The OpenAPI definition name of a kind: `io.k8s.api.apps.v1.Deployment`.

    Custom groups are named as kube-apiserver names them, by the reversed group:
    `com.example.v1.Widget` for `example.com/v1 Widget`.
    """
    package = GROUP_PACKAGES.get(group)
    if package is None:
        package = ".".join(reversed(group.split("."))) if group else "io.k8s.api.core"
    return f"{package}.{version}.{kind}"


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """A sort key putting versions in Kubernetes' order: GA, then beta, then alpha, newest first.

    Versions that do not look like Kubernetes versions (`v1`, `v2beta1`) sort last, by name.
    """
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major = int(match.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, -major, -minor, version)


def group_versions(resources: Iterable[Resource]) -> dict[str, list[str]]:
    """Each group's versions, preferred first."""
    found: dict[str, set[str]] = {}
    for resource in resources:
        found.setdefault(resource.group, set()).add(resource.version)
    return {
        group: sorted(versions, key=version_priority)
        for group, versions in sorted(found.items(), key=lambda item: _group_key(item[0]))
    }


def _group_key(group: str) -> tuple[int, str]:
    try:
        return (GROUP_ORDER.index(group), group)
    except ValueError:
        return (len(GROUP_ORDER), group)


def preferred_versions(resources: Iterable[Resource]) -> dict[str, str]:
    """Each group's preferred version (`{"autoscaling": "v2", "": "v1", ...}`)."""
    return {group: versions[0] for group, versions in group_versions(resources).items()}


def find(resources: Iterable[Resource], group: str, version: str, plural: str) -> Resource | None:
    """The type served at `group/version/plural`, or None."""
    for resource in resources:
        if resource.group == group and resource.version == version and resource.plural == plural:
            return resource
    return None


def find_kind(
    resources: Iterable[Resource], group: str, version: str, kind: str
) -> Resource | None:
    """The type of `kind` at `group/version`, or None."""
    for resource in resources:
        if resource.group == group and resource.version == version and resource.kind == kind:
            return resource
    return None


def in_group_version(resources: Iterable[Resource], group: str, version: str) -> list[Resource]:
    return [r for r in resources if r.group == group and r.version == version]


def resource_from_crd(crd: Mapping[str, Any]) -> list[Resource]:
    """The types a CustomResourceDefinition object adds: one per served version."""
    spec = crd.get("spec") or {}
    group = str(spec.get("group") or "")
    names = spec.get("names") or {}
    kind = str(names.get("kind") or "")
    plural = str(names.get("plural") or "")
    if not group or not kind or not plural:
        return []
    singular = str(names.get("singular") or kind.lower())
    list_kind = str(names.get("listKind") or "")
    if list_kind == f"{kind}List":
        list_kind = ""
    namespaced = spec.get("scope", "Namespaced") != "Cluster"
    short_names = tuple(str(n) for n in names.get("shortNames") or ())
    categories = tuple(str(c) for c in names.get("categories") or ())
    top_schema = (spec.get("validation") or {}).get("openAPIV3Schema")
    top_subresources = spec.get("subresources")
    out: list[Resource] = []
    for entry in spec.get("versions") or ():
        if not entry.get("served", True) or not entry.get("name"):
            continue
        subresources_spec = entry.get("subresources") or top_subresources or {}
        subresources: list[str] = []
        if "scale" in subresources_spec:
            subresources.append("scale")
        if "status" in subresources_spec:
            subresources.append("status")
        schema = (entry.get("schema") or {}).get("openAPIV3Schema") or top_schema
        scale = subresources_spec.get("scale")
        out.append(
            Resource(
                group=group,
                version=str(entry["name"]),
                kind=kind,
                plural=plural,
                singular=singular,
                namespaced=namespaced,
                short_names=short_names,
                categories=categories,
                verbs=ALL_VERBS,
                subresources=tuple(subresources),
                list_kind_name=list_kind,
                custom=True,
                openapi_schema=schema if isinstance(schema, Mapping) else None,
                scale_paths=scale if isinstance(scale, Mapping) else None,
            )
        )
    return out
