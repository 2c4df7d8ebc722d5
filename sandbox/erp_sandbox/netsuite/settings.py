"""Defaults and knobs of the NetSuite emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ACCOUNT_ID = "1234567_SB1"
DEFAULT_PORT = 8081
DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_RSA_CERTIFICATE_ID = "sandbox-rsa-cert"
DEFAULT_EC_CERTIFICATE_ID = "sandbox-ec-cert"
DEFAULT_CONSUMER_KEY = "sandbox-consumer-key"
DEFAULT_CONSUMER_SECRET = "sandbox-consumer-secret"  # noqa: S105 - public, fake
DEFAULT_TOKEN_ID = "sandbox-token-id"  # noqa: S105 - public, fake
DEFAULT_TOKEN_SECRET = "sandbox-token-secret"  # noqa: S105 - public, fake
#: Access tokens live 60 minutes (reference A3).
DEFAULT_ACCESS_TOKEN_SECONDS = 3600
#: Results are capped at 100,000 rows per query (reference A1).
DEFAULT_RESULT_CEILING = 100_000
#: Default and maximum page size (reference A1).
MAX_PAGE_SIZE = 1000
#: Developer accounts are fixed at 5 concurrent requests (reference A4).
DEFAULT_CONCURRENCY_LIMIT = 5
#: ``N/https.post`` gives up connecting after 5 s (reference A5; it allows 45 s to send).
DEFAULT_NOTIFICATION_TIMEOUT_SECONDS = 5.0

TEST_KEYS_DIR = Path(__file__).parent / "test_keys"
#: Fake key material shipped for tests (see ``test_keys/README.md``).
RSA_PRIVATE_KEY_FILE = TEST_KEYS_DIR / "fake_sandbox_rsa3072_private_key.pem"
RSA_CERTIFICATE_FILE = TEST_KEYS_DIR / "fake_sandbox_rsa3072_certificate.pem"
EC_PRIVATE_KEY_FILE = TEST_KEYS_DIR / "fake_sandbox_ec_p256_private_key.pem"
EC_CERTIFICATE_FILE = TEST_KEYS_DIR / "fake_sandbox_ec_p256_certificate.pem"


def account_host(account_id: str) -> str:
    """The REST host of an account: ``1234567_SB1`` → ``1234567-sb1.suitetalk.api.netsuite.com``
    (reference A2)."""
    return f"{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def _default_certificates() -> dict[str, dict[str, str]]:
    return {
        DEFAULT_RSA_CERTIFICATE_ID: {
            "client_id": DEFAULT_CLIENT_ID,
            "certificate": RSA_CERTIFICATE_FILE.read_text(encoding="ascii"),
        },
        DEFAULT_EC_CERTIFICATE_ID: {
            "client_id": DEFAULT_CLIENT_ID,
            "certificate": EC_CERTIFICATE_FILE.read_text(encoding="ascii"),
        },
    }


@dataclass
class NetSuiteSettings:
    """Everything about the emulated account that a test may want to change."""

    account_id: str = DEFAULT_ACCOUNT_ID
    #: Time zone of stored timestamps and of TO_TIMESTAMP/TO_CHAR.
    account_timezone: str = "America/Los_Angeles"
    #: The user's date preference, used for dates selected without TO_CHAR.
    date_format: str = "M/D/YYYY"
    #: OAuth 2.0 integrations: client ids allowed to ask for tokens.
    client_ids: list[str] = field(default_factory=lambda: [DEFAULT_CLIENT_ID])
    #: Certificate id (JWT ``kid``) → ``{"client_id", "certificate"}`` (PEM certificate or
    #: public key) — NetSuite's certificate mapping.
    certificates: dict[str, dict[str, str]] = field(default_factory=_default_certificates)
    access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS
    #: TBA: consumer key → consumer secret, token id → token secret.
    tba_consumers: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_CONSUMER_KEY: DEFAULT_CONSUMER_SECRET}
    )
    tba_tokens: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_TOKEN_ID: DEFAULT_TOKEN_SECRET}
    )
    #: How far an ``oauth_timestamp`` may be from now, in seconds.
    tba_timestamp_tolerance_seconds: float = 300
    #: Account-wide requests in flight before 429 (0 = no limit).
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT
    #: Rows a query may page through (the 100k ceiling; lower it in tests).
    result_ceiling: int = DEFAULT_RESULT_CEILING
    #: Ties of a non-unique ORDER BY come back in a different order on every page.
    shuffle_ties_per_page: bool = True
    #: Tables the role cannot use: 403 ``INSUFFICIENT_PERMISSION``.
    permission_denied_tables: list[str] = field(default_factory=list)
    #: Tables hidden by a missing permission or feature: 400 "Record 'x' was not found."
    hidden_tables: list[str] = field(default_factory=list)
    #: Seconds the deployed user-event script waits for its POST (one attempt).
    notification_timeout_seconds: float = DEFAULT_NOTIFICATION_TIMEOUT_SECONDS

    @property
    def host(self) -> str:
        """The account's REST host name."""
        return account_host(self.account_id)

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (certificates shortened to their client)."""
        data = asdict(self)
        data["certificates"] = {
            kid: {"client_id": mapping["client_id"]} for kid, mapping in self.certificates.items()
        }
        data["host"] = self.host
        return data

    def apply_json(self, body: dict[str, Any]) -> None:
        """Change the settings named in ``body`` (unknown names are an error)."""
        known = set(asdict(self))
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        timeout = body.get("notification_timeout_seconds", self.notification_timeout_seconds)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValueError("notification_timeout_seconds must be a positive number")
        for name, value in body.items():
            setattr(self, name, value)
