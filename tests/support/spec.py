"""Check traffic against DigitalOcean's own OpenAPI spec: the one helper every test uses.

The spec is licensed data kept outside the repository: `$LOCALOCEAN_DO_SPEC`, else DigitalOcean's
complete spec, `../shared/spec/digitalocean-public.openapi.json` beside the checkout. It is read
once per test session; each schema validator is built on first use and kept, because the
complete spec has ~660 operations and a session exercises only a few dozen of them.
"""

from __future__ import annotations

import enum
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO.parent / "shared" / "spec" / "digitalocean-public.openapi.json"
SPEC_URI = "urn:digitalocean-spec"
NEWER_REGIONS = ["atl1"]
NEWER_DISTRIBUTIONS = ["AlmaLinux"]
# Marks a schema whose enum the spec itself says requests may go beyond (see the quirks).
OPEN_IN_REQUESTS = "x-localocean-open-in-requests"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The part of DigitalOcean's API that LocalOcean serves, by the spec's own tags. The complete
# spec documents every area; LocalOcean answers 501 for those it does not implement yet.
SERVED_TAGS = frozenset(
    {
        "Account",
        "Actions",
        "Block Storage",
        "Block Storage Actions",
        "Certificates",
        "Domain Records",
        "Domains",
        "Droplet Actions",
        "Droplets",
        "Firewalls",
        "Image Actions",
        "Images",
        "Floating IP Actions",
        "Floating IPs",
        "Kubernetes",
        "Load Balancers",
        "Project Resources",
        "Projects",
        "Regions",
        "Reserved IP Actions",
        "Reserved IPs",
        "Reserved IPv6",
        "Reserved IPv6 Actions",
        "Sizes",
        "Snapshots",
        "SSH Keys",
        "Tags",
        "VPCs",
    }
)
# Tagged VPCs but belonging to VPC peering, which LocalOcean has not built yet.
UNSERVED_OPERATIONS = frozenset(
    {"vpcs_list_peerings", "vpcs_create_peerings", "vpcs_patch_peerings"}
)
# A documented path answered for a method the spec does not list: legitimate only as these.
REFUSALS = frozenset({404, 405})
NOT_IMPLEMENTED = 501


def _request_enum(
    validator: Any, enums: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not schema.get(OPEN_IN_REQUESTS):
        yield from OAS30WriteValidator.VALIDATORS["enum"](validator, enums, instance, schema)


# Request bodies: read-only properties may not be sent, and marked enums are open.
RequestValidator = extend(OAS30WriteValidator, validators={"enum": _request_enum})


def spec_path() -> Path:
    return Path(os.environ.get("LOCALOCEAN_DO_SPEC") or DEFAULT_SPEC)


class Outcome(enum.Enum):
    """What `Spec.check` made of one exchange (failures raise AssertionError instead)."""

    VALIDATED = "validated"
    NOT_IMPLEMENTED = "not implemented"  # a documented operation LocalOcean answers with 501
    REFUSED = "refused"  # 404/405 for a method the spec does not list on a documented path
    NOT_DIGITALOCEAN = "not DigitalOcean's"  # e.g. /_localocean/..., /docs: nothing to check


@dataclass
class Tally:
    """What the checks covered, per operation (or per `METHOD template` for refusals)."""

    responses: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    not_implemented: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def operations(self) -> set[str]:
        return set(self.responses) | set(self.requests)

    def summary(self) -> str:
        return (
            f"spec check: {self.responses.total()} responses and {self.requests.total()} request"
            f" bodies validated over {len(self.operations)} operations;"
            f" {self.not_implemented.total()} answers not implemented (501) over"
            f" {len(self.not_implemented)} operations; {self.refused.total()} undocumented"
            f" methods refused (404/405); {self.seconds:.2f}s spent checking"
        )


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.spec["operationId"])

    def pointer(self, *parts: str) -> str:
        """A JSON pointer into the spec document, below this operation."""
        return _pointer("paths", self.template, self.method.lower(), *parts)


