"""What every receiver shares: bounded bodies, URL secrets, outcomes and rejections."""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass, field

from erp_webhooks.security import same_secret

if t.TYPE_CHECKING:
    from starlette.requests import Request

    from erp_webhooks.jobs import JobRunner

#: How far ahead of our clock a sender's timestamp may be (clocks drift).
CLOCK_SKEW = dt.timedelta(minutes=5)


class Rejected(Exception):  # noqa: N818 - reads as the outcome it is
    """The request is refused; `reason` is safe to log and to answer with."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Outcome:
    """An accepted request: the answer, and what to log about it."""

    status: int
    body: dict[str, t.Any]
    details: dict[str, t.Any] = field(default_factory=dict)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing anything over `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise Rejected(413, f"body larger than {limit} bytes")
        except ValueError:
            raise Rejected(400, "invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def check_path_secret(request: Request, expected: str | None) -> None:
    """The secret segment of the URL, compared in constant time."""
    given = request.path_params.get("secret")
    if expected is None:
        if given is not None:
            raise Rejected(404, "no such receiver")
        return
    if not same_secret(given, expected):
        raise Rejected(401, "missing or wrong URL secret")


def json_object(body: bytes) -> dict[str, t.Any]:
    """The body as a JSON object, or a 400."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "malformed JSON body") from None
    if not isinstance(document, dict):
        raise Rejected(400, "the JSON body must be an object")
    return document


def check_age(when: dt.datetime, max_age_seconds: float, noun: str) -> None:
    """Refuse replays and forward-dated bodies (`when` must carry a time zone)."""
    now = dt.datetime.now(dt.UTC)
    if now - when > dt.timedelta(seconds=max_age_seconds):
        raise Rejected(400, f"{noun} older than max_age_seconds")
    if when - now > CLOCK_SKEW:
        raise Rejected(400, f"{noun} dated in the future")


def book_run(runner: JobRunner, job: str, details: dict[str, t.Any]) -> Outcome:
    """Book a run of `job` for an accepted event: 202 with what the runner did."""
    run = runner.trigger(job)
    return Outcome(
        202, {"accepted": True, "job": job, "run": run}, {**details, "job": job, "run": run}
    )
