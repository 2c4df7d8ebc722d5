"""The Exact Online emulator as one ASGI application.

Layers, outermost first: transport capture (so faults can cut connections), call log,
rate limits (the ``X-RateLimit-*`` headers, 429s, error blocking), fault injection, then
the routes. ``/_sandbox`` passes every layer untouched.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from erp_sandbox.exact import api_oauth, api_rest, sandbox_api
from erp_sandbox.exact.context import Context
from erp_sandbox.exact.entities import api_route
from erp_sandbox.exact.errors import (
    JSON_CONTENT_TYPE,
    ExactError,
    fault_error,
    not_found,
    raw_headers,
)
from erp_sandbox.exact.rate_limits import RateLimitMiddleware
from erp_sandbox.faults import FaultMiddleware, TransportCaptureMiddleware
from erp_sandbox.inspection import CallLogMiddleware


def _error_response(request: Request, error: ExactError) -> Response:
    as_json = "application/json" in request.headers.get("accept", "").lower()
    body, content_type = error.render(as_json=as_json)
    return Response(body, error.status, headers=error.headers, media_type=content_type)


def build_app(ctx: Context) -> ASGIApp:
    """Assemble routes and middleware around one emulator context."""
    routes = [*api_oauth.routes(ctx), *api_rest.routes(ctx), *sandbox_api.routes(ctx)]

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        if exc.status_code == 405:
            return _error_response(
                request, ExactError(405, f"The HTTP method '{request.method}' is not allowed.")
            )
        return _error_response(request, not_found(request.url.path.rsplit("/", 1)[-1]))

    async def on_crash(request: Request, exc: Exception) -> Response:
        return _error_response(request, ExactError(500, f"Internal error: {type(exc).__name__}"))

    api = Starlette(
        routes=routes,
        exception_handlers={HTTPException: on_http_error, Exception: on_crash},
    )

    def render_fault(
        status: int, _retry_after: int | None
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        error = fault_error(status)
        return error.json_body(), raw_headers(error, JSON_CONTENT_TYPE)

    app: ASGIApp = FaultMiddleware(api, ctx.faults, render_fault)
    app = RateLimitMiddleware(app, ctx.limiter, ctx.oauth, ctx.settings)
    app = CallLogMiddleware(app, ctx.calls, api_route)
    return TransportCaptureMiddleware(app)
