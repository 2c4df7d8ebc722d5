"""JD Edwards dates and times as the database stores them and the AIS Server shows them.

Dates are ``CYYDDD`` Julian numbers: C is the century after 1900 (0 = 19xx, 1 = 20xx),
YY the year, DDD the day of the year, so ``124032`` is 2024-02-01 and ``98365`` (C=0,
often written ``098365``) is 1998-12-31; the value plus 1,900,000 is ``YYYYDDD``
(reference B3). Times are ``HHMMSS`` numbers (``141805`` = 14:18:05, ``20000`` = 02:00:00)
in the server's local time. 0 is JD Edwards' blank date.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

JULIAN_OFFSET = 1_900_000
_JAVA_TO_STRFTIME = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"))


def julian_of(day: date) -> int:
    """A date as ``CYYDDD`` (2024-02-01 → 124032)."""
    return day.year * 1000 + day.timetuple().tm_yday - JULIAN_OFFSET


def date_of_julian(value: int) -> date:
    """``CYYDDD`` as a date (124032 → 2024-02-01)."""
    year, day_of_year = divmod(int(value) + JULIAN_OFFSET, 1000)
    if not 1 <= day_of_year <= 366:
        raise ValueError(f"{value} is not a CYYDDD date")
    return date(year, 1, 1) + timedelta(days=day_of_year - 1)


def hhmmss_of(moment: time | datetime) -> int:
    """A time of day as ``HHMMSS`` (14:18:05 → 141805)."""
    return moment.hour * 10_000 + moment.minute * 100 + moment.second


def time_of_hhmmss(value: int) -> time:
    """``HHMMSS`` as a time (20000 → 02:00:00)."""
    hours, rest = divmod(int(value), 10_000)
    minutes, seconds = divmod(rest, 100)
    return time(hours, minutes, seconds)


def strftime_pattern(simple_date_format: str) -> str:
    """A Java ``SimpleDateFormat`` (``MM/dd/yyyy``) as a ``strftime`` pattern."""
    pattern = simple_date_format
    for java, python in _JAVA_TO_STRFTIME:
        pattern = pattern.replace(java, python)
    return pattern


def render_date(value: int | None, output: str, simple_date_format: str) -> str:
    """A stored date as a grid shows it: ``yyyymmdd`` → ``"20240201"``, ``formatted`` →
    ``"02/01/2024"`` (the user's format), ``julian`` → ``"124032"``. Blank dates are ``""``."""
    if not value:
        return ""
    if output == "julian":
        return str(int(value))
    day = date_of_julian(value)
    if output == "yyyymmdd":
        return day.strftime("%Y%m%d")
    return day.strftime(strftime_pattern(simple_date_format))


def parse_date_literal(text: str, literal_format: str, simple_date_format: str) -> int:
    """A query literal for a date column, as the server expects it, as ``CYYDDD``."""
    text = text.strip()
    if literal_format == "julian":
        if not re.fullmatch(r"\d{1,7}", text):
            raise ValueError(f"'{text}' is not a CYYDDD date")
        value = int(text)
        date_of_julian(value)
        return value
    try:
        parsed = datetime.strptime(text, strftime_pattern(simple_date_format))
    except ValueError:
        raise ValueError(f"'{text}' is not a date in the format {simple_date_format}") from None
    return julian_of(parsed.date())


def coerce_julian(value: object) -> int:
    """A date given to the record API (a ``date``, ``"2024-02-01"``, or CYYDDD as a number
    or digits) as ``CYYDDD``; ``None``/``0`` is the blank date 0."""
    if value is None or value == 0:
        return 0
    if isinstance(value, datetime):
        return julian_of(value.date())
    if isinstance(value, date):
        return julian_of(value)
    if isinstance(value, int) and not isinstance(value, bool):
        date_of_julian(value)
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d{1,6}", text):
        date_of_julian(int(text))
        return int(text)
    return julian_of(date.fromisoformat(text))
