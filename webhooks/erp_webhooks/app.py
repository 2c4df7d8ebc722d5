"""The ASGI application: one route per receiver, a health endpoint, and one log line
per request (accepted or rejected) with the URL secret redacted."""

from __future__ import annotations

import contextlib
import logging
import typing as t
from functools import partial

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from target_mailchimp.audit import AuditStore, default_database_url

from erp_webhooks import exact, mailchimp, netsuite
from erp_webhooks.receiving import Outcome, Rejected
from erp_webhooks.security import client_address

if t.TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from erp_webhooks.config import ServiceConfig
    from erp_webhooks.jobs import JobRunner

LOGGER = logging.getLogger("erp_webhooks.requests")
#: On shutdown, how long running jobs get to finish; queued ones never start.
SHUTDOWN_GRACE_SECONDS = 60.0
Handler = t.Callable[[Request, str | None], t.Awaitable[Outcome]]


def build_app(config: ServiceConfig, runner: JobRunner) -> Starlette:
    """Routes for the configured receivers; unconfigured ones do not exist (404)."""
    routes = [Route("/health", partial(_health, config, runner), methods=["GET"])]

    def add(name: str, handler: Handler, methods: list[str]) -> None:
        endpoint = partial(_handle, config, name, handler)
        routes.append(Route(f"/{name}", endpoint, methods=methods))
        routes.append(Route(f"/{name}/{{secret}}", endpoint, methods=methods))

    limit = config.max_body_bytes
    if config.netsuite:
        receiver = partial(netsuite.receive, receiver=config.netsuite, runner=runner)
        add("netsuite", partial(receiver, max_body_bytes=limit), ["POST"])
    if config.exact:
        receiver = partial(exact.receive, receiver=config.exact, runner=runner)
        add("exact", partial(receiver, max_body_bytes=limit), ["POST"])
    if config.mailchimp:
        store = AuditStore(
            config.mailchimp.audit_database_url or default_database_url(config.project_dir)
        )
        lists = config.mailchimp

        async def mailchimp_handler(request: Request, _client: str | None) -> Outcome:
            if request.method == "GET":
                return await mailchimp.probe(request, lists)
            return await mailchimp.receive(request, lists, store, runner, limit)

        add("mailchimp", mailchimp_handler, ["GET", "POST"])

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(runner.stop, SHUTDOWN_GRACE_SECONDS)
        logging.getLogger("erp_webhooks").info("service stopped")

    return Starlette(routes=routes, lifespan=lifespan)


async def _handle(
    config: ServiceConfig,
    name: str,
    handler: Callable[[Request, str | None], Awaitable[Outcome]],
    request: Request,
) -> Response:
    peer = request.client.host if request.client else None
    client = client_address(peer, request.headers.get("x-forwarded-for"), config.trusted_proxies)
    where = {
        "receiver": name,
        "method": request.method,
        "path": f"/{name}/***" if "secret" in request.path_params else f"/{name}",
        "client": client,
    }
    try:
        outcome = await handler(request, client)
    except Rejected as rejection:
        LOGGER.warning(
            "request rejected",
            extra={"fields": {**where, "status": rejection.status, "reason": rejection.reason}},
        )
        return JSONResponse({"error": rejection.reason}, rejection.status)
    LOGGER.info(
        "request accepted", extra={"fields": {**where, "status": outcome.status, **outcome.details}}
    )
    return JSONResponse(outcome.body, outcome.status)


async def _health(config: ServiceConfig, runner: JobRunner, _request: Request) -> Response:
    receivers = [
        name for name in ("netsuite", "exact", "mailchimp") if getattr(config, name) is not None
    ]
    return JSONResponse({"status": "ok", "receivers": receivers, "jobs": runner.status()})
