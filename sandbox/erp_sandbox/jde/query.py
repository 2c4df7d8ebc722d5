"""Data service queries: the ``query`` object's conditions and ``matchType``, and
``orderBy``.

Conditions (Oracle, "Query Object Parameters"; reference B2): ``{"controlId":
"F0101.UPMJ", "operator": "GREATER_EQUAL", "value": [{"content": "…",
"specialValueId": "LITERAL"}]}``. Operators for every type: ``BETWEEN`` (two values,
inclusive), ``LIST`` (one or more), ``EQUAL``, ``NOT_EQUAL``, ``LESS``, ``LESS_EQUAL``,
``GREATER``, ``GREATER_EQUAL``; for strings also ``STR_START_WITH``, ``STR_END_WITH``,
``STR_CONTAIN``, ``STR_BLANK`` and ``STR_NOT_BLANK`` (no value). ``MATCH_ALL`` ands the
conditions, ``MATCH_ANY`` ors them. Special values ``TODAY``, ``TODAY_PLUS_DAY`` … apply to
date columns, ``content`` being the number of days, months or years.

A flat query cannot say "UPMJ > d OR (UPMJ = d AND UPMT > t)" (reference B3): clients
query ``UPMJ GREATER_EQUAL d`` and filter UPMT themselves.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from erp_sandbox.jde.dates import julian_of, parse_date_literal
from erp_sandbox.jde.tables import Column, Table

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

#: Operator → how many values it takes (None = one or more).
OPERATORS: dict[str, int | None] = {
    "BETWEEN": 2,
    "LIST": None,
    "EQUAL": 1,
    "NOT_EQUAL": 1,
    "LESS": 1,
    "LESS_EQUAL": 1,
    "GREATER": 1,
    "GREATER_EQUAL": 1,
    "STR_START_WITH": 1,
    "STR_END_WITH": 1,
    "STR_CONTAIN": 1,
    "STR_BLANK": 0,
    "STR_NOT_BLANK": 0,
}
STRING_OPERATORS = ("STR_START_WITH", "STR_END_WITH", "STR_CONTAIN", "STR_BLANK", "STR_NOT_BLANK")
MATCH_TYPES = ("MATCH_ALL", "MATCH_ANY")
#: Special value → (unit, sign) applied to today.
SPECIAL_VALUES = {
    "TODAY": ("day", 0),
    "TODAY_PLUS_DAY": ("day", 1),
    "TODAY_MINUS_DAY": ("day", -1),
    "TODAY_PLUS_MONTH": ("month", 1),
    "TODAY_MINUS_MONTH": ("month", -1),
    "TODAY_PLUS_YEAR": ("year", 1),
    "TODAY_MINUS_YEAR": ("year", -1),
}


class QueryError(ValueError):
    """A query the data service cannot run (unknown column, operator or literal)."""


@dataclass(frozen=True)
class QueryContext:
    """What reading literals needs: the target table, the literal format and today."""

    table: Table
    literal_format: str
    simple_date_format: str
    today: date


def column_of(table: Table, control_id: Any) -> Column:
    """The column a ``F0101.AN8`` control ID names, or a :class:`QueryError`."""
    text = str(control_id)
    prefix, _, alias = text.partition(".")
    column = table.column(alias) if prefix == table.name else None
    if column is None:
        raise QueryError(f"{text} is not a column of {table.name}")
    return column


def compile_query(query: Any, ctx: QueryContext) -> Predicate:
    """A row predicate for the request's ``query`` object (None or no conditions: every
    row)."""
    if query is None:
        return lambda _row: True
    if not isinstance(query, dict):
        raise QueryError("query must be an object")
    match_type = query.get("matchType", "MATCH_ALL")
    if match_type not in MATCH_TYPES:
        raise QueryError(f"matchType {match_type!r} is not one of {', '.join(MATCH_TYPES)}")
    conditions = query.get("condition") or []
    if not isinstance(conditions, list):
        raise QueryError("query.condition must be a list")
    predicates = [compile_condition(condition, ctx) for condition in conditions]
    if not predicates:
        return lambda _row: True
    if match_type == "MATCH_ANY":
        return lambda row: any(p(row) for p in predicates)
    return lambda row: all(p(row) for p in predicates)


def compile_condition(condition: Any, ctx: QueryContext) -> Predicate:
    """One condition as a row predicate."""
    if not isinstance(condition, dict):
        raise QueryError("each condition must be an object")
    column = column_of(ctx.table, condition.get("controlId"))
    operator = condition.get("operator")
    if operator not in OPERATORS:
        raise QueryError(f"operator {operator!r} is not supported")
    if operator in STRING_OPERATORS and column.kind != "string":
        raise QueryError(
            f"{operator} needs a string column; {ctx.table.name}.{column.alias} is a {column.kind}"
        )
    raw_values = condition.get("value") or []
    if not isinstance(raw_values, list):
        raise QueryError("condition.value must be a list")
    wanted = OPERATORS[operator]
    if (wanted is None and not raw_values) or (wanted is not None and len(raw_values) != wanted):
        expected = "one or more values" if wanted is None else f"{wanted} value(s)"
        raise QueryError(f"{operator} on {ctx.table.name}.{column.alias} takes {expected}")
    values = [literal(column, value, ctx) for value in raw_values]
    alias = column.alias

    def cell(row: Row) -> Any:
        value = row.get(alias)
        return value.strip() if isinstance(value, str) else value

    return _predicate(operator, cell, values)


def _predicate(operator: str, cell: Callable[[Row], Any], values: list[Any]) -> Predicate:
    first = values[0] if values else None
    match operator:
        case "EQUAL":
            return lambda row: cell(row) == first
        case "NOT_EQUAL":
            return lambda row: cell(row) != first
        case "LESS":
            return lambda row: cell(row) < first
        case "LESS_EQUAL":
            return lambda row: cell(row) <= first
        case "GREATER":
            return lambda row: cell(row) > first
        case "GREATER_EQUAL":
            return lambda row: cell(row) >= first
        case "BETWEEN":
            return lambda row: values[0] <= cell(row) <= values[1]
        case "LIST":
            # A set when the values allow it: the tap asks for 1,000 address numbers a
            # query, and a list made every query over a 100,000-row table take seconds.
            try:
                members: Collection[Any] = frozenset(values)
            except TypeError:
                members = values
            return lambda row: cell(row) in members
        case "STR_START_WITH":
            return lambda row: cell(row).startswith(first)
        case "STR_END_WITH":
            return lambda row: cell(row).endswith(first)
        case "STR_CONTAIN":
            return lambda row: first in cell(row)
        case "STR_BLANK":
            return lambda row: cell(row) == ""
        case _:  # STR_NOT_BLANK
            return lambda row: cell(row) != ""


def literal(column: Column, value: Any, ctx: QueryContext) -> Any:
    """A condition value, comparable with the column's stored values (strings trimmed,
    numbers as floats, dates as CYYDDD)."""
    if not isinstance(value, dict):
        raise QueryError("each condition value must be an object with content and specialValueId")
    special = value.get("specialValueId", "LITERAL")
    content = value.get("content")
    if special in SPECIAL_VALUES:
        if column.kind != "date":
            raise QueryError(f"{special} applies to date columns only, not {column.alias}")
        unit, sign = SPECIAL_VALUES[special]
        try:
            amount = int(str(content).strip() or "0") if sign else 0
        except ValueError:
            raise QueryError(
                f"{special} needs a whole number as content, not {content!r}"
            ) from None
        return julian_of(_shift(ctx.today, unit, sign * amount))
    if special != "LITERAL":
        raise QueryError(f"specialValueId {special!r} is not supported")
    if content is None:
        raise QueryError(f"a LITERAL value for {column.alias} needs content")
    text = str(content).strip()
    if column.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise QueryError(
                f"'{text}' is not a number for {ctx.table.name}.{column.alias}"
            ) from None
    if column.kind == "date":
        try:
            return parse_date_literal(text, ctx.literal_format, ctx.simple_date_format)
        except ValueError as exc:
            raise QueryError(f"{ctx.table.name}.{column.alias}: {exc}") from None
    return text


def _shift(day: date, unit: str, amount: int) -> date:
    if unit == "day":
        return day + timedelta(days=amount)
    months = amount * (12 if unit == "year" else 1)
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def sort_rows(rows: list[Row], order_by: Any, table: Table) -> list[Row]:
    """Rows (already in key order) sorted by ``orderBy``: ``[{"column": "F0101.UPMJ",
    "direction": "ASC"|"DESC"}, …]``; ties keep key order."""
    if not order_by:
        return rows
    if not isinstance(order_by, list):
        raise QueryError("orderBy must be a list of {column, direction}")
    ordered = list(rows)
    for entry in reversed(order_by):
        if not isinstance(entry, dict):
            raise QueryError("each orderBy entry must be an object with column and direction")
        column = column_of(table, entry.get("column"))
        direction = str(entry.get("direction", "ASC")).upper()
        if direction not in ("ASC", "DESC"):
            raise QueryError(f"orderBy direction {direction!r} is not ASC or DESC")
        ordered.sort(key=lambda row, alias=column.alias: row[alias], reverse=direction == "DESC")
    return ordered
