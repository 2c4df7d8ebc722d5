"""Fusion's value formats: ISO 8601 timestamps with milliseconds and an offset
(``2021-03-06T05:30:10.074+00:00``, reference B2) and plain dates (``2021-03-06``)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta


def render_datetime(moment: datetime) -> str:
    """``2021-03-06T05:30:10.074+00:00``: UTC, milliseconds, explicit offset."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def render_date(day: date) -> str:
    """``2021-03-06``."""
    return day.isoformat()


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 timestamp or date; naive values are UTC, ``Z`` is accepted.
    Raises ValueError for anything else."""
    value = text.strip()
    if not value or value[0] not in "0123456789":
        raise ValueError(f"not a timestamp: {text!r}")
    moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_date(text: str) -> date:
    """An ISO 8601 date, or the UTC date of a timestamp."""
    value = text.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    return parse_datetime(value).astimezone(UTC).date()


def millisecond(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to whole milliseconds (what Fusion stores and shows)."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Clock:
    """UTC wall clock at millisecond precision, optionally frozen. ``LastUpdateDate`` of
    changed and inserted records comes from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current time (frozen time while frozen)."""
        with self._lock:
            moment = self._frozen or datetime.now(UTC)
        return millisecond(moment)

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._frozen is not None

    def freeze(self, at: datetime | str | None = None) -> None:
        """Stop the clock at ``at`` (default: now)."""
        moment = parse_datetime(at) if isinstance(at, str) else at
        with self._lock:
            self._frozen = millisecond(moment or datetime.now(UTC))

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
