"""Defaults and knobs of the Oracle Fusion Cloud ERP emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_PORT = 8082
#: The only REST API version served (reference B1); any other version in a URL is 404.
API_VERSION = "11.13.18.05"
#: The pillars (context roots) served, and the resources each one holds.
PILLARS = ("crmRestApi", "fscmRestApi")
DEFAULT_CLIENT_ID = "sandbox-fusion-client"
DEFAULT_CLIENT_SECRET = "sandbox-fusion-secret"  # noqa: S105 - public, fake
DEFAULT_USERNAME = "sandbox.integration"
DEFAULT_PASSWORD = "sandbox-fusion-password"  # noqa: S105 - public, fake
#: The "All" trust scope of the identity domain (reference B3).
ALL_RESOURCES_SCOPE = "urn:opc:resource:consumer::all"
#: Host the pod stands for in scope audiences and describe links ("<pod>.fa.<region>...").
DEFAULT_POD_HOST = "sandbox-erp.fa.us2.oraclecloud.com"
#: IDCS example: ``expires_in`` 3600 (reference B3), configurable per resource app.
DEFAULT_ACCESS_TOKEN_SECONDS = 3600
#: ADF framework versions 1-4 (Oracle's "Set the REST Framework Version" pages); 1 is
#: the default when the header is absent.
DEFAULT_FRAMEWORK_VERSIONS = (1, 2, 3, 4)
DEFAULT_FRAMEWORK_VERSION = 1
#: Default page size 25; most resources cap near 500 (reference B2).
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 500


@dataclass
class FusionSettings:
    """Everything about the emulated pod that a test may want to change."""

    #: Confidential applications of the identity domain: client id → client secret.
    clients: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    )
    #: Fusion users for HTTP Basic: user name → password.
    users: dict[str, str] = field(default_factory=lambda: {DEFAULT_USERNAME: DEFAULT_PASSWORD})
    #: Life of issued access tokens, in seconds (may be fractional, for tests).
    access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS
    #: The pod's host name, accepted as a scope audience (``https://<host>:443``).
    pod_host: str = DEFAULT_POD_HOST
    #: Framework version used when ``REST-Framework-Version`` is absent.
    default_framework_version: int = DEFAULT_FRAMEWORK_VERSION
    #: Framework versions a request may ask for.
    framework_versions: list[int] = field(default_factory=lambda: list(DEFAULT_FRAMEWORK_VERSIONS))
    #: Page size without ``limit``, and the silent clamp for larger limits.
    default_page_size: int = DEFAULT_PAGE_SIZE
    max_page_size: int = MAX_PAGE_SIZE
    #: Rows that tie on every ``orderBy`` attribute come back in a different order on
    #: every page (Oracle gives no order to ties), so paging on a non-unique order repeats
    #: and skips rows.
    shuffle_ties_per_page: bool = True
    #: Requests in flight at once before 429 (0 = no limit: Oracle publishes none).
    concurrency_limit: int = 0
    #: ``Retry-After`` seconds sent with that 429.
    retry_after_seconds: int = 5

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return asdict(self)

    def apply_json(self, body: dict[str, Any]) -> None:
        """Change the settings named in ``body`` (unknown names are an error)."""
        known = set(asdict(self))
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        for name, value in body.items():
            setattr(self, name, value)
        if self.default_framework_version not in self.framework_versions:
            raise ValueError("default_framework_version must be one of framework_versions")
