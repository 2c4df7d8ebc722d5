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

    def __init__(self, target: TargetMailchimp, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.target = target
        self.member_sync = target.member_sync(self.stream_name)

    @property
    def max_size(self) -> int:
        """Never more than one batch-subscribe call can take."""
        return min(super().max_size, MAX_MEMBERS_PER_CALL)

    def get_validator(self) -> None:
        """No upstream-schema validation: the member rules check each record.

        Bad input must not stop the other records, and the SDK's validator would
        log a bad record's content; the member rules audit it as failed instead.
        """

    def _singer_validate_message(self, record: dict[str, t.Any]) -> None:
        """Accept records missing their upstream key properties (audited as failed)."""

    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Write the batch, then audit every record's outcome before state moves on."""
        with self.target.writing():
            events = self.member_sync.sync(context.get("records", []))
            self.target.record_outcomes(events)
