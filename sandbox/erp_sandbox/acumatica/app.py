"""The Acumatica emulator as one ASGI application.

Layers, outermost first: transport capture (so faults can cut connections), the site
path (``/AcumaticaERP``: stripped, so everything inside sees instance-relative paths;
other paths are a bare 404 from "another site"), call log, the licence's per-minute
throttle, fault injection, then the routes.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from erp_sandbox.acumatica import api_auth, api_entity, sandbox_api
from erp_sandbox.acumatica.context import Context
from erp_sandbox.acumatica.errors import (
    JSON_CONTENT_TYPE,
    AcumaticaError,
    fault_error,
    headers_for,
)
from erp_sandbox.acumatica.settings import AcumaticaSettings
from erp_sandbox.acumatica.throttling import LicenseThrottleMiddleware
from erp_sandbox.faults import FaultMiddleware, TransportCaptureMiddleware
from erp_sandbox.inspection import CallLogMiddleware
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES


def error_response(error: AcumaticaError) -> Response:
    """An error in the ``HttpError`` shape."""
    return Response(
        error.encode(), error.status, headers=error.headers, media_type=JSON_CONTENT_TYPE
    )


class SitePathMiddleware:
    """Serves the instance under its virtual directory: ``<site>/entity/…`` reaches the
    app as ``/entity/…``. The inspection API answers with and without the site path."""

    def __init__(self, app: ASGIApp, settings: AcumaticaSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        site = self.settings.site_path
        if scope["type"] != "http" or not site:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == site or path.startswith(site + "/"):
            inner = path[len(site) :] or "/"
            # root_path stays as it is: Starlette would strip it from ``path`` again.
            scope = {**scope, "path": inner}
        elif not path.startswith(DEFAULT_EXEMPT_PREFIXES):
            response = Response(
                status_code=404,
                headers={api_entity.REASON_HEADER: f"the instance is served under {site}"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def route_of(path: str) -> str | None:
    """The route template of an instance-relative path, for the call log."""
    parts = path.strip("/").split("/")
    if parts[0] != "entity" or len(parts) < 4 or parts[1] == "auth":
        return None
    if len(parts) == 4:
        if parts[3] == "swagger.json":
            return "/entity/{endpoint}/{version}/swagger.json"
        return "/entity/{endpoint}/{version}/{entity}"
    return "/entity/{endpoint}/{version}/{entity}/{ids}"


def build_app(ctx: Context) -> ASGIApp:
    """Assemble routes and middleware around one emulator context."""
    routes = [*api_auth.routes(ctx), *api_entity.routes(ctx), *sandbox_api.routes(ctx)]

    async def on_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AcumaticaError)  # noqa: S101 - registered for it only
        return error_response(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        if exc.status_code == 405:
            # ASP.NET Web API's wording for a method a resource does not support.
            return error_response(
                AcumaticaError(
                    405,
                    f"The requested resource does not support http method '{request.method}'.",
                )
            )
        return api_entity.not_found_response("no such resource")

    async def on_crash(_request: Request, exc: Exception) -> Response:
        return error_response(AcumaticaError(500, exception_message=f"{type(exc).__name__}"))

    api = Starlette(
        routes=routes,
        exception_handlers={
            AcumaticaError: on_error,
            HTTPException: on_http_error,
            Exception: on_crash,
        },
    )

    def render_fault(
        status: int, _retry_after: int | None
    ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        error = fault_error(status)
        return error.encode(), headers_for(error)

    app: ASGIApp = FaultMiddleware(api, ctx.faults, render_fault)
    app = LicenseThrottleMiddleware(app, ctx.throttle)
    app = CallLogMiddleware(app, ctx.calls, route_of)
    app = SitePathMiddleware(app, ctx.settings)
    return TransportCaptureMiddleware(app)
