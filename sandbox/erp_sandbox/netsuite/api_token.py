"""``POST /services/rest/auth/oauth2/v1/token``: client credentials with a JWT assertion."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.netsuite.context import Context
from erp_sandbox.netsuite.oauth2 import (
    TOKEN_PATH,
    TokenRequestError,
    check_assertion,
    token_response,
)
from erp_sandbox.netsuite.request_auth import REASON_HEADER

TOKEN_CONTENT_TYPE = "application/json;charset=UTF-8"  # noqa: S105 - a media type


def accepted_token_urls(request: Request, ctx: Context) -> list[str]:
    """``aud`` values meaning "this token endpoint": the URL as the client reached it, and
    the account's real host name."""
    return [
        f"{request.url.scheme}://{request.url.netloc}{TOKEN_PATH}",
        f"https://{ctx.settings.host}{TOKEN_PATH}",
    ]


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def token(request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        content_type = request.headers.get("content-type", "")
        try:
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise TokenRequestError(
                    400, "invalid_request", "the body must be application/x-www-form-urlencoded"
                )
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            client_id, certificate_id = check_assertion(
                form, ctx.settings, accepted_token_urls(request, ctx)
            )
        except TokenRequestError as exc:
            headers[REASON_HEADER] = exc.reason
            body = json.dumps({"error": exc.code}).encode()
            return Response(body, exc.status, headers=headers, media_type=TOKEN_CONTENT_TYPE)
        lifetime = ctx.settings.access_token_seconds
        access = ctx.tokens.issue(client_id, certificate_id, lifetime, str(request.url))
        return Response(
            token_response(access, lifetime), headers=headers, media_type=TOKEN_CONTENT_TYPE
        )

    return [Route(TOKEN_PATH, token, methods=["POST"])]
