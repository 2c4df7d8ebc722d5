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
            elif name == "unknown_merge_fields" and value not in ("reject", "ignore"):
                raise ValueError("unknown_merge_fields must be 'reject' or 'ignore'")
            else:
                setattr(self, name, value)
