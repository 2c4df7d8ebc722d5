"""Fault injection for any emulator: latency, 429s, 5xx errors and dropped connections.

Two ways to ask for faults:

* rates (``rate_429``, ``rate_5xx``, ``drop_rate``) drawn from a seeded RNG, so a run with
  the same seed and the same request order sees the same faults;
* a queue of rules, "the next N requests matching METHOD and a path glob get status S,
  a drop, or a delay", which tests use for exact, reproducible scenarios.

Queued rules are consulted first; a request matching none falls back to the rates.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from erp_sandbox.inspection import FAULT_SCOPE_KEY, RECORD_CALL_SCOPE_KEY
from erp_sandbox.middleware import DEFAULT_EXEMPT_PREFIXES, ApiMiddleware

#: Scope key where :class:`TransportCaptureMiddleware` leaves the connection's transport.
TRANSPORT_SCOPE_KEY = "erp_sandbox.transport"

DROP_MODES = ("mid_body", "no_response")

#: Renders an error body for a status: ``(status, retry_after) -> (body, headers)``.
ErrorRenderer = Callable[[int, int | None], tuple[bytes, list[tuple[bytes, bytes]]]]


class DroppedConnectionError(Exception):
    """Raised inside the ASGI app to make the server abort a response it has started."""


class _HideDroppedConnectionTracebacks(logging.Filter):
    """Keeps uvicorn from logging a traceback for connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnectionError)


logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnectionTracebacks())


@dataclass
class QueuedFault:
    """A rule for the next ``times`` requests matching ``method`` and ``path`` (a glob).

    Exactly what happens is ``status`` (an error response), ``drop`` (``mid_body`` or
    ``no_response``), or neither (the request goes through); ``delay_ms`` is added first.
    """

    method: str = "*"
    path: str = "*"
    status: int | None = None
    drop: str | None = None
    delay_ms: float = 0
    retry_after: int | None = None
    empty_body: bool = False
    times: int = 1

    def __post_init__(self) -> None:
        if self.drop is not None and self.drop not in DROP_MODES:
            raise ValueError(f"drop must be one of {DROP_MODES}, not {self.drop!r}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx code, not {self.status}")
        if self.times < 1:
            raise ValueError("times must be at least 1")

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        method_ok = self.method == "*" or self.method.upper() == method.upper()
        return method_ok and fnmatch.fnmatchcase(path, self.path)


@dataclass
class FaultSettings:
    """Rates and latency applied to every request that no queued rule matched."""

    latency_ms: float = 0
    latency_jitter_ms: float = 0
    rate_429: float = 0.0
    retry_after_seconds: int | None = None
    rate_5xx: float = 0.0
    statuses_5xx: tuple[int, ...] = (500, 502, 503)
    drop_rate: float = 0.0
    drop_mode: str = "mid_body"
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_5xx", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.rate_429 + self.rate_5xx + self.drop_rate > 1.0:
            raise ValueError("rate_429 + rate_5xx + drop_rate must not exceed 1")
        if self.drop_mode not in DROP_MODES:
            raise ValueError(f"drop_mode must be one of {DROP_MODES}")
        self.statuses_5xx = tuple(self.statuses_5xx)
        if not self.statuses_5xx or not all(500 <= s <= 599 for s in self.statuses_5xx):
            raise ValueError("statuses_5xx must be a non-empty list of 5xx codes")


@dataclass
class FaultDecision:
    """What the middleware does to one request."""

    delay_ms: float = 0
    status: int | None = None
    retry_after: int | None = None
    drop: str | None = None
    empty_body: bool = False

    @property
    def label(self) -> str | None:
        """A short name for the call log, e.g. ``status:429`` or ``drop:mid_body``."""
        if self.drop:
            return f"drop:{self.drop}"
        if self.status:
            return f"status:{self.status}"
        if self.delay_ms:
            return "delay"
        return None


