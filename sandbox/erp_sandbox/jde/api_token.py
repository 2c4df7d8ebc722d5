"""``/jderest/v2/tokenrequest``: sign in, log out, validate (reference B1).

* ``POST …/tokenrequest`` ``{"username", "password", "deviceName", "environment",
  "role"}`` (or Basic auth plus the ``jde-AIS-Auth-*`` headers) → 200 with the session
  (token in ``userInfo.token``); wrong credentials, environment or role → 403
  "Authorization Failure"; with ``allowed_hosts_configured`` off → 405.
* ``POST …/tokenrequest/logout`` ``{"token"}`` → 200 (empty body), the token dies with
  its result sets; a token that is not live → 444.
* ``POST …/tokenrequest/validate`` ``{"token", "deviceName"?, "touch"?}`` → 200
  ``{"isValidSession": true}``; only ``touch: true`` extends the session; not live → 444.

The v1 paths (``/jderest/tokenrequest…``) behave the same.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_sandbox.jde.context import Context
from erp_sandbox.jde.errors import allowed_hosts_refused, authorization_failure, invalid_token
from erp_sandbox.jde.request_auth import (
    client_address,
    credentials_of,
    device_of,
    json_body,
    sign_in,
    token_of,
)
from erp_sandbox.jde.sessions import Session


def token_response(ctx: Context, session: Session) -> dict[str, Any]:
    """The token request's answer (Oracle, "Example Acceptable Output for the Token
    Request Service in JSON")."""
    settings = ctx.settings
    user_row = ctx.store.record("F0101", settings.address_number)
    return {
        "username": session.username,
        "environment": session.environment,
        "role": session.role,
        "jasserver": settings.jas_server,
        "userInfo": {
            "token": session.token,
            "langPref": settings.lang_pref,
            "locale": settings.locale,
            "dateFormat": settings.date_format,
            "dateSeperator": settings.date_separator,  # sic: Oracle's spelling
            "simpleDateFormat": settings.simple_date_format,
            "decimalFormat": settings.decimal_format,
            "addressNumber": settings.address_number,
            "alphaName": user_row["ALPH"] if user_row else "",
        },
        "userAuthorized": False,
        "aisSessionCookie": session.cookie,
    }


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def token_request(request: Request) -> Response:
        if not ctx.settings.allowed_hosts_configured:
            raise allowed_hosts_refused()
        body = await json_body(request, required=False)
        credentials = credentials_of(request, body)
        if credentials is None:
            raise authorization_failure("no user name and password, in the body or as Basic auth")
        session = sign_in(ctx, credentials, device_of(request, body), client_address(request))
        return JSONResponse(token_response(ctx, session))

    async def logout(request: Request) -> Response:
        body = await json_body(request, required=False)
        token = token_of(request, body)
        if not token or not ctx.sessions.logout(token):
            raise invalid_token("the token is not live")
        return Response(status_code=200)

    async def validate(request: Request) -> Response:
        body = await json_body(request, required=False)
        ctx.sessions.use(
            token_of(request, body),
            device_of(request, body),
            client_address(request),
            touch=body.get("touch") is True,
        )
        return JSONResponse({"isValidSession": True})

    result = []
    for prefix in ("/jderest/v2", "/jderest"):
        result += [
            Route(f"{prefix}/tokenrequest", token_request, methods=["POST"]),
            Route(f"{prefix}/tokenrequest/logout", logout, methods=["POST"]),
            Route(f"{prefix}/tokenrequest/validate", validate, methods=["POST"]),
        ]
    return result
