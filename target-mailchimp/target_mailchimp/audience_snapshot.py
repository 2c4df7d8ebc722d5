"""Mailchimp's subscription status per address, as last seen by this target."""

from __future__ import annotations

import datetime as dt
import typing as t

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from target_mailchimp.audience import Audience
    from target_mailchimp.audit import AuditStore

FLUSH_EVERY = 5000  # statuses held in memory before they go to the audit store
# Re-read this much before the mark: `since_last_changed` means "after", and a change
# in the mark's own second, made after the last read, must not slip through.
OVERLAP = dt.timedelta(minutes=1)


def _overlap(mark: str | None) -> str | None:
    if not mark:
        return None
    try:
        return (dt.datetime.fromisoformat(mark) - OVERLAP).isoformat()
    except ValueError:
        return mark


class AudienceSnapshot:
    """Statuses kept in the audit store, refreshed once per run with `since_last_changed`.

    The first refresh reads the whole audience (1,000 members a call); later runs
    read only the members changed since the newest `last_changed` already seen,
    using Mailchimp's own clock so no change slips between two runs.
    """

    def __init__(self, audience: Audience, store: AuditStore) -> None:
        self.audience = audience
        self.store = store
        self.list_id = audience.list_id
        self._fresh = False

    def refresh(self) -> None:
        """Learn every status change in Mailchimp since the last run (once per run)."""
        if self._fresh:
            return
        mark = self.store.snapshot_mark(self.list_id)
        latest = mark or ""
        statuses: dict[str, str] = {}
        for member in self.audience.changed_members(_overlap(mark)):
            statuses[member["email_address"].lower()] = member["status"]
            latest = max(latest, member.get("last_changed") or "")
            if len(statuses) >= FLUSH_EVERY:
                self.save(statuses)
                statuses = {}
        self.save(statuses)
        if latest:
            self.store.save_snapshot_mark(self.list_id, latest)
        self._fresh = True

    def statuses(self, emails: Iterable[str]) -> dict[str, str]:
        """Known statuses of these addresses (lowercase keys); refreshes first."""
        self.refresh()
        return self.store.statuses(self.list_id, [email.lower() for email in emails])

    def save(self, statuses: dict[str, str]) -> None:
        """Record statuses learned from reads or from write responses."""
        self.store.save_statuses(self.list_id, statuses)
