"""The Fusion emulator as one ASGI application: the pod's REST resources and, on the
same server, the identity domain's token endpoint.

Layers, outermost first: transport capture (so faults can cut connections), call log
(token requests included), an optional in-flight limit (off by default: Oracle publishes
no numeric limit, reference B4), fault injection, then the routes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from erp_sandbox.concurrency import InFlightLimitMiddleware
from erp_sandbox.faults import FaultMiddleware, TransportCaptureMiddleware
from erp_sandbox.fusion import api_resources, api_token, sandbox_api
from erp_sandbox.fusion.context import Context
from erp_sandbox.fusion.errors import (
    TEXT_MEDIA_TYPE,
    FusionError,
    error_response,
    fault_text,
    lenient_framework_version,
    method_not_allowed,
    not_found,
)
from erp_sandbox.fusion.identity import TOKEN_PATH
from erp_sandbox.inspection import CallLogMiddleware
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES
from erp_sandbox.paths import PathTemplates


def _whole_pod(_scope: Scope) -> str:
    return "pod"


def build_app(ctx: Context) -> ASGIApp:
    """Assemble routes and middleware around one emulator context."""
    routes = [*api_resources.routes(ctx), *api_token.routes(ctx), *sandbox_api.routes(ctx)]

    def respond(request: Request, error: FusionError) -> Response:
        return error_response(
            error,
            accept=request.headers.get("accept", ""),
            version=lenient_framework_version(request, ctx.settings),
        )

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FusionError)  # noqa: S101 - registered for it only
        return respond(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        if exc.status_code == 405:
            return respond(request, method_not_allowed(request.method))
        return respond(request, not_found())

    async def on_crash(request: Request, _exc: Exception) -> Response:
        return respond(request, FusionError(500, "An unexpected error occurred.", "SERVER_ERROR"))

    api = Starlette(
        routes=routes,
        exception_handlers={
            FusionError: on_error,
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
        return fault_text(status), [(b"content-type", TEXT_MEDIA_TYPE.encode())]

    def render_too_many() -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        headers = [
            (b"content-type", TEXT_MEDIA_TYPE.encode()),
            (b"retry-after", str(ctx.settings.retry_after_seconds).encode()),
        ]
        return 429, fault_text(429), headers

    app: ASGIApp = FaultMiddleware(api, ctx.faults, render_fault)
    app = InFlightLimitMiddleware(
        app, ctx.limiter, _whole_pod, render_too_many, (*DEFAULT_EXEMPT_PREFIXES, TOKEN_PATH)
    )
    app = CallLogMiddleware(app, ctx.calls, route_of)
    return TransportCaptureMiddleware(app)
