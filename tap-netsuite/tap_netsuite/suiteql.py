"""SuiteQL text and NetSuite's value formats, free of I/O."""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t
from zoneinfo import ZoneInfo

# Datetimes are selected with TO_CHAR in this format and filtered with TO_TIMESTAMP in
# the same one, so the user's date preferences never matter (airbytehq/airbyte#21965).
SUITEQL_TIMESTAMP = "YYYY-MM-DD HH24:MI:SS"
PYTHON_TIMESTAMP = "%Y-%m-%d %H:%M:%S"


def account_host(account_id: str) -> str:
    """The REST host of an account: sandbox `1234567_SB1` → `1234567-sb1`."""
    return f"{account_id.lower().replace('_', '-')}.suitetalk.api.netsuite.com"


def realm(account_id: str) -> str:
    """The TBA realm: the account id in upper case with an underscore (`1234567_SB1`)."""
    return account_id.upper().replace("-", "_")


def timestamp_literal(moment: dt.datetime, zone: ZoneInfo) -> str:
    """`TO_TIMESTAMP('…')` for an aware datetime, in the account's time zone."""
    local = moment.astimezone(zone).strftime(PYTHON_TIMESTAMP)
    return f"TO_TIMESTAMP('{local}', '{SUITEQL_TIMESTAMP}')"


def parse_timestamp(value: str, zone: ZoneInfo) -> dt.datetime:
    """An account-local `YYYY-MM-DD HH24:MI:SS` as an aware UTC datetime."""
    naive = dt.datetime.strptime(value, PYTHON_TIMESTAMP)
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)


def keyset_filter(
    columns: list[str], values: list[t.Any], zone: ZoneInfo, *, timestamp_first: bool = True
) -> str:
    """Rows strictly after `values` in the order of `columns` (the first one a timestamp,
    unless `timestamp_first` is false).

    `(a > x) OR (a = x AND b > y)`: with the unique order `ORDER BY a, b`, every page
    starts right after the last row of the previous one, so no row is skipped or
    repeated, and no query ever pages past NetSuite's 100,000-row ceiling.
    """
    literals = [
        _literal(value, zone, is_timestamp=timestamp_first and index == 0)
        for index, value in enumerate(values)
    ]
    clauses = []
    for depth in range(len(columns)):
        equal = [f"{columns[i]} = {literals[i]}" for i in range(depth)]
        clauses.append("(" + " AND ".join([*equal, f"{columns[depth]} > {literals[depth]}"]) + ")")
    return "(" + " OR ".join(clauses) + ")"


def _literal(value: t.Any, zone: ZoneInfo, *, is_timestamp: bool) -> str:
    if is_timestamp:
        moment = value if isinstance(value, dt.datetime) else parse_timestamp(str(value), zone)
        return timestamp_literal(moment, zone)
    if isinstance(value, int) or str(value).lstrip("-").isdigit():
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def coerce(value: t.Any, schema: dict[str, t.Any], zone: ZoneInfo) -> t.Any:
    """A NetSuite value as its schema says: `T`/`F`, numeric strings, local timestamps."""
    if value is None or value == "":
        return None
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "boolean" in types:
        return value in ("T", True, "true")
    if "integer" in types:
        return int(decimal.Decimal(str(value)))
    if "number" in types:
        return decimal.Decimal(str(value))
    if schema.get("format") == "date-time":
        return parse_timestamp(str(value), zone).isoformat()
    if schema.get("format") == "date":
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    return value
