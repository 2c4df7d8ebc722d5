"""SQLite functions behind the SuiteQL built-ins the translation cannot express in SQL:
TO_CHAR, TO_TIMESTAMP of a column, TRUNC, BUILTIN.DF of statuses and transactions, and
the per-page shuffle of ties."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from erp_sandbox.netsuite.date_formats import (
    DateFormatError,
    oracle_format,
    parse_stored,
    parse_with_pattern,
    preference_format,
    preference_pattern,
    stored,
)
from erp_sandbox.netsuite.schema import TRANSACTION_STATUSES, TRANSACTION_TYPES


def format_number(value: float | int) -> str:
    """A number as NetSuite returns it: a string, no trailing ``.0``."""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, int):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def to_char(value: Any, model: str | None, date_preference: str) -> str | None:
    """TO_CHAR: dates with an Oracle format model, numbers as text."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return format_number(value)
    try:
        moment = parse_stored(str(value))
    except DateFormatError:
        return str(value)
    return oracle_format(moment, model) if model else preference_format(moment, date_preference)


def to_timestamp(value: Any, pattern: str | None, date_preference: str) -> str | None:
    """TO_TIMESTAMP/TO_DATE of a non-literal: the stored form, or None if it does not parse."""
    if value is None:
        return None
    try:
        moment = parse_with_pattern(str(value), pattern or preference_pattern(date_preference))
    except DateFormatError:
        return None
    return stored(moment)


def truncate(value: Any, model: str | None = None) -> Any:
    """TRUNC: a timestamp to its day (or month/year by model), a number to an integer."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    try:
        moment = parse_stored(str(value))
    except DateFormatError:
        return value
    unit = (model or "DD").upper()
    if unit in ("MM", "MON", "MONTH"):
        moment = moment.replace(day=1)
    elif unit in ("YYYY", "YEAR", "YY"):
        moment = moment.replace(month=1, day=1)
    return stored(moment.replace(hour=0, minute=0, second=0, microsecond=0))


def add_days(value: Any, days: Any) -> str | None:
    """Oracle date arithmetic: a timestamp plus (or minus) a number of days."""
    if value is None or days is None:
        return None
    try:
        moment = parse_stored(str(value))
    except DateFormatError:
        return None
    return stored(moment + timedelta(days=float(days)))


def status_display(transaction_type: str | None, status: str | None) -> str | None:
    """BUILTIN.DF of a transaction status: ``Sales Order : Pending Fulfillment``."""
    if status is None:
        return None
    label = TRANSACTION_STATUSES.get(transaction_type or "", {}).get(status)
    if label is None:
        return status
    return f"{TRANSACTION_TYPES.get(transaction_type or '', transaction_type)} : {label}"


def transaction_name(transaction_type: str | None, tranid: str | None) -> str | None:
    """BUILTIN.DF of a transaction reference: ``Sales Order #SO1001``."""
    if tranid is None:
        return None
    return f"{TRANSACTION_TYPES.get(transaction_type or '', transaction_type)} #{tranid}"


def tiebreak(salt: int, *row_ids: Any) -> int:
    """A deterministic pseudo-random rank of a row that changes with ``salt`` (the page),
    so rows tied on a non-unique ORDER BY come back in another order on every page."""
    digest = hashlib.blake2b(repr((salt, row_ids)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def register(
    connection: sqlite3.Connection,
    date_preference: Callable[[], str],
    now: Callable[[], datetime],
) -> None:
    """Make the functions callable from SQL on ``connection``."""
    deterministic = {"deterministic": True}
    connection.create_function(
        "ns_to_char", 2, lambda v, m: to_char(v, m, date_preference()), **deterministic
    )
    connection.create_function(
        "ns_to_timestamp",
        2,
        lambda v, p: to_timestamp(v, p, date_preference()),
        **deterministic,
    )
    connection.create_function("ns_trunc", 1, truncate, **deterministic)
    connection.create_function("ns_trunc", 2, truncate, **deterministic)
    connection.create_function("ns_add_days", 2, add_days, **deterministic)
    connection.create_function("ns_df_status", 2, status_display, **deterministic)
    connection.create_function("ns_transaction_name", 2, transaction_name, **deterministic)
    connection.create_function("ns_tiebreak", -1, tiebreak, **deterministic)
    connection.create_function("ns_now", 0, lambda: stored(now()))
