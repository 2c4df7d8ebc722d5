"""The rules for audience members, free of I/O.

Everything here decides; nothing here sends. `member_sync.py` carries the
decisions out against Mailchimp.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import typing as t
from dataclasses import dataclass, field

from target_mailchimp.validation import validation_error, without_mark

if t.TYPE_CHECKING:
    from collections.abc import Iterable

# Statuses a record may ask for. `cleaned` is Mailchimp's own verdict on a bouncing
# address and `archived` an action, so neither can be requested.
REQUESTABLE_STATUSES = ("subscribed", "pending", "transactional", "unsubscribed")

# Addresses Mailchimp holds in one of these states are never written again: they
# left, bounced, or were permanently deleted ("forgotten" is this target's own name
# for the last one, which Mailchimp no longer lists at all).
NEVER_RESUBSCRIBED = frozenset({"unsubscribed", "cleaned", "forgotten"})

# How permissive a status is: a write may only move a known member down this scale.
PERMISSIVENESS = {
    "subscribed": 3,
    "pending": 2,
    "transactional": 1,
    "unsubscribed": 0,
    "cleaned": 0,
}

# Mailchimp refuses an ADDRESS without these ("Please enter a complete address").
ADDRESS_REQUIRED_PARTS = ("addr1", "city", "state", "zip")
ADDRESS_PARTS = ("addr1", "addr2", "city", "state", "zip", "country")
MERGE_TAG_MAX_LENGTH = 10

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidMemberError(ValueError):
    """A record that cannot become an audience member at all."""


@dataclass(frozen=True)
class MemberSettings:
    """The target settings that shape member writes."""

    list_id: str
    status_if_new: str = "subscribed"
    inactive_action: str = "unsubscribe"
    inactive_tag: str = "inactive"
    skip_unchanged: bool = True

    def fingerprint(self) -> dict[str, str]:
        """The settings whose change must re-send otherwise unchanged records."""
        return {
            "status_if_new": self.status_if_new,
            "inactive_action": self.inactive_action,
            "inactive_tag": self.inactive_tag,
        }


@dataclass
class MemberRecord:
    """One input record, normalised for Mailchimp."""

    email: str
    source_id: str | None
    status: str | None
    active: bool
    merge_fields: dict[str, t.Any]
    tags: list[str]
    updated_at: dt.datetime | None
    payload: dict[str, t.Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The address as Mailchimp keys it: lowercase."""
        return self.email.lower()

    def content_hash(self, settings: MemberSettings) -> str:
        """A hash of everything the target would send for this record."""
        content = {
            "email": self.email,
            "status": self.status,
            "active": self.active,
            "merge_fields": self.merge_fields,
            "tags": sorted(self.tags),
            "settings": settings.fingerprint(),
        }
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 of the lowercase address (not a security use)."""
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def json_safe(record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The record as received, timestamps as ISO strings, for storage and replays."""
    result: dict[str, t.Any] = json.loads(json.dumps(without_mark(record), default=_isoformat))
    return result


