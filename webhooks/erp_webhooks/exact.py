"""Exact Online: signed notifications that carry a key, never the record.

The body is `{"Content":{...},"HashCode":"…"}`; `HashCode` is the uppercase hex
HMAC-SHA256 of the raw bytes of `Content`, keyed with the app's webhook secret. The
bytes are cut out of the body as they came, never re-serialised, because any change
of spacing or key order changes the hash. When a subscription is created Exact calls
the URL once with an empty body: that call is answered 200 and triggers nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t
from zoneinfo import ZoneInfo

from erp_webhooks.receiving import (
    Outcome,
    Rejected,
    book_run,
    check_age,
    check_path_secret,
    read_body,
)
from erp_webhooks.security import hmac_sha256_hex, same_secret

if t.TYPE_CHECKING:
    from starlette.requests import Request

    from erp_webhooks.config import ExactReceiver
    from erp_webhooks.jobs import JobRunner

_SIGNED_BODY = re.compile(rb'\s*\{"Content":(.*),"HashCode":"([^"]*)"\}\s*', re.DOTALL)


async def receive(
    request: Request,
    _client: str | None,
    receiver: ExactReceiver,
    runner: JobRunner,
    max_body_bytes: int,
) -> Outcome:
    """Verify the HashCode and the age, then book a run of the topic's job."""
    check_path_secret(request, receiver.path_secret)
    body = await read_body(request, max_body_bytes)
    if not body.strip():
        return Outcome(200, {"validated": True}, {"action": "validation call"})
    content_bytes = _verified_content(body, receiver.webhook_secret)
    try:
        content = json.loads(content_bytes)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "Content is not valid JSON") from None
    if not isinstance(content, dict):
        raise Rejected(400, "Content must be an object")
    topic, key, division = content.get("Topic"), content.get("Key"), content.get("Division")
    if not isinstance(topic, str) or not isinstance(key, str):
        raise Rejected(400, "Topic or Key missing")
    if receiver.divisions and division not in receiver.divisions:
        raise Rejected(403, "division not served by this receiver")
    _check_age(content.get("EventCreatedOn"), receiver)
    details = {"topic": topic, "key": key, "action": content.get("Action"), "division": division}
    job = receiver.jobs.get(topic)
    if job is None:
        return Outcome(200, {"ignored": "topic not synced"}, details)
    return book_run(runner, job, details)


def _verified_content(body: bytes, secret: str) -> bytes:
    match = _SIGNED_BODY.fullmatch(body)
    if match is None:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise Rejected(400, "malformed JSON body") from None
        if isinstance(document, dict) and "Content" in document:
            raise Rejected(401, "HashCode missing")
        raise Rejected(400, "not an Exact Online notification")
    content, hash_code = match.groups()
    expected = hmac_sha256_hex(secret, content).upper()
    if not same_secret(hash_code.decode("ascii", "replace").upper(), expected):
        raise Rejected(401, "HashCode does not match the content")
    return content


def _check_age(created_on: t.Any, receiver: ExactReceiver) -> None:
    """Refuse replays: `EventCreatedOn` is Exact's wall clock, without an offset."""
    try:
        when = dt.datetime.fromisoformat(str(created_on))
    except ValueError:
        raise Rejected(400, "EventCreatedOn missing or not ISO 8601") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(receiver.time_zone))
    check_age(when, receiver.max_age_seconds, "event")
