"""The emulator's notion of now, which tests can freeze and move."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def iso(moment: datetime) -> str:
    """Mailchimp's timestamp form: ``2016-04-10T08:31:12+00:00``."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; naive ones are taken as UTC."""
    moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Clock:
    """UTC wall clock at second precision, optionally frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current time (frozen time while frozen)."""
        with self._lock:
            moment = self._frozen or datetime.now(UTC)
        return moment.replace(microsecond=0)

    def freeze(self, at: datetime | str | None = None) -> None:
        """Stop the clock at ``at`` (default: now)."""
        moment = parse_iso(at) if isinstance(at, str) else at
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
