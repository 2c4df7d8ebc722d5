"""Reading requests: JSON bodies (415, 400) and who is calling (a token with its device,
or credentials for a token request or a stateless call).

Headers (Oracle, "Requesting a Token" and "Using a Token"): ``jde-AIS-Auth`` carries the
token and ``jde-AIS-Auth-Device`` the device; a token request may instead use HTTP Basic
with ``jde-AIS-Auth-Environment``, ``jde-AIS-Auth-Role`` and ``jde-AIS-Auth-Device``.
Bodies may carry the same as ``token``, ``deviceName``, ``username``, ``password``,
``environment`` and ``role``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from erp_sandbox.jde.context import Context
from erp_sandbox.jde.errors import (
    authorization_failure,
    invalid_json,
    unsupported_media_type,
)
from erp_sandbox.jde.sessions import Session

TOKEN_HEADER = "jde-AIS-Auth"  # noqa: S105 - a header name, not a secret
DEVICE_HEADER = "jde-AIS-Auth-Device"
ENVIRONMENT_HEADER = "jde-AIS-Auth-Environment"
ROLE_HEADER = "jde-AIS-Auth-Role"


async def json_body(request: Request, *, required: bool) -> dict[str, Any]:
    """The request's JSON object; ``{}`` for an empty body unless ``required``. A body in
    another content type is a 415, unreadable JSON or a non-object a 400."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise invalid_json("the request has no body")
        return {}
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise unsupported_media_type(content_type)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise invalid_json("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid_json("the body is not a JSON object")
    return body


def client_address(request: Request) -> str:
    """The caller's IP address (what a token without device name is bound to)."""
    return request.client.host if request.client else "unknown"


def device_of(request: Request, body: dict[str, Any]) -> str | None:
    """The device the caller names: header first, then ``deviceName`` in the body."""
    device = request.headers.get(DEVICE_HEADER) or body.get("deviceName")
    return str(device) if device else None


def token_of(request: Request, body: dict[str, Any]) -> str | None:
    """The token the caller sends: header first, then ``token`` in the body."""
    token = request.headers.get(TOKEN_HEADER) or body.get("token")
    return str(token) if token else None


@dataclass(frozen=True)
class Credentials:
    """A user's sign-in: name, password, environment, role."""

    username: str
    password: str
    environment: str | None
    role: str | None


def credentials_of(request: Request, body: dict[str, Any]) -> Credentials | None:
    """Credentials from the body, else from HTTP Basic plus the environment and role
    headers; None when neither is there."""
    username, password = body.get("username"), body.get("password")
    if username is None and password is None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, password = base64.b64decode(encoded.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise authorization_failure("unreadable Basic credentials") from None
    environment = body.get("environment") or request.headers.get(ENVIRONMENT_HEADER)
    role = body.get("role") or request.headers.get(ROLE_HEADER)
    return Credentials(
        str(username or ""),
        str(password or ""),
        str(environment) if environment else None,
        str(role) if role else None,
    )


def sign_in(
    ctx: Context,
    credentials: Credentials,
    device: str | None,
    address: str,
    *,
    temporary: bool = False,
) -> Session:
    """A new session for valid credentials, or a 403. The user name is case-insensitive
    (JD Edwards user IDs are upper case); environment and role must be the user's."""
    settings = ctx.settings
    if (
        credentials.username.upper() != settings.username.upper()
        or credentials.password != settings.password
    ):
        raise authorization_failure("wrong user name or password")
    environment = credentials.environment or settings.environment
    if environment not in settings.environments:
        raise authorization_failure(
            f"environment {environment!r} is not one of {settings.environments}"
        )
    role = credentials.role or settings.role
    if role not in settings.roles:
        raise authorization_failure(f"role {role!r} is not one of {settings.roles}")
    return ctx.sessions.open_session(
        username=settings.username.upper(),
        environment=environment,
        role=role,
        device=device,
        address=address,
        temporary=temporary,
    )


def session_for_service(request: Request, ctx: Context, body: dict[str, Any]) -> Session:
    """The session a service call runs in: the token's (444 if it is not live or belongs
    to another device), or a temporary one for a stateless call with credentials (403
    if they are wrong or missing)."""
    device = device_of(request, body)
    token = token_of(request, body)
    if token is not None:
        return ctx.sessions.use(token, device, client_address(request))
    credentials = credentials_of(request, body)
    if credentials is None:
        raise authorization_failure("no token and no credentials")
    return sign_in(ctx, credentials, device, client_address(request), temporary=True)
