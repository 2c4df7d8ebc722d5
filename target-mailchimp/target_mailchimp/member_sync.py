"""Carry out member writes: one batch of records in, one audit event per record out."""

from __future__ import annotations

import logging
import re
import typing as t
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from target_mailchimp.audience import MAX_MEMBERS_PER_CALL, Audience
from target_mailchimp.audience_events import address_redirects
from target_mailchimp.audience_snapshot import AudienceSnapshot
from target_mailchimp.audit import AuditEvent, AuditStore, LedgerEntry
from target_mailchimp.client import MailchimpAPIError, RetryableAPIError
from target_mailchimp.members import (
    NEVER_RESUBSCRIBED,
    InvalidMemberError,
    MemberPlan,
    MemberRecord,
    MemberSettings,
    RunWrites,
    batch_member,
    json_safe,
    least_permissive,
    parse_member,
    plan_member,
    supersedes,
)
from target_mailchimp.tag_union import TagUnion, tag_union
from target_mailchimp.tag_updates import TagUpdates

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

LOGGER = logging.getLogger("target_mailchimp.members")
# Per kind of warning and run; the rest are counted, and each is in its record's audit event.
LOGGED_WARNINGS_PER_KIND = 20

_T = t.TypeVar("_T")


class MissingMergeFieldsError(RuntimeError):
    """The input uses merge fields the audience lacks and creating them is off."""


@dataclass
class _Result:
    """The outcome of one plan, filled in as writes complete."""

    outcome: str
    reason: str | None = None
    response_code: int | None = None
    present_tags: set[str] | None = None  # tags Mailchimp reported after the write


@dataclass
class _Changes:
    """Ledger, address and status changes to persist after a batch."""

    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    forget: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)
    source_emails: dict[str, str] = field(default_factory=dict)


