"""Data service responses: the data browser form with its grid, the next link, COUNT.

BROWSE (reference B2; Oracle, "Example - Data Request Response" and "Example - Links
Section in a Data Service Response")::

    {"fs_DATABROWSE_F0101": {
        "title": "Data Browser - F0101 [Address Book Master]",
        "data": {"gridData": {"id": 54, "fullGridId": "54",
                              "columns": {"F0101_AN8": "Address Number", …},
                              "rowset": [{"F0101_AN8": 1001, "F0101_ALPH": "…", …}],
                              "summary": {"records": 1, "moreRecords": false}}},
        "errors": [], "warnings": []},
     "currentApp": "DATABROWSE_F0101", "timeStamp": "2024-02-01:14.18.05",
     "sysErrors": [],
     "links": [{"rel": "next", "href": "<base>/jderest/v2/dataservice/next?stackId=1&…"}]}

``links`` is there only when a next page can be fetched. Numbers are JSON numbers,
strings strings, dates strings per the ``date_output`` setting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from erp_sandbox.jde.dates import render_date
from erp_sandbox.jde.settings import JdeSettings
from erp_sandbox.jde.tables import Table

Row = dict[str, Any]


def form_timestamp(local_now: datetime) -> str:
    """``2024-02-01:14.18.05``: the ``timeStamp`` of a form response (server-local)."""
    return local_now.strftime("%Y-%m-%d:%H.%M.%S")


def render_row(table: Table, row: Row, columns: list[str], settings: JdeSettings) -> Row:
    """One rowset entry: ``{"F0101_AN8": 1001, …}`` for the requested columns."""
    rendered: Row = {}
    for alias in columns:
        column = table.known_column(alias)
        value = row.get(alias)
        if column.kind == "date":
            value = render_date(value, settings.date_output, settings.simple_date_format)
        rendered[f"{table.name}_{alias}"] = value
    return rendered


def browse_response(
    table: Table,
    columns: list[str],
    rows: list[Row],
    *,
    more: bool,
    next_href: str | None,
    settings: JdeSettings,
    local_now: datetime,
    grid_id: int = 54,
) -> dict[str, Any]:
    """The whole BROWSE (or next) response."""
    body: dict[str, Any] = {
        table.form_name: {
            "title": table.title,
            "data": {
                "gridData": {
                    "id": grid_id,
                    "fullGridId": str(grid_id),
                    "columns": {
                        f"{table.name}_{alias}": table.known_column(alias).description
                        for alias in columns
                    },
                    "rowset": [render_row(table, row, columns, settings) for row in rows],
                    "summary": {"records": len(rows), "moreRecords": more},
                }
            },
            "errors": [],
            "warnings": [],
        },
        "currentApp": f"DATABROWSE_{table.name}",
        "timeStamp": form_timestamp(local_now),
        "sysErrors": [],
    }
    if next_href:
        body["links"] = [{"rel": "next", "href": next_href}]
    return body


def count_response(table: Table, count: int, local_now: datetime) -> dict[str, Any]:
    """The COUNT response: ``{"ds_F0101": {"output": [{"count": 214}]}, …}`` (inferred,
    by analogy with the aggregation responses' ``ds_<table>.output``)."""
    return {
        f"ds_{table.name}": {"output": [{"count": count}]},
        "currentApp": f"DATABROWSE_{table.name}",
        "timeStamp": form_timestamp(local_now),
        "sysErrors": [],
    }


def next_href(
    base_url: str,
    table: Table,
    *,
    rid: str,
    token: str,
    state_id: int,
    stack_id: int,
    grid_id: int,
    columns: list[str],
) -> str:
    """``<base>/jderest/v2/dataservice/next?stackId=1&stateId=1&rid=…&fullGridId=54&
    formOID=V0101&token=<token, percent-encoded>&outputType=GRID_DATA&returnControlIDs=…``,
    in the order of Oracle's example; ``|`` between control IDs is left as is."""
    control_ids = "|".join(f"{table.name}.{alias}" for alias in columns)
    return (
        f"{base_url}/jderest/v2/dataservice/next?stackId={stack_id}&stateId={state_id}"
        f"&rid={rid}&fullGridId={grid_id}&formOID={table.form_oid}"
        f"&token={quote(token, safe='')}&outputType=GRID_DATA&returnControlIDs={control_ids}"
    )
