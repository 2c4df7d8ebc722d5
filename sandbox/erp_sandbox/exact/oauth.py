"""Exact Online's OAuth 2.0 server: authorization codes, 10-minute access tokens, and the
single-use rotating refresh tokens (reference C1).

One *grant* is one authorization of the app by the user (an authorization code exchange,
or a refresh token seeded by a test). Within a grant:

* every refresh returns a new access token **and** a new refresh token;
* the refresh token just used stays valid until its successor is first used ("the old
  token dies when the new one is first used"); so a client that lost a token response can
  refresh again with the same old token, which issues another successor and retires the
  unused one (only the newest successor of a token is ever valid);
* a token that has been superseded, or whose successor was used, is spent: 400
  ``invalid_grant``;
* a refresh token expires 30 days after it was issued: 400 ``invalid_request`` "The
  refresh token expired at … and it is now …." (websmurf/laravel-exact-online#23).

A refresh sooner than 570 s after the last token issued to the app for the user is
refused with 401 "Rate limit exceeded: access_token not expired" and changes nothing;
200 token requests per app and user per UTC day at most. All times come from the
emulator clock.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from erp_sandbox.exact.clock import Clock
from erp_sandbox.exact.settings import ExactSettings
from erp_sandbox.exact.wallclock import dotnet_general

#: What the token endpoint says to an early refresh (hotgluexyz/TicketSwap tap-exact match
#: this text; Exact's docs also say "Access Token not expired").
EARLY_REFRESH = "Rate limit exceeded: access_token not expired"


class TokenError(Exception):
    """An OAuth error answer of the token endpoint."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        """``{"error", "error_description"}``."""
        return {"error": self.error, "error_description": self.description}


@dataclass
class AuthorizationCode:
    """A code from ``/api/oauth2/auth``: single use, 3 minutes (reference C1)."""

    code: str
    client_id: str
    redirect_uri: str
    issued_at: float
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    """One bearer token."""

    token: str
    grant_id: str
    client_id: str
    user_id: str
    issued_at: float
    expires_at: float

    def live(self, now: float) -> bool:
        """Whether it may still be used."""
        return now < self.expires_at


@dataclass
class RefreshToken:
    """One refresh token and where it stands in its grant's chain."""

    token: str
    grant_id: str
    issued_at: float
    expires_at: float
    #: The token whose use issued this one (None for the first of a grant).
    parent: str | None
    #: ``live``; ``spent`` (its successor was used); ``superseded`` (never used, replaced).
    state: str = "live"
    uses: int = 0


@dataclass
class Grant:
    """One authorization of the app by the user."""

    grant_id: str
    client_id: str
    user_id: str
    created_at: float
    origin: str
    #: The newest refresh token issued in this grant.
    current: str = ""
    #: Tokens in the order they were issued.
    chain: list[str] = field(default_factory=list)


@dataclass
class TokenResponse:
    """What the token endpoint returns on success."""

    access_token: str
    refresh_token: str
    expires_in: int
    expires_in_as_string: bool = True

    def body(self) -> dict[str, Any]:
        """``{"access_token", "token_type", "expires_in", "refresh_token"}``; ``expires_in``
        is the string ``"600"`` (picqer's ``getTimestampFromExpiresIn`` runs ``ctype_digit``
        on it, which needs a string)."""
        expires: int | str = str(self.expires_in) if self.expires_in_as_string else self.expires_in
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": expires,
            "refresh_token": self.refresh_token,
        }


def _opaque(prefix: str, length: int) -> str:
    return prefix + secrets.token_urlsafe(length)


