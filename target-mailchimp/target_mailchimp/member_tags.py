"""Tags derived from other ERP data (e.g. the cost centers a customer bought under).

A `member_tags` record names a member by its ERP key (`source_id`) rather than by
email: the target resolves it to the address it last wrote for that key. These
tags only accumulate: member writes never remove them (they are tracked apart
from the member's own tags), and marketers' tags are never touched.
"""

from __future__ import annotations

import typing as t

from target_mailchimp.audit import AuditEvent
from target_mailchimp.ecommerce import content_hash, plain
from target_mailchimp.members import NEVER_RESUBSCRIBED, json_safe
from target_mailchimp.validation import validation_error

if t.TYPE_CHECKING:
    from target_mailchimp.audience import Audience
    from target_mailchimp.audience_snapshot import AudienceSnapshot
    from target_mailchimp.audit import AuditStore

LEDGER_KIND = "member_tag"  # ledger entries `<email>|<tag>` of tags already applied


class MemberTagSync:
    """Adds tags to members found by ERP key, one batch-subscribe call per 500 members."""

    def __init__(
        self,
        audience: Audience,
        store: AuditStore,
        snapshot: AudienceSnapshot,
        *,
        stream: str = "member_tags",
        dry_run: bool = False,
    ) -> None:
        self.audience = audience
        self.store = store
        self.snapshot = snapshot
        self.stream = stream
        self.dry_run = dry_run

    def sync(self, raw_records: list[dict[str, t.Any]]) -> list[AuditEvent]:
        """Apply one batch; one audit event per record."""
        events: list[AuditEvent] = []
        wanted: dict[str, set[str]] = {}  # source_id → tags
        payloads: dict[str, dict[str, t.Any]] = {}
        for raw in raw_records:
            record = plain(raw)
            source_id = record.get("source_id")
            if validation_error(record) or not source_id:
                events.append(
                    self._event(
                        str(source_id or "(no source_id)"),
                        "failed",
                        validation_error(record) or "no source_id",
                        raw,
                    )
                )
                continue
            tags = {str(tag).strip() for tag in record.get("tags") or [] if str(tag).strip()}
            wanted.setdefault(str(source_id), set()).update(tags)
            payloads[str(source_id)] = raw
        list_id = self.audience.list_id
        emails = self.store.emails_for_sources(list_id, wanted)
        statuses = self.snapshot.statuses(emails.values()) if emails else {}
        additions: dict[str, set[str]] = {}  # email → tags not applied yet
        outcome: dict[str, tuple[str, str | None]] = {}
        for source_id, tags in wanted.items():
            email = emails.get(source_id)
            if email is None:
                outcome[source_id] = ("skipped", "no audience member is known for this ERP key")
                continue
            if statuses.get(email) in NEVER_RESUBSCRIBED or statuses.get(email) == "archived":
                outcome[source_id] = ("skipped", f"the member is {statuses.get(email)}")
                continue
            applied = set(
                self.store.ecommerce_hashes(
                    list_id, LEDGER_KIND, [f"{email}|{tag}" for tag in tags]
                )
            )
            new = {tag for tag in tags if f"{email}|{tag}" not in applied}
            if new:
                additions.setdefault(email, set()).update(new)
            outcome[source_id] = ("updated", None) if new else ("unchanged", "tags already applied")
        failed = self._apply(additions)
        for source_id, (result, reason) in outcome.items():
            error = failed.get(emails.get(source_id) or "")
            if error and result == "updated":
                result, reason = "failed", error
            events.append(
                self._event(
                    source_id, result, reason, payloads[source_id], tags=sorted(wanted[source_id])
                )
            )
        return events

    def _apply(self, additions: dict[str, set[str]]) -> dict[str, str]:
        """Add the tags (see `Audience.add_tags`); returns the addresses whose tags were
        not added, with why. The ledger records a tag only once Mailchimp confirmed the
        member's write."""
        if self.dry_run or not additions:
            return {}
        failed = self.audience.add_tags(additions)
        self.store.save_ecommerce_hashes(
            self.audience.list_id,
            LEDGER_KIND,
            {
                f"{email}|{tag}": None
                for email, tags in additions.items()
                if email not in failed
                for tag in tags
            },
        )
        return failed

    def _event(
        self,
        source_id: str,
        outcome: str,
        reason: str | None,
        raw: dict[str, t.Any],
        tags: list[str] | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            stream=self.stream,
            record_key=source_id,
            source_id=source_id,
            outcome=outcome,
            reason=reason if not self.dry_run or outcome != "updated" else "dry run: would tag",
            payload_hash=content_hash(tags) if tags is not None else None,
            payload=json_safe(raw) if outcome == "failed" else None,
        )
