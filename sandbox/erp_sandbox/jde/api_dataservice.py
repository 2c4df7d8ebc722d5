"""``/jderest/v2/dataservice``: BROWSE and COUNT over tables, and next pages.

Request (reference B2; Oracle, "Understanding the Data Service")::

    {"targetName": "F0101", "targetType": "table", "dataServiceType": "BROWSE",
     "returnControlIDs": "F0101.AN8|F0101.ALPH", "maxPageSize": "500",
     "findOnEntry": "TRUE", "enableNextPageProcessing": true,
     "query": {"autoFind": true, "matchType": "MATCH_ALL", "condition": [...]},
     "orderBy": [{"column": "F0101.UPMJ", "direction": "ASC"}]}

* Rows come in primary key order (``AN8``, then the rest of the key) unless ``orderBy``
  says otherwise (Oracle documents ``orderBy`` from Tools 9.2.0.5); ties keep key order.
* ``returnControlIDs`` picks and orders the columns (all columns when absent).
* ``maxPageSize`` is a number or ``"No Max"`` (default ``default_max_page_size``).
* Only v2 with ``enableNextPageProcessing: true`` keeps the rest of a larger result open
  and answers a ``next`` link; ``GET`` or ``POST`` on that link returns the next page.
* ``findOnEntry: "FALSE"`` without ``query.autoFind: true`` finds nothing.
* ``nextPageTimeInterval`` (data dripping) and ``outputType`` other than ``GRID_DATA``
  are not emulated: the first is ignored, the second refused.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_sandbox.jde.context import Context
from erp_sandbox.jde.errors import authorization_failure, invalid_json, service_error
from erp_sandbox.jde.grid import browse_response, count_response, next_href
from erp_sandbox.jde.query import QueryContext, QueryError, column_of, compile_query, sort_rows
from erp_sandbox.jde.request_auth import (
    client_address,
    device_of,
    json_body,
    session_for_service,
    token_of,
)
from erp_sandbox.jde.sessions import Session
from erp_sandbox.jde.tables import TABLES, Table

SERVICE_TYPES = ("BROWSE", "COUNT")
TARGET_TYPES = ("table", "view")


def page_size_of(value: Any, default: int) -> int | None:
    """``maxPageSize``: a positive number (string or int), or ``"No Max"`` (None)."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if text.lower() == "no max":
        return None
    try:
        size = int(text)
    except ValueError:
        raise invalid_json(f"maxPageSize {value!r} is not a number or 'No Max'") from None
    if size < 1:
        raise invalid_json("maxPageSize must be at least 1")
    return size


def columns_of(table: Table, control_ids: Any) -> list[str]:
    """The aliases ``returnControlIDs`` names (``F0101.AN8|F0101.ALPH``), or every column."""
    if control_ids is None or not str(control_ids).strip():
        return table.aliases()
    return [
        column_of(table, part.strip()).alias for part in str(control_ids).split("|") if part.strip()
    ]


