"""The one error hierarchy. Domain code raises these; the API renders them in DO's envelope."""

from __future__ import annotations

from typing import Any

import orjson


class APIError(Exception):
    status: int = 500
    error_id: str = "server_error"
    default_message: str = "Unexpected server-side error"

    def __init__(self, message: str | None = None, *, headers: dict[str, str] | None = None):
        self.message = message or self.default_message
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self, request_id: str) -> dict[str, Any]:
        return {"id": self.error_id, "message": self.message, "request_id": request_id}


class BadRequest(APIError):
    status, error_id, default_message = 400, "bad_request", "error parsing request body"


class TagBadRequest(BadRequest):
    """`POST /v2/tags` answers 400 in the `error_with_root_causes` shape; we send both shapes."""

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            **super().body(request_id),
            "error": self.message,
            "messages": None,
            "root_causes": [self.message],
        }


class Unauthorized(APIError):
    status, error_id, default_message = 401, "unauthorized", "Unable to authenticate you"


class Forbidden(APIError):
    status, error_id = 403, "forbidden"
    default_message = "You do not have permission to perform this action."


class NotFound(APIError):
    status, error_id = 404, "not_found"
    default_message = "The resource you were accessing could not be found."


class MethodNotAllowed(APIError):
    status, error_id, default_message = 405, "method_not_allowed", "Method Not Allowed"


class Conflict(APIError):
    status, error_id = 409, "conflict"
    default_message = "The request could not be completed due to a conflict."


class PreconditionFailed(APIError):
    status, error_id = 412, "precondition_failed"
    default_message = "A precondition of the request was not met."


class PayloadTooLarge(APIError):
    status, error_id, default_message = 413, "request_entity_too_large", "Request body too large"


class Unprocessable(APIError):
    status, error_id, default_message = (
        422,
        "unprocessable_entity",
        "request payload validation failed",
    )


class TooManyRequests(APIError):
    status, error_id, default_message = 429, "too_many_requests", "API rate limit exceeded."


class ServerError(APIError):
    pass


class Unavailable(APIError):
    status, error_id = 503, "service_unavailable"
    default_message = "The service is unavailable."


class NotImplementedYet(APIError):
    status, error_id = 501, "not_implemented"
    default_message = "This operation is not implemented by LocalOcean."


def as_api_error(exc: BaseException) -> APIError:
    """What the client is told about any exception: APIErrors as they are, anything else a 500
    (its traceback goes to the log only)."""
    return exc if isinstance(exc, APIError) else ServerError()


async def send_error(send: Any, error: APIError, request_id: str) -> None:
    """The one error renderer: DigitalOcean's envelope, with the error's own headers."""
    body = orjson.dumps(error.body(request_id))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
