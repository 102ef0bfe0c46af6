"""The API machinery: one cluster's objects created, read, updated, patched, applied and deleted
with Kubernetes' rules (names, uids, resource versions, generations, finalizers, owners and
garbage collection). Controllers (`controllers.py`) use the same calls, so every change they make
is versioned and seen by watches."""

from __future__ import annotations

import copy
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from time import gmtime, strftime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row

from localocean.areas.kubeapi import defaults, store, validation
from localocean.areas.kubeapi.catalog import BUILTIN, Resource, resource_from_crd
from localocean.areas.kubeapi.errors import (
    KubeError,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    not_found,
)

if TYPE_CHECKING:
    from localocean.core.lifecycle import Lifecycle

Obj = dict[str, Any]

CRD_GROUP, CRD_RESOURCE = "apiextensions.k8s.io", "customresourcedefinitions"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
# Kinds whose names are DNS labels (63 characters, no dots) rather than subdomains.
_LABEL_NAMED = {("", "namespaces")}
_DNS1035_NAMED = {("", "services")}


def timestamp(now: float) -> str:
    """metav1.Time: RFC 3339 to the second, UTC."""
    return strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(now))


def random_suffix(length: int = 5) -> str:
    return "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(length))


@dataclass
class Change:
    resource: Resource
    type: str  # ADDED, MODIFIED, DELETED
    obj: Obj


