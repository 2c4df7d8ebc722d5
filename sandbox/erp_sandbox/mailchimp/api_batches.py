"""Batch operations: ``/3.0/batches`` and the results archives they point to.

The archive route lives outside ``/3.0`` and needs no credentials, as Mailchimp's
``response_body_url`` is a pre-signed storage URL fetched without auth (reference
section 4); the app exempts it from the call log, the in-flight limit and faults.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.batch_operations import (
    ARCHIVE_PREFIX,
    PendingLimitReachedError,
    batch_json,
)
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.request_parsing import api_root, validated_body
from erp_sandbox.mailchimp.responding import collection_body, guarded, no_content, respond

#: What a storage bucket answers for a key it does not have (inferred: S3's NoSuchKey).
MISSING_ARCHIVE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    b"<Message>The specified key does not exist.</Message></Error>"
)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    runner = ctx.batches

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    async def start_batch(request: Request) -> Response:
        """POST /3.0/batches: queue the operations, answer ``pending`` at once."""
        body = await validated_body(request, ctx)
        try:
            batch = runner.submit(
                body["operations"],
                authorization=request.headers.get("authorization", ""),
                host=request.headers.get("host", request.url.netloc),
            )
        except PendingLimitReachedError:
            raise problems.too_many_pending_batches(ctx.settings.batch_pending_limit) from None
        return respond(request, batch_json(batch, base_url(request), api_root(request)))

    async def list_batches(request: Request) -> Response:
        """GET /3.0/batches, oldest first."""
        root = api_root(request)
        render = partial(batch_json, base_url=base_url(request), api_root=root)
        body = collection_body(request, "batches", runner.visible(), render, f"{root}/batches")
        return respond(request, body)

    async def get_batch(request: Request) -> Response:
        """GET /3.0/batches/{batch_id}: 404 once deleted or expired."""
        batch = runner.get(request.path_params["batch_id"])
        if batch is None:
            raise problems.resource_not_found()
        return respond(request, batch_json(batch, base_url(request), api_root(request)))

    async def delete_batch(request: Request) -> Response:
        """DELETE /3.0/batches/{batch_id}: stop it; its results are gone too (SPEC)."""
        if not runner.delete(request.path_params["batch_id"]):
            raise problems.resource_not_found()
        return no_content()

    async def download_results(request: Request) -> Response:
        """GET <ARCHIVE_PREFIX>/{name}: the tar.gz, no auth."""
        archive = runner.download(request.path_params["name"])
        if archive is None:
            return Response(MISSING_ARCHIVE, status_code=404, media_type="application/xml")
        return Response(archive, media_type="application/x-gzip")

    return [
        Route("/3.0/batches", guarded(ctx, list_batches), methods=["GET"]),
        Route("/3.0/batches", guarded(ctx, start_batch), methods=["POST"]),
        Route("/3.0/batches/{batch_id}", guarded(ctx, get_batch), methods=["GET"]),
        Route("/3.0/batches/{batch_id}", guarded(ctx, delete_batch), methods=["DELETE"]),
        Route(ARCHIVE_PREFIX + "/{name}", download_results, methods=["GET"]),
    ]
