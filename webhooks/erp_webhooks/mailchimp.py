"""Mailchimp list webhooks: what people did in Mailchimp, told to target-mailchimp.

Mailchimp signs nothing: the URL's secret segment is the only proof. It probes the
URL with a GET when the webhook is created, then POSTs form-encoded events
(`type=…&fired_at=…&data[…]=…`). Unsubscribes, cleaned addresses, address changes and
profile updates go to the target's audit store (`target_mailchimp.audience_events`),
so the next run knows them even before it re-reads the audience.
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from target_mailchimp.audience_events import EVENT_TYPES, AudienceEvent, record_audience_event

from erp_webhooks.receiving import Outcome, Rejected, check_path_secret, read_body

if t.TYPE_CHECKING:
    from starlette.requests import Request
    from target_mailchimp.audit import AuditStore

    from erp_webhooks.config import MailchimpReceiver
    from erp_webhooks.jobs import JobRunner

IGNORED_TYPES = ("campaign",)


async def probe(request: Request, receiver: MailchimpReceiver) -> Outcome:
    """The GET Mailchimp sends when the webhook is created: 200 or no webhook."""
    check_path_secret(request, receiver.path_secret)
    return Outcome(200, {"ok": True}, {"action": "validation probe"})


async def receive(
    request: Request,
    receiver: MailchimpReceiver,
    store: AuditStore,
    runner: JobRunner,
    max_body_bytes: int,
) -> Outcome:
    """Record one event in the audit store (and book a run if configured)."""
    check_path_secret(request, receiver.path_secret)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        raise Rejected(415, "expected a form-encoded body")
    fields = _form(await read_body(request, max_body_bytes))
    kind, list_id = fields.get("type", ""), fields.get("data[list_id]", "")
    if not kind or not list_id:
        raise Rejected(400, "type or data[list_id] missing")
    details = {"type": kind, "list_id": list_id}
    if receiver.list_ids and list_id not in receiver.list_ids:
        raise Rejected(403, "audience not served by this receiver")
    if kind in IGNORED_TYPES:
        return Outcome(200, {"ignored": kind}, details)
    if kind not in EVENT_TYPES:
        raise Rejected(400, "unknown event type")
    event = _event(kind, list_id, fields)
    applied = await run_in_threadpool(record_audience_event, store, event)
    body: dict[str, t.Any] = {"recorded": True, "applied": applied}
    details["applied"] = applied
    if receiver.job:
        body["run"] = details["run"] = runner.trigger(receiver.job)
        details["job"] = receiver.job
    return Outcome(200, body, details)


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "malformed form body") from None
    return dict(pairs)


def _event(kind: str, list_id: str, fields: dict[str, str]) -> AudienceEvent:
    if kind == "upemail":
        email, new_email = fields.get("data[old_email]"), fields.get("data[new_email]")
    else:
        email, new_email = fields.get("data[email]"), None
    data = {key[5:-1]: value for key, value in fields.items() if key.startswith("data[")}
    try:
        return AudienceEvent(
            type=kind,
            list_id=list_id,
            email=_address(email),
            new_email=_address(new_email) if kind == "upemail" else None,
            fired_at=fields.get("fired_at", ""),
            reason=fields.get("data[reason]") or fields.get("data[action]") or None,
            payload=data,
        )
    except ValueError:
        raise Rejected(400, "fired_at missing or not 'YYYY-MM-DD HH:MM:SS'") from None


def _address(value: str | None) -> str:
    if not value or "@" not in value or len(value) > 320:
        raise Rejected(400, "email address missing or invalid")
    return value.strip()