@dataclass
class Kube:
    """One cluster's API in one transaction."""

    connection: Connection
    cluster: Row[Any]
    lifecycle: Lifecycle
    now: float
    changes: list[Change] = field(default_factory=list)
    # Pods bound (and run-to-completion pods started) in this transaction, for their kubelets.
    starting: list[dict[str, str]] = field(default_factory=list)
    finishing: list[dict[str, str]] = field(default_factory=list)
    # Owners whose controllers go on later (controllers work in bursts), and when this
    # transaction's work began (monotonic seconds).
    made_later: set[str] = field(default_factory=set)
    resyncs: list[dict[str, str]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    # The request's fieldValidation, and the warnings its objects earned (unknown fields).
    validation: str = "Warn"
    warnings: list[str] = field(default_factory=list)
    _resources: list[Resource] | None = None

    @property
    def cluster_id(self) -> str:
        return str(self.cluster.id)

    @property
    def stamp(self) -> str:
        return timestamp(self.now)

    # What the API serves

    def resources(self) -> list[Resource]:
        if self._resources is None:
            served = list(BUILTIN)
            for crd in store.list_objects(
                self.connection, self.cluster_id, CRD_GROUP, CRD_RESOURCE, None
            ):
                if _established(crd):
                    served.extend(resource_from_crd(crd))
            self._resources = served
        return self._resources

    def forget_resources(self) -> None:
        self._resources = None

    def resource(self, group: str, version: str, plural: str) -> Resource | None:
        for resource in self.resources():
            if (resource.group, resource.version, resource.plural) == (group, version, plural):
                return resource
        return None

    def resource_of(self, group: str, plural: str) -> Resource | None:
        """The resource whatever its version (objects are stored once per group/resource)."""
        for resource in self.resources():
            if (resource.group, resource.plural) == (group, plural):
                return resource
        return None

    def kind(self, api_version: str, kind: str) -> Resource | None:
        group, _, version = api_version.rpartition("/")
        for resource in self.resources():
            if (resource.group, resource.version, resource.kind) == (group, version, kind):
                return resource
        return None

    def crd_of(self, resource: Resource) -> Obj | None:
        """The CustomResourceDefinition a custom resource comes from."""
        if not resource.custom:
            return None
        return self.get_object(CRD_GROUP, CRD_RESOURCE, "", f"{resource.plural}.{resource.group}")

    # Reading

    def get_object(self, group: str, plural: str, namespace: str, name: str) -> Obj | None:
        return store.get(self.connection, self.cluster_id, group, plural, namespace, name)

    def get(self, resource: Resource, namespace: str, name: str) -> Obj | None:
        return self.get_object(resource.group, resource.plural, namespace, name)

    def require(self, resource: Resource, namespace: str, name: str) -> Obj:
        found = self.get(resource, namespace, name)
        if found is None:
            raise not_found(resource.plural, resource.group, name)
        return found

    def list(self, resource: Resource, namespace: str | None) -> list[Obj]:
        return store.list_objects(
            self.connection, self.cluster_id, resource.group, resource.plural, namespace
        )

    # Writing: every write is versioned, logged for watches and queued for the controllers.

    def _shape(self, resource: Resource, obj: Obj) -> Obj:
        version = resource.version
        obj["apiVersion"] = f"{resource.group}/{version}" if resource.group else version
        obj["kind"] = resource.kind
        return obj

    def insert(self, resource: Resource, obj: Obj) -> Obj:
        """Store a new object as it is (controllers and bootstrap; `create` checks first)."""
        metadata = obj.setdefault("metadata", {})
        metadata.setdefault("uid", str(uuid.uuid4()))
        metadata.setdefault("creationTimestamp", self.stamp)
        # kube-apiserver keeps a generation for objects with a spec, except most core kinds.
        if resource.custom or ("spec" in obj and (resource.group != "" or resource.kind == "Pod")):
            metadata.setdefault("generation", 1)
        if not resource.namespaced:
            metadata.pop("namespace", None)
        defaults.apply(resource.group, resource.plural, obj)
        self._shape(resource, obj)
        stored = store.insert(
            self.connection, self.cluster_id, resource.group, resource.plural, obj, self.now
        )
        self.changes.append(Change(resource, "ADDED", stored))
        if (resource.group, resource.plural) == (CRD_GROUP, CRD_RESOURCE):
            self.forget_resources()
        return stored

    def save(self, resource: Resource, obj: Obj) -> Obj:
        """Store a changed object (its resourceVersion moves on)."""
        self._shape(resource, obj)
        metadata = obj["metadata"]
        # A namespace being deleted waits for its contents (its finalizer is in its spec).
        if (
            metadata.get("deletionTimestamp")
            and not metadata.get("finalizers")
            and resource.kind != "Namespace"
        ):
            return self.remove(resource, obj)
        stored = store.replace(
            self.connection, self.cluster_id, resource.group, resource.plural, obj, self.now
        )
        self.changes.append(Change(resource, "MODIFIED", stored))
        if (resource.group, resource.plural) == (CRD_GROUP, CRD_RESOURCE):
            self.forget_resources()
        return stored

    def remove(self, resource: Resource, obj: Obj, propagation: str = "Background") -> Obj:
        """Delete an object now, and what it owns (background) or not (orphan)."""
        self._shape(resource, obj)
        gone = store.remove(
            self.connection, self.cluster_id, resource.group, resource.plural, obj, self.now
        )
        self.changes.append(Change(resource, "DELETED", gone))
        if (resource.group, resource.plural) == (CRD_GROUP, CRD_RESOURCE):
            self._remove_custom_objects(gone)
            self.forget_resources()
        self._collect(gone["metadata"]["uid"], propagation)
        return gone

    def _collect(self, owner_uid: str, propagation: str) -> None:
        for row in store.dependents(self.connection, self.cluster_id, owner_uid):
            resource = self.resource_of(row.api_group, row.resource)
            if resource is None:
                continue
            dependent = row.body
            if propagation == "Orphan":
                refs = [
                    ref
                    for ref in dependent["metadata"].get("ownerReferences") or []
                    if ref.get("uid") != owner_uid
                ]
                dependent["metadata"]["ownerReferences"] = refs
                if not refs:
                    dependent["metadata"].pop("ownerReferences")
                self.save(resource, dependent)
            else:
                self.delete(resource, dependent, "Background")

    def _remove_custom_objects(self, crd: Obj) -> None:
        for resource in resource_from_crd(crd):
            for obj in self.list(resource, None):
                store.remove(
                    self.connection, self.cluster_id, resource.group, resource.plural, obj, self.now
                )
                self.changes.append(Change(resource, "DELETED", obj))
            break  # objects are stored once, whatever the version

    def delete(self, resource: Resource, obj: Obj, propagation: str = "Background") -> Obj:
        """Kubernetes' delete: with finalizers (or foreground propagation) the object is only
        marked (deletionTimestamp) and goes when the finalizers are removed."""
        metadata = obj["metadata"]
        finalizers = list(metadata.get("finalizers") or [])
        if (
            propagation == "Foreground"
            and store.dependents(self.connection, self.cluster_id, metadata["uid"])
            and "foregroundDeletion" not in finalizers
        ):
            finalizers.append("foregroundDeletion")
        if resource.kind == "Namespace":
            if metadata.get("deletionTimestamp"):
                return obj
            metadata["deletionTimestamp"] = self.stamp
            metadata["deletionGracePeriodSeconds"] = 0
            obj.setdefault("status", {})["phase"] = "Terminating"
            stored = self.save(resource, obj)
            from localocean.areas.kubeapi import controllers

            controllers.schedule_namespace_cleanup(self, metadata["name"])
            return stored
        if finalizers:
            if metadata.get("deletionTimestamp") and finalizers == metadata.get("finalizers"):
                return obj
            metadata["finalizers"] = finalizers
            metadata.setdefault("deletionTimestamp", self.stamp)
            metadata.setdefault("deletionGracePeriodSeconds", 0)
            return self.save(resource, obj)
        return self.remove(resource, obj, propagation)

    # The API verbs, with their checks

    def read_object(self, resource: Resource, obj: Any) -> Obj:
        """`obj` as the API server reads a request body (see decoding.py)."""
        from localocean.areas.kubeapi import decoding

        read, warnings = decoding.read(resource, obj, self.validation)
        self.warnings.extend(warnings)
        return read

    def create(self, resource: Resource, namespace: str, obj: Obj, manager: str) -> Obj:
        obj = self.read_object(resource, obj)
        self._check_type(resource, obj)
        metadata = obj.get("metadata")
        if not isinstance(metadata, dict):
            metadata = obj["metadata"] = {}
        if resource.namespaced:
            given = metadata.get("namespace")
            if given and given != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            metadata["namespace"] = namespace
            self._namespace_open(namespace)
        name = metadata.get("name")
        if not name and metadata.get("generateName"):
            name = metadata["name"] = f"{metadata['generateName']}{random_suffix()}"
        self._check_name(resource, obj, name)
        assert isinstance(name, str)  # _check_name refuses anything else
        if self.get(resource, namespace if resource.namespaced else "", name) is not None:
            raise already_exists(resource.plural, resource.group, name)
        for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
            metadata.pop(key, None)
        metadata.pop("managedFields", None)
        self._shape(resource, obj)
        self._validate(resource, obj)
        self._fill(resource, obj)
        from localocean.areas.kubeapi import patch

        obj = patch.record_update(None, obj, manager, resource.kind, obj["apiVersion"], self.stamp)
        return self.insert(resource, obj)

    def _namespace_open(self, namespace: str) -> None:
        found = self.get_object("", "namespaces", "", namespace)
        if found is None:
            raise not_found("namespaces", "", namespace)
        if found["metadata"].get("deletionTimestamp"):
            raise forbidden(
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated"
            )

    def _check_type(self, resource: Resource, obj: Obj) -> None:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        group, _, version = str(api_version or "").rpartition("/")
        if api_version and (
            (group, version) != (resource.group, resource.version)
            and self.resource(group, version, resource.plural) is None
        ):
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({resource.api_version})"
            )
        if api_version and kind and (group != resource.group or kind != resource.kind):
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({resource.api_version})"
                if group != resource.group
                else f'{kind} in version "{resource.version}" cannot be handled as a '
                f'{resource.kind}: no kind "{kind}" is registered'
            )

    def _check_name(self, resource: Resource, obj: Obj, name: Any) -> None:
        if not name:
            raise invalid(
                resource.kind,
                resource.group,
                "",
                [
                    (
                        "metadata.name",
                        "FieldValueRequired",
                        "Required value: name or generateName is required",
                    )
                ],
            )
        key = (resource.group, resource.plural)
        if key in _DNS1035_NAMED:
            pattern, limit, what = _DNS1035, 63, "a DNS-1035 label"
        elif key in _LABEL_NAMED:
            pattern, limit, what = _LABEL, 63, "a lowercase RFC 1123 label"
        else:
            pattern, limit, what = validation.SUBDOMAIN, 253, "a lowercase RFC 1123 subdomain"
        if resource.custom:
            pattern, limit, what = validation.SUBDOMAIN, 253, "a lowercase RFC 1123 subdomain"
        if not isinstance(name, str) or len(name) > limit or not pattern.match(name):
            raise invalid(
                resource.kind,
                resource.group,
                str(name),
                [
                    (
                        "metadata.name",
                        "FieldValueInvalid",
                        f'Invalid value: "{name}": {what} must consist of lower case '
                        "alphanumeric characters, '-' or '.', and must start and end with an "
                        "alphanumeric character",
                    )
                ],
            )

    def _validate(self, resource: Resource, obj: Obj) -> None:
        causes = validation.causes(resource, obj)
        if causes:
            raise invalid(resource.kind, resource.group, obj["metadata"].get("name", ""), causes)

    def _fill(self, resource: Resource, obj: Obj) -> None:
        """What the API server itself assigns on create: a service's cluster IP, a CRD's
        status."""
        from localocean.areas.kubeapi import controllers

        controllers.on_create(self, resource, obj)

    def update(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        obj: Obj,
        manager: str,
        subresource: str = "",
        *,
        current: Obj | None = None,
        check_version: bool = True,
        record: bool = True,
    ) -> Obj:
        """Replace an object (or its status); `record`: take ownership of the changed fields
        as an Update (server-side apply has recorded its own)."""
        obj = self.read_object(resource, obj)
        self._check_type(resource, obj)
        current = current if current is not None else self.require(resource, namespace, name)
        metadata = obj.setdefault("metadata", {})
        if metadata.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({metadata.get('name')}) does not match the name on "
                f"the URL ({name})"
            )
        if resource.namespaced and metadata.get("namespace") not in (None, "", namespace):
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        uid = metadata.get("uid")
        if uid and uid != current["metadata"]["uid"]:
            raise KubeError(
                409, "Conflict",
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{current['metadata']['uid']}",
            )  # fmt: skip
        wanted = metadata.get("resourceVersion")
        if check_version and wanted and wanted != current["metadata"]["resourceVersion"]:
            raise conflict(resource.plural, resource.group, name)
        previous = copy.deepcopy(current)
        has_status = "status" in resource.subresources
        if subresource == "status":
            merged = copy.deepcopy(current)
            merged["status"] = obj.get("status", {})
        elif subresource == "finalize":  # a namespace's spec.finalizers, nothing else
            merged = copy.deepcopy(current)
            merged.setdefault("spec", {})["finalizers"] = (obj.get("spec") or {}).get(
                "finalizers"
            ) or []
        else:
            merged = copy.deepcopy(obj)
            kept = current["metadata"]
            merged_meta = merged["metadata"]
            merged_meta["name"] = name
            for key in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
                if key in kept:
                    merged_meta[key] = kept[key]
                else:
                    merged_meta.pop(key, None)
            if resource.namespaced:
                merged_meta["namespace"] = namespace
            if has_status:
                if "status" in current:
                    merged["status"] = current["status"]
                else:
                    merged.pop("status", None)
            self._validate(resource, merged)
            defaults.apply(resource.group, resource.plural, merged)
            if merged.get("spec") != previous.get("spec") and "generation" in kept:
                merged_meta["generation"] = int(kept["generation"]) + 1
            controllers_keep(resource, previous, merged)
        self._shape(resource, merged)
        if merged == previous:
            return current  # nothing changed: no new version, as kube-apiserver does
        if record:
            from localocean.areas.kubeapi import patch

            merged = patch.record_update(
                previous, merged, manager, resource.kind, merged["apiVersion"], self.stamp
            )
        return self.save(resource, merged)


