"""Who is calling: a bearer token from the token endpoint, or a TBA signature."""

from __future__ import annotations

from starlette.requests import Request

from erp_sandbox.netsuite.context import Context
from erp_sandbox.netsuite.errors import NetSuiteError, invalid_login
from erp_sandbox.netsuite.tba import TbaRejectedError, normalized_url, verify

#: Header carrying why a request was refused (NetSuite only shows the Login Audit Trail).
REASON_HEADER = "X-Erp-Sandbox-Reason"


def _rejected(challenge: str, reason: str) -> NetSuiteError:
    error = invalid_login(challenge)
    error.headers[REASON_HEADER] = reason
    return error


def bearer_challenge(account_id: str) -> str:
    """``WWW-Authenticate`` for a missing, expired or unknown bearer (reference A3)."""
    return (
        f'Bearer realm="{account_id}", error="invalid_token", '
        'error_description="Invalid login attempt."'
    )


def oauth_challenge(account_id: str) -> str:
    """``WWW-Authenticate`` for a refused TBA signature (reference A3)."""
    return f'OAuth realm="{account_id}", error="token_rejected"'


def authenticate(request: Request, ctx: Context) -> str:
    """The caller's token id, or a 401 ``INVALID_LOGIN`` :class:`NetSuiteError`."""
    account = ctx.settings.account_id
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer":
        token = ctx.tokens.check(credentials.strip())
        if token is None:
            raise _rejected(bearer_challenge(account), "unknown, revoked or expired bearer token")
        return token.token_id
    if scheme.lower() == "oauth":
        url = normalized_url(request.url.scheme, request.url.netloc, request.url.path)
        try:
            return verify(
                header,
                method=request.method,
                url=url,
                query_string=request.url.query,
                settings=ctx.settings,
                nonces=ctx.nonces,
            )
        except TbaRejectedError as exc:
            raise _rejected(oauth_challenge(account), str(exc)) from None
    raise _rejected(bearer_challenge(account), "no Bearer or OAuth credentials")
