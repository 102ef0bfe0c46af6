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
        "openapi": "3.0.3",  # Swagger UI 4 (swagger-ui-bundle) renders 3.0
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {"securitySchemes": {"bearer_auth": {"type": "http", "scheme": "bearer"}}},
    }


# Swagger UI's files, from the installed `swagger-ui-bundle` package: `/docs` needs no network.
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


def swagger_page(title: str, openapi_url: str, assets_url: str) -> bytes:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{assets_url}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets_url}/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="{assets_url}/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{openapi_url}", dom_id: "#swagger-ui",
  deepLinking: true, layout: "BaseLayout", presets: [SwaggerUIBundle.presets.apis]}});</script>
</body></html>""".encode()


def swagger_asset(name: str) -> tuple[bytes, str] | None:
    """One of Swagger UI's files and its media type; None for any other name."""
    if name not in ASSETS:
        return None
    from swagger_ui_bundle import swagger_ui_path

    return (swagger_ui_path / name).read_bytes(), ASSETS[name]
