"""Sinks: one per input stream of the contract (see `schemas.py`)."""

from __future__ import annotations

import typing as t

from singer_sdk.sinks import BatchSink

from target_mailchimp.audience import MAX_MEMBERS_PER_CALL
from target_mailchimp.validation import VALIDATION_ERROR, AuditingValidator

if t.TYPE_CHECKING:
    from target_mailchimp.target import TargetMailchimp

# E-commerce drains are large so that a bulk load fills few batch operations.
ECOMMERCE_DRAIN_SIZE = 2000


class MailchimpSink(BatchSink):
    """A batch of records of one stream, audited before state moves on."""

    def __init__(self, target: TargetMailchimp, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(target, *args, **kwargs)
        self.target = target
        target.preflight()  # before any record of any stream is written

    def get_validator(self) -> AuditingValidator | None:
        """Validation that marks a bad record for the audit store instead of raising."""
        if not self.validate_schema:
            return None
        return AuditingValidator(self.schema, validate_formats=self.validate_field_string_format)

    def _singer_validate_message(self, record: dict[str, t.Any]) -> None:
        """Accept records missing their upstream key properties (audited as failed)."""

    def _parse_timestamps_in_record(
        self, record: dict[str, t.Any], schema: dict[str, t.Any], treatment: t.Any
    ) -> None:
        """A date-time the SDK cannot parse fails its record only, not the run."""
        try:
            super()._parse_timestamps_in_record(record, schema, treatment)
        except ValueError:
            record.setdefault(
                VALIDATION_ERROR,
                "a date-time field does not match the input contract (ISO 8601 expected)",
            )

    #: Whether a batch has been handed over for writing and is not yet audited.
    draining = False

    def start_drain(self) -> dict:
        """Hand the pending batch over for writing: until `mark_drained`, a signal
        stops the run without emitting state (see `TargetMailchimp._handle_termination`)."""
        self.draining = True
        return super().start_drain()

    def mark_drained(self) -> None:
        """The batch is written and audited."""
        super().mark_drained()
        self.draining = False

    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Write the batch, then audit every record's outcome."""
        self.target.record_outcomes(self.write(context.get("records", [])))

    def write(self, records: list[dict[str, t.Any]]) -> list[t.Any]:
        """Write records to Mailchimp; return their audit events."""
        raise NotImplementedError


class MembersSink(MailchimpSink):
    """Audience members, written through batch subscribe, up to 500 per call."""

    MAX_SIZE_DEFAULT = MAX_MEMBERS_PER_CALL

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_sync = self.target.member_sync(self.stream_name)

    @property
    def max_size(self) -> int:
        """Never more than one batch-subscribe call can take."""
        return min(super().max_size, MAX_MEMBERS_PER_CALL)

    def write(self, records: list[dict[str, t.Any]]) -> list[t.Any]:
        """Members through the member rules."""
        return self.member_sync.sync(records)

    def clean_up(self) -> None:
        """At the end of the run (before its last state), the queued tag updates."""
        self.target.record_outcomes(self.member_sync.flush_tag_updates())
        super().clean_up()


class EcommerceSink(MailchimpSink):
    """Customers, products or orders of the configured store."""

    @property
    def max_size(self) -> int:
        """Large drains: a bulk load goes out in few batch operations."""
        return ECOMMERCE_DRAIN_SIZE

    def write(self, records: list[dict[str, t.Any]]) -> list[t.Any]:
        """Records through the e-commerce rules."""
        return self.target.ecommerce_sync.sync(self.stream_name, records)


class CustomersSink(EcommerceSink):
    """E-commerce customers, upserted with PUT."""


class ProductsSink(EcommerceSink):
    """Products with their variants, created or patched."""


class OrdersSink(EcommerceSink):
    """Orders with lines, after the products and customers they refer to."""

    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Write pending products and customers first, so every line finds its product."""
        self.target.drain_streams("products", "customers")
        super().process_batch(context)


class MemberTagsSink(MailchimpSink):
    """Tags for members found by ERP key, after the members they refer to."""

    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Write pending members first, so every ERP key resolves to its address."""
        self.target.drain_streams("members")
        super().process_batch(context)

    def write(self, records: list[dict[str, t.Any]]) -> list[t.Any]:
        """Records through the member-tag rules."""
        return self.target.member_tag_sync.sync(records)
