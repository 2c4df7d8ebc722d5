"""Fusion's error bodies.

Plain text by default, e.g. ``Invalid operation create for the specified resource.``;
a JSON ``{"title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}`` when the
request uses framework version 4 or later and its ``Accept`` names
``application/vnd.oracle.adf.error+json`` (reference B4; the version condition is
ADF's "detailed exception payload" of framework version 4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from erp_sandbox.fusion.settings import FusionSettings

ERROR_MEDIA_TYPE = "application/vnd.oracle.adf.error+json"
TEXT_MEDIA_TYPE = "text/plain; charset=UTF-8"
#: The first framework version that answers structured errors.
STRUCTURED_ERRORS_VERSION = 4

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class FusionError(Exception):
    """An error response: status, human text, ``o:errorCode``, extra headers."""

    status: int
    detail: str
    code: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.detail}")

    def structured(self) -> dict[str, Any]:
        """The JSON form (``status`` is a string, as in recorded ADF payloads)."""
        return {
            "title": TITLES.get(self.status, "Error"),
            "status": str(self.status),
            "o:errorDetails": [{"detail": self.detail, "o:errorCode": self.code}],
        }


def framework_version(request: Request, settings: FusionSettings) -> int:
    """The request's ``REST-Framework-Version`` (the default when absent); 400 when it
    names a version the pod does not allow."""
    raw = request.headers.get("rest-framework-version")
    if raw is None or not raw.strip():
        return settings.default_framework_version
    try:
        version = int(raw.strip())
    except ValueError:
        version = -1
    if version not in settings.framework_versions:
        allowed = ", ".join(str(v) for v in settings.framework_versions)
        raise FusionError(
            400,
            f"The REST framework version {raw.strip()} is not supported. "
            f"Supported versions: {allowed}.",
            "INVALID_FRAMEWORK_VERSION",
        )
    return version


def lenient_framework_version(request: Request, settings: FusionSettings) -> int:
    """The framework version for rendering an error (the default when unusable)."""
    try:
        return framework_version(request, settings)
    except FusionError:
        return settings.default_framework_version


def error_response(error: FusionError, *, accept: str, version: int) -> Response:
    """Plain text, or the structured JSON when the request asked for it."""
    structured = version >= STRUCTURED_ERRORS_VERSION and ERROR_MEDIA_TYPE in accept.lower()
    if structured:
        body = json.dumps(error.structured()).encode()
        return Response(body, error.status, headers=error.headers, media_type=ERROR_MEDIA_TYPE)
    return Response(
        error.detail.encode(), error.status, headers=error.headers, media_type=TEXT_MEDIA_TYPE
    )


def bad_parameter(message: str) -> FusionError:
    """A query parameter the framework refuses."""
    return FusionError(400, message, "INVALID_QUERY_PARAMETER")


def not_found() -> FusionError:
    """Unknown URL, resource, version or item."""
    return FusionError(404, "The requested resource doesn't exist.", "NOT_FOUND")


def method_not_allowed(method: str) -> FusionError:
    """A write on the emulator's read-only resources."""
    operation = {"POST": "create", "PATCH": "update", "PUT": "replace", "DELETE": "delete"}.get(
        method.upper(), method.lower()
    )
    return FusionError(
        405, f"Invalid operation {operation} for the specified resource.", "INVALID_OPERATION"
    )


def unauthorized(detail: str, challenge: str) -> FusionError:
    """401 with a ``WWW-Authenticate`` challenge."""
    return FusionError(401, detail, "NOT_AUTHORIZED", {"WWW-Authenticate": challenge})


def fault_text(status: int) -> bytes:
    """The plain-text body of an injected fault."""
    return TITLES.get(status, "Error").encode()
