"""The emulator's notion of now, which tests can freeze and move by seconds or days.

Everything time-bound follows it: ``Modified`` stamps, the 10-minute access tokens, the
570 s refresh rule, the 3-minute authorization codes, the 30-day refresh tokens, and the
minutely and daily rate-limit windows. Unfrozen, it follows the real clock.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def parse_moment(value: str) -> datetime:
    """An ISO 8601 timestamp; naive ones are taken as UTC."""
    moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Clock:
    """UTC time at millisecond precision, optionally frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current time (frozen time while frozen), in UTC."""
        with self._lock:
            moment = self._frozen or datetime.now(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def timestamp(self) -> float:
        """:meth:`now` as POSIX seconds."""
        return self.now().timestamp()

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._frozen is not None

    def freeze(self, at: datetime | str | None = None) -> None:
        """Stop the clock at ``at`` (default: now); naive values are UTC."""
        moment = parse_moment(at) if isinstance(at, str) else at
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        with self._lock:
            self._frozen = (moment or datetime.now(UTC)).astimezone(UTC)

    def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> None:
        """Move a frozen clock forward, e.g. ``advance(days=31)``."""
        step = timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("freeze the clock before advancing it")
            self._frozen += step

    def unfreeze(self) -> None:
        """Follow the real clock again."""
        with self._lock:
            self._frozen = None
