"""Defaults and knobs of the Acumatica emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PORT = 8083
#: The instance is installed under a virtual directory, as in Acumatica's own examples
#: (``http://localhost/AcumaticaDB/entity/auth/login``); "" serves it at the root (SaaS).
DEFAULT_SITE_PATH = "/AcumaticaERP"
DEFAULT_TENANT = "MyStore"
DEFAULT_BRANCH = "HEADOFFICE"
#: Client ids are ``<GUID>@<Tenant>`` (reference A3).
DEFAULT_CLIENT_GUID = "3F2B8C1E-6A4D-4E0B-9C51-7D2A0E8B4F60"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - public, fake
DEFAULT_USERNAME = "admin"
DEFAULT_PASSWORD = "sandbox-password"  # noqa: S105 - public, fake
#: Access tokens live one hour (reference A3).
DEFAULT_ACCESS_TOKEN_SECONDS = 3600
#: The refresh chain expires 30 days after the first grant (reference A3).
DEFAULT_REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
#: The trial licence allows two API users (reference A4).
DEFAULT_API_USER_LIMIT = 2
#: ASP.NET's default session timeout (inferred: Acumatica does not document it for the API).
DEFAULT_SESSION_TIMEOUT_SECONDS = 1200
#: Endpoint versions this instance offers, each backed by the vendor's definition.
DEFAULT_ENDPOINT_VERSIONS = ("22.200.001", "23.200.001", "24.200.001")
ENDPOINT_NAME = "Default"


@dataclass
class AcumaticaSettings:
    """Everything about the emulated instance that a test may want to change."""

    #: Virtual directory of the instance ("" = site root). ``base_url`` includes it.
    site_path: str = DEFAULT_SITE_PATH
    tenant: str = DEFAULT_TENANT
    branch: str = DEFAULT_BRANCH
    #: The GUID part of the OAuth client id; the id is ``<GUID>@<tenant>``.
    client_guid: str = DEFAULT_CLIENT_GUID
    client_secret: str = DEFAULT_CLIENT_SECRET
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    #: Versions of the ``Default`` endpoint served (each must have a spec file).
    endpoint_versions: list[str] = field(default_factory=lambda: list(DEFAULT_ENDPOINT_VERSIONS))
    #: Reported by ``GET /entity/`` as ``version.acumaticaBuildVersion``.
    build_version: str = "24.212.0024"
    #: Time zone of the instance: DateTimeValue fields carry its offset.
    time_zone: str = "America/New_York"
    access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS
    refresh_token_seconds: float = DEFAULT_REFRESH_TOKEN_SECONDS
    #: Every refresh returns a new refresh token and retires the old one (inferred).
    rotate_refresh_tokens: bool = True
    #: Licence: open API sessions (cookie logins + OAuth grants) before "API Login Limit"
    #: (0 = no limit).
    api_user_limit: int = DEFAULT_API_USER_LIMIT
    #: A cookie session nobody uses for this long closes by itself.
    session_timeout_seconds: float = DEFAULT_SESSION_TIMEOUT_SECONDS
    #: Licence: web-service requests per window (0 = no limit); see ``throttling.py``.
    requests_per_minute: int = 0
    #: Length of the "minute" (shorten it in tests).
    rate_window_seconds: float = 60.0
    #: Requests waiting in the licence queue before more are declined with 429.
    max_queued_requests: int = 20
    #: A request waiting longer than this is declined with 429.
    max_queue_wait_seconds: float = 600.0

    def __post_init__(self) -> None:
        self.validate()

    @property
    def client_id(self) -> str:
        """``<GUID>@<Tenant>``, as Acumatica generates it."""
        return f"{self.client_guid}@{self.tenant}"

    @property
    def zone(self) -> ZoneInfo:
        """The instance time zone."""
        return ZoneInfo(self.time_zone)

    def validate(self) -> None:
        """Refuse settings the emulator cannot serve."""
        from erp_sandbox.acumatica.spec import SPEC_FILES

        if self.site_path and (not self.site_path.startswith("/") or self.site_path.endswith("/")):
            raise ValueError("site_path must be empty or start (and not end) with '/'")
        unknown = [v for v in self.endpoint_versions if v not in SPEC_FILES]
        if unknown:
            raise ValueError(
                f"no endpoint definition for versions {unknown}; known: {sorted(SPEC_FILES)}"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        if self.rate_window_seconds <= 0:
            raise ValueError("rate_window_seconds must be positive")

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (plus the derived client id)."""
        return {**asdict(self), "client_id": self.client_id}

    def apply_json(self, body: dict[str, Any]) -> None:
        """Change the settings named in ``body`` (unknown names are an error); nothing
        changes if the result would be invalid."""
        known = set(asdict(self))
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        candidate = AcumaticaSettings(**{**asdict(self), **body})
        for name in body:
            setattr(self, name, getattr(candidate, name))
