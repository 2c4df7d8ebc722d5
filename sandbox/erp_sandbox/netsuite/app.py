"""The NetSuite emulator as one ASGI application.

Layers, outermost first: transport capture (so faults can cut connections), call log,
the account-wide concurrency limit (429 ``CONCURRENCY_LIMIT_EXCEEDED``), fault injection,
then the routes. The token endpoint is outside the concurrency limit (inferred: the limit
governs web-service requests, not logins).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from erp_sandbox.concurrency import InFlightLimitMiddleware
from erp_sandbox.faults import FaultMiddleware, TransportCaptureMiddleware
from erp_sandbox.inspection import CallLogMiddleware
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES
from erp_sandbox.netsuite import api_suiteql, api_token, sandbox_api
from erp_sandbox.netsuite.context import Context
from erp_sandbox.netsuite.errors import (
    ERROR_CONTENT_TYPE,
    NetSuiteError,
    concurrency_limit_exceeded,
    fault_error,
    headers_for,
)
from erp_sandbox.netsuite.oauth2 import TOKEN_PATH
from erp_sandbox.paths import PathTemplates


def error_response(error: NetSuiteError) -> Response:
    """An error in NetSuite's envelope."""
    return Response(
        error.encode(), error.status, headers=error.headers, media_type=ERROR_CONTENT_TYPE
    )


def _whole_account(_scope: Scope) -> str:
    """The concurrency limit is one per account, shared by every integration (A4)."""
    return "account"


def build_app(ctx: Context) -> ASGIApp:
    """Assemble routes and middleware around one emulator context."""
    routes = [*api_suiteql.routes(ctx), *api_token.routes(ctx), *sandbox_api.routes(ctx)]

    async def on_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NetSuiteError)  # noqa: S101 - registered for it only
        return error_response(exc)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        if exc.status_code == 405:
            return error_response(
                NetSuiteError(405, "INVALID_REQUEST", "The HTTP method is not allowed here.")
            )
        return error_response(
            NetSuiteError(404, "INVALID_URL", "The requested URL does not exist.")
        )

    async def on_crash(_request: Request, _exc: Exception) -> Response:
        return error_response(fault_error(500))

    api = Starlette(
        routes=routes,
        exception_handlers={
            NetSuiteError: on_error,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )
    templates = PathTemplates(route.path for route in routes)  # type: ignore[attr-defined]

    def route_of(path: str) -> str | None:
        match = templates.match(path)
        return match.template if match else None

    def render_fault(
        status: int, _retry_after: int | None
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        error = fault_error(status)
        return error.encode(), headers_for(error)

    def render_too_many() -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        error = concurrency_limit_exceeded()
        return 429, error.encode(), headers_for(error)

    app: ASGIApp = FaultMiddleware(api, ctx.faults, render_fault)
    app = InFlightLimitMiddleware(
        app, ctx.limiter, _whole_account, render_too_many, (*DEFAULT_EXEMPT_PREFIXES, TOKEN_PATH)
    )
    app = CallLogMiddleware(app, ctx.calls, route_of)
    return TransportCaptureMiddleware(app)
