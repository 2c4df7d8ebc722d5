"""Exact Online's error bodies.

REST errors are OData v2 errors (reference C7, picqer ``parseExceptionForErrorMessages``):
JSON ``{"error": {"code": "", "message": {"lang": "", "value": "…"}}}``, or the Atom
``<error><code/><message xml:lang=""/></error>`` document for a client that did not ask
for JSON. The OAuth endpoints answer with ``{"error", "error_description"}`` instead
(see ``oauth.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
METADATA_NS = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
#: Why the emulator refused something, for people reading the traffic (not Exact's).
REASON_HEADER = "X-Erp-Sandbox-Reason"


@dataclass
class ExactError(Exception):
    """An error response in Exact's OData error shape."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status}: {self.message}")

    def json_body(self) -> bytes:
        """``{"error": {"code": "", "message": {"lang": "", "value": …}}}``."""
        body = {"error": {"code": "", "message": {"lang": "", "value": self.message}}}
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def xml_body(self) -> bytes:
        """The same error as an OData XML error document."""
        return (
            '<?xml version="1.0" encoding="utf-8" standalone="yes"?>'
            f'<error xmlns="{METADATA_NS}"><code></code>'
            f'<message xml:lang="">{escape(self.message)}</message></error>'
        ).encode()

    def render(self, *, as_json: bool) -> tuple[bytes, str]:
        """Body and content type."""
        if as_json:
            return self.json_body(), JSON_CONTENT_TYPE
        return self.xml_body(), XML_CONTENT_TYPE


def bad_request(message: str) -> ExactError:
    """400 for a query the OData layer cannot run (wording follows WCF Data Services)."""
    return ExactError(400, message)


def not_found(segment: str) -> ExactError:
    """404 for an unknown resource or key (WCF Data Services wording)."""
    return ExactError(404, f"Resource not found for the segment '{segment}'.")


def unauthorized() -> ExactError:
    """401 for a missing, unknown or expired access token: "rejected with response code
    401 and reason Authentication Required" (Exact's OAuth docs, 3rd-party quote)."""
    return ExactError(401, "Authentication Required", {"WWW-Authenticate": "Bearer"})


def forbidden_division(division: str) -> ExactError:
    """403 for a division the user cannot reach (inferred status and wording)."""
    return ExactError(403, f"Forbidden: no access to division {division}.")


def method_not_allowed(method: str) -> ExactError:
    """405: the emulator serves reads (and webhook subscriptions) only."""
    return ExactError(
        405,
        f"The HTTP method '{method}' is not supported by this resource in the sandbox.",
        {"Allow": "GET"},
    )


def minutely_limit_exceeded(limit: int) -> ExactError:
    """429 past the per-minute limit (reference C5; wording inferred)."""
    return ExactError(
        429, f"API rate limit exceeded: more than {limit} calls per minute for this company."
    )


def daily_limit_exceeded(limit: int) -> ExactError:
    """429 past the per-day limit (reference C5; wording inferred)."""
    return ExactError(
        429, f"API rate limit exceeded: more than {limit} calls per day for this company."
    )


def key_blocked(limit: int, until: str) -> ExactError:
    """403 while the app is blocked on an endpoint for too many errors (reference C5;
    status and wording inferred)."""
    return ExactError(
        403,
        f"Access blocked until {until} (UTC): more than {limit} errors on this endpoint "
        "in the last hour.",
    )


def fault_error(status: int) -> ExactError:
    """The body of an injected fault (JSON: the fault layer cannot see ``Accept``)."""
    if status == 401:
        return unauthorized()
    if status == 429:
        return ExactError(429, "API rate limit exceeded.")
    if status >= 500:
        return ExactError(status, "An unexpected error occurred while processing the request.")
    return ExactError(status, "The request could not be processed.")


def raw_headers(error: ExactError, content_type: str) -> list[tuple[bytes, bytes]]:
    """Raw ASGI headers of an error response (without content-length)."""
    headers = [(b"content-type", content_type.encode())]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    return headers
