"""NetSuite: notifications from the shipped user-event script (`netsuite/`).

NetSuite has no native outbound webhook; the script's afterSubmit posts
`{"recordType", "id", "event", "occurredAt", "account"}` once the record is saved. The
body names a record, nothing more: the incremental job reads the record itself.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from erp_webhooks.receiving import (
    Outcome,
    Rejected,
    book_run,
    check_age,
    check_path_secret,
    json_object,
    read_body,
)
from erp_webhooks.security import hmac_sha256_hex, is_in, same_secret

if t.TYPE_CHECKING:
    from starlette.requests import Request

    from erp_webhooks.config import NetSuiteReceiver
    from erp_webhooks.jobs import JobRunner

SIGNATURE_HEADER = "x-webhook-signature"


async def receive(
    request: Request,
    client: str | None,
    receiver: NetSuiteReceiver,
    runner: JobRunner,
    max_body_bytes: int,
) -> Outcome:
    """Authenticate, validate, and book a run of the record type's job."""
    if receiver.allow_ips and (client is None or not is_in(client, receiver.allow_ips)):
        raise Rejected(403, "caller address not in allow_ips")
    check_path_secret(request, receiver.path_secret)
    body = await read_body(request, max_body_bytes)
    if receiver.hmac_secret:
        expected = "sha256=" + hmac_sha256_hex(receiver.hmac_secret, body)
        if not same_secret(request.headers.get(SIGNATURE_HEADER, "").lower(), expected):
            raise Rejected(401, "missing or wrong X-Webhook-Signature")
    notification = json_object(body)
    record_type, record_id, event = (
        notification.get("recordType"),
        notification.get("id"),
        notification.get("event"),
    )
    if not isinstance(record_type, str) or not record_type:
        raise Rejected(400, "recordType missing")
    if not isinstance(record_id, str | int) or isinstance(record_id, bool) or record_id == "":
        raise Rejected(400, "id missing")
    if not isinstance(event, str) or not event:
        raise Rejected(400, "event missing")
    if receiver.max_age_seconds is not None:
        _check_age(notification.get("occurredAt"), receiver.max_age_seconds)
    details = {"record_type": record_type, "record_id": str(record_id), "action": event}
    job = receiver.jobs.get(record_type.lower())
    if job is None:
        return Outcome(200, {"ignored": "record type not synced"}, details)
    return book_run(runner, job, details)


def _check_age(occurred_at: t.Any, max_age_seconds: float) -> None:
    """With a signed body, an old one replayed is still refused."""
    try:
        when = dt.datetime.fromisoformat(str(occurred_at).replace("Z", "+00:00"))
    except ValueError:
        raise Rejected(400, "occurredAt missing or not ISO 8601") from None
    if when.tzinfo is None:
        raise Rejected(400, "occurredAt has no time zone")
    check_age(when, max_age_seconds, "notification")
