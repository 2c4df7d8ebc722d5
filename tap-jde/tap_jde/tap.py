"""tap-jde: JD Edwards EnterpriseOne customers, vendors and address book tables (AIS)."""

from __future__ import annotations

import typing as t
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_jde.auth import AisSession
from tap_jde.dates import LITERAL_FORMATS
from tap_jde.streams import STREAM_TYPES

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

INACTIVE_COLUMN_TABLES = ("F03012", "F0101")


class TapJde(Tap):
    """Reads JD Edwards customers, vendors and address book tables through the AIS Server."""

    name = "tap-jde"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "base_url",
            th.StringType,
            required=True,
            title="Base URL",
            description="The AIS Server, e.g. `https://ais.example.com:9302` (services under "
            "`/jderest/v2`).",
        ),
        th.Property(
            "username",
            th.StringType,
            required=True,
            title="Username",
            description="The JD Edwards user the tap signs in as.",
        ),
        th.Property(
            "password",
            th.StringType,
            required=True,
            secret=True,
            title="Password",
            description="The JD Edwards user's password.",
        ),
        th.Property(
            "environment",
            th.StringType,
            title="Environment",
            description="JD Edwards environment, e.g. `JPD920`; the user's default if unset.",
        ),
        th.Property(
            "role",
            th.StringType,
            title="Role",
            description="JD Edwards role, e.g. `*ALL`; the user's default if unset.",
        ),
        th.Property(
            "device_name",
            th.StringType,
            default="tap-jde",
            title="Device Name",
            description="`deviceName` of the token request: the token is bound to it.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1),
            default=500,
            title="Page Size",
            description="Rows per data service page (`maxPageSize`).",
        ),
        th.Property(
            "company",
            th.StringType,
            default="00000",
            title="Company",
            description="The company (F03012.CO) whose customer master rows make customers.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description="Rows last changed (UPMJ/UPMT) before this are not read on the first run.",
        ),
        th.Property(
            "date_literal_format",
            th.StringType,
            default="formatted",
            allowed_values=list(LITERAL_FORMATS),
            title="Date Literal Format",
            description="How the server reads dates in query conditions: `formatted` (the "
            "user's date format from the token response, e.g. `02/01/2024`) or `julian` "
            "(CYYDDD, e.g. `124032`).",
        ),
        th.Property(
            "time_zone",
            th.StringType,
            default="UTC",
            title="Time Zone",
            description="The server's IANA time zone, e.g. `America/Denver`: UPMJ/UPMT are "
            "its wall time, converted to UTC.",
        ),
        th.Property(
            "inactive_customer_column",
            th.StringType,
            default="F03012.CUSTS",
            title="Inactive Customer Column",
            description="`<table>.<alias>` (table F03012 or F0101) of the column that marks "
            "customers inactive.",
        ),
        th.Property(
            "inactive_customer_values",
            th.ArrayType(th.StringType),
            default=["1"],
            title="Inactive Customer Values",
            description="Values of that column (trimmed) that mean inactive; anything else, "
            "blank included, is active.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._check_settings()

    def _check_settings(self) -> None:
        """Fail fast, in one sentence, on settings the schema cannot check."""
        zone = str(self.config.get("time_zone", "UTC"))
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"`time_zone` {zone!r} is not an IANA time zone such as `America/Denver`."
            raise ConfigValidationError(msg, errors=[msg]) from None
        column = str(self.config.get("inactive_customer_column", "F03012.CUSTS"))
        table, _, alias = column.partition(".")
        if table not in INACTIVE_COLUMN_TABLES or not alias:
            msg = (
                f"`inactive_customer_column` {column!r} must be `F03012.<alias>` or "
                "`F0101.<alias>`, e.g. `F03012.CUSTS`."
            )
            raise ConfigValidationError(msg, errors=[msg])

    @cached_property
    def session(self) -> AisSession:
        """The run's one AIS session, shared by every stream."""
        config = self.config
        return AisSession(
            base_url=str(config["base_url"]),
            username=str(config["username"]),
            password=str(config["password"]),
            device_name=str(config.get("device_name") or "tap-jde"),
            environment=config.get("environment"),
            role=config.get("role"),
        )

    def sync_all(self) -> None:
        """Sign in, sync, and always log out, a failed run included."""
        try:
            self.session.token()  # sign in at the start of the run
            super().sync_all()
        finally:
            self.session.close()

    def discover_streams(self) -> list[Stream]:
        """The tap's streams."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]
