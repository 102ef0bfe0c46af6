"""The app's own OpenAPI document (`/openapi.json`) and its Swagger UI (`/docs`), built from the
declared operations when first asked for: nothing of it is paid for at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from localocean.core.operations import Operation

HTTP_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}


def _summary(operation: Operation) -> str:
    return operation.handler.__name__.replace("_", " ").strip().capitalize()


def document(operations: Sequence[Operation], title: str, version: str, description: str) -> dict:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        entry: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": _summary(op),
            "responses": {str(op.status): {"description": HTTP_REASONS.get(op.status, "")}},
        }
        if op.handler.__doc__:
            entry["description"] = " ".join(op.handler.__doc__.split())
        if op.tags:
            entry["tags"] = list(op.tags)
        if op.param_names:
            entry["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in op.param_names
            ]
        if op.is_digitalocean:
            if op.any_scope:
                entry["security"] = [{"bearer_auth": [scope]} for scope in op.scopes]
            else:
                entry["security"] = [{"bearer_auth": list(op.scopes)}]
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {"securitySchemes": {"bearer_auth": {"type": "http", "scheme": "bearer"}}},
    }


def swagger_page(title: str, openapi_url: str) -> bytes:
    from fastapi.openapi.docs import get_swagger_ui_html

    return bytes(get_swagger_ui_html(openapi_url=openapi_url, title=title).body)
