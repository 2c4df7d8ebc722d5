"""API sessions, access tokens and refresh tokens, and the licence's API user limit.

Two ways in, both counted against ``api_user_limit`` (reference A3/A4):

* cookie login (``/entity/auth/login``): the session stays open until
  ``/entity/auth/logout`` or until nobody uses it for ``session_timeout_seconds``, so a
  client that never signs out keeps its slot and the next login gets "API Login Limit";
* OAuth 2.0 grants: a password grant opens one session; refreshing reuses it
  (Acumatica "reuses the session ID that was issued for the first access token"). It is
  open while one of its access tokens is live, so it closes by itself when the last
  access token expires; signing out with the bearer closes it at once.

All times come from the emulator clock.
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from erp_sandbox.acumatica.clock import Clock
from erp_sandbox.acumatica.settings import AcumaticaSettings

#: ASP.NET session ids are 24 characters of lowercase letters and digits.
_SESSION_ID_ALPHABET = string.ascii_lowercase + "012345"


class LoginLimitError(Exception):
    """The licence's API user limit is reached."""


class GrantError(Exception):
    """A refresh the token endpoint refuses (``invalid_grant``)."""


@dataclass
class Session:
    """One API user session."""

    session_id: str
    kind: str  # "cookie" or "token"
    user: str
    opened_at: float
    last_seen: float
    #: Cookie sessions: the ``.ASPXAUTH`` ticket. Token sessions: None.
    ticket: str | None = None
    branch: str = ""
    #: Token sessions: when the newest access token expires.
    expires_at: float = 0.0
    closed: bool = False

    def is_open(self, now: float, timeout: float) -> bool:
        """Whether the session still holds a licence slot."""
        if self.closed:
            return False
        if self.kind == "cookie":
            return now - self.last_seen < timeout
        return now < self.expires_at


@dataclass
class AccessToken:
    """One bearer token."""

    token: str
    session_id: str
    expires_at: float
    scope: str
    revoked: bool = False


@dataclass
class RefreshToken:
    """One refresh token; the chain's end is fixed at the first grant."""

    token: str
    session_id: str
    chain_expires_at: float
    scope: str
    used: bool = False


@dataclass
class Grant:
    """What the token endpoint returns."""

    access: AccessToken
    refresh: RefreshToken | None
    lifetime: int

    def body(self) -> dict[str, Any]:
        """The success body ([ACU-DOC] OAuthOIDC_ResourceOwner_AccessToken)."""
        body: dict[str, Any] = {
            "access_token": self.access.token,
            "expires_in": self.lifetime,
            "token_type": "Bearer",
        }
        if self.refresh is not None:
            body["refresh_token"] = self.refresh.token
        body["scope"] = self.access.scope
        return body


