"""Sinks: one per input stream of the contract (see `schemas.py`)."""

from __future__ import annotations

import typing as t

from singer_sdk.sinks import BatchSink

from target_mailchimp.audience import MAX_MEMBERS_PER_CALL

if t.TYPE_CHECKING:
    from target_mailchimp.target import TargetMailchimp


class MembersSink(BatchSink):
    """Audience members, written through batch subscribe, up to 500 per call."""

    MAX_SIZE_DEFAULT = MAX_MEMBERS_PER_CALL
    # Bad input must not stop the other records: invalid ones are audited as failed.
    fail_on_record_validation_exception = False

    def __init__(self, target: TargetMailchimp, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.target = target
        self.member_sync = target.member_sync(self.stream_name)

    @property
    def max_size(self) -> int:
        """Never more than one batch-subscribe call can take."""
        return min(super().max_size, MAX_MEMBERS_PER_CALL)

    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Write the batch, then audit every record's outcome before state moves on."""
        records = context.get("records", [])
        events = self.member_sync.sync(records)
        self.target.record_outcomes(events)
