"""Oracle-style date format models (``YYYY-MM-DD HH24:MI:SS``) and NetSuite date
preferences (``M/D/YYYY``), for TO_CHAR, TO_TIMESTAMP/TO_DATE and date rendering.

Timestamps are stored as ``YYYY-MM-DD HH:MM:SS`` text in the account time zone, so no
conversion between zones happens here: only between text forms.
"""

from __future__ import annotations

import re
from datetime import datetime

STORED_FORMAT = "%Y-%m-%d %H:%M:%S"

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Longest first, so ``HH24`` wins over ``HH`` and ``MONTH`` over ``MON``/``MM``.
_ORACLE_TOKEN = re.compile(
    r'"[^"]*"|YYYY|RRRR|YYY|YY|MONTH|MON|MM|DDD|DD|DAY|DY|D|HH24|HH12|HH|MI|SS|FF\d?|AM|PM|Q',
    re.IGNORECASE,
)
_PREFERENCE_TOKEN = re.compile(r"YYYY|YY|MONTH|Mon|MM|M|DD|D")


class DateFormatError(ValueError):
    """A value does not match its format, or the format is not understood."""


def parse_stored(value: str) -> datetime:
    """A stored timestamp (``YYYY-MM-DD HH:MM:SS``, or a bare date) as a naive datetime."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.strptime(text, "%Y-%m-%d")
        return datetime.strptime(text[:19], STORED_FORMAT)
    except ValueError as exc:
        raise DateFormatError(f"not a timestamp: {value!r}") from exc


def _cased(word: str, token: str) -> str:
    """Oracle's casing rule: ``MON`` → ``JAN``, ``Mon`` → ``Jan``, ``mon`` → ``jan``."""
    if token.isupper():
        return word.upper()
    if token[0].isupper():
        return word.capitalize()
    return word.lower()


def _oracle_piece(token: str, moment: datetime) -> str:
    upper = token.upper()
    pieces = {
        "YYYY": f"{moment.year:04d}",
        "RRRR": f"{moment.year:04d}",
        "YYY": f"{moment.year % 1000:03d}",
        "YY": f"{moment.year % 100:02d}",
        "MM": f"{moment.month:02d}",
        "DDD": f"{moment.timetuple().tm_yday:03d}",
        "DD": f"{moment.day:02d}",
        "D": str((moment.isoweekday() % 7) + 1),
        "HH24": f"{moment.hour:02d}",
        "HH12": f"{(moment.hour % 12) or 12:02d}",
        "HH": f"{(moment.hour % 12) or 12:02d}",
        "MI": f"{moment.minute:02d}",
        "SS": f"{moment.second:02d}",
        "AM": "AM" if moment.hour < 12 else "PM",
        "PM": "AM" if moment.hour < 12 else "PM",
        "Q": str((moment.month - 1) // 3 + 1),
    }
    if upper in pieces:
        return pieces[upper]
    if upper.startswith("FF"):
        digits = int(upper[2:] or 6)
        return f"{moment.microsecond:06d}"[:digits].ljust(digits, "0")
    if upper == "MONTH":
        return _cased(MONTHS[moment.month - 1], token)
    if upper == "MON":
        return _cased(MONTHS[moment.month - 1][:3], token)
    if upper == "DAY":
        return _cased(DAYS[moment.weekday()], token)
    if upper == "DY":
        return _cased(DAYS[moment.weekday()][:3], token)
    raise DateFormatError(f"unsupported format element {token!r}")


def oracle_format(moment: datetime, model: str) -> str:
    """TO_CHAR: ``moment`` rendered with an Oracle format model."""
    out: list[str] = []
    position = 0
    for match in _ORACLE_TOKEN.finditer(model):
        out.append(model[position : match.start()])
        token = match.group()
        out.append(token[1:-1] if token.startswith('"') else _oracle_piece(token, moment))
        position = match.end()
    out.append(model[position:])
    return "".join(out)


def strptime_pattern(pattern: str) -> str:
    """A strftime pattern as sqlglot translated it from Oracle, made fit for strptime
    (sqlglot keeps Oracle's double-quoted literals such as ``"T"``)."""
    return pattern.replace('"', "")


def parse_with_pattern(text: str, pattern: str) -> datetime:
    """TO_TIMESTAMP/TO_DATE with a strptime pattern."""
    try:
        return datetime.strptime(text.strip(), strptime_pattern(pattern))
    except ValueError as exc:
        raise DateFormatError(f"{text!r} does not match the format") from exc


def preference_pattern(preference: str) -> str:
    """A NetSuite date preference (``M/D/YYYY``) as a strptime pattern."""
    mapping = {
        "YYYY": "%Y",
        "YY": "%y",
        "MONTH": "%B",
        "Mon": "%b",
        "MM": "%m",
        "M": "%m",
        "DD": "%d",
        "D": "%d",
    }
    return _PREFERENCE_TOKEN.sub(lambda m: mapping[m.group()], preference)


def preference_format(moment: datetime, preference: str) -> str:
    """A date as the user's date preference shows it, without time (``11/25/2026``)."""
    pieces = {
        "YYYY": f"{moment.year:04d}",
        "YY": f"{moment.year % 100:02d}",
        "MONTH": MONTHS[moment.month - 1],
        "Mon": MONTHS[moment.month - 1][:3],
        "MM": f"{moment.month:02d}",
        "M": str(moment.month),
        "DD": f"{moment.day:02d}",
        "D": str(moment.day),
    }
    return _PREFERENCE_TOKEN.sub(lambda m: pieces[m.group()], preference)


def stored(moment: datetime) -> str:
    """A datetime in the stored form."""
    return moment.strftime(STORED_FORMAT)
