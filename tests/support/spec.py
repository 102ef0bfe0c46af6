"""Validate responses against DigitalOcean's own OpenAPI spec: the one helper every test uses.

The spec is licensed data kept outside the repository: `$LOCALOCEAN_DO_SPEC`, else
`../shared/spec/digitalocean-images-kubernetes.openapi.json` beside the checkout.
"""

from __future__ import annotations

import json
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO.parent / "shared" / "spec" / "digitalocean-images-kubernetes.openapi.json"
SPEC_URI = "urn:digitalocean-spec"
NEWER_REGIONS = ["atl1"]


def spec_path() -> Path:
    return Path(os.environ.get("LOCALOCEAN_DO_SPEC") or DEFAULT_SPEC)


class Spec:
    def __init__(self, path: Path):
        self.document: dict[str, Any] = json.loads(path.read_text())
        # Spec quirk 19 (reference.md): `region_slug` is a closed enum that predates regions the
        # API serves today; the real API lists images in them, so they are allowed here too.
        region_slug = self.document["components"]["schemas"].get("region_slug", {})
        if "enum" in region_slug:
            region_slug["enum"] = [*region_slug["enum"], *NEWER_REGIONS]
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self.operations: list[tuple[str, re.Pattern[str], str, dict[str, Any]]] = []
        for template, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
            for method, operation in item.items():
                if isinstance(operation, dict) and "responses" in operation:
                    self.operations.append((method.upper(), pattern, template, operation))
        # Literal paths win over templated ones (/v2/kubernetes/options vs .../{cluster_id}).
        self.operations.sort(key=lambda op: op[2].count("{"))

    @cached_property
    def operation_ids(self) -> set[str]:
        return {op["operationId"] for *_, op in self.operations}

    def find(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        path = path.rstrip("/") or "/"
        for op_method, pattern, template, operation in self.operations:
            if op_method == method.upper() and pattern.match(path):
                return template, operation
        return None

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> bool:
        """Assert that a response matches the spec; returns False for undocumented operations."""
        found = self.find(method, path)
        if found is None:
            return False
        template, operation = found
        where = f"{method} {path} ({operation['operationId']}) -> {status}"
        responses = operation["responses"]
        declared = responses.get(str(status))
        if declared is None and status >= 400:
            declared = responses.get("default")
        assert declared is not None, f"{where}: status {status} is not declared by the spec"
        declared = self._resolve(declared)
        content = declared.get("content")
        if not content:
            assert body == b"", f"{where}: the spec declares no body, got {body[:200]!r}"
            return True
        media = content_type.split(";")[0].strip()
        assert media in content, f"{where}: content type {media!r}, spec has {list(content)}"
        schema = content[media].get("schema")
        if schema is None or not media.endswith("json"):
            return True
        try:
            instance = json.loads(body)
        except ValueError as exc:
            raise AssertionError(f"{where}: body is not JSON: {body[:200]!r}") from exc
        pointer = "/".join(
            part.replace("~", "~0").replace("/", "~1")
            for part in ("paths", template, method.lower(), "responses")
        )
        status_key = str(status) if str(status) in responses else "default"
        ref = f"{SPEC_URI}#/{pointer}/{status_key}"
        if "$ref" in responses[status_key]:
            ref = SPEC_URI + responses[status_key]["$ref"]
        media_key = media.replace("~", "~0").replace("/", "~1")
        validator = OAS30Validator(
            {"$ref": f"{ref}/content/{media_key}/schema"},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            details = "\n".join(_describe(error) for error in errors[:5])
            raise AssertionError(f"{where}: response does not match the spec:\n{details}")
        return True


def _describe(error: ValidationError) -> str:
    location = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"  at {location}: {error.message[:300]}"
