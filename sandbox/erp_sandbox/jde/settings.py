"""Defaults and knobs of the JD Edwards AIS Server emulator."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_PORT = 8084
#: JD Edwards' own demo user is ``JDE`` (Oracle's token examples, reference B1).
DEFAULT_USERNAME = "JDE"
DEFAULT_PASSWORD = "sandbox-password"  # noqa: S105 - public, fake
DEFAULT_ENVIRONMENT = "JDV920"
DEFAULT_ROLE = "*ALL"
#: No fixed lifetime is documented; third-party code assumes 30 minutes (reference B1).
DEFAULT_SESSION_TIMEOUT_SECONDS = 1800
#: The HTML Server's ``resultSetTimeout`` default (reference B2).
DEFAULT_RESULT_SET_TIMEOUT_SECONDS = 60
#: Rows per data service page when the request sends no ``maxPageSize`` (inferred).
DEFAULT_MAX_PAGE_SIZE = 100
#: How date columns come back in grids: ``yyyymmdd`` (``"20240201"``, what a live client
#: parses), ``formatted`` (the user's ``simpleDateFormat``, ``"02/01/2024"``) or
#: ``julian`` (the stored CYYDDD digits as a string, ``"124032"``).
DATE_OUTPUTS = ("yyyymmdd", "formatted", "julian")
#: How date literals in query conditions must be written: the user's format or CYYDDD.
DATE_LITERAL_FORMATS = ("formatted", "julian")
#: JD Edwards date format codes (user profile) and the order of their parts.
DATE_FORMAT_PATTERNS = {
    "MDE": ("MM", "dd", "yyyy"),
    "DME": ("dd", "MM", "yyyy"),
    "EMD": ("yyyy", "MM", "dd"),
}


@dataclass
class JdeSettings:
    """Everything about the emulated AIS Server that a test may want to change."""

    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    #: Environments the user may sign in to; the first is the default.
    environments: list[str] = field(default_factory=lambda: [DEFAULT_ENVIRONMENT, "JPY920"])
    #: Roles the user may sign in with; the first is the default.
    roles: list[str] = field(default_factory=lambda: [DEFAULT_ROLE])
    #: The HTML (JAS) Server the AIS Server talks to (``jasserver`` in token responses).
    jas_server: str = "http://denjas01:8081"
    #: The user's address book number and, from F0101, ``alphaName``.
    address_number: int = 1
    #: User profile: date format code (``MDE``, ``DME``, ``EMD``) and separator.
    date_format: str = "MDE"
    date_separator: str = "/"
    decimal_format: str = "."
    locale: str = "en"
    lang_pref: str = ""
    #: Zone of the server's clock: UPMJ/UPMT are local times there.
    time_zone: str = "America/Denver"
    date_output: str = "yyyymmdd"
    date_literal_format: str = "formatted"
    #: A session nobody uses for this long ends; its token then answers 444.
    session_timeout_seconds: float = DEFAULT_SESSION_TIMEOUT_SECONDS
    #: An open result set nobody reads for this long expires (next → 500).
    result_set_timeout_seconds: float = DEFAULT_RESULT_SET_TIMEOUT_SECONDS
    default_max_page_size: int = DEFAULT_MAX_PAGE_SIZE
    #: False makes every token request answer 405 (the HTML Server's Allowed Hosts list
    #: does not name this AIS Server).
    allowed_hosts_configured: bool = True
    #: Tables the role may not read: data service requests on them answer 403.
    denied_tables: list[str] = field(default_factory=list)
    #: Requests in flight at once before 429 (0 = no limit; AIS documents none).
    concurrency_limit: int = 0

    def __post_init__(self) -> None:
        self.validate()

    @property
    def environment(self) -> str:
        """The default environment."""
        return self.environments[0]

    @property
    def role(self) -> str:
        """The default role."""
        return self.roles[0]

    @property
    def zone(self) -> ZoneInfo:
        """The server's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def simple_date_format(self) -> str:
        """The user's date format as a Java pattern, e.g. ``MM/dd/yyyy``."""
        return self.date_separator.join(DATE_FORMAT_PATTERNS[self.date_format])

    def validate(self) -> None:
        """Refuse settings the emulator cannot serve."""
        if not self.environments or not self.roles:
            raise ValueError("environments and roles must not be empty")
        if self.date_output not in DATE_OUTPUTS:
            raise ValueError(f"date_output must be one of {DATE_OUTPUTS}")
        if self.date_literal_format not in DATE_LITERAL_FORMATS:
            raise ValueError(f"date_literal_format must be one of {DATE_LITERAL_FORMATS}")
        if self.date_format not in DATE_FORMAT_PATTERNS:
            raise ValueError(f"date_format must be one of {sorted(DATE_FORMAT_PATTERNS)}")
        if len(self.date_separator) != 1 or self.date_separator.isalnum():
            raise ValueError("date_separator must be one punctuation character")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        if self.session_timeout_seconds <= 0 or self.result_set_timeout_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if self.default_max_page_size < 1:
            raise ValueError("default_max_page_size must be at least 1")
        if self.concurrency_limit < 0:
            raise ValueError("concurrency_limit must not be negative")

    def to_json(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (plus the derived ``simple_date_format``)."""
        return {**asdict(self), "simple_date_format": self.simple_date_format}

    def apply_json(self, body: dict[str, Any]) -> None:
        """Change the settings named in ``body`` (unknown names are an error); nothing
        changes if the result would be invalid."""
        unknown = set(body) - set(asdict(self))
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        candidate = JdeSettings(**{**asdict(self), **body})
        for name in body:
            setattr(self, name, getattr(candidate, name))
