"""Kubernetes' errors: `Status` objects with the reason, code and details clients read."""

from __future__ import annotations

from typing import Any


class KubeError(Exception):
    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(plural: str, group: str) -> str:
    """`deployments.apps`, or `pods` for the core group: how kube-apiserver names a resource."""
    return f"{plural}.{group}" if group else plural


def _details(name: str, plural: str, group: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(plural: str, group: str, name: str) -> KubeError:
    return KubeError(
        404,
        "NotFound",
        f'{qualified(plural, group)} "{name}" not found',
        _details(name, plural, group),
    )


def already_exists(plural: str, group: str, name: str) -> KubeError:
    return KubeError(
        409,
        "AlreadyExists",
        f'{qualified(plural, group)} "{name}" already exists',
        _details(name, plural, group),
    )


def conflict(plural: str, group: str, name: str) -> KubeError:
    return KubeError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": the object has '
        "been modified; please apply your changes to the latest version and try again",
        _details(name, plural, group),
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> KubeError:
    """`causes`: (field, reason, message) with reasons such as FieldValueRequired and
    FieldValueInvalid; the message lists them as kube-apiserver does."""
    subject = f"{kind}.{group}" if group else kind
    listed = [f"{field}: {message}" for field, _, message in causes]
    text = listed[0] if len(listed) == 1 else "[" + ", ".join(listed) + "]"
    return KubeError(
        422,
        "Invalid",
        f'{subject} "{name}" is invalid: {text}',
        {
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [
                {"reason": reason, "message": message, "field": field}
                for field, reason, message in causes
            ],
        },
    )


def bad_request(message: str) -> KubeError:
    return KubeError(400, "BadRequest", message)


def forbidden(message: str) -> KubeError:
    return KubeError(403, "Forbidden", message)


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> KubeError:
    return KubeError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> KubeError:
    return KubeError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        f"application/json, application/yaml, application/vnd.kubernetes.protobuf (got "
        f"{content_type})",
    )


def gone(requested: int, oldest: int) -> KubeError:
    return KubeError(410, "Expired", f"too old resource version: {requested} ({oldest})")


UNAUTHORIZED = KubeError(401, "Unauthorized", "Unauthorized")
