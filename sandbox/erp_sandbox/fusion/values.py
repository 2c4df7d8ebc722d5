"""Typed attribute values: how they are stored, rendered in JSON, and read from query
literals and record changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from erp_sandbox.fusion.resources import DATE, DATETIME, INTEGER, NUMBER, Attribute
from erp_sandbox.fusion.timestamps import (
    millisecond,
    parse_date,
    parse_datetime,
    render_date,
    render_datetime,
)


def render_value(attribute: Attribute, value: Any) -> Any:
    """The JSON value of a stored value (datetimes and dates become ISO strings)."""
    if value is None:
        return None
    if attribute.type == DATETIME:
        return render_datetime(value)
    if attribute.type == DATE:
        return render_date(value)
    return value


def _number(value: Any, integral: bool) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        number = value
    else:
        text = str(value).strip()
        try:
            number = int(text)  # exact, also for 18-digit ids
        except ValueError:
            if integral:
                raise
            number = float(text)
    if integral:
        if isinstance(number, float) and not number.is_integer():
            raise ValueError(f"not an integer: {value!r}")
        return int(number)
    return number


def stored_value(attribute: Attribute, value: Any) -> Any:
    """A record-change value (Python or JSON) converted to the stored type.
    Raises ValueError when it does not fit."""
    if value is None:
        return None
    kind = attribute.type
    if kind == DATETIME:
        moment = value if isinstance(value, datetime) else parse_datetime(str(value))
        return millisecond(moment)
    if kind == DATE:
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else parse_date(str(value))
    if kind in (INTEGER, NUMBER):
        return _number(value, integral=kind == INTEGER)
    return str(value)


def literal_value(attribute: Attribute, literal: str | int | float) -> Any:
    """A query or finder literal compared with ``attribute``: timestamps compare as
    offset-aware datetimes, dates as dates, numbers as numbers, the rest as text.
    Raises ValueError when the literal cannot be read as the attribute's type."""
    kind = attribute.type
    if kind == DATETIME:
        return parse_datetime(str(literal))
    if kind == DATE:
        return parse_date(str(literal))
    if kind in (INTEGER, NUMBER):
        return _number(literal, integral=False)
    return str(literal)
