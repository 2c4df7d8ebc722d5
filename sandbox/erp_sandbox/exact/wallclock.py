"""Exact Online's time: stored as true instants, shown and filtered as CET/CEST wall clock.

Exact writes ``Edm.DateTime`` values as ``/Date(ms)/`` where ``ms`` is the epoch
milliseconds of the **Amsterdam wall-clock** reading, not of the instant (reference C7,
Airbyte ``_parse_item``): 12:00 CEST on 1 July is ``/Date(<1 July 12:00 UTC>)/``. Filter
literals ``datetime'2024-01-01T00:00:00'`` carry no offset and are read on the same wall
clock (reference C4). The emulator therefore keeps aware UTC datetimes and converts at the
edge, so the daylight-saving switches behave as they do at Exact: the hour skipped in
March never appears, and the hour repeated in October renders twice with the same value.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_EPOCH = datetime(1970, 1, 1)
_LITERAL = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?$")


def wall_clock(value: datetime | date, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of an instant (or midnight of a date) in ``zone``."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(zone).replace(tzinfo=None)
    return datetime.combine(value, time())


def wall_clock_ms(value: datetime | date, zone: ZoneInfo) -> int:
    """Epoch milliseconds of the wall-clock reading (what ``/Date(ms)/`` carries)."""
    return (wall_clock(value, zone) - _EPOCH) // timedelta(milliseconds=1)


def odata_date(value: datetime | date, zone: ZoneInfo) -> str:
    """``/Date(1641034800000)/`` for JSON."""
    return f"/Date({wall_clock_ms(value, zone)})/"


def iso_wall_clock(value: datetime | date, zone: ZoneInfo, *, always_ms: bool = False) -> str:
    """``2024-03-31T01:59:59.250`` style text (Atom XML, webhooks): no offset, fractions only
    when there are any, unless ``always_ms``."""
    local = wall_clock(value, zone)
    if always_ms or local.microsecond:
        return local.isoformat(timespec="milliseconds")
    return local.isoformat(timespec="seconds")


def from_wall_clock(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock reading (the first one when it is ambiguous)."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=zone).astimezone(UTC)


def parse_literal(text: str) -> datetime:
    """A ``datetime'…'`` literal's content as a naive wall-clock reading."""
    if not _LITERAL.match(text):
        raise ValueError(f"not a datetime literal: {text!r}")
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time())
    head, _, fraction = text.replace(" ", "T").partition(".")
    moment = datetime.fromisoformat(head)
    if fraction:
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return moment


def dotnet_general(moment: datetime) -> str:
    """.NET's en-US general format, ``10/11/2022 9:18:20 PM`` (UTC), as Exact writes it in
    refresh-token expiry messages (websmurf/laravel-exact-online#23)."""
    utc = moment.astimezone(UTC)
    hour = utc.hour % 12 or 12
    suffix = "AM" if utc.hour < 12 else "PM"
    return f"{utc.month}/{utc.day}/{utc.year} {hour}:{utc:%M:%S} {suffix}"