def _is_true(value: Any) -> bool:
    return value is True or str(value).strip().lower() == "true"


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    def target_of(body: dict[str, Any]) -> Table:
        name, kind = body.get("targetName"), body.get("targetType")
        if not isinstance(name, str) or not name:
            raise invalid_json("targetName is required")
        if kind not in TARGET_TYPES:
            raise invalid_json(f"targetType must be one of {TARGET_TYPES}, not {kind!r}")
        table = TABLES.get(name) if kind == "table" else None
        if table is None:
            raise service_error(f"{name} is not a valid {kind}: it does not exist or is not served")
        if name in ctx.settings.denied_tables:
            raise authorization_failure(f"the role may not read {name}")
        return table

    def run(
        request: Request, body: dict[str, Any], session: Session, *, next_pages: bool
    ) -> Response:
        table = target_of(body)
        service_type = body.get("dataServiceType")
        if service_type not in SERVICE_TYPES:
            raise invalid_json(
                f"dataServiceType must be one of {SERVICE_TYPES}, not {service_type!r}"
            )
        output_type = body.get("outputType") or "GRID_DATA"
        if output_type != "GRID_DATA":
            raise invalid_json(f"outputType {output_type!r} is not emulated (only GRID_DATA)")
        page_size = page_size_of(body.get("maxPageSize"), ctx.settings.default_max_page_size)
        local_now = ctx.local_now()
        query = body.get("query")
        try:
            columns = columns_of(table, body.get("returnControlIDs"))
            matches = compile_query(
                query,
                QueryContext(
                    table=table,
                    literal_format=ctx.settings.date_literal_format,
                    simple_date_format=ctx.settings.simple_date_format,
                    today=local_now.date(),
                ),
            )
            rows = sort_rows(ctx.store.rows(table.name, matches), body.get("orderBy"), table)
        except QueryError as exc:
            raise service_error(str(exc)) from None
        auto_find = isinstance(query, dict) and query.get("autoFind") is True
        if str(body.get("findOnEntry", "TRUE")).upper() == "FALSE" and not auto_find:
            rows = []
        if service_type == "COUNT":
            return JSONResponse(count_response(table, len(rows), local_now))
        page = rows if page_size is None else rows[:page_size]
        remaining = rows[len(page) :]
        href = None
        if remaining and next_pages and _is_true(body.get("enableNextPageProcessing")):
            result_set = ctx.sessions.open_result_set(
                session,
                table=table.name,
                columns=columns,
                remaining=remaining,
                page_size=page_size,
                delivered=len(page),
            )
            href = next_href(
                _base_url(request),
                table,
                rid=result_set.rid,
                token=session.token,
                state_id=result_set.state_id,
                stack_id=result_set.stack_id,
                grid_id=result_set.grid_id,
                columns=columns,
            )
        return JSONResponse(
            browse_response(
                table,
                columns,
                page,
                more=bool(remaining),
                next_href=href,
                settings=ctx.settings,
                local_now=local_now,
            )
        )

    async def dataservice(request: Request, *, next_pages: bool) -> Response:
        body = await json_body(request, required=True)
        session = session_for_service(request, ctx, body)
        try:
            return run(request, body, session, next_pages=next_pages)
        finally:
            ctx.sessions.end_if_temporary(session)

    async def dataservice_v2(request: Request) -> Response:
        return await dataservice(request, next_pages=True)

    async def dataservice_v1(request: Request) -> Response:
        return await dataservice(request, next_pages=False)

    async def next_page(request: Request) -> Response:
        body = await json_body(request, required=False) if request.method == "POST" else {}
        token = request.query_params.get("token") or token_of(request, body)
        # Next links carry only the token: a device header, if sent, must still match.
        session = ctx.sessions.use(
            token, device_of(request, body), client_address(request), device_optional=True
        )
        result_set, page, more = ctx.sessions.next_page(session, request.query_params.get("rid"))
        table = TABLES[result_set.table]
        href = None
        if more:
            href = next_href(
                _base_url(request),
                table,
                rid=result_set.rid,
                token=session.token,
                state_id=result_set.state_id,
                stack_id=result_set.stack_id,
                grid_id=result_set.grid_id,
                columns=result_set.columns,
            )
        return JSONResponse(
            browse_response(
                table,
                result_set.columns,
                page,
                more=more,
                next_href=href,
                settings=ctx.settings,
                local_now=ctx.local_now(),
            )
        )

    return [
        Route("/jderest/v2/dataservice", dataservice_v2, methods=["POST"]),
        Route("/jderest/dataservice", dataservice_v1, methods=["POST"]),
        Route("/jderest/v2/dataservice/next", next_page, methods=["GET", "POST"]),
    ]


def _base_url(request: Request) -> str:
    """``http://host:port`` as the client reached the server."""
    return f"{request.url.scheme}://{request.url.netloc}"
