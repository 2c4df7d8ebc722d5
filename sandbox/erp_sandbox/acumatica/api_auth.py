"""Signing in and out: cookie login (``/entity/auth/login``, ``/entity/auth/logout``) and
OAuth 2.0 (``/identity/connect/token``, ``/identity/.well-known/openid-configuration``).

Login ([ACU-DOC] IntegrationDev_RESTExample_Basic_Login): JSON or form body ``{"name",
"password", "tenant", "branch", "locale"}`` → 204 with the session cookies; 400 for an
unreadable body; 429 "API Login Limit" over the licence; 500 otherwise. Token endpoint
([ACU-DOC] OAuthOIDC_ResourceOwner_AccessToken): form body; ``grant_type`` ``password``
(``client_id`` = ``<GUID>@<Tenant>``, ``client_secret``, ``username``, ``password``,
``scope``) or ``refresh_token``; errors are OAuth ``{"error", "error_description"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from erp_sandbox.acumatica.context import Context
from erp_sandbox.acumatica.errors import (
    JSON_CONTENT_TYPE,
    AcumaticaError,
    api_login_limit,
)
from erp_sandbox.acumatica.request_auth import SESSION_COOKIE, TICKET_COOKIE
from erp_sandbox.acumatica.sessions import GrantError, LoginLimitError

TOKEN_PATH = "/identity/connect/token"  # noqa: S105 - a path
LOGIN_PATH = "/entity/auth/login"
LOGOUT_PATH = "/entity/auth/logout"
#: Scopes Acumatica grants (reference A3).
KNOWN_SCOPES = ("api", "offline_access", "api:concurrent_access", "openid", "profile", "email")
#: Why the emulator refused (Acumatica logs it in its own request profiler only).
REASON_HEADER = "X-Erp-Sandbox-Reason"
INVALID_CREDENTIALS = "Invalid credentials. Please try again."
COOKIE_NAMES = (SESSION_COOKIE, TICKET_COOKIE, "UserBranch", "Locale")


class TokenError(Exception):
    """An OAuth error response of the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


async def _login_body(request: Request) -> dict[str, Any]:
    raw = (await request.body()).decode("utf-8", "replace")
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            body: Any = dict(parse_qsl(raw))
        else:
            body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        body = None
    if not isinstance(body, dict) or not body.get("name") or "password" not in body:
        raise AcumaticaError(
            400,
            exception_message="The data specified in the request is invalid: "
            "name and password are required.",
            exception_type="PX.Api.ContractBased.InvalidRequestException",
        )
    return body


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from the form, or from HTTP Basic (IdentityServer accepts
    both)."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError("invalid_client", "malformed Basic credentials") from None
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _scope(requested: str | None) -> str:
    scopes = (requested or "api").split()
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise TokenError("invalid_scope", f"unknown scopes: {' '.join(unknown)}")
    if "api" not in scopes:
        raise TokenError("invalid_scope", "the api scope is required for API access")
    ordered = [s for s in KNOWN_SCOPES if s in scopes]
    return " ".join(ordered)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    async def login(request: Request) -> Response:
        body = await _login_body(request)
        settings = ctx.settings
        tenant = str(body.get("tenant") or settings.tenant)
        if (
            body.get("name") != settings.username
            or body.get("password") != settings.password
            or tenant.casefold() != settings.tenant.casefold()
        ):
            error = AcumaticaError(500, exception_message=INVALID_CREDENTIALS)
            error.headers[REASON_HEADER] = "wrong name, password or tenant"
            raise error
        try:
            session = ctx.sessions.login(
                settings.username,
                str(body.get("branch") or settings.branch),
                request.cookies.get(TICKET_COOKIE),
            )
        except LoginLimitError:
            raise api_login_limit() from None
        response = Response(status_code=204)
        for name, value in (
            (SESSION_COOKIE, session.session_id),
            (TICKET_COOKIE, session.ticket or ""),
            ("UserBranch", session.branch),
            ("Locale", str(body.get("locale") or "en-US")),
        ):
            response.set_cookie(name, value, path="/", httponly=True, samesite="lax")
        return response

    async def logout(request: Request) -> Response:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            ctx.sessions.logout_bearer(credentials.strip())
        ticket = request.cookies.get(TICKET_COOKIE)
        if ticket:
            ctx.sessions.logout_ticket(ticket)
        response = Response(status_code=204)
        for name in COOKIE_NAMES:
            response.delete_cookie(name, path="/")
        return response

    async def token(request: Request) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        try:
            if not request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                raise TokenError(
                    "invalid_request", "the body must be application/x-www-form-urlencoded"
                )
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            client_id, client_secret = _client_credentials(request, form)
            if client_id.casefold() != ctx.settings.client_id.casefold() or (
                client_secret != ctx.settings.client_secret
            ):
                raise TokenError("invalid_client", "unknown client or wrong secret")
            grant_type = form.get("grant_type", "")
            if grant_type == "password":
                if (
                    form.get("username") != ctx.settings.username
                    or form.get("password") != ctx.settings.password
                ):
                    raise TokenError("invalid_grant", "invalid_username_or_password")
                scope = _scope(form.get("scope"))
                try:
                    grant = ctx.sessions.grant_password(ctx.settings.username, scope)
                except LoginLimitError:
                    raise TokenError("invalid_grant", "API Login Limit") from None
            elif grant_type == "refresh_token":
                try:
                    grant = ctx.sessions.grant_refresh(form.get("refresh_token", ""))
                except GrantError as exc:
                    raise TokenError("invalid_grant", str(exc)) from None
                except LoginLimitError:
                    raise TokenError("invalid_grant", "API Login Limit") from None
            elif grant_type == "authorization_code":
                raise TokenError("invalid_grant", "authorization codes are not emulated")
            else:
                raise TokenError(
                    "unsupported_grant_type", f"grant_type {grant_type!r} is not supported"
                )
        except TokenError as exc:
            headers[REASON_HEADER] = exc.description
            body = {"error": exc.error}
            if exc.error == "invalid_grant":
                body["error_description"] = exc.description
            return JSONResponse(body, exc.status, headers=headers)
        return Response(json.dumps(grant.body()), headers=headers, media_type=JSON_CONTENT_TYPE)

    async def openid_configuration(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}{ctx.settings.site_path}/identity"
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/connect/authorize",
                "token_endpoint": f"{base}/connect/token",
                "userinfo_endpoint": f"{base}/connect/userinfo",
                "end_session_endpoint": f"{base}/connect/endsession",
                "scopes_supported": list(KNOWN_SCOPES),
                "grant_types_supported": [
                    "authorization_code",
                    "implicit",
                    "password",
                    "refresh_token",
                ],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
            }
        )

    return [
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route(LOGOUT_PATH, logout, methods=["POST"]),
        Route(TOKEN_PATH, token, methods=["POST"]),
        Route("/identity/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    ]
