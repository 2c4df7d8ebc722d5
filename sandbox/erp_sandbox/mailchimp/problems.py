"""Mailchimp's problem+json error envelope and the errors the emulator returns.

Envelope and headers: Mailchimp errors page and the "Problem Detail Document" schema;
the ``Link`` header form is from recorded traffic (grouparoo/grouparoo
``plugins/@grouparoo/mailchimp/__tests__/fixtures/export-profile.js``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

PROBLEM_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"
SCHEMA_INVALID_DETAIL = (
    "The resource submitted could not be validated. "
    "For field-specific details, see the 'errors' array."
)


class ProblemError(Exception):
    """An error answered as problem+json; raise it from any handler."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors

    def to_json(self) -> dict[str, Any]:
        """The problem document, with a fresh ``instance`` id."""
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": str(uuid.uuid4()),
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def problem_headers(dc: str) -> list[tuple[bytes, bytes]]:
    """Content-Type and Link headers every Mailchimp error carries."""
    link = (
        f"<https://{dc}.api.mailchimp.com/schema/3.0/Definitions/ProblemDetailDocument.json>; "
        'rel="describedBy"'
    )
    return [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"link", link.encode()),
    ]


def encode(problem: ProblemError) -> bytes:
    """The problem as JSON bytes."""
    return json.dumps(problem.to_json()).encode()


# --- the catalogue -------------------------------------------------------------------


def api_key_invalid() -> ProblemError:
    """Wrong key, token or data center (mailchimp/mc-woocommerce#646)."""
    return ProblemError(
        401,
        "API Key Invalid",
        "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
    )


def api_key_missing() -> ProblemError:
    """No credentials at all (glossary code APIKeyMissing; detail text inferred)."""
    return ProblemError(401, "API Key Missing", "Your request did not include an API key.")


def resource_not_found() -> ProblemError:
    """Unknown list, member, segment, merge field or e-commerce object."""
    return ProblemError(404, "Resource Not Found", "The requested resource could not be found.")


def method_not_allowed() -> ProblemError:
    """A method the endpoint does not support (glossary code MethodNotAllowed)."""
    return ProblemError(
        405, "Method Not Allowed", "The requested method and resource are not compatible."
    )


def json_parse_error() -> ProblemError:
    """A body that is not JSON (glossary code JSONParseError; detail inferred)."""
    return ProblemError(
        400, "JSON Parse Error", "We encountered an unspecified JSON parsing error."
    )


def invalid_resource(detail: str, errors: list[dict[str, str]] | None = None) -> ProblemError:
    """The generic 400 for data Mailchimp refuses."""
    return ProblemError(400, "Invalid Resource", detail, errors)


def invalid_field(field: str, message: str) -> ProblemError:
    """400 Invalid Resource for one field (a query parameter or a rule of the emulator's;
    the wordings of most messages are inferred)."""
    return invalid_resource(
        "The resource submitted could not be validated.", [{"field": field, "message": message}]
    )


def schema_invalid(errors: list[dict[str, str]]) -> ProblemError:
    """A body that fails the endpoint's JSON schema."""
    return invalid_resource(SCHEMA_INVALID_DETAIL, errors)


def member_exists(email: str) -> ProblemError:
    """POST of an address already on the list."""
    return ProblemError(
        400,
        "Member Exists",
        f"{email} is already a list member. Use PUT to insert or update list members.",
    )


def compliance_state(email: str) -> ProblemError:
    """Resubscribing an unsubscribed or cleaned member (ibericode/mailchimp-for-wordpress#798)."""
    return ProblemError(400, "Member In Compliance State", compliance_state_detail(email))


def compliance_state_detail(email: str) -> str:
    """The compliance-state sentence, also used inside batch results."""
    return (
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review "
        "and cannot be subscribed."
    )


def forgotten_email(email: str) -> ProblemError:
    """Re-adding a permanently deleted address (ibericode/mailchimp-for-wordpress#771)."""
    return ProblemError(400, "Forgotten Email Not Subscribed", forgotten_email_detail(email))


def forgotten_email_detail(email: str) -> str:
    """The forgotten-email sentence, also used inside batch results."""
    return (
        f"{email} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list."
    )


def fake_email_detail(email: str) -> str:
    """JustFixNYC/tenants2#1554."""
    return f"{email} looks fake or invalid, please enter a real email address."


INVALID_EMAIL_DETAIL = "Please provide a valid email address."
MERGE_FIELDS_INVALID_DETAIL = "Your merge fields were invalid."


def email_change_refused(status: str) -> ProblemError:
    """Changing the address of a member who is not subscribed (ibericode/mailchimp-user-sync#96)."""
    return invalid_resource(
        f'This member\'s status is "{status}." You can only update email addresses for '
        'members with a status of "subscribed."'
    )


def too_many_requests(limit: int) -> ProblemError:
    """Over the simultaneous-connection limit (glossary TooManyRequests; title inferred)."""
    return ProblemError(
        429,
        "Too Many Requests",
        f"You have exceeded the limit of {limit} simultaneous connections.",
    )


def too_many_pending_batches(limit: int) -> ProblemError:
    """More than ``limit`` batches not yet finished (release note, 16 Nov 2021: 500
    pending batches; detail inferred)."""
    return ProblemError(
        429,
        "Too Many Requests",
        f"You have exceeded the limit of {limit} pending batch requests. "
        "Wait for some to finish before starting more.",
    )


def bad_request(detail: str) -> ProblemError:
    """The e-commerce style 400 (mailchimp/mc-magento2#299)."""
    return ProblemError(400, "Bad Request", detail)


#: Titles and details for statuses the fault injector returns.
FAULT_PROBLEMS: dict[int, tuple[str, str]] = {
    403: ("Forbidden", "You don't have permission to access this resource."),
    429: ("Too Many Requests", "You have exceeded the limit of 10 simultaneous connections."),
    500: (
        "Internal Server Error",
        "An unexpected internal error has occurred. Please contact Support for more information.",
    ),
    502: ("Bad Gateway", "The server received an invalid response from an upstream server."),
    503: ("Service Unavailable", "The service is temporarily unavailable. Please try again."),
    504: ("Gateway Timeout", "The server did not receive a timely response."),
}


def fault_problem(status: int) -> ProblemError:
    """The problem document for an injected fault."""
    title, detail = FAULT_PROBLEMS.get(status, ("Error", "An injected fault."))
    return ProblemError(status, title, detail)