class FaultInjector:
    """Thread-safe fault configuration shared by an emulator's middleware and its API."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = settings or FaultSettings()
        self._rng = random.Random(self._settings.seed)  # noqa: S311 - test faults, not crypto
        self._queue: list[QueuedFault] = []
        self.injected = 0

    @property
    def settings(self) -> FaultSettings:
        """The current rates (a copy)."""
        with self._lock:
            return FaultSettings(**asdict(self._settings))

    def configure(self, **changes: Any) -> None:
        """Change some settings, e.g. ``configure(latency_ms=200, rate_429=0.1, seed=7)``.

        Passing ``seed`` restarts the random sequence.
        """
        known = {f.name for f in fields(FaultSettings)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            merged = {**asdict(self._settings), **changes}
            self._settings = FaultSettings(**merged)
            if "seed" in changes:
                self._rng = random.Random(self._settings.seed)  # noqa: S311

    def enqueue(self, **rule: Any) -> QueuedFault:
        """Queue a rule, e.g. ``enqueue(method="POST", path="/3.0/lists/*", status=503,
        times=2)``; rules are consulted in the order they were queued."""
        queued = QueuedFault(**rule)
        with self._lock:
            self._queue.append(queued)
        return queued

    def clear(self) -> None:
        """Back to no faults: default settings (unseeded) and an empty queue."""
        with self._lock:
            self._settings = FaultSettings()
            self._queue.clear()
            self._rng = random.Random(None)  # noqa: S311
            self.injected = 0

    @property
    def queue(self) -> list[QueuedFault]:
        """Rules still waiting (copies)."""
        with self._lock:
            return [QueuedFault(**asdict(q)) for q in self._queue]

    def decide(self, method: str, path: str) -> FaultDecision:
        """Pick what happens to one request, consuming a queued rule if one matches."""
        with self._lock:
            for index, rule in enumerate(self._queue):
                if rule.matches(method, path):
                    rule.times -= 1
                    if rule.times == 0:
                        del self._queue[index]
                    decision = FaultDecision(
                        delay_ms=rule.delay_ms,
                        status=rule.status,
                        retry_after=rule.retry_after,
                        drop=rule.drop,
                        empty_body=rule.empty_body,
                    )
                    break
            else:
                decision = self._draw()
            if decision.status or decision.drop:
                self.injected += 1
            return decision

    def _draw(self) -> FaultDecision:
        s = self._settings
        delay = s.latency_ms
        if s.latency_jitter_ms:
            delay += self._rng.uniform(0, s.latency_jitter_ms)
        decision = FaultDecision(delay_ms=delay)
        if not (s.rate_429 or s.rate_5xx or s.drop_rate):
            return decision
        draw = self._rng.random()
        if draw < s.drop_rate:
            decision.drop = s.drop_mode
        elif draw < s.drop_rate + s.rate_429:
            decision.status = 429
            decision.retry_after = s.retry_after_seconds
        elif draw < s.drop_rate + s.rate_429 + s.rate_5xx:
            decision.status = self._rng.choice(s.statuses_5xx)
        return decision

    def to_json(self) -> dict[str, Any]:
        """Settings and queue as a JSON-ready dict."""
        settings = asdict(self.settings)
        settings["statuses_5xx"] = list(settings["statuses_5xx"])
        return {
            "settings": settings,
            "queue": [asdict(q) for q in self.queue],
            "injected": self.injected,
        }

    def apply_json(self, body: dict[str, Any]) -> None:
        """Apply ``{"clear": bool, "settings": {...}, "queue": [{...}, ...]}``."""
        if body.get("clear"):
            self.clear()
        if body.get("settings"):
            self.configure(**body["settings"])
        for rule in body.get("queue", []):
            self.enqueue(**rule)


class TransportCaptureMiddleware:
    """Outermost middleware: keeps uvicorn's transport in the scope so that a fault can
    close the connection without sending a response. Harmless under other servers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cycle = getattr(send, "__self__", None)
            scope[TRANSPORT_SCOPE_KEY] = getattr(cycle, "transport", None)
        await self.app(scope, receive, send)


class FaultMiddleware(ApiMiddleware):
    """Applies the injector's decision before the request reaches the emulator."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        render_error: ErrorRenderer,
        exempt_prefixes: tuple[str, ...] = DEFAULT_EXEMPT_PREFIXES,
    ) -> None:
        super().__init__(app, exempt_prefixes)
        self.injector = injector
        self.render_error = render_error

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        decision = self.injector.decide(scope["method"], scope["path"])
        if decision.label:
            scope[FAULT_SCOPE_KEY] = decision.label
        if decision.delay_ms:
            await asyncio.sleep(decision.delay_ms / 1000)
        if decision.drop:
            await self._drop(scope, send, decision.drop)
        elif decision.status:
            await self._error(send, decision)
        else:
            await self.app(scope, receive, send)

    async def _error(self, send: Send, decision: FaultDecision) -> None:
        assert decision.status is not None  # noqa: S101 - narrowed by the caller
        if decision.empty_body:
            body, headers = b"", [(b"content-length", b"0")]
        else:
            body, headers = self.render_error(decision.status, decision.retry_after)
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        if decision.retry_after is not None:
            headers.append((b"retry-after", str(decision.retry_after).encode()))
        await send({"type": "http.response.start", "status": decision.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _drop(self, scope: Scope, send: Send, mode: str) -> None:
        transport = scope.get(TRANSPORT_SCOPE_KEY)
        record_call = scope.get(RECORD_CALL_SCOPE_KEY)
        if record_call is not None:
            record_call()
        if mode == "mid_body" or transport is None:
            # Promise a body, send part of it, then cut the connection: clients see an
            # incomplete read (requests raises ChunkedEncodingError).
            body, headers = self.render_error(500, None)
            promised = max(len(body), 64) * 2
            headers = [*headers, (b"content-length", str(promised).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body[:32], "more_body": True})
        if transport is None:
            raise DroppedConnectionError("connection dropped by fault injection")
        transport.close()
        # Let the server notice the closed connection before the app returns, so it
        # neither logs an error nor tries to answer.
        for _ in range(3):
            await asyncio.sleep(0)
