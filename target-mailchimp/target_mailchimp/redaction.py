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
        """Rewrite a record that holds a secret; never drop one.

        A record without a secret is left whole, so a structured formatter still sees
        its arguments (a metric `Point`) and its exception. One that holds a secret
        becomes plain redacted text, its traceback appended to the message.
        """
        if not self.secrets:
            return True
        message = record.getMessage()
        trace = "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else ""
        if self.redact(message) == message and self.redact(trace) == trace:
            return True
        record.msg = self.redact(message if not trace else f"{message}\n{trace.rstrip()}")
        record.args = None
        record.exc_info = None
        record.exc_text = None
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
