"""Defaults and knobs of the Mailchimp emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef-us21"
DEFAULT_OAUTH_TOKEN = "sandbox-oauth-token"  # noqa: S105 - a public, fake test token
DEFAULT_DC = "us21"
DEFAULT_LIST_ID = "sandboxlist"
DEFAULT_PORT = 8080
#: "10 simultaneous connections" per API key (Mailchimp fundamentals page).
DEFAULT_CONCURRENCY_LIMIT = 10
#: "500 pending batches" before POST /batches answers 429 (release note, 16 Nov 2021).
DEFAULT_BATCH_PENDING_LIMIT = 500
#: How long a finished batch and its results stay available (inferred: Mailchimp
#: documents that batches expire, not after how long).
DEFAULT_BATCH_RETENTION_SECONDS = 7 * 24 * 3600

#: Mailchimp waits 10 s for a webhook receiver (reference section 6).
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10.0

UnknownMergeFieldPolicy = Literal["reject", "ignore"]


@dataclass
class FakeEmailRule:
    """Which syntactically valid addresses Mailchimp's "looks fake" check rejects.

    Mailchimp does not publish its rule; ``fooboo@example.com`` and ``test@test.com`` are
    known rejections (reference, "Exact error bodies"). The defaults are those domains
    plus the TLDs RFC 2606 reserves, which can never receive mail.
    """

    domains: list[str] = field(
        default_factory=lambda: ["example.com", "example.org", "example.net", "test.com"]
    )
    tlds: list[str] = field(default_factory=lambda: ["test", "invalid", "example", "localhost"])
    local_parts: list[str] = field(default_factory=list)

    def is_fake(self, email: str) -> bool:
        """Whether ``email`` (already syntactically valid) is rejected as fake."""
        local, _, domain = email.lower().rpartition("@")
        domain = domain.rstrip(".")
        tld = domain.rsplit(".", 1)[-1]
        subdomain_of_listed = any(domain.endswith("." + d) for d in self.domains)
        return (
            domain in self.domains
            or subdomain_of_listed
            or tld in self.tlds
            or local in self.local_parts
        )


@dataclass
class MailchimpSettings:
    """Everything about the emulated account that a test may want to change."""

    api_keys: list[str] = field(default_factory=lambda: [DEFAULT_API_KEY])
    oauth_tokens: list[str] = field(default_factory=lambda: [DEFAULT_OAUTH_TOKEN])
    dc: str = DEFAULT_DC
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT
    fake_emails: FakeEmailRule = field(default_factory=FakeEmailRule)
    unknown_merge_fields: UnknownMergeFieldPolicy = "reject"
    account_name: str = "ERP Sandbox"
    login_email: str = "owner@erp-sandbox.dev"
    #: Pause before each change of a batch's status (pending → preprocessing → started,
    #: started → finalizing → finished), so tests can watch the life cycle.
    batch_stage_delay_ms: float = 50
    #: Pause before each operation of a batch.
    batch_operation_delay_ms: float = 0
    #: While true no batch changes status or runs an operation.
    batch_paused: bool = False
    #: Results per JSON file of the results archive.
    batch_results_per_file: int = 100
    batch_retention_seconds: float = DEFAULT_BATCH_RETENTION_SECONDS
    batch_pending_limit: int = DEFAULT_BATCH_PENDING_LIMIT
    #: List webhooks make real HTTP requests: the validation GET when one is created and
    #: a POST per event. Off, webhooks are created without the GET and events are only
    #: recorded in the deliveries.
    deliver_webhooks: bool = True
    webhook_timeout_seconds: float = DEFAULT_WEBHOOK_TIMEOUT_SECONDS

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return asdict(self)

    def apply_json(self, body: dict[str, Any]) -> None:
        """Change the settings named in ``body`` (unknown names are an error)."""
        known = set(self.to_json())
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        for name, value in body.items():
            if name == "fake_emails":
                self.fake_emails = FakeEmailRule(**{**asdict(self.fake_emails), **value})
                continue
            if name == "unknown_merge_fields" and value not in ("reject", "ignore"):
                raise ValueError("unknown_merge_fields must be 'reject' or 'ignore'")
            if name == "deliver_webhooks" and not isinstance(value, bool):
                raise ValueError("deliver_webhooks must be true or false")
            if name == "webhook_timeout_seconds" and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                raise ValueError("webhook_timeout_seconds must be a positive number")
            if name in _AT_LEAST and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or value < _AT_LEAST[name]
            ):
                raise ValueError(f"{name} must be a number of at least {_AT_LEAST[name]}")
            setattr(self, name, value)


#: Numeric settings and their smallest allowed value.
_AT_LEAST: dict[str, float] = {
    "concurrency_limit": 0,
    "batch_stage_delay_ms": 0,
    "batch_operation_delay_ms": 0,
    "batch_results_per_file": 1,
    "batch_retention_seconds": 0,
    "batch_pending_limit": 1,
}
