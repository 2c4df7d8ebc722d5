"""Who is calling: a bearer token from ``/identity/connect/token`` or the cookies of
``/entity/auth/login``."""

from __future__ import annotations

from starlette.requests import Request

from erp_sandbox.acumatica.context import Context
from erp_sandbox.acumatica.errors import invalid_token, not_logged_in

#: The forms-authentication ticket cookie; ``ASP.NET_SessionId`` names the session.
TICKET_COOKIE = ".ASPXAUTH"
SESSION_COOKIE = "ASP.NET_SessionId"


def authenticate(request: Request, ctx: Context) -> str:
    """The caller's session id, or a 401 :class:`AcumaticaError`. A bearer header wins
    over cookies."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        access = ctx.sessions.use_bearer(credentials.strip())
        if access is None:
            raise invalid_token()
        return access.session_id
    ticket = request.cookies.get(TICKET_COOKIE)
    session = ctx.sessions.use_ticket(ticket) if ticket else None
    if session is None:
        raise not_logged_in()
    return session.session_id
