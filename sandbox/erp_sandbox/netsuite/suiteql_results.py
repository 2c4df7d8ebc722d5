"""Running a translated SuiteQL query for one page and shaping NetSuite's collection
envelope: ``links``, ``count``, ``hasMore``, ``items`` (each with ``links: []``),
``offset``, ``totalResults``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from erp_sandbox.netsuite.database import NetSuiteDatabase
from erp_sandbox.netsuite.date_formats import DateFormatError, parse_stored, preference_format
from erp_sandbox.netsuite.errors import NetSuiteError, invalid_parameter, unsupported_search
from erp_sandbox.netsuite.settings import MAX_PAGE_SIZE, NetSuiteSettings
from erp_sandbox.netsuite.sql_functions import format_number
from erp_sandbox.netsuite.suiteql import OutputColumn, Translation, translate

COLLECTION_CONTENT_TYPE = "application/vnd.oracle.resource+json; type=collection; charset=UTF-8"


@dataclass(frozen=True)
class Page:
    """Which rows a request asks for."""

    limit: int
    offset: int


def parse_page(limit: str | None, offset: str | None) -> Page:
    """``limit`` 1 to 1000 (default 1000), ``offset`` ≥ 0 and a multiple of ``limit``."""
    size = _integer("limit", limit, MAX_PAGE_SIZE)
    start = _integer("offset", offset, 0)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise invalid_parameter(
            "limit",
            f"Invalid 'limit' query parameter value: {limit}. "
            f"The value must be between 1 and {MAX_PAGE_SIZE}.",
        )
    if start < 0 or start % size:
        raise invalid_parameter(
            "offset",
            f"Invalid 'offset' query parameter value: {offset}. "
            "The offset must be a non-negative multiple of the limit.",
        )
    return Page(limit=size, offset=start)


def _integer(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(
            name, f"Invalid '{name}' query parameter value: {raw}. The value must be an integer."
        ) from None


def render_value(value: Any, column: OutputColumn, date_preference: str) -> Any:
    """NetSuite's rendering: strings throughout, ``T``/``F`` kept, bare dates in the user's
    date preference without time."""
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if column.is_date and isinstance(value, str):
        try:
            return preference_format(parse_stored(value), date_preference)
        except DateFormatError:
            return value
    return value


def run_query(
    db: NetSuiteDatabase, settings: NetSuiteSettings, query: str, page: Page, url: str
) -> dict[str, Any]:
    """One page of a query as NetSuite's collection envelope. ``url`` is the endpoint's
    absolute URL without query string, for the links."""
    translation = translate(query, settings, db.local_now())
    ceiling = settings.result_ceiling
    salt = page.offset // page.limit if settings.shuffle_ties_per_page else None
    with db.reading() as connection:
        total = _fetch(connection, translation.count_sql())[0][0]
        if page.offset >= ceiling and total > ceiling:
            raise _beyond_ceiling(page, ceiling, total)
        size = max(0, min(page.limit, ceiling - page.offset))
        rows = _fetch(connection, translation.page_sql(size, page.offset, salt)) if size else []
    reachable = min(total, ceiling)
    items = [_item(row, translation, settings.date_format) for row in rows]
    has_more = page.offset + len(items) < reachable
    return {
        "links": _links(url, page, reachable, has_more),
        "count": len(items),
        "hasMore": has_more,
        "items": items,
        "offset": page.offset,
        "totalResults": total,
    }


def _fetch(connection: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    try:
        return connection.execute(sql).fetchall()
    except (sqlite3.Error, OverflowError, ValueError):
        raise unsupported_search() from None


def _item(row: tuple[Any, ...], translation: Translation, date_preference: str) -> dict[str, Any]:
    item: dict[str, Any] = {"links": []}
    for column, value in zip(translation.columns, row, strict=False):
        if value is None:
            continue  # NetSuite leaves empty fields out of an item
        item[column.name] = render_value(value, column, date_preference)
    return item


def _links(url: str, page: Page, reachable: int, has_more: bool) -> list[dict[str, str]]:
    def href(offset: int) -> str:
        return f"{url}?limit={page.limit}&offset={offset}"

    links = []
    if page.offset > 0:
        links.append({"rel": "previous", "href": href(max(0, page.offset - page.limit))})
        links.append({"rel": "first", "href": href(0)})
    if has_more:
        last = ((reachable - 1) // page.limit) * page.limit
        links.append({"rel": "next", "href": href(page.offset + page.limit)})
        links.append({"rel": "last", "href": href(last)})
    links.append({"rel": "self", "href": href(page.offset)})
    return links


def _beyond_ceiling(page: Page, ceiling: int, total: int) -> NetSuiteError:
    return invalid_parameter(
        "offset",
        f"Invalid 'offset' query parameter value: {page.offset}. The query returns {total} "
        f"results; at most {ceiling} can be retrieved by paging. Narrow the query, for "
        "example with a filter on the last value read.",
    )