@dataclass
class SessionRegistry:
    """Every session and token of one emulator; thread-safe."""

    settings: AcumaticaSettings
    clock: Clock
    rejected_logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sessions: dict[str, Session] = field(default_factory=dict)
    _tickets: dict[str, str] = field(default_factory=dict)
    _access: dict[str, AccessToken] = field(default_factory=dict)
    _refresh: dict[str, RefreshToken] = field(default_factory=dict)

    # --- counting ---------------------------------------------------------------------

    def _open(self, now: float) -> list[Session]:
        timeout = self.settings.session_timeout_seconds
        return [s for s in self._sessions.values() if s.is_open(now, timeout)]

    def open_count(self) -> int:
        """Sessions holding a licence slot now."""
        with self._lock:
            return len(self._open(self.clock.timestamp()))

    def _claim_slot(self, now: float, reopening: Session | None = None) -> None:
        limit = self.settings.api_user_limit
        others = [s for s in self._open(now) if s is not reopening]
        if limit > 0 and len(others) >= limit:
            self.rejected_logins += 1
            raise LoginLimitError

    # --- cookie sessions --------------------------------------------------------------

    def login(self, user: str, branch: str, ticket: str | None) -> Session:
        """Sign in; a request that still carries the ticket of an open session signs in
        again on that session instead of opening another (inferred)."""
        with self._lock:
            now = self.clock.timestamp()
            timeout = self.settings.session_timeout_seconds
            current = self._sessions.get(self._tickets.get(ticket or "", ""))
            if current is not None and current.is_open(now, timeout):
                current.last_seen = now
                current.branch = branch
                return current
            self._claim_slot(now)
            session = Session(
                session_id="".join(secrets.choice(_SESSION_ID_ALPHABET) for _ in range(24)),
                kind="cookie",
                user=user,
                opened_at=now,
                last_seen=now,
                ticket=secrets.token_hex(80).upper(),
                branch=branch,
            )
            self._sessions[session.session_id] = session
            self._tickets[session.ticket or ""] = session.session_id
            return session

    def use_ticket(self, ticket: str) -> Session | None:
        """The open cookie session of an ``.ASPXAUTH`` ticket (its idle time restarts)."""
        with self._lock:
            now = self.clock.timestamp()
            session = self._sessions.get(self._tickets.get(ticket, ""))
            if session is None or not session.is_open(now, self.settings.session_timeout_seconds):
                return None
            session.last_seen = now
            return session

    def logout_ticket(self, ticket: str) -> bool:
        """Close the cookie session of a ticket; False if there was none open."""
        with self._lock:
            session = self._sessions.get(self._tickets.pop(ticket, ""))
            if session is None or session.closed:
                return False
            session.closed = True
            return True

    # --- OAuth ------------------------------------------------------------------------

    def grant_password(self, user: str, scope: str) -> Grant:
        """A password grant: a new session, an access token, a refresh token if
        ``offline_access`` is in the scope."""
        with self._lock:
            now = self.clock.timestamp()
            self._claim_slot(now)
            session = Session(
                session_id=secrets.token_hex(12),
                kind="token",
                user=user,
                opened_at=now,
                last_seen=now,
            )
            self._sessions[session.session_id] = session
            chain_end = now + self.settings.refresh_token_seconds
            return self._issue(session, scope, now, chain_end)

    def grant_refresh(self, token: str) -> Grant:
        """A refresh grant: a new access token on the same session (reopened if it had
        closed), and a new refresh token when they rotate."""
        with self._lock:
            now = self.clock.timestamp()
            refresh = self._refresh.get(token)
            if refresh is None or refresh.used:
                raise GrantError("unknown or already used refresh token")
            if now >= refresh.chain_expires_at:
                raise GrantError("the refresh token has expired")
            session = self._sessions[refresh.session_id]
            if not session.is_open(now, self.settings.session_timeout_seconds):
                self._claim_slot(now, reopening=session)
                session.closed = False
            if self.settings.rotate_refresh_tokens:
                refresh.used = True
                del self._refresh[token]
            grant = self._issue(session, refresh.scope, now, refresh.chain_expires_at)
            if not self.settings.rotate_refresh_tokens:
                grant.refresh = refresh
            return grant

    def _issue(self, session: Session, scope: str, now: float, chain_end: float) -> Grant:
        lifetime = int(self.settings.access_token_seconds)
        access = AccessToken(secrets.token_urlsafe(32), session.session_id, now + lifetime, scope)
        self._access[access.token] = access
        session.expires_at = max(session.expires_at, access.expires_at)
        session.last_seen = now
        refresh = None
        if "offline_access" in scope.split():
            refresh = RefreshToken(secrets.token_urlsafe(32), session.session_id, chain_end, scope)
            self._refresh[refresh.token] = refresh
        return Grant(access, refresh, lifetime)

    def use_bearer(self, token: str) -> AccessToken | None:
        """The live access token, or None (unknown, expired, revoked, signed out)."""
        with self._lock:
            now = self.clock.timestamp()
            access = self._access.get(token)
            if access is None or access.revoked or now >= access.expires_at:
                return None
            session = self._sessions.get(access.session_id)
            if session is None or session.closed:
                return None
            session.last_seen = now
            return access

    def logout_bearer(self, token: str) -> bool:
        """Sign out a token session: it closes and its access tokens die (its refresh
        token may open it again, inferred)."""
        with self._lock:
            access = self._access.get(token)
            session = self._sessions.get(access.session_id) if access else None
            if session is None or session.closed:
                return False
            session.closed = True
            session.expires_at = 0.0
            for other in self._access.values():
                if other.session_id == session.session_id:
                    other.revoked = True
            return True

    # --- administration ---------------------------------------------------------------

    def revoke_access_tokens(self) -> int:
        """Every access token dies now, as if expired (refresh tokens stay)."""
        with self._lock:
            live = [a for a in self._access.values() if not a.revoked]
            for access in live:
                access.revoked = True
            for session in self._sessions.values():
                if session.kind == "token":
                    session.expires_at = 0.0
            return len(live)

    def close_all(self) -> int:
        """Close every session (like restarting the site); returns how many were open."""
        with self._lock:
            now = self.clock.timestamp()
            was_open = self._open(now)
            for session in self._sessions.values():
                session.closed = True
            for access in self._access.values():
                access.revoked = True
            self._tickets.clear()
            return len(was_open)

    def clear(self) -> None:
        """Forget every session and token."""
        with self._lock:
            self._sessions.clear()
            self._tickets.clear()
            self._access.clear()
            self._refresh.clear()
            self.rejected_logins = 0

    def to_json(self) -> dict[str, Any]:
        """Open sessions by kind, live tokens, refused logins."""
        with self._lock:
            now = self.clock.timestamp()
            open_sessions = self._open(now)
            return {
                "open": len(open_sessions),
                "cookie": sum(1 for s in open_sessions if s.kind == "cookie"),
                "token": sum(1 for s in open_sessions if s.kind == "token"),
                "limit": self.settings.api_user_limit,
                "rejected_logins": self.rejected_logins,
                "live_access_tokens": sum(
                    1 for a in self._access.values() if not a.revoked and now < a.expires_at
                ),
                "refresh_tokens": len(self._refresh),
                "sessions": [
                    {k: v for k, v in asdict(s).items() if k != "ticket"} for s in open_sessions
                ],
            }
