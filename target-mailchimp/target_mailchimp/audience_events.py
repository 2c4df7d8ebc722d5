"""What Mailchimp tells us between runs, through its list webhooks.

A person who unsubscribes, an address Mailchimp cleans, or an address the person
changes in Mailchimp's preference centre must be known before the next run writes:
otherwise the target would work from a stale snapshot. The webhook receiver records
each event here; the target reads the result through the audit store it already uses:

- `unsubscribe`, `cleaned`, `subscribe` set the member's status in the snapshot;
- `upemail` moves what the target knows of the old address (status, ledger, the ERP
  keys that point at it) to the new one, and later ERP records still carrying the
  old address are written to the new one (`address_redirects`), so the person's own
  change is not undone by an ERP that has not caught up yet;
- `profile` is kept for the record.

Mailchimp retries deliveries for 75 minutes, so events can arrive late and out of
order: an event older than one already applied to the same address is kept but not
applied.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

import sqlalchemy as sa

from target_mailchimp.audit import (
    audience_events,
    audience_snapshot,
    member_ledger,
    pending_tag_updates,
    source_emails,
    source_tags,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from target_mailchimp.audit import AuditStore

#: Webhook event type → the member status it leaves behind.
STATUS_AFTER = {"unsubscribe": "unsubscribed", "cleaned": "cleaned", "subscribe": "subscribed"}
EVENT_TYPES = (*STATUS_AFTER, "upemail", "profile")
#: Address changes followed in a row before giving up (a loop of changes is possible).
MAX_REDIRECTS = 10


@dataclass(frozen=True)
class AudienceEvent:
    """One list-webhook event, as the receiver parsed it."""

    type: str
    list_id: str
    email: str
    fired_at: str  # "YYYY-MM-DD HH:MM:SS", UTC
    new_email: str | None = None
    reason: str | None = None
    payload: dict[str, t.Any] | None = None

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            msg = f"unknown audience event type {self.type!r}"
            raise ValueError(msg)
        if self.type == "upemail" and not self.new_email:
            raise ValueError("an upemail event needs the new address")
        dt.datetime.strptime(self.fired_at, "%Y-%m-%d %H:%M:%S")  # UTC, as Mailchimp writes it


def record_audience_event(store: AuditStore, event: AudienceEvent) -> bool:
    """Keep the event and apply it unless a newer one already was; True when applied."""
    old = event.email.lower()
    new = event.new_email.lower() if event.new_email else None
    addresses = [old] if new is None else [old, new]
    with store.engine.begin() as connection:
        newest = connection.execute(
            sa.select(sa.func.max(audience_events.c.fired_at)).where(
                audience_events.c.list_id == event.list_id,
                audience_events.c.applied.is_(True),
                sa.or_(
                    audience_events.c.email_key.in_(addresses),
                    audience_events.c.new_email_key.in_(addresses),
                ),
            )
        ).scalar_one_or_none()
        applied = newest is None or event.fired_at >= newest
        connection.execute(
            audience_events.insert(),
            {
                "list_id": event.list_id,
                "type": event.type,
                "email_key": old,
                "new_email_key": new,
                "reason": event.reason,
                "fired_at": event.fired_at,
                "applied": applied,
                "payload": event.payload,
                "received_at": dt.datetime.now(dt.UTC),
            },
        )
        if not applied:
            return False
        if event.type in STATUS_AFTER:
            _set_status(connection, event.list_id, old, STATUS_AFTER[event.type])
        elif new is not None and new != old:
            _move_address(connection, event.list_id, old, new)
    return True


def address_redirects(store: AuditStore, list_id: str, email_keys: Iterable[str]) -> dict[str, str]:
    """Addresses changed in Mailchimp, each mapped to the address it is now.

    Changes are followed in the order they happened, so a person who changed to a
    new address and later back again ends up at the old one (no redirect).
    """
    wanted = {key.lower() for key in email_keys}
    changes: dict[str, tuple[str, str]] = {}  # old → (new, fired_at), newest change
    frontier = set(wanted)
    with store.engine.connect() as connection:
        for _ in range(MAX_REDIRECTS):
            frontier -= changes.keys()
            if not frontier:
                break
            rows = connection.execute(
                sa.select(
                    audience_events.c.email_key,
                    audience_events.c.new_email_key,
                    audience_events.c.fired_at,
                )
                .where(
                    audience_events.c.list_id == list_id,
                    audience_events.c.type == "upemail",
                    audience_events.c.applied.is_(True),
                    audience_events.c.email_key.in_(sorted(frontier)),
                )
                .order_by(audience_events.c.fired_at, audience_events.c.id)
            )
            found = {row.email_key: (row.new_email_key, row.fired_at) for row in rows}
            changes.update(found)
            frontier = {new for new, _ in found.values()}
    redirects = {}
    for key in wanted:
        current, since, seen = key, "", {key}
        while current in changes and changes[current][1] >= since:
            current, since = changes[current]
            if current in seen:
                break
            seen.add(current)
        if current != key:
            redirects[key] = current
    return redirects


def _set_status(connection: sa.Connection, list_id: str, key: str, status: str) -> None:
    table = audience_snapshot
    connection.execute(table.delete().where(table.c.list_id == list_id, table.c.email_key == key))
    connection.execute(table.insert(), {"list_id": list_id, "email_key": key, "status": status})


def _move_address(connection: sa.Connection, list_id: str, old: str, new: str) -> None:
    """The member keeps its status and history; only its address changed."""
    for table in (audience_snapshot, member_ledger, pending_tag_updates):
        connection.execute(
            table.delete().where(table.c.list_id == list_id, table.c.email_key == new)
        )
        connection.execute(
            table.update()
            .where(table.c.list_id == list_id, table.c.email_key == old)
            .values(email_key=new)
        )
    for table in (source_emails, source_tags):
        connection.execute(
            table.update()
            .where(table.c.list_id == list_id, table.c.email_key == old)
            .values(email_key=new)
        )
