"""Rejecting requests beyond a number in flight at once per credential."""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES, ApiMiddleware

#: Renders the rejection: ``() -> (status, body, headers)``.
RejectionRenderer = Callable[[], tuple[int, bytes, list[tuple[bytes, bytes]]]]


class InFlightLimiter:
    """Counts requests in flight per key; thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self.peak = 0
        self.rejected = 0

    def try_enter(self, key: str) -> bool:
        """Count one more request for ``key``; False (and no count) if over the limit."""
        with self._lock:
            current = self._in_flight.get(key, 0)
            if self.limit > 0 and current >= self.limit:
                self.rejected += 1
                return False
            self._in_flight[key] = current + 1
            self.peak = max(self.peak, current + 1)
            return True

    def leave(self, key: str) -> None:
        """One request for ``key`` finished."""
        with self._lock:
            remaining = self._in_flight.get(key, 1) - 1
            if remaining:
                self._in_flight[key] = remaining
            else:
                self._in_flight.pop(key, None)

    def reset_counters(self) -> None:
        """Forget the peak and rejection counts (requests in flight stay counted)."""
        with self._lock:
            self.peak = 0
            self.rejected = 0


class InFlightLimitMiddleware(ApiMiddleware):
    """Answers with ``render()`` when a key already has ``limit`` requests in flight.

    It wraps the fault middleware, so injected latency keeps requests in flight longer
    and makes the limit reachable from an ordinary test.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: InFlightLimiter,
        key_of: Callable[[Scope], str],
        render: RejectionRenderer,
        exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES,
    ) -> None:
        super().__init__(app, exempt_prefixes)
        self.limiter = limiter
        self.key_of = key_of
        self.render = render

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.key_of(scope)
        if not self.limiter.try_enter(key):
            status, body, headers = self.render()
            headers = [*headers, (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.limiter.leave(key)
