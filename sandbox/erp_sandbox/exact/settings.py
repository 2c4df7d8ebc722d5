"""Defaults and knobs of the Exact Online emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PORT = 8085
#: The administration ("division") every path names: ``/api/v1/3123456/crm/Accounts``.
DEFAULT_DIVISION = 3123456
#: The OAuth app registered in the (emulated) App Center. Exact shows client ids as GUIDs
#: in braces; the emulator accepts them with or without the braces.
DEFAULT_CLIENT_ID = "6d2b4f8e-1a3c-4e5f-9b7d-0c8e2a4f6b1d"
DEFAULT_CLIENT_SECRET = "q7Lr2VxN9tKw"  # noqa: S105 - public, fake
#: Exact requires an HTTPS redirect URI registered with the app (inferred value).
DEFAULT_REDIRECT_URI = "https://localhost/exact/oauth/callback"
DEFAULT_WEBHOOK_SECRET = "Wh9sK3vQ7pLm2xTz"  # noqa: S105 - public, fake
#: Access tokens live 10 minutes (reference C1).
DEFAULT_ACCESS_TOKEN_SECONDS = 600
#: A new token may be requested only 570 s after the previous one (reference C1).
DEFAULT_MIN_TOKEN_INTERVAL_SECONDS = 570
#: An unused refresh token expires after 30 days (reference C1).
DEFAULT_REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
#: Authorization codes are single-use and last 3 minutes (reference C1).
DEFAULT_AUTHORIZATION_CODE_SECONDS = 180
#: At most 200 token calls per app per user per day (reference C1).
DEFAULT_TOKEN_REQUESTS_PER_DAY = 200
#: Per app per company: 60 calls a minute, 5,000 a day (reference C5).
DEFAULT_MINUTELY_LIMIT = 60
DEFAULT_DAILY_LIMIT = 5000
#: More than 10 errors per endpoint in an hour block the key for an hour (reference C5).
DEFAULT_ERROR_LIMIT_PER_HOUR = 10
DEFAULT_ERROR_BLOCK_SECONDS = 3600
#: Ordinary endpoints page at 60 rows, sync endpoints at 1000 (reference C4).
DEFAULT_PAGE_SIZE = 60
DEFAULT_SYNC_PAGE_SIZE = 1000
#: Exact's servers keep CET/CEST wall-clock time (reference C7).
DEFAULT_TIME_ZONE = "Europe/Amsterdam"


@dataclass
class ExactSettings:
    """Everything about the emulated Exact Online environment a test may want to change."""

    division: int = DEFAULT_DIVISION
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    redirect_uri: str = DEFAULT_REDIRECT_URI
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS
    #: ``expires_in`` as the string ``"600"`` (picqer parses a digit string; inferred) or,
    #: when False, as the number ``600`` (ossobv's test fixture).
    expires_in_as_string: bool = True
    #: Refresh requests sooner than this after the last token get 401 (0 = no rule).
    min_token_interval_seconds: float = DEFAULT_MIN_TOKEN_INTERVAL_SECONDS
    refresh_token_seconds: float = DEFAULT_REFRESH_TOKEN_SECONDS
    authorization_code_seconds: float = DEFAULT_AUTHORIZATION_CODE_SECONDS
    #: Token endpoint requests per app and user per (UTC) day (0 = no limit).
    token_requests_per_day: int = DEFAULT_TOKEN_REQUESTS_PER_DAY
    #: API calls per app and division per clock minute (0 = no limit, no headers).
    minutely_limit: int = DEFAULT_MINUTELY_LIMIT
    #: API calls per app and division per UTC day (0 = no limit, no headers).
    daily_limit: int = DEFAULT_DAILY_LIMIT
    #: 400/401/403/404 answers per endpoint per hour before the key is blocked (0 = off).
    error_limit_per_hour: int = DEFAULT_ERROR_LIMIT_PER_HOUR
    error_block_seconds: float = DEFAULT_ERROR_BLOCK_SECONDS
    page_size: int = DEFAULT_PAGE_SIZE
    sync_page_size: int = DEFAULT_SYNC_PAGE_SIZE
    #: Zone of the wall clock that ``/Date(ms)/`` values and ``datetime'…'`` literals use.
    time_zone: str = DEFAULT_TIME_ZONE
    #: OData v2 verbose JSON writes Edm.Int64 (``Timestamp``) as a string (inferred).
    int64_as_string: bool = True
    #: POST notifications to subscribed callback URLs when records change.
    deliver_webhooks: bool = False
    #: POST an empty body to a new subscription's CallbackURL; non-2xx refuses it (3rd-party).
    validate_webhook_callbacks: bool = False
    webhook_timeout_seconds: float = 5.0
    #: Base URL put into webhook ``ExactOnlineEndpoint`` values ("" = where it is served).
    public_base_url: str = ""

    def __post_init__(self) -> None:
        self.validate()

    @property
    def zone(self) -> ZoneInfo:
        """The wall-clock zone."""
        return ZoneInfo(self.time_zone)

    def validate(self) -> None:
        """Refuse settings the emulator cannot serve."""
        if self.division <= 0:
            raise ValueError("division must be a positive number")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        for name in ("page_size", "sync_page_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in (
            "access_token_seconds",
            "refresh_token_seconds",
            "authorization_code_seconds",
            "error_block_seconds",
            "webhook_timeout_seconds",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in (
            "min_token_interval_seconds",
            "token_requests_per_day",
            "minutely_limit",
            "daily_limit",
            "error_limit_per_hour",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return asdict(self)

    def apply_json(self, body: dict[str, Any]) -> None:
        """Change the settings named in ``body`` (unknown names are an error); nothing
        changes if the result would be invalid."""
        known = set(asdict(self))
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        candidate = ExactSettings(**{**asdict(self), **body})
        for name in body:
            setattr(self, name, getattr(candidate, name))
