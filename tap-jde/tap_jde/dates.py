"""JD Edwards dates and times: Julian `CYYDDD` dates and `HHMMSS` times.

The database stores dates as `CYYDDD` (C = centuries after 1900, so `124032` is
2024-02-01 and `99074` is 1999-03-15) and change times (`UPMT`) as `HHMMSS` numbers
(`93005` is 09:30:05), both in the server's local time. The AIS Server renders date
columns as `yyyymmdd`, in the user's format (`simpleDateFormat` of the token response)
or as Julian digits, depending on its version and configuration, and reads query
literals in the user's format or as Julian digits.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

if t.TYPE_CHECKING:
    from zoneinfo import ZoneInfo

JULIAN_OFFSET = 1_900_000  # CYYDDD + 1900000 = YYYYDDD
LITERAL_FORMATS = ("formatted", "julian")


class Since(t.NamedTuple):
    """A change bookmark in the server's local time: `UPMJ` date and `UPMT` time."""

    day: dt.date
    time: dt.time

    @classmethod
    def from_moment(cls, moment: dt.datetime, zone: ZoneInfo) -> Since:
        """A bookmark (an aware datetime, e.g. from state) as the server's wall time."""
        local = moment.astimezone(zone)
        return cls(local.date(), local.time().replace(microsecond=0, tzinfo=None))


def julian_to_date(value: int | str) -> dt.date:
    """`CYYDDD` → date: C=0 is 19xx, C=1 is 20xx (`124032` → 2024-02-01)."""
    year, day = divmod(int(value) + JULIAN_OFFSET, 1000)
    result = dt.date(year, 1, 1) + dt.timedelta(days=day - 1)
    if day < 1 or result.year != year:  # e.g. day 000, or day 366 of a common year
        msg = f"{value!r} is not a CYYDDD date"
        raise ValueError(msg)
    return result


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


def parse_date(value: int | str | None, simple_date_format: str) -> dt.date | None:
    """A date column as the AIS Server renders it; a blank date (`""`, `0`) is None.

    Accepted: Julian digits (`124032`, `99074`), `yyyymmdd` (`20240201`), ISO
    (`2024-02-01`) and the user's format (`02/01/2024`).
    """
    if value is None:
        return None
    text = str(value).strip()
    if text in ("", "0"):
        return None
    if re.fullmatch(r"\d{1,6}", text):  # CYYDDD never has more than 6 digits
        return julian_to_date(text)
    if re.fullmatch(r"\d{8}", text):
        try:
            return dt.datetime.strptime(text, "%Y%m%d").date()
        except ValueError:
            pass  # a user format without separators (`ddMMyyyy`): read below
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.date.fromisoformat(text)
    return dt.datetime.strptime(text, strptime_pattern(simple_date_format)).date()


def format_date(day: dt.date, literal_format: str, simple_date_format: str) -> str:
    """A query literal for a date, as the server reads them (`formatted` or `julian`)."""
    if literal_format == "julian":
        return str(date_to_julian(day))
    return day.strftime(strptime_pattern(simple_date_format))


def changed_at(day: dt.date | None, upmt: int | str | None, zone: ZoneInfo) -> dt.datetime | None:
    """A row's last change (UPMJ date, UPMT time, server-local) as an aware UTC datetime.

    An ambiguous wall time (the repeated hour when clocks go back) is read as the first
    of the two, so later wall times never map to earlier instants.
    """
    if day is None:
        return None
    local = dt.datetime.combine(day, hhmmss_to_time(upmt), tzinfo=zone)
    return local.astimezone(dt.UTC)


def changed_since(day: dt.date | None, upmt: int | str | None, since: Since) -> bool:
    """`UPMJ > d OR (UPMJ = d AND UPMT > t)`: the row changed after the bookmark."""
    if day is None:
        return False
    return day > since.day or (day == since.day and hhmmss_to_time(upmt) > since.time)
