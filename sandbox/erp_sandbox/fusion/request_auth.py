"""Who is calling the REST API: a bearer token from the identity domain, or HTTP Basic
with a Fusion user (both work, reference B3)."""

from __future__ import annotations

import secrets

from starlette.requests import Request

from erp_sandbox.fusion.context import Context
from erp_sandbox.fusion.errors import unauthorized
from erp_sandbox.fusion.identity import basic_credentials

#: Header carrying why a request was refused (a debugging aid; Fusion logs it only).
REASON_HEADER = "X-Erp-Sandbox-Reason"
REALM = "Oracle Fusion Applications"


def _refused(detail: str, challenge: str, reason: str) -> Exception:
    error = unauthorized(detail, challenge)
    error.headers[REASON_HEADER] = reason
    return error


def authenticate(request: Request, ctx: Context) -> str:
    """The caller (client id or user name), or a 401 :class:`FusionError`."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        token = ctx.tokens.check(credentials.strip())
        if token is None:
            raise _refused(
                "The access token is invalid or has expired.",
                f'Bearer realm="{REALM}", error="invalid_token"',
                "unknown, revoked or expired bearer token",
            )
        return token.client_id
    basic = basic_credentials(header)
    if basic is not None:
        user, password = basic
        expected = ctx.settings.users.get(user)
        if expected is not None and secrets.compare_digest(expected, password):
            return user
        raise _refused(
            "The user name or password is not valid.",
            f'Basic realm="{REALM}"',
            "wrong user name or password",
        )
    raise _refused(
        "Authentication is required to access this resource.",
        f'Basic realm="{REALM}"',
        "no Bearer or Basic credentials",
    )
