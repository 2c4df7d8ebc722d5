"""The AIS data service: table queries, the grids they answer, and next-page links.

Request (Oracle, "Understanding the Data Service"; reference B2)::

    POST /jderest/v2/dataservice
    {"targetName": "F0101", "targetType": "table", "dataServiceType": "BROWSE",
     "returnControlIDs": "F0101.AN8|F0101.ALPH", "maxPageSize": "500",
     "findOnEntry": "TRUE", "enableNextPageProcessing": true,
     "query": {"autoFind": true, "matchType": "MATCH_ALL", "condition": [...]},
     "orderBy": [{"column": "F0101.AN8", "direction": "ASC"}]}

The answer holds the rows in `fs_DATABROWSE_F0101.data.gridData.rowset` and, while rows
remain, a `links` entry `rel: next` whose href carries the session token.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field, replace

from singer_sdk.pagination import BaseAPIPaginator

from tap_jde.dates import parse_date
from tap_jde.tables import DATE, INTEGERS, NUMBER, Table

if t.TYPE_CHECKING:
    import requests

Row = dict[str, t.Any]


class ResultSetLostError(Exception):
    """A next-page call failed: the server-side result set is gone or in doubt."""


def condition(control_id: str, operator: str, *values: t.Any) -> dict[str, t.Any]:
    """One query condition, e.g. `condition("F0101.AT1", "EQUAL", "V")`."""
    return {
        "controlId": control_id,
        "operator": operator,
        "value": [
            {"content": literal_text(value), "specialValueId": "LITERAL"} for value in values
        ],
    }


def literal_text(value: t.Any) -> str:
    """A number or string as a literal's content (`1004`, not `1004.0`)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class TableQuery:
    """A BROWSE of one table: conditions (all must match) and the columns to return.

    Rows are always asked for in primary key order, so a lost result set can be read
    again from the last key (`after`).
    """

    table: Table
    conditions: tuple[dict[str, t.Any], ...] = ()
    columns: tuple[str, ...] = ()  # empty: every declared column

    def where(self, *conditions: dict[str, t.Any]) -> TableQuery:
        """This query with more conditions."""
        return replace(self, conditions=(*self.conditions, *conditions))

    def body(self, *, page_size: int, after: tuple[t.Any, ...] | None = None) -> dict[str, t.Any]:
        """The request body; `after` restarts the query behind a key already read."""
        table = self.table
        conditions = list(self.conditions)
        if after is not None:
            # One flat condition cannot say "key after (a, b, c)": ask for the first key
            # column from `a` on (after `a` for one-column keys) and skip the rest in the tap.
            operator = "GREATER" if len(table.key) == 1 else "GREATER_EQUAL"
            conditions.append(condition(table.control_id(table.key[0]), operator, after[0]))
        body: dict[str, t.Any] = {
            "targetName": table.name,
            "targetType": "table",
            "dataServiceType": "BROWSE",
            "returnControlIDs": "|".join(
                table.control_id(alias) for alias in (self.columns or table.aliases)
            ),
            "maxPageSize": str(page_size),
            "findOnEntry": "TRUE",
            "enableNextPageProcessing": True,
            "orderBy": [
                {"column": table.control_id(alias), "direction": "ASC"} for alias in table.key
            ],
        }
        if conditions:
            body["query"] = {"autoFind": True, "matchType": "MATCH_ALL", "condition": conditions}
        return body


def key_of(table: Table, row: Row, user_date_format: str) -> tuple[t.Any, ...]:
    """A row's primary key as comparable values, in the server's sort order."""
    kinds = table.kinds
    values: list[t.Any] = []
    for alias in table.key:
        value = row.get(alias)
        if kinds[alias] == DATE:
            value = parse_date(value, user_date_format) or dt.date.min  # blank sorts first
        elif kinds[alias] == NUMBER:
            value = int(value or 0) if alias in INTEGERS else float(value or 0)
        else:
            value = str(value or "")
        values.append(value)
    return tuple(values)


def grid_of(table: Table, body: dict[str, t.Any]) -> dict[str, t.Any]:
    """`fs_DATABROWSE_<table>.data.gridData` of a BROWSE answer."""
    form = body.get(f"fs_DATABROWSE_{table.name}") or {}
    return (form.get("data") or {}).get("gridData") or {}


def rows_of(table: Table, body: dict[str, t.Any]) -> list[Row]:
    """The page's rows, by alias."""
    return [table.row_of(row) for row in grid_of(table, body).get("rowset") or []]


def next_href(body: dict[str, t.Any]) -> str | None:
    """The `next` link, present while rows remain."""
    for link in body.get("links") or []:
        if link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None


def error_text(body: t.Any) -> str:
    """The server's own words from an error body (ServiceErrorResponse or sysErrors)."""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[key]) for key in ("message", "errorText") if body.get(key)]
    parts += [str(error.get("TITLE") or error.get("DESC")) for error in body.get("sysErrors") or []]
    return " ".join(parts)


@dataclass(frozen=True)
class NextLink:
    """A next-page link, called exactly as given. It carries the token: never shown."""

    href: str = field(repr=False)

    def __str__(self) -> str:
        return "NextLink(<hidden: carries the session token>)"


class NextLinkPaginator(BaseAPIPaginator[NextLink | None]):
    """Follows `links[rel=next]` until the server stops offering one."""

    def __init__(self) -> None:
        super().__init__(None)

    def get_next(self, response: requests.Response) -> NextLink | None:
        """The next link of this page, if rows remain."""
        href = next_href(response.json())
        return NextLink(href) if href else None
