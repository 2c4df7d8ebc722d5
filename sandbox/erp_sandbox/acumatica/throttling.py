"""The licence's limit on web-service requests per minute ([ACU-DOC]
IS__con_License_Restrictions_API_Users, reference A4).

Once the requests processed in the past minute reach 50 % of the limit, each new request
waits (time left until the minute that began with the first of them ends) ÷ (requests
left in the limit); at the limit it waits until the oldest leaves the window. More than
``max_queued_requests`` (20) waiting, or a wait beyond ``max_queue_wait_seconds`` (10 min),
and the request is declined: 429, no ``Retry-After`` (status from Cleo, 3rd-party).
Sign-out requests skip the queue, as Acumatica processes them at once; the OAuth
``/identity`` endpoints are outside the API. ``rate_window_seconds`` shortens the
"minute" for tests; ``max_queued_requests=0`` declines whatever would have to wait.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from erp_sandbox.acumatica.errors import headers_for, request_declined
from erp_sandbox.acumatica.settings import AcumaticaSettings
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES, ApiMiddleware

#: Paths that never wait in the licence queue.
UNTHROTTLED_PATHS = ("/entity/auth/logout", "/identity/")


class LicenseThrottle:
    """Counts processed requests in a sliding window and decides each request's wait."""

    def __init__(self, settings: AcumaticaSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._processed: deque[float] = deque()
        self.waiting = 0
        self.delayed = 0
        self.declined = 0
        self.total_delay_seconds = 0.0

    def reset(self) -> None:
        """Forget the window and the counters."""
        with self._lock:
            self._processed.clear()
            self.waiting = self.delayed = self.declined = 0
            self.total_delay_seconds = 0.0

    def _decide(self, now: float, *, waited_turn: bool) -> float:
        """0 → go now (and count it); otherwise how long to wait before asking again."""
        limit = self.settings.requests_per_minute
        window = self.settings.rate_window_seconds
        while self._processed and self._processed[0] <= now - window:
            self._processed.popleft()
        used = len(self._processed)
        if limit <= 0:
            return 0.0  # no limit in the licence: nothing to count
        if used * 2 < limit or (waited_turn and used < limit):
            self._processed.append(now)
            return 0.0
        remaining_time = self._processed[0] + window - now
        remaining = limit - used
        delay = remaining_time / remaining if remaining > 0 else remaining_time
        return max(delay, 0.001)

    async def admit(self) -> bool:
        """Wait as the licence requires; False if the request is declined."""
        waited = 0.0
        while True:
            with self._lock:
                delay = self._decide(time.monotonic(), waited_turn=waited > 0)
                if delay == 0.0:
                    return True
                if (
                    self.waiting >= self.settings.max_queued_requests
                    or waited + delay > self.settings.max_queue_wait_seconds
                ):
                    self.declined += 1
                    return False
                self.waiting += 1
                if waited == 0:
                    self.delayed += 1
            try:
                await asyncio.sleep(delay)
            finally:
                with self._lock:
                    self.waiting -= 1
                    self.total_delay_seconds += delay
            waited += delay

    def to_json(self) -> dict[str, Any]:
        """Limit, window and counters."""
        with self._lock:
            return {
                "requests_per_minute": self.settings.requests_per_minute,
                "window_seconds": self.settings.rate_window_seconds,
                "in_window": len(self._processed),
                "waiting": self.waiting,
                "delayed": self.delayed,
                "declined": self.declined,
                "total_delay_seconds": round(self.total_delay_seconds, 3),
            }


class LicenseThrottleMiddleware(ApiMiddleware):
    """Delays or declines API requests as :class:`LicenseThrottle` decides."""

    def __init__(
        self,
        app: ASGIApp,
        throttle: LicenseThrottle,
        exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES,
    ) -> None:
        super().__init__(app, exempt_prefixes)
        self.throttle = throttle

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path.startswith(UNTHROTTLED_PATHS) or await self.throttle.admit():
            await self.app(scope, receive, send)
            return
        error = request_declined()
        body = error.encode()
        headers = [*headers_for(error), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
