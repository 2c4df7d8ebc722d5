"""The Mailchimp emulator as one ASGI application.

Layers, outermost first: transport capture (so faults can cut connections), call log,
per-key in-flight limit (Mailchimp's 10 simultaneous connections), fault injection,
OpenAPI contract checks, then the routes. Batch operations enter at the contract checks:
they are Mailchimp's own traffic, not client connections.
"""

from __future__ import annotations

import base64

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from erp_sandbox.concurrency import InFlightLimitMiddleware
from erp_sandbox.contract import ContractMiddleware
from erp_sandbox.faults import FaultMiddleware, TransportCaptureMiddleware
from erp_sandbox.inspection import CallLogMiddleware
from erp_sandbox.mailchimp import (
    api_account,
    api_batches,
    api_ecommerce,
    api_lists,
    api_members,
    api_segments,
    api_webhooks,
    problems,
    sandbox_api,
)
from erp_sandbox.mailchimp.batch_operations import ARCHIVE_PREFIX
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.problems import ProblemError
from erp_sandbox.mailchimp.responding import problem_response
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES
from erp_sandbox.paths import PathTemplates

#: Not API calls: the inspection API, and results archives (Mailchimp serves those from
#: storage, not from the API).
EXEMPT_PREFIXES = (*DEFAULT_EXEMPT_PREFIXES, ARCHIVE_PREFIX)


def _credential_key(scope: Scope) -> str:
    """The in-flight limit is per API key: count by the credential presented."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return base64.b64encode(value).decode()
    return "anonymous"


def build_app(ctx: Context) -> ASGIApp:
    """Assemble routes and middleware around one emulator context."""
    routes = [
        *api_account.routes(ctx),
        *api_lists.routes(ctx),
        *api_members.routes(ctx),
        *api_segments.routes(ctx),
        *api_webhooks.routes(ctx),
        *api_ecommerce.routes(ctx),
        *api_batches.routes(ctx),
        *sandbox_api.routes(ctx),
    ]

    async def on_problem(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)  # noqa: S101 - registered for ProblemError only
        return problem_response(exc, ctx.settings.dc)

    async def on_http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it only
        problem = (
            problems.method_not_allowed()
            if exc.status_code == 405
            else problems.resource_not_found()
        )
        return problem_response(problem, ctx.settings.dc)

    async def on_crash(_request: Request, _exc: Exception) -> Response:
        return problem_response(problems.fault_problem(500), ctx.settings.dc)

    api = Starlette(
        routes=routes,
        exception_handlers={
            ProblemError: on_problem,
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
        problem = problems.fault_problem(status)
        if status == 429:
            problem = problems.too_many_requests(ctx.settings.concurrency_limit)
        return problems.encode(problem), problems.problem_headers(ctx.settings.dc)

    def render_too_many() -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        problem = problems.too_many_requests(ctx.settings.concurrency_limit)
        return 429, problems.encode(problem), problems.problem_headers(ctx.settings.dc)

    assert ctx.limiter is not None  # noqa: S101 - set by Context
    checked = ContractMiddleware(api, ctx.contract, ctx.violations, EXEMPT_PREFIXES)
    ctx.batches.bind(checked, route_of)
    app: ASGIApp = FaultMiddleware(checked, ctx.faults, render_fault, EXEMPT_PREFIXES)
    app = InFlightLimitMiddleware(
        app, ctx.limiter, _credential_key, render_too_many, EXEMPT_PREFIXES
    )
    app = CallLogMiddleware(app, ctx.calls, route_of, EXEMPT_PREFIXES)
    return TransportCaptureMiddleware(app)
