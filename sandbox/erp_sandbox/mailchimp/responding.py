"""Building Mailchimp responses: JSON bodies, problem documents, auth-guarded handlers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.problems import ProblemError
from erp_sandbox.mailchimp.representations import collection_links, select_fields
from erp_sandbox.mailchimp.request_parsing import authenticate, page, query_list
from erp_sandbox.mailchimp.store import MailingList

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

Handler = Callable[[Request], Awaitable[Response]]
Item = TypeVar("Item")


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response with Mailchimp's content type."""
    return Response(
        json.dumps(data),
        status_code=status,
        media_type=None,
        headers={"content-type": JSON_CONTENT_TYPE},
    )


def respond(request: Request, data: Any, status: int = 200) -> Response:
    """JSON, trimmed by the request's ``fields``/``exclude_fields``."""
    data = select_fields(data, query_list(request, "fields"), query_list(request, "exclude_fields"))
    return json_response(data, status)


def collection_body(
    request: Request,
    key: str,
    found: Sequence[Item],
    render: Callable[[Item], Any],
    href: str,
    *,
    can_create: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A collection response: the page of ``found`` the request's ``count``/``offset``
    ask for, rendered under ``key``, with ``extra`` keys (e.g. ``list_id``),
    ``total_items`` (every match) and ``_links``."""
    count, offset = page(request)
    return {
        key: [render(item) for item in found[offset : offset + count]],
        **extra,
        "total_items": len(found),
        "_links": collection_links(href, can_create=can_create),
    }


def no_content() -> Response:
    """204 with an empty body."""
    return Response(status_code=204)


def problem_response(problem: ProblemError, dc: str) -> Response:
    """A problem+json response."""
    response = Response(problems.encode(problem), status_code=problem.status, media_type=None)
    for name, value in problems.problem_headers(dc):
        response.headers[name.decode()] = value.decode()
    return response


def guarded(ctx: Context, handler: Handler) -> Handler:
    """Wrap a handler so it runs only for known API keys or tokens, and so the list
    webhook events its writes emit are delivered before it answers (in a worker thread,
    after the handler released the store lock)."""

    async def run(request: Request) -> Response:
        authenticate(request, ctx)
        hooks = ctx.list_webhooks
        with hooks.collecting() as outbox:
            try:
                return await handler(request)
            finally:
                if outbox:
                    await run_in_threadpool(hooks.deliver, list(outbox))

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def get_list(ctx: Context, list_id: str) -> MailingList:
    """The list, or 404."""
    lst = ctx.store.lists.get(list_id)
    if lst is None:
        raise problems.resource_not_found()
    return lst
