"""The record validator: fast on valid records, and the same verdict and reason as
jsonschema on invalid ones."""

from __future__ import annotations

import copy

from target_mailchimp.schemas import MEMBERS_SCHEMA
from target_mailchimp.validation import AuditingValidator, validation_error

MEMBER = {"email_address": "ada@example.com", "status": "subscribed"}


def test_a_valid_record_is_left_as_it_came() -> None:
    record = copy.deepcopy(MEMBER)
    AuditingValidator(MEMBERS_SCHEMA).validate(record)
    assert record == MEMBER  # no defaults filled in, no mark


def test_an_invalid_record_is_marked_with_jsonschemas_reason() -> None:
    record = {**MEMBER, "status": "resubscribed"}
    AuditingValidator(MEMBERS_SCHEMA).validate(record)
    reason = validation_error(record)
    assert reason is not None
    assert reason.startswith("status does not match the input contract: fails `enum`")
    assert "resubscribed" not in reason.split(":", 1)[0]


def test_a_missing_required_field_is_named() -> None:
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    record = {"title": "Oak table"}
    AuditingValidator(schema).validate(record)
    assert validation_error(record) == (
        "record does not match the input contract: 'id' is a required property"
    )


def test_formats_are_only_checked_when_asked() -> None:
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    lenient, strict = {"at": "yesterday"}, {"at": "yesterday"}
    AuditingValidator(schema).validate(lenient)
    AuditingValidator(schema, validate_formats=True).validate(strict)
    assert validation_error(lenient) is None
    assert validation_error(strict) is not None
