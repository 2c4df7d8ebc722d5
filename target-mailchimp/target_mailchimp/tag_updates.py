"""Tag changes outside batch subscribe: segment calls, and the queue of members whose
tags must follow records that share their address (see `tag_union.py`)."""

from __future__ import annotations

import logging
import typing as t

from target_mailchimp.audience import MAX_MEMBERS_PER_CALL
from target_mailchimp.audit import AuditEvent, LedgerEntry
from target_mailchimp.client import MailchimpAPIError
from target_mailchimp.members import NEVER_RESUBSCRIBED
from target_mailchimp.tag_union import union_per_address

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from target_mailchimp.audience import Audience
    from target_mailchimp.audience_snapshot import AudienceSnapshot
    from target_mailchimp.audit import AuditStore
    from target_mailchimp.tag_union import TagUnion

    Parallel = Callable[..., list[t.Any]]

LOGGER = logging.getLogger("target_mailchimp.members")


class TagUpdates:
    """Segment calls for one audience, and its queue of pending member tag updates."""

    def __init__(
        self,
        audience: Audience,
        store: AuditStore,
        snapshot: AudienceSnapshot,
        *,
        stream: str,
        parallel: Parallel,
    ) -> None:
        self.audience = audience
        self.store = store
        self.snapshot = snapshot
        self.stream = stream
        self.list_id = audience.list_id
        self._parallel = parallel  # at most `max_concurrency` calls in flight
        self._queued: set[str] = set()  # addresses queued in this run

    def update(
        self, additions: dict[str, list[str]], removals: dict[str, list[str]]
    ) -> dict[str, tuple[str, int]]:
        """Add and remove members to and from tags, one call per tag and 500 members;
        returns the addresses a call failed for, with why and Mailchimp's status."""
        calls = [
            (
                tag,
                adding[start : start + MAX_MEMBERS_PER_CALL],
                removing[start : start + MAX_MEMBERS_PER_CALL],
            )
            for tag in sorted(set(additions) | set(removals))
            for adding, removing in [(additions.get(tag, []), removals.get(tag, []))]
            for start in range(0, max(len(adding), len(removing)), MAX_MEMBERS_PER_CALL)
        ]
        failed: dict[str, tuple[str, int]] = {}
        for (tag, adding, removing), error in zip(
            calls, self._parallel(self._update_tag, calls, capture=True), strict=True
        ):
            if isinstance(error, MailchimpAPIError):
                refusal = (f"tag {tag!r} not updated: {error}", error.status)
                failed.update(dict.fromkeys(adding + removing, refusal))
        return failed

    def _update_tag(self, call: tuple[str, list[str], list[str]]) -> None:
        tag, adding, removing = call
        if not adding and tag not in self.audience.tag_segment_ids():
            return  # nothing to remove from a tag that does not exist
        self.audience.update_tag(self.audience.tag_id(tag), adding, removing)

    def queue(self, union: TagUnion, planned: set[str], settled: Iterable[str]) -> bool:
        """Remember the batch's tags per ERP key, and queue the members whose tag union
        changed without a write of their own (a record superseded at its address, or
        unchanged, still adds or withdraws its tags). The queue lives in the audit store,
        so a run that stops before it is flushed leaves it to the next one. True once
        500 members are queued."""
        queued = {
            address: union.before.get(address, set())
            for address in union.changed()
            if address not in planned
        }
        self.store.queue_tag_updates(self.list_id, queued)
        self.store.save_source_tags(self.list_id, union.owned)
        # A member written with its whole union is up to date.
        settled = set(settled)
        self.store.clear_tag_updates(self.list_id, settled & self._queued)
        self._queued = (self._queued - settled) | set(queued)
        return len(self._queued) >= MAX_MEMBERS_PER_CALL

    def flush(self) -> list[AuditEvent]:
        """Bring queued members' tags up to their addresses' union: batch subscribe
        entries with the address and the tags only (500 members a call), and one segment
        call per tag and 500 members to remove. Only members the target wrote and that
        are live are touched, and only tags a record at the address sent are removed. A
        member Mailchimp refuses stays queued for the next run."""
        self._queued.clear()
        pending = self.store.pending_tag_updates(self.list_id)
        ledger = self.store.ledger(self.list_id, pending) if pending else {}
        statuses = self.snapshot.statuses(list(ledger)) if ledger else {}
        wanted_at = union_per_address(self.store.source_tags_at(self.list_id, ledger))
        additions: dict[str, set[str]] = {}
        removals: dict[str, list[str]] = {}
        entries: dict[str, LedgerEntry] = {}
        for address, entry in ledger.items():
            if statuses.get(address) in (*NEVER_RESUBSCRIBED, "archived"):
                continue
            applied = set(entry.applied_tags)
            wanted = wanted_at.get(address, set())
            gone = (pending[address] - wanted) & applied
            if wanted - applied:
                additions[address] = wanted - applied
            for tag in gone:
                removals.setdefault(tag, []).append(address)
            if wanted - applied or gone:
                entries[address] = LedgerEntry(entry.content_hash, sorted(applied - gone | wanted))
        failed = self.audience.add_tags(additions)
        failed.update(
            (address, reason) for address, (reason, _) in self.update({}, removals).items()
        )
        self.store.save_ledger(
            self.list_id, {key: entry for key, entry in entries.items() if key not in failed}
        )
        self.store.clear_tag_updates(self.list_id, set(pending) - set(failed))
        if entries:
            LOGGER.info("Tags updated on %d members that share an address", len(entries))
        return [
            AuditEvent(
                stream=self.stream,
                record_key=address,
                outcome="failed",
                reason=f"{reason}; the next run tries again",
            )
            for address, reason in failed.items()
        ]
