"""Exact Online's API limits, on the emulator clock (reference C5).

* **Minutely**: 60 calls per app per company (division) per clock minute; the window
  ends at the next whole minute (picqer/exact-php-client#646 logged a reset of 02:02:00
  at 02:01:49).
* **Daily**: 5,000 calls per app per company per day; the window ends at midnight UTC
  (the same log: daily reset 2024-05-14 02:00:00 CEST).
* Every counted response carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (daily)
  and ``X-RateLimit-Minutely-Limit``/``-Remaining``/``-Reset``; resets are epoch
  milliseconds (picqer ``extractRateLimits``). A 429 carries only the family of the limit
  it hit (picqer#646: "Exact omits the daily limit information when they return a 429
  due to minutely limits and vice versa"). 429s are not counted.
* **Errors**: more than 10 answers of 400/401/403/404 from one endpoint within an hour
  block the app on that endpoint for an hour (reference C5); blocked calls get 403.

Counted are calls under ``/api/v1/`` made with a live access token for the emulated
division. The token endpoint has its own limits (``oauth.py``); ``/_sandbox`` is exempt.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erp_sandbox.exact.clock import Clock
from erp_sandbox.exact.entities import api_route
from erp_sandbox.exact.errors import (
    ExactError,
    daily_limit_exceeded,
    key_blocked,
    minutely_limit_exceeded,
    raw_headers,
)
from erp_sandbox.exact.oauth import OAuthServer
from erp_sandbox.exact.settings import ExactSettings
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES, ApiMiddleware

Header = tuple[bytes, bytes]
ERROR_STATUSES = frozenset({400, 401, 403, 404})


@dataclass
class Usage:
    """Calls of one app in one division in the current windows."""

    minute_start: float = 0.0
    minute_count: int = 0
    day: str = ""
    day_count: int = 0
    declined_minutely: int = 0
    declined_daily: int = 0


@dataclass
class ErrorWindow:
    """Recent error answers of one endpoint for one app, user and division."""

    errors: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


@dataclass
class Decision:
    """Whether a call may go ahead, and the headers its response carries."""

    allowed: bool
    headers: list[Header]
    error: ExactError | None = None


class RateLimiter:
    """The counters of one emulator; thread-safe."""

    def __init__(self, settings: ExactSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._usage: dict[tuple[str, int], Usage] = {}
        self._errors: dict[tuple[str, str, int, str], ErrorWindow] = {}

    def reset(self) -> None:
        """Forget every counter and block."""
        with self._lock:
            self._usage.clear()
            self._errors.clear()

    # --- call limits --------------------------------------------------------------------

    def admit(self, client_id: str, division: int) -> Decision:
        """Count a call, or refuse it with 429 when a window is spent."""
        with self._lock:
            now = self.clock.now()
            seconds = now.timestamp()
            usage = self._usage.setdefault((client_id, division), Usage())
            minute_start = seconds // 60 * 60
            if usage.minute_start != minute_start:
                usage.minute_start, usage.minute_count = minute_start, 0
            day = now.astimezone(UTC).strftime("%Y-%m-%d")
            if usage.day != day:
                usage.day, usage.day_count = day, 0
            daily, minutely = self.settings.daily_limit, self.settings.minutely_limit
            if daily and usage.day_count >= daily:
                usage.declined_daily += 1
                return Decision(False, self._daily(usage, now), daily_limit_exceeded(daily))
            if minutely and usage.minute_count >= minutely:
                usage.declined_minutely += 1
                return Decision(False, self._minutely(usage), minutely_limit_exceeded(minutely))
            usage.minute_count += 1
            usage.day_count += 1
            return Decision(True, self._daily(usage, now) + self._minutely(usage))

    def _daily(self, usage: Usage, now: datetime) -> list[Header]:
        limit = self.settings.daily_limit
        if not limit:
            return []
        midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        reset = int((midnight + timedelta(days=1)).timestamp() * 1000)
        return [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(max(limit - usage.day_count, 0)).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]

    def _minutely(self, usage: Usage) -> list[Header]:
        limit = self.settings.minutely_limit
        if not limit:
            return []
        reset = int((usage.minute_start + 60) * 1000)
        return [
            (b"x-ratelimit-minutely-limit", str(limit).encode()),
            (b"x-ratelimit-minutely-remaining", str(max(limit - usage.minute_count, 0)).encode()),
            (b"x-ratelimit-minutely-reset", str(reset).encode()),
        ]

    # --- error blocking -----------------------------------------------------------------

    def blocked_until(self, key: tuple[str, str, int, str]) -> float | None:
        """When the block on this app/user/division/endpoint ends, if it is blocked."""
        if not self.settings.error_limit_per_hour:
            return None
        with self._lock:
            window = self._errors.get(key)
            if window is None or window.blocked_until <= self.clock.timestamp():
                return None
            return window.blocked_until

    def record_error(self, key: tuple[str, str, int, str]) -> None:
        """Note an error answer; past the hourly limit the endpoint is blocked."""
        limit = self.settings.error_limit_per_hour
        if not limit:
            return
        with self._lock:
            now = self.clock.timestamp()
            window = self._errors.setdefault(key, ErrorWindow())
            window.errors.append(now)
            while window.errors and window.errors[0] <= now - 3600:
                window.errors.popleft()
            if len(window.errors) > limit:
                window.blocked_until = now + self.settings.error_block_seconds
                window.errors.clear()

    def to_json(self) -> dict[str, Any]:
        """Counters per app and division, errors and blocks per endpoint."""

        def moment(seconds: float) -> str:
            return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")

        with self._lock:
            now = self.clock.timestamp()
            usage = []
            for (client, division), entry in self._usage.items():
                current_minute = entry.minute_start == now // 60 * 60
                current_day = entry.day == self.clock.now().strftime("%Y-%m-%d")
                usage.append(
                    {
                        "client_id": client,
                        "division": division,
                        "minute_window_start": moment(entry.minute_start),
                        "minutely_used": entry.minute_count if current_minute else 0,
                        "day": entry.day,
                        "daily_used": entry.day_count if current_day else 0,
                        "declined_minutely": entry.declined_minutely,
                        "declined_daily": entry.declined_daily,
                    }
                )
            errors = [
                {
                    "client_id": client,
                    "user_id": user,
                    "division": division,
                    "endpoint": endpoint,
                    "errors_last_hour": sum(1 for t in window.errors if t > now - 3600),
                    "blocked_until": moment(window.blocked_until)
                    if window.blocked_until > now
                    else None,
                }
                for (client, user, division, endpoint), window in self._errors.items()
            ]
            return {
                "minutely_limit": self.settings.minutely_limit,
                "daily_limit": self.settings.daily_limit,
                "error_limit_per_hour": self.settings.error_limit_per_hour,
                "usage": usage,
                "errors": errors,
            }


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _accepts_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"accept" and b"application/json" in value.lower():
            return True
    return b"$format=json" in scope.get("query_string", b"").lower()


class RateLimitMiddleware(ApiMiddleware):
    """Applies :class:`RateLimiter` to API calls and stamps the headers on responses."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        oauth: OAuthServer,
        settings: ExactSettings,
        exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES,
    ) -> None:
        super().__init__(app, exempt_prefixes)
        self.limiter = limiter
        self.oauth = oauth
        self.settings = settings

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        parts = path.split("/")
        token = _bearer(scope)
        access = self.oauth.identify(token) if token else None
        if len(parts) < 4 or parts[1:3] != ["api", "v1"] or access is None:
            await self.app(scope, receive, send)
            return
        division_text = parts[3]
        if division_text.lower() == "current":
            division = self.settings.division
        elif division_text.isdigit():
            division = int(division_text)
        else:
            await self.app(scope, receive, send)
            return
        endpoint = api_route(path) or path
        error_key = (access.client_id, access.user_id, division, endpoint)
        blocked = self.limiter.blocked_until(error_key)
        if blocked is not None:
            until = datetime.fromtimestamp(blocked, UTC).strftime("%Y-%m-%d %H:%M:%S")
            error = key_blocked(self.settings.error_limit_per_hour, until)
            await self._refuse(scope, send, error, [])
            return
        headers: list[Header] = []
        if access.live(self.limiter.clock.timestamp()) and division == self.settings.division:
            decision = self.limiter.admit(access.client_id, division)
            if not decision.allowed and decision.error is not None:
                await self._refuse(scope, send, decision.error, decision.headers)
                return
            headers = decision.headers
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if status in ERROR_STATUSES:
                self.limiter.record_error(error_key)

    async def _refuse(
        self, scope: Scope, send: Send, error: ExactError, headers: list[Header]
    ) -> None:
        body, content_type = error.render(as_json=_accepts_json(scope))
        response_headers = [
            *raw_headers(error, content_type),
            *headers,
            (b"content-length", str(len(body)).encode()),
        ]
        await send(
            {"type": "http.response.start", "status": error.status, "headers": response_headers}
        )
        await send({"type": "http.response.body", "body": body})
