"""JD Edwards dates and times: Julian `CYYDDD` dates and `HHMMSS` times."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

JULIAN_OFFSET = 1_900_000  # CYYDDD + 1900000 = YYYYDDD


def julian_to_date(value: int | str) -> dt.date:
    """`CYYDDD` → date: C=0 is 19xx, C=1 is 20xx (`124032` → 2024-02-01)."""
    number = int(value) + JULIAN_OFFSET
    year, day = divmod(number, 1000)
    return dt.date(year, 1, 1) + dt.timedelta(days=day - 1)


def date_to_julian(day: dt.date) -> int:
    """date → `CYYDDD` (2024-02-01 → `124032`)."""
    return (day.year * 1000 + day.timetuple().tm_yday) - JULIAN_OFFSET


def hhmmss_to_time(value: int | str | None) -> dt.time:
    """`HHMMSS` → time (`141805` → 14:18:05); a missing time is midnight."""
    number = int(value or 0)
    hours, rest = divmod(number, 10_000)
    minutes, seconds = divmod(rest, 100)
    return dt.time(hours, minutes, seconds)


def time_to_hhmmss(moment: dt.time) -> int:
    """time → `HHMMSS`."""
    return moment.hour * 10_000 + moment.minute * 100 + moment.second


_JAVA_TO_STRPTIME = (("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"))


def strptime_pattern(simple_date_format: str) -> str:
    """A Java `SimpleDateFormat` (`MM/dd/yyyy`, from the token response) as strptime's."""
    pattern = simple_date_format
    for java, python in _JAVA_TO_STRPTIME:
        pattern = pattern.replace(java, python)
    return pattern


def parse_date(value: int | str, simple_date_format: str) -> dt.date:
    """A date column as the AIS Server renders it: Julian digits, or the user's format."""
    text = str(value).strip()
    if re.fullmatch(r"\d{5,6}", text):
        return julian_to_date(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    return dt.datetime.strptime(text, strptime_pattern(simple_date_format)).date()


def format_date(day: dt.date, literal_format: str, simple_date_format: str) -> str:
    """A query literal for a date, as the server expects it (`julian` or `user`)."""
    if literal_format == "julian":
        return str(date_to_julian(day))
    return day.strftime(strptime_pattern(simple_date_format))


def changed_at(upmj: int | str, upmt: int | str | None, zone: ZoneInfo) -> dt.datetime:
    """A row's last change (UPMJ, UPMT, server-local) as an aware UTC datetime."""
    local = dt.datetime.combine(julian_to_date(upmj), hhmmss_to_time(upmt), tzinfo=zone)
    return local.astimezone(dt.UTC)


def changed_since(
    upmj: int | str, upmt: int | str | None, since_date: dt.date, since_time: dt.time
) -> bool:
    """`UPMJ > d OR (UPMJ = d AND UPMT > t)`: the row changed after (d, t)."""
    day = julian_to_date(upmj)
    return day > since_date or (day == since_date and hhmmss_to_time(upmt) > since_time)