def controllers_keep(resource: Resource, previous: Obj, merged: Obj) -> None:
    """Fields the API server assigned and a client update may not take away (a service's
    cluster IP)."""
    if (resource.group, resource.plural) == ("", "services"):
        old_spec, new_spec = previous.get("spec", {}), merged.setdefault("spec", {})
        for key in ("clusterIP", "clusterIPs"):
            if key in old_spec and not new_spec.get(key):
                new_spec[key] = old_spec[key]
        if old_spec.get("clusterIP") and new_spec.get("clusterIP") != old_spec["clusterIP"]:
            raise invalid(
                "Service", "", previous["metadata"]["name"],
                [("spec.clusterIPs[0]", "FieldValueInvalid",
                  f'Invalid value: []string{{"{new_spec.get("clusterIP")}"}}: may not change '
                  "once set")],
            )  # fmt: skip
        old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
        for port in new_spec.get("ports") or []:
            if "nodePort" not in port and old_ports.get(port.get("port")):
                port["nodePort"] = old_ports[port.get("port")]


def _established(crd: Obj) -> bool:
    return not crd.get("metadata", {}).get("deletionTimestamp")


def owner_reference(owner: Obj, controller: bool = True) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def is_owned_by(obj: Obj, owner: Obj) -> bool:
    uid = owner["metadata"]["uid"]
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])


__all__ = ["Change", "Kube", "KubeError", "owner_reference", "timestamp"]
