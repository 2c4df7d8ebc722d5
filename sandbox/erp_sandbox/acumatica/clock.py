"""The emulator's notion of now, which tests can freeze and move.

Record timestamps (``LastModifiedDateTime`` …), token lifetimes and session timeouts all
come from it, so a frozen clock makes them deterministic: advance it past
``access_token_seconds`` and the bearer is refused. Milliseconds are kept because
Acumatica's DateTimeValue carries them (``2024-07-15T10:31:28.402+03:00``, reference A2).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def parse_moment(value: str) -> datetime:
    """An ISO 8601 timestamp; naive ones are taken as UTC."""
    moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Clock:
    """UTC wall clock at millisecond precision, optionally frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current time (frozen time while frozen), in UTC."""
        with self._lock:
            moment = self._frozen or datetime.now(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def timestamp(self) -> float:
        """:meth:`now` as POSIX seconds (token and session lifetimes)."""
        return self.now().timestamp()

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._frozen is not None

    def freeze(self, at: datetime | str | None = None) -> None:
        """Stop the clock at ``at`` (default: now)."""
        moment = parse_moment(at) if isinstance(at, str) else at
        with self._lock:
            self._frozen = (moment or datetime.now(UTC)).astimezone(UTC)

    def advance(self, seconds: float) -> None:
        """Move a frozen clock forward."""
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("freeze the clock before advancing it")
            self._frozen += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        """Follow the wall clock again."""
        with self._lock:
            self._frozen = None
