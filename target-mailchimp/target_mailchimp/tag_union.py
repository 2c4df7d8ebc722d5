"""A member's own tags: the union over the ERP records written to its address.

Several ERP records can share one address (a customer and its contact, two customers
behind one mailbox). Each record, by its `source_id`, owns the tags its latest version
sends; the member carries the union, and a tag leaves it only once no record at the
address sends it any more (the record changed, moved to another address, or became
inactive). Letting the latest record's tags replace the others' would make one drain add
a customer's class tag and the next remove it for a contact sharing the address, on every
load, and leave the member with whichever record came last.

Records without a `source_id` own nothing: their tags count only while they are the
record written for the address.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from target_mailchimp.members import supersedes

if t.TYPE_CHECKING:
    from target_mailchimp.audit import AuditStore
    from target_mailchimp.members import MemberRecord


@dataclass
class TagUnion:
    """Tags per address before and after one batch of records."""

    before: dict[str, set[str]] = field(default_factory=dict)
    after: dict[str, set[str]] = field(default_factory=dict)
    # The batch's ERP keys whose address or tags changed, with what they now own.
    owned: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def tags_at(self, address: str) -> set[str]:
        """Tags the records at this address send, this batch included."""
        return self.after.get(address, set())

    def changed(self) -> list[str]:
        """Addresses whose union this batch changes."""
        addresses = set(self.before) | set(self.after)
        return sorted(a for a in addresses if self.before.get(a, set()) != self.after.get(a, set()))


def tag_union(store: AuditStore, list_id: str, records: list[MemberRecord]) -> TagUnion:
    """The union of tags at each address the batch touches, before and after it."""
    latest: dict[str, MemberRecord] = {}
    for record in records:
        if record.source_id is None:
            continue
        held = latest.get(record.source_id)
        if held is None or supersedes(record.updated_at, held.updated_at):
            latest[record.source_id] = record
    previous = store.source_tags(list_id, latest)
    owned = {
        source_id: (record.key, sorted(set(record.tags)) if record.active else [])
        for source_id, record in latest.items()
    }
    # Only what moved is kept to be saved: a re-read of unchanged records rewrites nothing.
    union = TagUnion(owned={k: v for k, v in owned.items() if previous.get(k) != v})
    addresses = {record.key for record in records} | {key for key, _ in previous.values()}
    held_at = store.source_tags_at(list_id, addresses)
    union.before = union_per_address(held_at)
    for source_id, (key, _) in previous.items():
        held_at.get(key, {}).pop(source_id, None)
    for source_id, (key, tags) in owned.items():
        held_at.setdefault(key, {})[source_id] = tags
    union.after = union_per_address(held_at)
    return union


def union_per_address(held_at: dict[str, dict[str, list[str]]]) -> dict[str, set[str]]:
    """The union of the tags each ERP key sends, per address."""
    return {key: set().union(*by_source.values()) for key, by_source in held_at.items()}
