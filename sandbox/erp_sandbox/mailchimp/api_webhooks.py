"""List webhooks: ``/3.0/lists/{list_id}/webhooks`` and ``…/webhooks/{webhook_id}``."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.list_webhooks import webhook_json
from erp_sandbox.mailchimp.representations import collection_links
from erp_sandbox.mailchimp.request_parsing import api_root, validated_body
from erp_sandbox.mailchimp.responding import get_list, guarded, no_content, respond


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    store = ctx.store
    hooks = ctx.list_webhooks

    def list_id_of(request: Request) -> str:
        with store.lock:
            return get_list(ctx, request.path_params["list_id"]).id

    async def get_webhooks(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/webhooks: every webhook (the spec has no paging)."""
        list_id = list_id_of(request)
        root = api_root(request)
        found = hooks.for_list(list_id)
        href = f"{root}/lists/{list_id}/webhooks"
        body = {
            "webhooks": [webhook_json(h, root) for h in found],
            "list_id": list_id,
            "total_items": len(found),
            "_links": collection_links(href, can_create=True),
        }
        return respond(request, body)

    async def create_webhook(request: Request) -> Response:
        """POST /3.0/lists/{list_id}/webhooks: 200 once the URL answered the GET."""
        body = await validated_body(request, ctx)
        list_id = list_id_of(request)
        hook = await run_in_threadpool(hooks.create, list_id, body)
        return respond(request, webhook_json(hook, api_root(request)))

    async def get_webhook(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/webhooks/{webhook_id}."""
        hook = hooks.find(list_id_of(request), request.path_params["webhook_id"])
        return respond(request, webhook_json(hook, api_root(request)))

    async def update_webhook(request: Request) -> Response:
        """PATCH /3.0/lists/{list_id}/webhooks/{webhook_id}."""
        body = await validated_body(request, ctx)
        hook = hooks.update(list_id_of(request), request.path_params["webhook_id"], body)
        return respond(request, webhook_json(hook, api_root(request)))

    async def delete_webhook(request: Request) -> Response:
        """DELETE /3.0/lists/{list_id}/webhooks/{webhook_id}: 204."""
        hooks.delete(list_id_of(request), request.path_params["webhook_id"])
        return no_content()

    collection = "/3.0/lists/{list_id}/webhooks"
    one = collection + "/{webhook_id}"
    return [
        Route(collection, guarded(ctx, get_webhooks), methods=["GET"]),
        Route(collection, guarded(ctx, create_webhook), methods=["POST"]),
        Route(one, guarded(ctx, get_webhook), methods=["GET"]),
        Route(one, guarded(ctx, update_webhook), methods=["PATCH"]),
        Route(one, guarded(ctx, delete_webhook), methods=["DELETE"]),
    ]
