"""A log of the API calls an emulator received, with counts per endpoint."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES, ApiMiddleware

#: Scope key where the fault middleware notes what it did to a request.
FAULT_SCOPE_KEY = "erp_sandbox.fault"
#: Scope key of a callable that records the call at once (used before a dropped
#: connection, which sends no final message).
RECORD_CALL_SCOPE_KEY = "erp_sandbox.record_call"
#: Scope key naming the batch an in-process request belongs to (batch operations).
BATCH_ID_SCOPE_KEY = "erp_sandbox.batch_id"


@dataclass(frozen=True)
class Call:
    """One request as the emulator saw it.

    ``route`` is the method and path template, e.g. ``POST /3.0/lists/{list_id}``;
    ``status`` is None when the connection was dropped on purpose. ``batch_id`` and
    ``operation_id`` are set for operations run inside a batch.
    """

    method: str
    route: str
    path: str
    query: str
    status: int | None
    fault: str | None
    started_at: str
    duration_ms: float
    batch_id: str | None = None
    operation_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The call as a JSON-ready dict."""
        return asdict(self)


class CallLog:
    """Thread-safe, append-only list of calls with per-route counts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        """Append one call."""
        with self._lock:
            self._calls.append(call)

    def reset(self) -> None:
        """Forget every call."""
        with self._lock:
            self._calls.clear()

    @property
    def calls(self) -> list[Call]:
        """A copy of the calls, oldest first."""
        with self._lock:
            return list(self._calls)

    def count(self, route: str | None = None) -> int:
        """Calls to ``route`` (``"POST /3.0/lists/{list_id}"`` or a concrete
        ``"GET /3.0/lists/abc"``); every call when ``route`` is None."""
        calls = self.calls
        if route is None:
            return len(calls)
        return sum(1 for c in calls if route in (c.route, f"{c.method} {c.path}"))

    def counts(self) -> dict[str, int]:
        """Number of calls per route template."""
        return dict(Counter(c.route for c in self.calls))

    def __len__(self) -> int:
        return len(self.calls)

    def __iter__(self) -> Iterator[Call]:
        return iter(self.calls)

    def to_json(self) -> dict[str, Any]:
        """Calls and counts as a JSON-ready dict."""
        calls = self.calls
        return {
            "total": len(calls),
            "counts": dict(Counter(c.route for c in calls)),
            "calls": [c.to_json() for c in calls],
        }


class CallLogMiddleware(ApiMiddleware):
    """ASGI middleware recording every request except those under ``exempt_prefixes``.

    ``route_of(path)`` maps a concrete path to its template; unmatched paths are logged
    as they are.
    """

    def __init__(
        self,
        app: ASGIApp,
        log: CallLog,
        route_of: Callable[[str], str | None],
        exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES,
    ) -> None:
        super().__init__(app, exempt_prefixes)
        self.log = log
        self.route_of = route_of

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        status: int | None = None
        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        recorded = False

        def record_now() -> None:
            # Called before the last byte leaves (or before a drop), so a client that
            # looks at the log right after its call always finds the call there.
            nonlocal recorded
            if recorded:
                return
            recorded = True
            fault = scope.get(FAULT_SCOPE_KEY)
            method = scope["method"]
            template = self.route_of(scope["path"]) or scope["path"]
            self.log.record(
                Call(
                    method=method,
                    route=f"{method} {template}",
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=None if fault and fault.startswith("drop") else status,
                    fault=fault,
                    started_at=started_at,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )
            )

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record_now()
            await send(message)

        scope[RECORD_CALL_SCOPE_KEY] = record_now
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            record_now()
