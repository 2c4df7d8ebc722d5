"""Keep credentials out of every log line, whatever code wrote it."""

from __future__ import annotations

import logging
import traceback
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Iterable

REDACTED = "***"
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words


class SecretRedactingFilter(logging.Filter):
    """Replace known secret values in log messages and tracebacks with `***`."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: list[str] = []

    def add(self, secrets: Iterable[str]) -> None:
        """Register more secret values."""
        known = set(self.secrets) | {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted(known, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if not self.secrets:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


REDACTOR = SecretRedactingFilter()


def install(secrets: Iterable[str]) -> None:
    """Register secrets and attach the redacting filter to every log handler."""
    REDACTOR.add(secrets)
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if REDACTOR not in handler.filters:
                handler.addFilter(REDACTOR)
