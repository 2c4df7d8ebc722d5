"""What people do to an audience outside the API: subscribe through a form, unsubscribe
from a campaign, bounce, change their address or profile, or an admin doing the same in
the web app. Each changes the store and emits the list-webhook event Mailchimp fires,
with source ``user`` (default) or ``admin``.

- ``subscribe``: the member is created or resubscribed, also after an unsubscribe, a
  cleaning or a permanent delete (people may re-subscribe themselves; the compliance rule
  binds the API only). Event ``subscribe``.
- ``unsubscribe``: status ``unsubscribed``, or archived with ``action: "delete"``. Event
  ``unsubscribe`` (``reason`` default ``manual``, ``campaign_id`` default ``""``).
- ``cleaned``: status ``cleaned``. Event ``cleaned`` (``reason`` ``hard`` or ``abuse``).
- ``upemail``: ``email_address`` becomes ``new_email``; the subscriber hash and
  ``unique_email_id`` follow. Event ``upemail``.
- ``profile``: ``merges`` are written onto the merge fields (checked like a PATCH). Event
  ``profile``.

The rules which statuses allow which activity are the emulator's (inferred): nobody can
unsubscribe, be cleaned, change address or profile once archived; one cannot subscribe
twice, unsubscribe twice or be cleaned twice.
"""

from __future__ import annotations

from typing import Any

from erp_sandbox.mailchimp.clock import iso
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.list_webhooks import (
    cleaned_event,
    profile_event,
    subscribe_event,
    unsubscribe_event,
    upemail_event,
)
from erp_sandbox.mailchimp.representations import member_json
from erp_sandbox.mailchimp.rules import check_merge_fields, is_valid_email
from erp_sandbox.mailchimp.store import MailingList, Member

ACTIVITY_TYPES = ("subscribe", "unsubscribe", "cleaned", "upemail", "profile")
PEOPLE_SOURCES = ("user", "admin")
CLEANED_REASONS = ("hard", "abuse")
UNSUBSCRIBE_ACTIONS = ("unsub", "delete")
FIELDS = {
    "type",
    "email",
    "new_email",
    "merges",
    "reason",
    "source",
    "action",
    "campaign_id",
}


class ActivityError(ValueError):
    """Activity that cannot happen; ``status`` is the sandbox answer (400 or 404)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = body.get(name, default)
    if value is not None and not isinstance(value, str):
        raise ActivityError(f"{name} must be a string")
    return value


def record_activity(
    ctx: Context, list_id: str, body: dict[str, Any], api_root: str
) -> dict[str, Any] | None:
    """Apply one activity and emit its event (call it inside
    ``ctx.list_webhooks.collecting()``); returns the member as the API shows it now, or
    None if it is gone."""
    if not isinstance(body, dict):
        raise ActivityError("the body must be a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise ActivityError(f"unknown fields: {sorted(unknown)}")
    kind = _text(body, "type")
    if kind not in ACTIVITY_TYPES:
        raise ActivityError(f"type must be one of {list(ACTIVITY_TYPES)}")
    source = _text(body, "source", "user")
    if source not in PEOPLE_SOURCES:
        raise ActivityError(f"source must be one of {list(PEOPLE_SOURCES)} (API writes are 'api')")
    email = _text(body, "email")
    if not email:
        raise ActivityError("email is required")
    store = ctx.store
    with store.lock:
        lst = store.lists.get(list_id)
        if lst is None:
            raise ActivityError(f"no list {list_id!r}", 404)
        member = lst.find_member(email)
        activity = _Activity(ctx, lst, body, source)
        if kind == "subscribe":
            member = activity.subscribe(email, member)
        else:
            if member is None:
                raise ActivityError(f"{email} is not a member of list {list_id}", 404)
            if member.status == "archived":
                raise ActivityError(f"{email} is archived")
            getattr(activity, kind)(member)
        current = lst.find_member(member.email_address)
        return None if current is None else member_json(lst, current, api_root)


class _Activity:
    """One activity on one list (the store lock is held)."""

    def __init__(self, ctx: Context, lst: MailingList, body: dict[str, Any], source: str) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.hooks = ctx.list_webhooks
        self.lst = lst
        self.body = body
        self.source = source
        self.now = ctx.store.now()

    def _merges(self, member: Member | None) -> dict[str, Any]:
        given = self.body.get("merges")
        current = dict(member.merge_fields) if member is not None else {}
        if given is None:
            return current
        if not isinstance(given, dict):
            raise ActivityError("merges must be an object of merge tags and values")
        check = check_merge_fields(
            self.lst,
            given,
            current=current,
            required_scope="given",
            unknown_policy=self.ctx.settings.unknown_merge_fields,
        )
        problems = check.schema_errors + check.field_errors
        if problems:
            details = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            raise ActivityError(f"invalid merges: {details}")
        return check.values

    def subscribe(self, email: str, member: Member | None) -> Member:
        if member is not None and member.status == "subscribed":
            raise ActivityError(f"{email} is already subscribed")
        if not is_valid_email(email):
            raise ActivityError(f"{email} is not a valid email address")
        values = self._merges(member)
        if member is None:
            self.lst.forgotten.discard(email.lower())
            member = self.store.new_member(self.lst, email, "subscribed")
        member.status = "subscribed"
        member.timestamp_opt = member.timestamp_opt or iso(self.now)
        member.merge_fields = values
        self.store.touch(member)
        self.hooks.emit(subscribe_event(self.lst, member, source=self.source, at=self.now))
        return member

    def unsubscribe(self, member: Member) -> None:
        if member.status in ("unsubscribed", "cleaned"):
            raise ActivityError(f"{member.email_address} is {member.status}")
        action = _text(self.body, "action", "unsub")
        if action not in UNSUBSCRIBE_ACTIONS:
            raise ActivityError(f"action must be one of {list(UNSUBSCRIBE_ACTIONS)}")
        event = unsubscribe_event(
            self.lst,
            member,
            source=self.source,
            at=self.now,
            action=action,
            reason=_text(self.body, "reason", "manual") or "manual",
            campaign_id=_text(self.body, "campaign_id", "") or "",
        )
        member.status = "archived" if action == "delete" else "unsubscribed"
        self.store.touch(member)
        self.hooks.emit(event)

    def cleaned(self, member: Member) -> None:
        if member.status == "cleaned":
            raise ActivityError(f"{member.email_address} is already cleaned")
        reason = _text(self.body, "reason", "hard")
        if reason not in CLEANED_REASONS:
            raise ActivityError(f"reason must be one of {list(CLEANED_REASONS)}")
        member.status = "cleaned"
        self.store.touch(member)
        self.hooks.emit(
            cleaned_event(
                self.lst,
                member,
                source=self.source,
                at=self.now,
                reason=reason,
                campaign_id=_text(self.body, "campaign_id", "") or "",
            )
        )

    def upemail(self, member: Member) -> None:
        new_email = _text(self.body, "new_email")
        if not new_email or not is_valid_email(new_email):
            raise ActivityError("new_email must be a valid email address")
        if self.lst.find_member(new_email) is not None:
            raise ActivityError(f"{new_email} is already a member of list {self.lst.id}")
        old_email = member.email_address
        self.store.rekey_member(self.lst, member, new_email)
        self.store.touch(member)
        self.hooks.emit(upemail_event(self.lst, member, old_email, source=self.source, at=self.now))

    def profile(self, member: Member) -> None:
        if self.body.get("merges") is None:
            raise ActivityError("merges is required for a profile update")
        member.merge_fields = self._merges(member)
        self.store.touch(member)
        self.hooks.emit(profile_event(self.lst, member, source=self.source, at=self.now))
