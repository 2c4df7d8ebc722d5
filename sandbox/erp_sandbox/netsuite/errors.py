"""NetSuite's REST error envelope and the errors the emulator answers with.

Shape (ODoc ``section_156570709583``): ``{"type", "title", "status", "o:errorDetails":
[{"detail", "o:errorCode", optional "o:errorQueryParam", "o:errorHeader", …}]}``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

ERROR_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=error; charset=UTF-8"

_TYPES = {
    400: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1", "Bad Request"),
    401: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2", "Unauthorized"),
    403: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4", "Forbidden"),
    404: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5", "Not Found"),
    405: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6", "Method Not Allowed"),
    # The title "Bad Request" on a 429 is as recorded (reference A4).
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Bad Request"),
    500: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1", "Internal Server Error"),
    502: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.3", "Bad Gateway"),
    503: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4", "Service Unavailable"),
    504: ("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.5", "Gateway Timeout"),
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite "
    "UI at Setup > Users/Roles > User Management > View Login Audit Trail."
)
#: Every SuiteQL failure is wrapped in this sentence, with ``o:errorQueryParam: q``.
SEARCH_PREFIX = "Invalid search query. Detailed unprocessed description follows. "


@dataclass
class NetSuiteError(Exception):
    """An error response: status, ``o:errorCode``, detail, extra ``o:`` fields, headers."""

    status: int
    code: str
    detail: str
    extra: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.detail}")

    def body(self) -> dict[str, Any]:
        """The JSON envelope."""
        kind, title = _TYPES.get(self.status, (_TYPES[400][0], "Error"))
        detail: dict[str, Any] = {"detail": self.detail, **self.extra, "o:errorCode": self.code}
        return {"type": kind, "title": title, "status": self.status, "o:errorDetails": [detail]}

    def encode(self) -> bytes:
        """The envelope as bytes."""
        return json.dumps(self.body()).encode()


def search_error(description: str) -> NetSuiteError:
    """A SuiteQL query NetSuite refuses: 400 ``INVALID_PARAMETER`` on the ``q`` parameter."""
    return NetSuiteError(
        400, "INVALID_PARAMETER", SEARCH_PREFIX + description, {"o:errorQueryParam": "q"}
    )


def unsupported_search() -> NetSuiteError:
    """Syntax errors and constructs SuiteQL does not run."""
    return search_error("Search error occurred: Invalid or unsupported search.")


def invalid_parameter(name: str, detail: str) -> NetSuiteError:
    """A bad query-string parameter (``limit``, ``offset``)."""
    return NetSuiteError(400, "INVALID_PARAMETER", detail, {"o:errorQueryParam": name})


def invalid_login(www_authenticate: str) -> NetSuiteError:
    """401 ``INVALID_LOGIN`` with the challenge for the scheme used."""
    return NetSuiteError(
        401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL, headers={"WWW-Authenticate": www_authenticate}
    )


def concurrency_limit_exceeded() -> NetSuiteError:
    """429 over the account's concurrency limit; no Retry-After (reference A4)."""
    return NetSuiteError(
        429,
        "CONCURRENCY_LIMIT_EXCEEDED",
        "Concurrent request limit exceeded. Request blocked.",
    )


def fault_error(status: int) -> NetSuiteError:
    """The body of an injected fault."""
    if status == 429:
        return concurrency_limit_exceeded()
    if status >= 500:
        return NetSuiteError(
            status,
            "UNEXPECTED_ERROR",
            f"An unexpected error occurred. Error ID: {uuid.uuid4().hex[:20]}",
        )
    if status == 401:
        return NetSuiteError(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)
    if status == 403:
        return NetSuiteError(
            403, "INSUFFICIENT_PERMISSION", "Permission denied for the requested operation."
        )
    return NetSuiteError(status, "USER_ERROR", "The request could not be processed.")


def headers_for(error: NetSuiteError) -> list[tuple[bytes, bytes]]:
    """Raw ASGI headers of an error response (without content-length)."""
    headers = [(b"content-type", ERROR_CONTENT_TYPE.encode())]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    return headers
