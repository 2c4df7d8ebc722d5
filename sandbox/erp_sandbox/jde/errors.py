"""The AIS Server's error bodies and the errors the emulator answers with.

Most errors are a ``ServiceErrorResponse`` (``errorText``, ``exception``, ``exceptionId``,
``message``, ``status``, ``timeStamp``, ``type``, ``userDefinedErrorText``; reference
B5), of which the AIS Server fills in a few, e.g. ``{"message": "Invalid Token",
"exception": "Exception", "timeStamp": "2025-09-19T20:16:27.934+0000"}``. An expired
result set answers the HTML Server's ``sysErrors`` body instead (Oracle, "Example - Links
Section in a Data Service Response").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON_CONTENT_TYPE = "application/json"
#: Why an error was answered, for humans reading a test failure (the AIS Server logs it).
REASON_HEADER = "X-Erp-Sandbox-Reason"
#: The class the AIS Server names for failures inside a service call (reference B2).
SERVICE_EXCEPTION = "JDERestServiceException"
#: What the HTML Server says when a result set has timed out (Oracle's documented body).
QUERY_RESULTS_EXPIRED = (
    "JAS_MSG347: The query results expired.  Refresh them by clicking Find again."
)


def error_timestamp(moment: datetime | None = None) -> str:
    """``2025-09-19T20:16:27.934+0000``: the ``timeStamp`` of a ServiceErrorResponse."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass
class JdeError(Exception):
    """An error response: a ServiceErrorResponse, or ``sysErrors`` when ``sys_errors``."""

    status: int
    message: str
    exception: str = "Exception"
    reason: str = ""
    sys_errors: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        if self.sys_errors:
            return {"sysErrors": [{"TITLE": self.message, "DESC": self.message}]}
        return {
            "message": self.message,
            "exception": self.exception,
            "timeStamp": error_timestamp(),
        }

    def encode(self) -> bytes:
        """The body as bytes."""
        return json.dumps(self.body()).encode()

    def all_headers(self) -> dict[str, str]:
        """Headers to send with the body (the reason, if any)."""
        headers = dict(self.headers)
        if self.reason:
            headers[REASON_HEADER] = self.reason
        return headers


def invalid_token(reason: str = "") -> JdeError:
    """444: the token is unknown, logged out, timed out, or used from another device."""
    return JdeError(444, "Invalid Token", reason=reason)


def authorization_failure(reason: str) -> JdeError:
    """403: wrong user, password, environment or role, no credentials, or a table the
    role may not read (the documented 403 wording)."""
    return JdeError(403, "Authorization Failure", reason=reason)


def invalid_json(reason: str) -> JdeError:
    """400: the body is not JSON, not an object, or lacks a required field."""
    return JdeError(400, "Bad Request - Invalid JSON Input", reason=reason)


def unsupported_media_type(content_type: str) -> JdeError:
    """415: a body sent with another content type."""
    return JdeError(
        415,
        "Invalid Content-Type Header - Must use application/json",
        reason=f"content type {content_type!r}",
    )


def allowed_hosts_refused() -> JdeError:
    """405 on a token request: the HTML Server's Allowed Hosts do not name this AIS Server."""
    return JdeError(
        405,
        "Allowed Hosts on the HTML server is not configured to accept requests from this "
        "AIS Server",
    )


def method_not_allowed(method: str) -> JdeError:
    """405 for an HTTP method a route does not take (Jersey's wording)."""
    return JdeError(405, "HTTP 405 Method Not Allowed", reason=f"{method} is not supported here")


def not_found(path: str) -> JdeError:
    """404 for a path the AIS Server does not serve (Jersey's wording)."""
    return JdeError(404, "HTTP 404 Not Found", reason=f"no service at {path}")


def service_error(message: str) -> JdeError:
    """500 for a request the data service cannot run (unknown table or column, bad
    operator or literal)."""
    return JdeError(500, message, exception=SERVICE_EXCEPTION)


def result_set_expired(reason: str) -> JdeError:
    """500 for a next call whose result set timed out, ended or never existed."""
    return JdeError(500, QUERY_RESULTS_EXPIRED, reason=reason, sys_errors=True)


def too_many_requests() -> JdeError:
    """429 when more requests are in flight than ``concurrency_limit`` allows (inferred)."""
    return JdeError(429, "Too Many Requests: the AIS Server is busy")


def fault_error(status: int) -> JdeError:
    """The body of an injected fault."""
    catalogue = {
        400: invalid_json("injected fault"),
        403: authorization_failure("injected fault"),
        415: unsupported_media_type("injected fault"),
        429: too_many_requests(),
        444: invalid_token("injected fault"),
    }
    if status in catalogue:
        return catalogue[status]
    if status >= 500:
        return JdeError(status, "Server Failed to Process Request", exception=SERVICE_EXCEPTION)
    return JdeError(status, "The request could not be processed.")


def headers_for(error: JdeError) -> list[tuple[bytes, bytes]]:
    """Raw ASGI headers of an error response (without content-length)."""
    headers = [(b"content-type", JSON_CONTENT_TYPE.encode())]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.all_headers().items())
    return headers
