"""Structured logs: one JSON object per line, with every known secret masked.

Secrets are masked at the last moment, in the formatter, so a value that slips into a
message by accident (an exception quoting a URL, say) is still never written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

MASK = "***"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "event", ...fields}` per record."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        # Longest first, so a secret containing another is masked whole.
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.mask(json.dumps(entry, default=str, ensure_ascii=False))

    def mask(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


def configure_logging(secrets: tuple[str, ...], level: str = "INFO") -> None:
    """Send every log line, the server's included, through the JSON formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
