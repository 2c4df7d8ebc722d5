"""``POST /services/rest/query/v1/suiteql``: SuiteQL over the emulated account."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.netsuite.context import Context
from erp_sandbox.netsuite.errors import NetSuiteError, invalid_parameter
from erp_sandbox.netsuite.request_auth import authenticate
from erp_sandbox.netsuite.suiteql_results import (
    COLLECTION_CONTENT_TYPE,
    parse_page,
    run_query,
)

SUITEQL_PATH = "/services/rest/query/v1/suiteql"


def _require_transient(request: Request) -> None:
    """SuiteQL over REST needs ``Prefer: transient`` (reference A1)."""
    prefer = request.headers.get("prefer", "")
    if "transient" not in {p.strip().lower() for p in prefer.split(",")}:
        raise NetSuiteError(
            400,
            "INVALID_HEADER",
            "Invalid 'Prefer' header value. A SuiteQL query needs the header 'Prefer: transient'.",
            {"o:errorHeader": "Prefer"},
        )


async def _query_text(request: Request) -> str:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise NetSuiteError(400, "USER_ERROR", "Invalid JSON in the request body.") from None
    query = body.get("q") if isinstance(body, dict) else None
    if not isinstance(query, str):
        raise invalid_parameter("q", "The request body must be a JSON object with a 'q' string.")
    return query


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def suiteql(request: Request) -> Response:
        authenticate(request, ctx)
        _require_transient(request)
        page = parse_page(request.query_params.get("limit"), request.query_params.get("offset"))
        query = await _query_text(request)
        url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
        result = await run_in_threadpool(run_query, ctx.db, ctx.settings, query, page, url)
        return Response(json.dumps(result), media_type=COLLECTION_CONTENT_TYPE)

    return [Route(SUITEQL_PATH, suiteql, methods=["POST"])]
