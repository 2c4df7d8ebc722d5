"""``POST /oauth2/v1/token``: the identity domain's client credentials grant."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.fusion.context import Context
from erp_sandbox.fusion.identity import (
    TOKEN_PATH,
    TokenRequestError,
    authenticate_client,
    check_scope,
    token_response,
)

TOKEN_MEDIA_TYPE = "application/json;charset=UTF-8"  # noqa: S105 - a media type


def audiences(request: Request, ctx: Context) -> list[str]:
    """Primary audiences a scope may be prefixed with: the pod as the client reached it,
    and the pod's own host (``https://<pod>:443``)."""
    reached = f"{request.url.scheme}://{request.url.netloc}"
    pod = f"https://{ctx.settings.pod_host}"
    return [reached, f"{reached}/", pod, f"{pod}:443", f"{pod}/", f"{pod}:443/"]


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def token(request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise TokenRequestError(
                    400, "invalid_request", "The request must be form-url-encoded."
                )
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            client_id = authenticate_client(
                request.headers.get("authorization", ""), form, ctx.settings
            )
            if form.get("grant_type") != "client_credentials":
                raise TokenRequestError(
                    400, "unsupported_grant_type", "The grant type is not supported."
                )
            scope = check_scope(form.get("scope"), audiences(request, ctx))
        except TokenRequestError as exc:
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="identity"'
            return Response(exc.body(), exc.status, headers=headers, media_type=TOKEN_MEDIA_TYPE)
        lifetime = ctx.settings.access_token_seconds
        audience = f"https://{ctx.settings.pod_host}:443"
        access = ctx.tokens.issue(client_id, scope, lifetime, audience)
        return Response(
            token_response(access, lifetime), headers=headers, media_type=TOKEN_MEDIA_TYPE
        )

    return [Route(TOKEN_PATH, token, methods=["POST"])]