class MemberSync:
    """Writes `members` records to one audience, following the member rules."""

    def __init__(
        self,
        audience: Audience,
        store: AuditStore,
        settings: MemberSettings,
        snapshot: AudienceSnapshot,
        *,
        stream: str = "members",
        dry_run: bool = False,
        create_missing_merge_fields: bool = True,
        max_concurrency: int = 4,
    ) -> None:
        self.audience = audience
        self.store = store
        self.snapshot = snapshot
        self.settings = settings
        self.stream = stream
        self.dry_run = dry_run
        self.create_missing_merge_fields = create_missing_merge_fields
        self.max_concurrency = max_concurrency
        self._written = RunWrites()
        self.tag_updates = TagUpdates(
            audience, store, snapshot, stream=stream, parallel=self._parallel
        )
        self._warnings_logged: Counter[str] = Counter()

    # The whole batch -----------------------------------------------------------

    def sync(self, raw_records: list[dict[str, t.Any]]) -> list[AuditEvent]:
        """Write one batch of records; return one audit event per record."""
        events: list[AuditEvent] = []
        parsed: list[MemberRecord] = []
        resolved = self._follow_address_changes(self._resolve_deletions(raw_records, events))
        for raw in resolved:
            try:
                parsed.append(parse_member(raw))
            except InvalidMemberError as error:
                events.append(self._invalid_event(raw, str(error)))
        union = tag_union(self.store, self.settings.list_id, parsed)
        records = self._latest_per_address(parsed, events)
        changed, hashes = self._drop_unchanged(records, events)
        plans: list[MemberPlan] = []
        if changed:
            for record in changed:
                for warning in record.warnings:
                    self._log_warning(warning)
            self.snapshot.refresh()
            self._ensure_merge_fields(changed)
            plans = self._plan(changed, union)
        if self.dry_run:
            return events + [self._dry_run_event(plan, hashes) for plan in plans]
        results = self._write(plans) if plans else {}
        if plans:
            self._persist(plans, results, hashes)
            events.extend(self._event(plan, results[id(plan)], hashes) for plan in plans)
        settled = {
            plan.record.key for plan in plans if results[id(plan)].outcome in ("created", "updated")
        }
        if self.tag_updates.queue(union, {plan.record.key for plan in plans}, settled):
            events.extend(self.flush_tag_updates())
        return events

    def _log_warning(self, warning: str) -> None:
        """Log the first warnings of each kind in the run, then only count them.

        Every record's warnings are also in its audit event, and a first load of 100,000
        members whose addresses lack a state logged 48,000 lines, each with an address.
        """
        kind = warning.split(" for ", 1)[0].split(":", 1)[0]
        self._warnings_logged[kind] += 1
        seen = self._warnings_logged[kind]
        if seen <= LOGGED_WARNINGS_PER_KIND:
            LOGGER.warning("%s", warning)
        if seen == LOGGED_WARNINGS_PER_KIND:
            LOGGER.warning(
                "further '%s' warnings in this run are in the audit store only "
                "(`target-mailchimp audit export`)",
                kind,
            )

    def _latest_per_address(
        self, records: list[MemberRecord], events: list[AuditEvent]
    ) -> list[MemberRecord]:
        """Collapse duplicates of one address (in this batch and earlier ones of the run)."""
        latest: dict[str, MemberRecord] = {}
        for record in records:
            held = latest.get(record.key)
            if held is None or supersedes(record.updated_at, held.updated_at):
                if held is not None:
                    events.append(self._superseded_event(held))
                latest[record.key] = record
            else:
                events.append(self._superseded_event(record))
        kept = []
        for key, record in latest.items():
            if self._written.older_than_written(key, record.updated_at):
                events.append(self._superseded_event(record))
            else:
                kept.append(record)
                self._written.remember(key, record.updated_at)
        return kept

    def _drop_unchanged(
        self, records: list[MemberRecord], events: list[AuditEvent]
    ) -> tuple[list[MemberRecord], dict[str, str]]:
        hashes = {record.key: record.content_hash(self.settings) for record in records}
        if not self.settings.skip_unchanged:
            return records, hashes
        ledger = self.store.ledger(self.settings.list_id, hashes)
        changed = []
        for record in records:
            entry = ledger.get(record.key)
            if entry and entry.content_hash == hashes[record.key]:
                events.append(
                    AuditEvent(
                        stream=self.stream,
                        record_key=record.key,
                        source_id=record.source_id,
                        outcome="unchanged",
                        reason="same content as the last successful write",
                        payload_hash=hashes[record.key],
                    )
                )
            else:
                changed.append(record)
        return changed, hashes

    # Reads before writing ----------------------------------------------------

    def _resolve_deletions(
        self, raw_records: list[dict[str, t.Any]], events: list[AuditEvent]
    ) -> list[dict[str, t.Any]]:
        """Deleted ERP records become inactive ones, their address found by `source_id`.

        A deletion often carries nothing but the ERP key; the ledger knows which address
        the target last wrote for it. A deletion of a record never written is skipped.
        """
        deleted = [raw for raw in raw_records if raw.get("deleted") is True]
        if not deleted:
            return raw_records
        known = self.store.emails_for_sources(
            self.settings.list_id,
            [str(raw["source_id"]) for raw in deleted if raw.get("source_id") is not None],
        )
        resolved = []
        for raw in raw_records:
            if raw.get("deleted") is not True:
                resolved.append(raw)
                continue
            email = raw.get("email_address") or known.get(str(raw.get("source_id")))
            if not email:
                events.append(self._deletion_of_unknown_event(raw))
                continue
            resolved.append({**raw, "email_address": email, "active": False})
        return resolved

    def _follow_address_changes(
        self, raw_records: list[dict[str, t.Any]]
    ) -> list[dict[str, t.Any]]:
        """Records still carrying an address the person changed in Mailchimp go to the
        new address, so the ERP does not undo the change before it catches up."""
        addresses = [raw["email_address"] for raw in raw_records if raw.get("email_address")]
        redirects = address_redirects(self.store, self.settings.list_id, addresses)
        if not redirects:
            return raw_records
        followed = []
        for raw in raw_records:
            new = redirects.get(str(raw.get("email_address") or "").lower())
            if new is None:
                followed.append(raw)
                continue
            LOGGER.info(
                "Record %s: the member changed this address in Mailchimp; writing to the "
                "new address (update the ERP to match)",
                raw.get("source_id"),
            )
            followed.append({**raw, "email_address": new})
        return followed

    def _deletion_of_unknown_event(self, raw: dict[str, t.Any]) -> AuditEvent:
        return AuditEvent(
            stream=self.stream,
            record_key=f"source:{raw.get('source_id')}",
            source_id=None if raw.get("source_id") is None else str(raw["source_id"]),
            outcome="skipped",
            reason="deleted in the ERP; no member was ever written for this source_id",
        )

    def _ensure_merge_fields(self, records: list[MemberRecord]) -> None:
        used: dict[str, str] = {}
        for record in records:
            for tag, value in record.merge_fields.items():
                used.setdefault(tag, "address" if isinstance(value, dict) else "text")
        missing = sorted(set(used) - self.audience.merge_tags())
        if not missing:
            return
        if not self.create_missing_merge_fields:
            msg = (
                f"Audience {self.settings.list_id} has no merge field(s) {', '.join(missing)}: "
                "create them in Mailchimp or set create_missing_merge_fields to true."
            )
            raise MissingMergeFieldsError(msg)
        for tag in missing:
            if self.dry_run:
                LOGGER.info("Dry run: would create merge field %s (%s)", tag, used[tag])
                continue
            LOGGER.info(
                "Creating merge field %s (%s) on audience %s", tag, used[tag], self.settings.list_id
            )
            self.audience.create_merge_field(tag, used[tag])

    def _plan(self, records: list[MemberRecord], union: TagUnion) -> list[MemberPlan]:
        list_id = self.settings.list_id
        old_emails = self.store.emails_for_sources(
            list_id, [record.source_id for record in records if record.source_id]
        )
        statuses = self.snapshot.statuses(
            [record.key for record in records] + list(old_emails.values())
        )
        plans = []
        for record in records:
            old_email = old_emails.get(record.source_id) if record.source_id else None
            plan = plan_member(
                record,
                current=statuses.get(record.key),
                settings=self.settings,
                old_email=old_email,
                old_status=statuses.get(old_email) if old_email else None,
            )
            plan.desired_tags |= union.tags_at(record.key)
            plans.append(plan)
        return plans

    # Writes ------------------------------------------------------------------

    def _write(self, plans: list[MemberPlan]) -> dict[int, _Result]:
        results: dict[int, _Result] = {}
        for plan in plans:
            if plan.action == "skip":
                results[id(plan)] = _Result("skipped", plan.reason)
        self._parallel(self._rename, [plan for plan in plans if plan.rename_from])
        subscribing = [plan for plan in plans if plan.action == "subscribe"]
        for start in range(0, len(subscribing), MAX_MEMBERS_PER_CALL):
            results.update(self._subscribe(subscribing[start : start + MAX_MEMBERS_PER_CALL]))
        archiving = [plan for plan in plans if plan.action == "archive"]
        for plan, result in zip(archiving, self._parallel(self._archive, archiving), strict=True):
            results[id(plan)] = result
        succeeded = [
            plan for plan in subscribing if results[id(plan)].outcome in ("created", "updated")
        ]
        moving = [plan for plan in succeeded if plan.archive_old]
        for plan, refusal in zip(
            moving, self._parallel(self._archive_old_address, moving), strict=True
        ):
            if refusal:
                # Two live members for one person: failed, so a replay finishes the move.
                results[id(plan)] = _Result("failed", refusal, results[id(plan)].response_code)
                plan.archive_old = None
        self._apply_tags(succeeded, results)
        return results

    def _rename(self, plan: MemberPlan) -> None:
        """PATCH the old address to the new one; fall back when Mailchimp refuses."""
        old_email = t.cast("str", plan.rename_from)
        try:
            self.audience.change_email(old_email, plan.record.email)
        except RetryableAPIError:
            raise  # retries exhausted: stop, state does not move on
        except MailchimpAPIError as error:
            LOGGER.info("Address change refused (%s): creating the new address instead", error)
            plan.rename_from = None
            plan.is_new = True
            if error.status == 404:
                # The old member is gone: the new address is simply new, with the
                # status any new address gets (never the old one's "subscribed").
                plan.status = plan.record.status or self.settings.status_if_new
                return
            # Our snapshot said subscribed but Mailchimp disagrees: the new address
            # takes the old member's real status, never a more permissive one.
            plan.archive_old = old_email
            refused_status = _refused_status(error.detail)
            plan.status = least_permissive(refused_status, t.cast("str", plan.status))
            return
        plan.reason = "email address changed in place"

    def _subscribe(self, plans: list[MemberPlan]) -> dict[int, _Result]:
        """One batch-subscribe call for up to 500 plans."""
        try:
            response = self.audience.batch_subscribe([batch_member(plan) for plan in plans])
        except RetryableAPIError:
            raise
        except MailchimpAPIError as error:
            return {id(plan): _Result("failed", str(error), error.status) for plan in plans}
        by_email: dict[str, tuple[str, dict[str, t.Any]]] = {}
        for outcome, members in (
            ("created", response.get("new_members") or []),
            ("updated", response.get("updated_members") or []),
        ):
            for member in members:
                by_email[member["email_address"].lower()] = (outcome, member)
        errors = {
            (error.get("email_address") or "").lower(): error
            for error in response.get("errors") or []
        }
        results: dict[int, _Result] = {}
        for plan in plans:
            key = plan.record.key
            if key in by_email:
                outcome, member = by_email[key]
                tags = member.get("tags")
                results[id(plan)] = _Result(
                    outcome,
                    plan.reason,
                    200,
                    None if tags is None else {tag["name"] for tag in tags},
                )
            elif key in errors:
                results[id(plan)] = _member_error_result(errors[key])
            else:
                results[id(plan)] = _Result("failed", "Mailchimp returned no result for it", 200)
        return results

    def _archive(self, plan: MemberPlan) -> _Result:
        try:
            self.audience.archive(plan.record.email)
        except RetryableAPIError:
            raise
        except MailchimpAPIError as error:
            if error.status == 404:
                return _Result("skipped", "inactive record: the member was already gone", 404)
            return _Result("failed", str(error), error.status)
        return _Result("updated", "archived: the ERP record is inactive", 204)

    def _archive_old_address(self, plan: MemberPlan) -> str | None:
        """Archive the address a person left; the reason when Mailchimp refuses."""
        old_email = t.cast("str", plan.archive_old)
        try:
            self.audience.archive(old_email)
        except RetryableAPIError:
            raise
        except MailchimpAPIError as error:
            if error.status == 404:
                return None  # already gone
            return f"the previous address {old_email} was not archived: {error}"
        return None

    def _apply_tags(self, plans: list[MemberPlan], results: dict[int, _Result]) -> None:
        """Remove the target's own stale tags, one call per tag per 500 members.

        Wanted tags went with the batch-subscribe call; only a tag Mailchimp's answer
        shows missing is added here.
        """
        ledger = self.store.ledger(
            self.settings.list_id,
            [plan.rename_from or plan.record.key for plan in plans],
        )
        additions: dict[str, list[MemberPlan]] = {}
        removals: dict[str, list[MemberPlan]] = {}
        for plan in plans:
            entry = ledger.get(plan.rename_from or plan.record.key)
            applied = set(entry.applied_tags) if entry else set()
            present = results[id(plan)].present_tags
            already = present if present is not None else applied | plan.desired_tags
            for tag in plan.desired_tags - already:
                additions.setdefault(tag, []).append(plan)
            for tag in applied - plan.desired_tags:
                if present is None or tag in present:
                    removals.setdefault(tag, []).append(plan)

        by_email = {plan.record.email: plan for plan in plans}
        failed = self.tag_updates.update(
            {tag: [plan.record.email for plan in members] for tag, members in additions.items()},
            {tag: [plan.record.email for plan in members] for tag, members in removals.items()},
        )
        for email, (reason, status) in failed.items():
            results[id(by_email[email])] = _Result("failed", reason, status)

    def flush_tag_updates(self) -> list[AuditEvent]:
        """The queued tag updates (see `TagUpdates.flush`): at 500 queued and at the
        end of the run."""
        return [] if self.dry_run else self.tag_updates.flush()

    def _parallel(
        self,
        work: Callable[[_T], t.Any],
        items: Iterable[_T],
        *,
        capture: bool = False,
    ) -> list[t.Any]:
        """Run `work` on each item with at most `max_concurrency` in flight.

        With `capture`, a Mailchimp error becomes the item's result instead of
        stopping the batch.
        """
        items = list(items)
        if not items:
            return []

        def run(item: _T) -> t.Any:
            try:
                return work(item)
            except RetryableAPIError:
                raise
            except MailchimpAPIError as error:
                if capture:
                    return error
                raise

        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(items))) as pool:
            return list(pool.map(run, items))

    # Bookkeeping ---------------------------------------------------------------

    def _persist(
        self, plans: list[MemberPlan], results: dict[int, _Result], hashes: dict[str, str]
    ) -> None:
        changes = _Changes()
        for plan in plans:
            result = results[id(plan)]
            record = plan.record
            if result.outcome in ("created", "updated"):
                changes.ledger[record.key] = LedgerEntry(
                    hashes[record.key], sorted(plan.desired_tags)
                )
                changes.statuses[record.key] = (
                    "archived" if plan.action == "archive" else t.cast("str", plan.status)
                )
                if record.source_id:
                    changes.source_emails[record.source_id] = record.key
                for old_email in (plan.rename_from, plan.archive_old):
                    if old_email:
                        changes.forget.add(old_email)
                        changes.statuses[old_email] = "archived"
            elif result.outcome == "skipped" and result.response_code == 400:
                # Mailchimp itself refused to subscribe: remember, so it is not retried.
                changes.statuses[record.key] = _refusal_status(result.reason or "")
        list_id = self.settings.list_id
        self.store.forget_ledger(list_id, changes.forget - set(changes.ledger))
        self.store.save_ledger(list_id, changes.ledger)
        self.snapshot.save(changes.statuses)
        self.store.save_source_emails(list_id, changes.source_emails)

    def _event(self, plan: MemberPlan, result: _Result, hashes: dict[str, str]) -> AuditEvent:
        record = plan.record
        reason = "; ".join(filter(None, [result.reason, *record.warnings])) or None
        return AuditEvent(
            stream=self.stream,
            record_key=record.key,
            source_id=record.source_id,
            outcome=result.outcome,
            reason=reason,
            payload_hash=hashes[record.key],
            response_code=result.response_code,
            payload=record.payload if result.outcome == "failed" else None,
        )

    def _dry_run_event(self, plan: MemberPlan, hashes: dict[str, str]) -> AuditEvent:
        if plan.action == "skip":
            outcome, reason = "skipped", plan.reason
        elif plan.action == "archive":
            outcome, reason = "updated", "dry run: would archive"
        elif plan.is_new:
            outcome, reason = "created", f"dry run: would create as {plan.status}"
        else:
            outcome, reason = "updated", f"dry run: would update (status {plan.status})"
        if plan.rename_from:
            reason = f"{reason}; would change the address from {plan.rename_from}"
        return self._event(plan, _Result(outcome, reason), hashes)

    def _invalid_event(self, raw: dict[str, t.Any], reason: str) -> AuditEvent:
        email = raw.get("email_address")
        source_id = raw.get("source_id")
        key = (
            email.strip().lower()
            if isinstance(email, str) and email.strip()
            else f"source:{source_id}"
        )
        return AuditEvent(
            stream=self.stream,
            record_key=key,
            source_id=None if source_id is None else str(source_id),
            outcome="failed",
            reason=reason,
            payload=json_safe(raw),
        )

    def _superseded_event(self, record: MemberRecord) -> AuditEvent:
        return AuditEvent(
            stream=self.stream,
            record_key=record.key,
            source_id=record.source_id,
            outcome="skipped",
            reason="superseded by a newer record for the same address in this run",
        )


def _member_error_result(error: dict[str, t.Any]) -> _Result:
    """Classify one entry of a batch-subscribe `errors[]`."""
    text = str(error.get("error") or "")
    if error.get("field_message"):
        text = f"{text} ({error.get('field')}: {error['field_message']})"
    lowered = text.lower()
    if "compliance state" in lowered:
        return _Result("skipped", f"Mailchimp refused to resubscribe: {text}", 400)
    if "permanently deleted" in lowered or "forgotten" in lowered:
        return _Result("skipped", f"permanently deleted in Mailchimp: {text}", 400)
    return _Result("failed", text or "rejected by Mailchimp", 400)


def _refused_status(detail: str) -> str:
    """The member status named in Mailchimp's refusal of an address change.

    Mailchimp says `This member's status is "cleaned." You can only update …`
    (ibericode/mailchimp-user-sync#96). Unknown wording yields `transactional`,
    the least permissive status that still keeps the contact.
    """
    found = re.search(r'status is "(\w+)', detail)
    status = found.group(1) if found else "transactional"
    return "unsubscribed" if status in NEVER_RESUBSCRIBED else status


def _refusal_status(reason: str) -> str:
    return "forgotten" if "permanently deleted" in reason else "unsubscribed"
