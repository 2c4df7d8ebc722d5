"""``/api/oauth2/auth`` and ``/api/oauth2/token`` (reference C1).

* ``GET /api/oauth2/auth?client_id&redirect_uri&response_type=code&state`` signs nobody
  in: the (emulated) user has already consented, so it redirects straight to
  ``redirect_uri?code=…&state=…``. The code is URL-encoded there, as Exact's codes contain
  characters such as ``!``.
* ``POST /api/oauth2/token`` takes a form: ``grant_type=authorization_code`` (``code``,
  ``redirect_uri``) or ``refresh_token`` (``refresh_token``), with ``client_id`` and
  ``client_secret`` as form fields or HTTP Basic (SageData-OOD/tap-exact). Success is
  ``{"access_token", "token_type": "bearer", "expires_in": "600", "refresh_token"}``;
  errors are ``{"error", "error_description"}`` (see ``oauth.py`` for the rules).
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from erp_sandbox.exact.context import Context
from erp_sandbox.exact.errors import JSON_CONTENT_TYPE, REASON_HEADER
from erp_sandbox.exact.oauth import TokenError

AUTH_PATH = "/api/oauth2/auth"
TOKEN_PATH = "/api/oauth2/token"  # noqa: S105 - a path


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str, bool]:
    """Client id, secret, and whether they came by HTTP Basic."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError(401, "invalid_client", "Malformed Basic credentials.") from None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret), True
    return form.get("client_id", ""), form.get("client_secret", ""), False


def _token_response(body: dict[str, object], status: int, reason: str | None = None) -> Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if reason:
        headers[REASON_HEADER] = reason
    return Response(json.dumps(body), status, headers=headers, media_type=JSON_CONTENT_TYPE)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def authorize(request: Request) -> Response:
        params = request.query_params
        settings = ctx.settings
        if not ctx.oauth.client_matches(params.get("client_id", ""), None):
            return PlainTextResponse("The client_id is not known.", 400)
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri != settings.redirect_uri:
            return PlainTextResponse(
                "The redirect_uri does not match the one registered for the app.", 400
            )
        if params.get("response_type", "code") != "code":
            return PlainTextResponse("Only response_type=code is supported.", 400)
        query = {"code": ctx.oauth.issue_code(redirect_uri)}
        if "state" in params:
            query["state"] = params["state"]
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", 302)

    async def token(request: Request) -> Response:
        try:
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise TokenError(
                    400,
                    "invalid_request",
                    "The body must be application/x-www-form-urlencoded.",
                )
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            client_id, secret, basic = _client_credentials(request, form)
            if not ctx.oauth.client_matches(client_id, secret):
                raise TokenError(
                    401 if basic else 400, "invalid_client", "Unknown client or wrong secret."
                )
            ctx.oauth.count_request(client_id)
            grant_type = form.get("grant_type", "")
            if grant_type == "authorization_code":
                granted = ctx.oauth.exchange_code(
                    form.get("code", ""), form.get("redirect_uri", "")
                )
            elif grant_type == "refresh_token":
                granted = ctx.oauth.refresh(form.get("refresh_token", ""))
            else:
                raise TokenError(
                    400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported."
                )
        except TokenError as exc:
            return _token_response(exc.body(), exc.status, exc.description)
        return _token_response(granted.body(), 200)

    return [
        Route(AUTH_PATH, authorize, methods=["GET"]),
        Route(TOKEN_PATH, token, methods=["POST"]),
    ]