class Spec:
    def __init__(self, path: Path):
        started = time.perf_counter()
        self.document: dict[str, Any] = json.loads(path.read_text())
        self._work_around_quirks()
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        # (method, compiled template, template, operation): kept in this shape for tests that
        # walk every operation (test_scopes).
        self.operations: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in self.document["paths"].items():
            pattern = _template_pattern(template)
            for method in METHODS:
                operation = item.get(method)
                if isinstance(operation, dict) and "responses" in operation:
                    self.operations.append((method.upper(), pattern, template, operation))
        # Literal paths win over templated ones (/v2/kubernetes/options vs .../{cluster_id}).
        self.operations.sort(key=lambda op: op[2].count("{"))
        # Matching a request scans only the templates that share its first two segments.
        self._by_prefix: dict[str, list[tuple[str, re.Pattern[str], str, dict[str, Any]]]] = {}
        for entry in self.operations:
            self._by_prefix.setdefault(_prefix(entry[2]), []).append(entry)
        self._validators: dict[tuple[str, ...], Validator] = {}
        self.load_seconds = time.perf_counter() - started
        self.tally = Tally()

    def _work_around_quirks(self) -> None:
        schemas = self.document["components"]["schemas"]
        # Spec quirk 19 (reference.md): `region_slug` is a closed enum that predates regions the
        # API serves today; the real API lists images in them, so they are allowed here too.
        region_slug = schemas.get("region_slug", {})
        if "enum" in region_slug:
            region_slug["enum"] = [*region_slug["enum"], *NEWER_REGIONS]
        # Spec quirk (reference.md, enums: image `distribution`): a closed enum whose own
        # description says "Any other value will be accepted but ignored, and `Unknown` will be
        # used in its place", so requests may carry any string. Responses must use the enum,
        # which predates distributions the API lists today (public AlmaLinux images answer
        # `AlmaLinux`): like `region_slug`, it is extended with them.
        distribution = schemas.get("distribution", {})
        if "enum" in distribution:
            distribution[OPEN_IN_REQUESTS] = True
            distribution["enum"] = [*distribution["enum"], *NEWER_DISTRIBUTIONS]
        # Spec quirk (domain records): the NS, SRV and TXT variants require `flags` and `tag`,
        # which mean something for CAA records only; godo, cert-manager and Ansible create
        # those records without them, and DigitalOcean accepts them.
        for variant in ("domain_record_ns", "domain_record_srv", "domain_record_txt"):
            for part in schemas.get(variant, {}).get("allOf", []):
                if "required" in part:
                    part["required"] = [f for f in part["required"] if f not in ("flags", "tag")]
        # Spec quirk (domain records): updates take `domain_record`, which requires `type`;
        # godo's EditRecord (Terraform) and Ansible's domain module send updates without it,
        # and DigitalOcean keeps the record's type.
        record = schemas.get("domain_record")
        if record is not None:
            update = {k: v for k, v in record.items() if k != "required"}
            schemas["domain_record_update"] = update
            one = "/v2/domains/{domain_name}/records/{domain_record_id}"
            path = self.document["paths"].get(one) or {}
            for method in ("put", "patch"):
                content = path.get(method, {}).get("requestBody", {}).get("content", {})
                media = content.get("application/json", {})
                if media.get("schema") == {"$ref": "#/components/schemas/domain_record"}:
                    media["schema"] = {"$ref": "#/components/schemas/domain_record_update"}

        # Client quirks (client-compat.md: the client wins), in request bodies only. godo always
        # sends a reserved IP's `project_id`, empty when none is chosen (DigitalOcean takes ""
        # as "the default project"), and Ansible's digital_ocean_floating_ip sends `droplet_id`
        # as a string of digits (a module parameter without a type).
        for name in ("reserved_ip_create", "floating_ip_create"):
            region = schemas.get(name, {}).get("oneOf", [{}, {}])[1].get("properties", {})
            if "project_id" in region:
                region["project_id"] = {"anyOf": [region["project_id"], {"enum": [""]}]}
        digits = {"type": "string", "pattern": "^[0-9]+$"}
        create = schemas.get("floating_ip_create", {}).get("oneOf", [{}])[0].get("properties", {})
        assign = schemas.get("floating_ip_action_assign", {}).get("allOf", [{}, {}])[1]
        for properties in (create, assign.get("properties", {})):
            if "droplet_id" in properties:
                properties["droplet_id"] = {"anyOf": [properties["droplet_id"], digits]}
        # Spec quirk (project `environment`): a closed enum, but a project created without one
        # has none, and DigitalOcean answers `""` for it (Terraform's own acceptance tests
        # expect it; godo sends `""` when creating without one); and requests may name it in
        # any case (Terraform validates and compares it without regard to case).
        environment = schemas.get("project_base", {}).get("properties", {}).get("environment")
        if environment is not None and "enum" in environment:
            environment["enum"] = [*environment["enum"], ""]
            environment[OPEN_IN_REQUESTS] = True

    def with_tally(self, tally: Tally) -> Spec:
        """This spec (document, validators) counting into another tally: the checker's own
        tests use it to keep their made-up exchanges out of the session's count."""
        view = object.__new__(Spec)
        view.__dict__.update(self.__dict__)
        view.tally = tally
        return view

    @cached_property
    def operation_ids(self) -> set[str]:
        """The spec's operations in the areas LocalOcean serves (it must serve all of them)."""
        return {
            op["operationId"]
            for *_, op in self.operations
            if SERVED_TAGS.intersection(op.get("tags", ()))
            and op["operationId"] not in UNSERVED_OPERATIONS
        }

    def _candidates(self, path: str) -> Iterator[tuple[str, re.Pattern[str], str, dict[str, Any]]]:
        yield from self._by_prefix.get(_prefix(path), ())
        yield from self._by_prefix.get("", ())

    def find(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        found = self._find(method, path)
        return None if found is None else (found.template, found.spec)

    def _find(self, method: str, path: str) -> Operation | None:
        path = path.rstrip("/") or "/"
        for op_method, pattern, template, operation in self._candidates(path):
            if op_method == method.upper() and pattern.match(path):
                return Operation(op_method, template, operation)
        return None

    def documented_as(self, path: str) -> list[Operation]:
        """The operations (any method) of the most specific spec path that `path` falls under:
        its own template, else its nearest ancestor's. Empty if the spec has no such path."""
        parts = (path.rstrip("/") or "/").split("/")
        while len(parts) > 2:  # "/v2" alone is not a documented path
            candidate = "/".join(parts)
            found = [
                Operation(method, template, operation)
                for method, pattern, template, operation in self._candidates(candidate)
                if pattern.match(candidate)
            ]
            if found:
                first = found[0].template
                return [op for op in found if op.template == first]
            parts.pop()
        return []

    def check(
        self,
        method: str,
        path: str,
        status: int,
        content_type: str,
        body: bytes,
        request_body: bytes | None = None,
        request_type: str = "",
    ) -> Outcome:
        """Assert that a response (and, for a success, the request body that led to it) matches
        the spec, and count it."""
        started = time.perf_counter()
        try:
            return self._check(method, path, status, content_type, body, request_body, request_type)
        finally:
            self.tally.seconds += time.perf_counter() - started

    def _check(
        self,
        method: str,
        path: str,
        status: int,
        content_type: str,
        body: bytes,
        request_body: bytes | None,
        request_type: str,
    ) -> Outcome:
        operation = self._find(method, path)
        if operation is None:
            return self._check_undocumented(method, path, status, content_type, body)
        where = f"{method} {path} ({operation.id}) -> {status}"
        responses = operation.spec["responses"]
        if status == NOT_IMPLEMENTED:
            if "default" in responses:
                self._check_response(where, operation, "default", content_type, body)
            self.tally.not_implemented[operation.id] += 1
            return Outcome.NOT_IMPLEMENTED
        status_key = str(status)
        if status_key not in responses and status >= 400:
            status_key = "default"
        assert status_key in responses, f"{where}: status {status} is not declared by the spec"
        self._check_response(where, operation, status_key, content_type, body)
        self.tally.responses[operation.id] += 1
        # Tests send invalid bodies on purpose to see them refused: only what LocalOcean
        # accepted must have been a valid request.
        if 200 <= status < 300 and request_body:
            self._check_request(where, operation, request_type, request_body)
            self.tally.requests[operation.id] += 1
        return Outcome.VALIDATED

    def _check_undocumented(
        self, method: str, path: str, status: int, content_type: str, body: bytes
    ) -> Outcome:
        siblings = self.documented_as(path)
        if not siblings:
            return Outcome.NOT_DIGITALOCEAN
        template = siblings[0].template
        where = f"{method} {path} -> {status}"
        listed = sorted({op.method for op in siblings})
        assert status in REFUSALS, (
            f"{where}: the spec documents {template} for {', '.join(listed)} only, so this "
            f"request must be refused with 404 or 405"
        )
        # The refusal is an error like any other: it has the shape of the path's errors.
        for sibling in siblings:
            if "default" in sibling.spec["responses"]:
                self._check_response(where, sibling, "default", content_type, body)
                break
        self.tally.refused[f"{method.upper()} {template}"] += 1
        return Outcome.REFUSED

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def _check_response(
        self, where: str, operation: Operation, status_key: str, content_type: str, body: bytes
    ) -> None:
        declared = operation.spec["responses"][status_key]
        content = self._resolve(declared).get("content")
        if not content:
            assert body == b"", f"{where}: the spec declares no body, got {body[:200]!r}"
            return
        media = content_type.split(";")[0].strip()
        assert media in content, f"{where}: content type {media!r}, spec has {list(content)}"
        if content[media].get("schema") is None or not media.endswith("json"):
            return
        try:
            instance = json.loads(body)
        except ValueError as exc:
            raise AssertionError(f"{where}: body is not JSON: {body[:200]!r}") from exc
        # Point at the response through its component when it is one, so that every operation
        # sharing e.g. `unexpected_error` shares one validator too.
        if "$ref" in declared:
            base = SPEC_URI + declared["$ref"]
        else:
            base = f"{SPEC_URI}#/{operation.pointer('responses', status_key)}"
        ref = f"{base}/{_pointer('content', media, 'schema')}"
        errors = self._errors(OAS30ReadValidator, ref, instance)
        if errors:
            raise AssertionError(f"{where}: response does not match the spec:\n{errors}")

    def _check_request(
        self, where: str, operation: Operation, request_type: str, body: bytes
    ) -> None:
        declared = operation.spec.get("requestBody")
        if declared is None:
            return  # nothing to hold the body to; DigitalOcean ignores such bodies too
        content = self._resolve(declared).get("content", {})
        media = request_type.split(";")[0].strip()
        if media not in content:
            # LocalOcean reads a body whatever its Content-Type (docs/behaviour.md, "Requests
            # tolerated"): such a body was taken as the JSON the spec describes.
            media = "application/json"
        if media not in content or content[media].get("schema") is None:
            return
        try:
            instance = json.loads(body)
        except ValueError as exc:
            raise AssertionError(f"{where}: request body is not JSON: {body[:200]!r}") from exc
        # LocalOcean takes `null` as "not given" (docs/behaviour.md, "Requests tolerated"), and
        # tests rely on it, e.g. `"ha": null` for the version-dependent default; the spec
        # types most such fields as non-nullable, so a null is held to the spec as an absence.
        instance = _without_nulls(instance)
        if instance is None:
            return
        if "$ref" in declared:
            base = SPEC_URI + declared["$ref"]
        else:
            base = f"{SPEC_URI}#/{operation.pointer('requestBody')}"
        ref = f"{base}/{_pointer('content', media, 'schema')}"
        errors = self._errors(RequestValidator, ref, instance)
        if errors:
            raise AssertionError(
                f"{where}: succeeded, but its request body does not match the spec:\n{errors}"
            )

    def _errors(self, kind: Any, ref: str, instance: Any) -> str:
        key = (kind.__name__, ref)
        validator = self._validators.get(key)
        if validator is None:
            validator = kind(
                {"$ref": ref}, registry=self.registry, format_checker=oas30_format_checker
            )
            self._validators[key] = validator
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return "\n".join(_describe(error) for error in errors[:5])


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/}]+\})", template)
    return re.compile(
        "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


def _prefix(path: str) -> str:
    """The first two segments ("/v2/images"); "" when a template has a parameter there."""
    head = "/".join(path.split("/")[:3])
    return "" if "{" in head else head


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _describe(error: ValidationError) -> str:
    location = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"  at {location}: {error.message[:300]}"
