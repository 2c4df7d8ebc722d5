"""The JD Edwards AIS Server emulator as one ASGI application.

Layers, outermost first: transport capture (so faults can cut connections), call log,
the optional in-flight limit, fault injection, then the routes.
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
from erp_sandbox.jde import api_dataservice, api_token, sandbox_api
from erp_sandbox.jde.context import Context
from erp_sandbox.jde.errors import (
    JSON_CONTENT_TYPE,
    JdeError,
    fault_error,
    headers_for,
    method_not_allowed,
    not_found,
    too_many_requests,
)


def error_response(error: JdeError) -> Response:
    """An error as JSON, with the reason header."""
    return Response(
        error.encode(), error.status, headers=error.all_headers(), media_type=JSON_CONTENT_TYPE
    )


def route_of(path: str) -> str | None:
    """The route template of a path, for the call log (AIS paths have no parameters)."""
    return path.rstrip("/") or "/"


def build_app(ctx: Context) -> ASGIApp:
    """Assemble routes and middleware around one emulator context."""
    routes = [*api_token.routes(ctx), *api_dataservice.routes(ctx), *sandbox_api.routes(ctx)]

    async def on_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, JdeError)  # noqa: S101 - registered for it only
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        if exc.status_code == 405:
            return error_response(method_not_allowed(request.method))
        return error_response(not_found(request.url.path))

    async def on_crash(_request: Request, exc: Exception) -> Response:
        return error_response(
            JdeError(500, "Server Failed to Process Request", reason=type(exc).__name__)
        )

    api = Starlette(
        routes=routes,
        exception_handlers={
            JdeError: on_error,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )

    def render_fault(
        status: int, _retry_after: int | None
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        error = fault_error(status)
        return error.encode(), headers_for(error)

    def render_busy() -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        error = too_many_requests()
        return error.status, error.encode(), headers_for(error)

    def server_wide(_scope: Scope) -> str:
        return "ais"

    app: ASGIApp = FaultMiddleware(api, ctx.faults, render_fault)
    app = InFlightLimitMiddleware(app, ctx.limiter, server_wide, render_busy)
    app = CallLogMiddleware(app, ctx.calls, route_of)
    return TransportCaptureMiddleware(app)