def _isoformat(value: t.Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def parse_member(record: dict[str, t.Any]) -> MemberRecord:
    """Normalise one `members` record, or raise InvalidMemberError saying why not."""
    violation = validation_error(record)
    if violation:
        raise InvalidMemberError(violation)
    email = record.get("email_address")
    if not isinstance(email, str) or not email.strip():
        msg = "missing email_address"
        raise InvalidMemberError(msg)
    email = email.strip()
    if not EMAIL_PATTERN.match(email):
        msg = "email_address is not a valid email address"
        raise InvalidMemberError(msg)

    status = record.get("status")
    if status is not None and status not in REQUESTABLE_STATUSES:
        msg = f"status {status!r} is not one of {', '.join(REQUESTABLE_STATUSES)}"
        raise InvalidMemberError(msg)

    merge_values = record.get("merge_fields") or {}
    tags = record.get("tags") or []
    if not isinstance(merge_values, dict) or not isinstance(tags, list):
        msg = "merge_fields must be an object and tags an array"
        raise InvalidMemberError(msg)
    warnings: list[str] = []
    merge_fields = _merge_fields(merge_values, email, warnings)
    source_id = record.get("source_id")
    return MemberRecord(
        email=email,
        source_id=None if source_id is None else str(source_id),
        status=status,
        active=record.get("active") is not False,
        merge_fields=merge_fields,
        tags=_tags(tags),
        updated_at=parse_timestamp(record.get("updated_at")),
        payload=json_safe(record),
        warnings=warnings,
    )


def _merge_fields(values: dict[str, t.Any], email: str, warnings: list[str]) -> dict[str, t.Any]:
    """Uppercase tags, strings for scalars, and only complete addresses."""
    fields: dict[str, t.Any] = {}
    for name, value in values.items():
        tag = str(name).upper()
        if value is None:
            continue  # Unknown in the ERP: leave what Mailchimp holds.
        if len(tag) > MERGE_TAG_MAX_LENGTH:
            warnings.append(f"merge field {tag} dropped: Mailchimp tags are at most 10 characters")
            continue
        if isinstance(value, dict):
            address = complete_address(value)
            if address is None:
                warnings.append(
                    f"incomplete {tag} dropped for {email}: needs addr1, city, state, zip"
                )
                continue
            fields[tag] = address
        elif isinstance(value, bool):
            # Mailchimp wants booleans as strings (grouparoo updateProfile.ts).
            fields[tag] = "true" if value else "false"
        else:
            fields[tag] = str(value)
    return fields


def complete_address(address: dict[str, t.Any]) -> dict[str, str] | None:
    """The address with string parts, or None when a required part is missing."""
    parts = {
        part: str(address[part]).strip()
        for part in ADDRESS_PARTS
        if address.get(part) is not None and str(address[part]).strip()
    }
    if any(part not in parts for part in ADDRESS_REQUIRED_PARTS):
        return None
    return parts


def _tags(values: Iterable[t.Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value is not None and str(value).strip():
            seen.setdefault(str(value).strip(), None)
    return list(seen)


def parse_timestamp(value: t.Any) -> dt.datetime | None:
    """A timezone-aware datetime from a datetime or ISO 8601 string (UTC if naive)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def supersedes(candidate: dt.datetime | None, incumbent: dt.datetime | None) -> bool:
    """Whether a record updated at `candidate` replaces one updated at `incumbent`.

    The latest `updated_at` wins; without both, or on a tie, the later arrival wins.
    """
    if candidate and incumbent:
        return candidate >= incumbent
    return True


class RunWrites:
    """The records this run already wrote, with their `updated_at`, so an older version
    arriving in a later drain is not written over a newer one.

    A first load holds one entry per record, so each is kept small: an 8-byte digest of
    the key and the time as epoch seconds (strings and datetimes cost 30 MB per 100,000
    members and orders). Two keys sharing a digest (odds about 1 in 10^9 at 100,000
    records, 1 in 10^7 at a million) would only make the older of two records count as
    superseded.
    """

    def __init__(self) -> None:
        self._updated_at: dict[int, float | None] = {}

    def older_than_written(self, key: str, updated_at: dt.datetime | None) -> bool:
        """Whether this run wrote `key` already, from a record at least as new."""
        digest = _digest(key)
        if digest not in self._updated_at:
            return False
        written = self._updated_at[digest]
        return written is not None and updated_at is not None and updated_at.timestamp() < written

    def remember(self, key: str, updated_at: dt.datetime | None) -> None:
        self._updated_at[_digest(key)] = None if updated_at is None else updated_at.timestamp()


def _digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest())


def least_permissive(first: str, second: str) -> str:
    """Of two statuses, the one that subscribes less."""
    return first if PERMISSIVENESS.get(first, 0) <= PERMISSIVENESS.get(second, 0) else second


@dataclass
class MemberPlan:
    """What to do with one record, decided before any write."""

    record: MemberRecord
    action: str  # "subscribe" (batch upsert), "archive", or "skip"
    is_new: bool = False
    status: str | None = None
    reason: str | None = None
    rename_from: str | None = None  # old address to PATCH to the new one
    archive_old: str | None = None  # old address to archive once the new one is written
    desired_tags: set[str] = field(default_factory=set)


def plan_member(
    record: MemberRecord,
    *,
    current: str | None,
    settings: MemberSettings,
    old_email: str | None = None,
    old_status: str | None = None,
) -> MemberPlan:
    """Decide the write for one record from Mailchimp's current view of it.

    `current` is Mailchimp's status for the record's address (None when not held),
    `old_email`/`old_status` describe the address last written for the same ERP key.
    """
    plan = MemberPlan(record=record, action="subscribe", desired_tags=set(record.tags))
    carried_status: str | None = None
    if old_email and old_email != record.key and record.active:
        if old_status == "subscribed" and current in (None, "archived"):
            # Mailchimp changes an address in place only for subscribed members.
            plan.rename_from = old_email
            current = "subscribed"
        elif old_status not in (None, "archived", "forgotten"):
            plan.archive_old = old_email
            carried_status = "unsubscribed" if old_status == "cleaned" else old_status

    if current in NEVER_RESUBSCRIBED:
        return _skip(plan, f"Mailchimp holds this address as {current}: it is never resubscribed")

    if not record.active:
        return _plan_inactive(plan, current, settings)

    if current in (None, "archived"):
        plan.is_new = True
        plan.status = record.status or settings.status_if_new
        if carried_status:
            plan.status = least_permissive(carried_status, plan.status)
        return plan

    # A known member's record may only make it less subscribed.
    plan.status = "unsubscribed" if record.status == "unsubscribed" else current
    return plan


def _plan_inactive(plan: MemberPlan, current: str | None, settings: MemberSettings) -> MemberPlan:
    if current in (None, "archived"):
        return _skip(
            plan, "inactive record for an address Mailchimp does not hold: nothing created"
        )
    action = settings.inactive_action
    if action == "none":
        return _skip(plan, "inactive record left as it is (inactive_action: none)")
    if action == "archive":
        plan.action = "archive"
        return plan
    if action == "unsubscribe":
        plan.status = "unsubscribed"
        return plan
    plan.status = current
    plan.desired_tags.add(settings.inactive_tag)
    return plan


def _skip(plan: MemberPlan, reason: str) -> MemberPlan:
    plan.action = "skip"
    plan.reason = reason
    plan.rename_from = plan.archive_old = None
    return plan


def batch_member(plan: MemberPlan) -> dict[str, t.Any]:
    """The member object of a batch-subscribe call for one plan."""
    member: dict[str, t.Any] = {
        "email_address": plan.record.email,
        "status": plan.status,
    }
    if plan.record.merge_fields:
        member["merge_fields"] = plan.record.merge_fields
    if plan.desired_tags:
        # Tags in batch subscribe are only added, to new and existing members alike
        # (without `sync_tags`, which would also drop marketers' tags): additions cost
        # no call of their own. Stale tags are removed afterwards, through segments.
        member["tags"] = sorted(plan.desired_tags)
    return member