class OAuthServer:
    """Codes, grants and tokens of one emulator; thread-safe."""

    def __init__(self, settings: ExactSettings, clock: Clock, user_id: str) -> None:
        self.settings = settings
        self.clock = clock
        self.user_id = user_id
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Forget every code, grant and token, and the request counters."""
        with self._lock:
            self._codes: dict[str, AuthorizationCode] = {}
            self._grants: dict[str, Grant] = {}
            self._access: dict[str, AccessToken] = {}
            self._refresh: dict[str, RefreshToken] = {}
            #: When the last token was issued, per (client, user): the 570 s rule.
            self._last_issued: dict[tuple[str, str], float] = {}
            #: Token requests per (client, user, UTC day).
            self._requests: dict[tuple[str, str, str], int] = {}
            self.refused_early = 0

    # --- client identity ----------------------------------------------------------------

    def client_matches(self, client_id: str, client_secret: str | None) -> bool:
        """Whether the id (with or without braces) and, if given, the secret are the
        app's."""
        wanted = self.settings.client_id.strip("{}").lower()
        if client_id.strip().strip("{}").lower() != wanted:
            return False
        return client_secret is None or client_secret == self.settings.client_secret

    # --- codes --------------------------------------------------------------------------

    def issue_code(self, redirect_uri: str | None = None) -> str:
        """A fresh authorization code for the app (as if the user consented)."""
        with self._lock:
            now = self.clock.timestamp()
            # Exact's codes carry '!' and other characters a client must URL-decode.
            code = _opaque("stampNL001.", 24) + "!IAAAA" + secrets.token_urlsafe(48)
            self._codes[code] = AuthorizationCode(
                code=code,
                client_id=self.settings.client_id,
                redirect_uri=redirect_uri or self.settings.redirect_uri,
                issued_at=now,
                expires_at=now + self.settings.authorization_code_seconds,
            )
            return code

    # --- token endpoint -----------------------------------------------------------------

    def count_request(self, client_id: str) -> None:
        """Count one token request; 401 past the daily token limit (wording inferred)."""
        with self._lock:
            day = self.clock.now().strftime("%Y-%m-%d")
            key = (client_id.strip("{}").lower(), self.user_id, day)
            self._requests[key] = self._requests.get(key, 0) + 1
            limit = self.settings.token_requests_per_day
            if limit and self._requests[key] > limit:
                raise TokenError(
                    401,
                    "invalid_request",
                    f"Rate limit exceeded: more than {limit} token requests today.",
                )

    def exchange_code(self, code: str, redirect_uri: str) -> TokenResponse:
        """``grant_type=authorization_code``: a new grant."""
        with self._lock:
            now = self.clock.timestamp()
            found = self._codes.get(code)
            if found is None or found.used:
                raise TokenError(400, "invalid_grant", "The authorization code is not valid.")
            if now >= found.expires_at:
                raise TokenError(400, "invalid_grant", "The authorization code has expired.")
            if redirect_uri != found.redirect_uri:
                raise TokenError(
                    400, "invalid_grant", "The redirect_uri does not match the authorization."
                )
            found.used = True
            grant = self._new_grant(now, "authorization_code")
            refresh = self._new_refresh(grant, now, parent=None)
            return self._tokens(grant, refresh, now)

    def refresh(self, token: str) -> TokenResponse:
        """``grant_type=refresh_token`` with the rules in the module docstring."""
        with self._lock:
            now = self.clock.timestamp()
            refresh = self._refresh.get(token)
            if refresh is None or refresh.state != "live":
                raise TokenError(400, "invalid_grant", "The refresh token is not valid.")
            if now >= refresh.expires_at:
                expired = datetime.fromtimestamp(refresh.expires_at, UTC)
                raise TokenError(
                    400,
                    "invalid_request",
                    f"The refresh token expired at {dotnet_general(expired)} and it is now "
                    f"{dotnet_general(datetime.fromtimestamp(now, UTC))}.",
                )
            grant = self._grants[refresh.grant_id]
            last = self._last_issued.get((grant.client_id, grant.user_id))
            interval = self.settings.min_token_interval_seconds
            if interval and last is not None and now - last < interval:
                self.refused_early += 1
                raise TokenError(401, "invalid_request", EARLY_REFRESH)
            if refresh.parent is not None and refresh.parent in self._refresh:
                # Its successor (this token) is used for the first time: the parent dies.
                parent = self._refresh[refresh.parent]
                if parent.state == "live":
                    parent.state = "spent"
            for child in self._refresh.values():
                if child.parent == token and child.state == "live":
                    child.state = "superseded"
            refresh.uses += 1
            successor = self._new_refresh(grant, now, parent=token)
            return self._tokens(grant, successor, now)

    # --- test helpers -------------------------------------------------------------------

    def seed_refresh_token(self) -> str:
        """A valid refresh token of a new grant, issued now; no token request is counted."""
        with self._lock:
            now = self.clock.timestamp()
            grant = self._new_grant(now, "seeded")
            return self._new_refresh(grant, now, parent=None).token

    def seed_access_token(self) -> str:
        """A live access token of a new grant; the 570 s rule does not see it."""
        with self._lock:
            now = self.clock.timestamp()
            grant = self._new_grant(now, "seeded")
            access = AccessToken(
                token=_opaque("AAEAA", 180),
                grant_id=grant.grant_id,
                client_id=grant.client_id,
                user_id=grant.user_id,
                issued_at=now,
                expires_at=now + self.settings.access_token_seconds,
            )
            self._access[access.token] = access
            return access.token

    def expire_access_tokens(self) -> int:
        """Every access token expires now."""
        with self._lock:
            now = self.clock.timestamp()
            live = [a for a in self._access.values() if a.live(now)]
            for access in live:
                access.expires_at = now
            return len(live)

    # --- bearer checks ------------------------------------------------------------------

    def identify(self, token: str) -> AccessToken | None:
        """The access token, live or expired, or None if unknown."""
        with self._lock:
            return self._access.get(token)

    def live_token(self, token: str) -> AccessToken | None:
        """The access token if it may be used now."""
        with self._lock:
            access = self._access.get(token)
            if access is None or not access.live(self.clock.timestamp()):
                return None
            return access

    # --- internals ----------------------------------------------------------------------

    def _new_grant(self, now: float, origin: str) -> Grant:
        grant = Grant(
            grant_id=secrets.token_hex(8),
            client_id=self.settings.client_id.strip("{}").lower(),
            user_id=self.user_id,
            created_at=now,
            origin=origin,
        )
        self._grants[grant.grant_id] = grant
        return grant

    def _new_refresh(self, grant: Grant, now: float, parent: str | None) -> RefreshToken:
        refresh = RefreshToken(
            token=_opaque("Gcp7!IAAAA", 96),
            grant_id=grant.grant_id,
            issued_at=now,
            expires_at=now + self.settings.refresh_token_seconds,
            parent=parent,
        )
        self._refresh[refresh.token] = refresh
        grant.current = refresh.token
        grant.chain.append(refresh.token)
        return refresh

    def _tokens(self, grant: Grant, refresh: RefreshToken, now: float) -> TokenResponse:
        lifetime = int(self.settings.access_token_seconds)
        access = AccessToken(
            token=_opaque("AAEAA", 180),
            grant_id=grant.grant_id,
            client_id=grant.client_id,
            user_id=grant.user_id,
            issued_at=now,
            expires_at=now + lifetime,
        )
        self._access[access.token] = access
        self._last_issued[(grant.client_id, grant.user_id)] = now
        return TokenResponse(
            access.token, refresh.token, lifetime, self.settings.expires_in_as_string
        )

    def to_json(self) -> dict[str, Any]:
        """Grants with their refresh-token chains, live access tokens, counters."""

        def moment(seconds: float) -> str:
            return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")

        with self._lock:
            now = self.clock.timestamp()
            grants = []
            for grant in self._grants.values():
                chain = []
                for token in grant.chain:
                    refresh = self._refresh[token]
                    entry = asdict(refresh)
                    entry["issued_at"] = moment(refresh.issued_at)
                    entry["expires_at"] = moment(refresh.expires_at)
                    entry["expired"] = now >= refresh.expires_at
                    chain.append(entry)
                grants.append(
                    {
                        "grant_id": grant.grant_id,
                        "origin": grant.origin,
                        "created_at": moment(grant.created_at),
                        "current_refresh_token": grant.current or None,
                        "refresh_tokens": chain,
                        "live_access_tokens": sum(
                            1
                            for a in self._access.values()
                            if a.grant_id == grant.grant_id and a.live(now)
                        ),
                    }
                )
            last = self._last_issued.get(
                (self.settings.client_id.strip("{}").lower(), self.user_id)
            )
            next_refresh = None
            if last is not None:
                next_refresh = moment(last + self.settings.min_token_interval_seconds)
            return {
                "grants": grants,
                "live_access_tokens": sum(1 for a in self._access.values() if a.live(now)),
                "authorization_codes": sum(
                    1 for c in self._codes.values() if not c.used and now < c.expires_at
                ),
                "last_token_issued_at": moment(last) if last is not None else None,
                "refresh_allowed_from": next_refresh,
                "refused_early_refreshes": self.refused_early,
                "token_requests_today": {
                    day: count for (_, _, day), count in sorted(self._requests.items())
                },
            }
