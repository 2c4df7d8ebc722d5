"""Record validation that audits a bad record instead of stopping the run."""

from __future__ import annotations

import typing as t

import fastjsonschema
from jsonschema.exceptions import best_match
from singer_sdk.sinks.core import JSONSchemaValidator

# Set on a record that does not match its stream's schema; the sync turns it into a
# `failed` outcome with this reason.
VALIDATION_ERROR = "_sdc_validation_error"


class AuditingValidator(JSONSchemaValidator):
    """Checks each record against its stream's schema and marks, never raises.

    Bad input must not stop the other records, and the SDK's own handling would
    log the record's content; the reason recorded here never quotes a value.
    """

    def __init__(self, schema: dict[str, t.Any], *, validate_formats: bool = False) -> None:
        super().__init__(schema, validate_formats=validate_formats)
        # jsonschema walks each record in Python, most of the target's CPU on a first load;
        # fastjsonschema compiles the schema into a function, ~20x faster. It only answers
        # "valid?" (without filling in defaults); jsonschema stays the judge of a record it
        # refuses and explains why.
        try:
            self._accepts: t.Callable[[dict[str, t.Any]], t.Any] | None = fastjsonschema.compile(
                schema, use_default=False, use_formats=validate_formats, detailed_exceptions=False
            )
        except fastjsonschema.JsonSchemaDefinitionException:
            self._accepts = None  # a schema it cannot compile: jsonschema alone

    def validate(self, record: dict[str, t.Any]) -> None:
        """Mark the record with the first schema violation, if any."""
        if self._accepts is not None:
            try:
                self._accepts(record)
            except fastjsonschema.JsonSchemaValueException:
                pass
            else:
                return
        error = best_match(self.validator.iter_errors(record))
        if error is None:
            return
        where = ".".join(str(part) for part in error.absolute_path) or "record"
        if error.validator in ("required", "additionalProperties"):
            explanation = error.message  # names fields, never values
        else:
            explanation = f"fails `{error.validator}` {error.validator_value}"
        record[VALIDATION_ERROR] = f"{where} does not match the input contract: {explanation}"


def validation_error(record: dict[str, t.Any]) -> str | None:
    """The schema violation marked on a record, if any."""
    return record.get(VALIDATION_ERROR)


def without_mark(record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The record as it came, for the audit store and replays."""
    return {key: value for key, value in record.items() if key != VALIDATION_ERROR}
