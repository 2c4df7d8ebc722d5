"""Mailchimp's rules for addresses, statuses and merge-field values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from erp_sandbox.mailchimp.store import MailingList, MergeField

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)

#: Statuses from which Mailchimp refuses a move to ``subscribed``
#: (ibericode/mailchimp-for-wordpress#798; tbar0970/jethro-pmm#656).
COMPLIANCE_STATUSES = frozenset({"unsubscribed", "cleaned"})

#: Parts of an ADDRESS value that must be filled (verbb/formie#2387; RudderStack).
ADDRESS_REQUIRED_PARTS = ("addr1", "city", "state", "zip")
ADDRESS_PARTS = ("addr1", "addr2", "city", "state", "zip", "country")
COMPLETE_ADDRESS_MESSAGE = "Please enter a complete address"
#: "Please enter a value" (ibericode/mailchimp-for-wordpress#545; MailChimp.Net#500).
REQUIRED_VALUE_MESSAGE = "Please enter a value"
#: The message for a merge tag the list does not have; Mailchimp's wording is not
#: recorded (inferred).
UNKNOWN_MERGE_FIELD_MESSAGE = "This merge field does not exist"
#: Messages for values of the wrong shape for their field type (inferred wording).
NUMBER_MESSAGE = "Please enter a number"
DATE_MESSAGE = "Please enter a valid date"
CHOICE_MESSAGE = "Please choose one of the listed options"
#: python-mailchimp#146: a boolean merge value fails the schema's anyOf.
ANY_OF_MESSAGE = "Data did not match any of the schemas described in anyOf."


def is_valid_email(email: object) -> bool:
    """A syntactically valid address (one @, dotted domain with a letter TLD)."""
    return isinstance(email, str) and len(email) <= 254 and _EMAIL.match(email) is not None


def blocks_subscribe(current: str, requested: str) -> bool:
    """Whether moving a member from ``current`` to ``requested`` breaks compliance."""
    return requested == "subscribed" and current in COMPLIANCE_STATUSES


@dataclass
class MergeFieldCheck:
    """Merge values cleaned up for storage, plus what was wrong with them."""

    values: dict[str, Any] = field(default_factory=dict)
    field_errors: list[dict[str, str]] = field(default_factory=list)
    schema_errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors of either kind."""
        return not (self.field_errors or self.schema_errors)


def check_merge_fields(
    lst: MailingList,
    given: dict[str, Any] | None,
    *,
    current: dict[str, Any],
    required_scope: str,
    unknown_policy: str,
) -> MergeFieldCheck:
    """Validate ``given`` merge values for ``lst``; the result's ``values`` is the member's
    full set of values after the write (``current`` updated with ``given``).

    ``required_scope`` says which required fields must have a value afterwards: ``all``
    (creates and PUT updates; MailChimp.Net#312 saw an update refused for a new required
    field), ``given`` (PATCH: only fields the request sets) or ``none``
    (``skip_merge_validation=true``).
    """
    result = MergeFieldCheck(values=dict(current))
    for raw_tag, value in (given or {}).items():
        merge_field = lst.merge_field_by_tag(raw_tag)
        if not isinstance(value, str | int | float | dict) or isinstance(value, bool):
            result.schema_errors.append(
                {"field": f"merge_fields.{raw_tag}", "message": ANY_OF_MESSAGE}
            )
            continue
        if merge_field is None:
            if unknown_policy == "reject":
                result.field_errors.append(
                    {"field": raw_tag, "message": UNKNOWN_MERGE_FIELD_MESSAGE}
                )
            continue
        message = _value_problem(merge_field, value)
        if message:
            result.field_errors.append({"field": merge_field.tag, "message": message})
            continue
        result.values[merge_field.tag] = _normalised(merge_field, value)
    if required_scope != "none":
        given_tags = {tag.upper() for tag in (given or {})}
        for merge_field in lst.ordered_merge_fields():
            if required_scope == "given" and merge_field.tag not in given_tags:
                continue
            if merge_field.required and _is_empty(result.values.get(merge_field.tag)):
                already = any(e["field"] == merge_field.tag for e in result.field_errors)
                if not already:
                    result.field_errors.append(
                        {"field": merge_field.tag, "message": REQUIRED_VALUE_MESSAGE}
                    )
    return result


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {}


def _value_problem(merge_field: MergeField, value: Any) -> str | None:
    """What is wrong with a value for this field type, if anything. ``""`` clears."""
    if value == "":
        return None
    kind = merge_field.type
    if kind == "address":
        if not isinstance(value, dict):
            return COMPLETE_ADDRESS_MESSAGE
        if any(not str(value.get(part, "") or "").strip() for part in ADDRESS_REQUIRED_PARTS):
            return COMPLETE_ADDRESS_MESSAGE
        return None
    if isinstance(value, dict):
        return ANY_OF_MESSAGE
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return NUMBER_MESSAGE
    elif kind == "birthday":
        if not re.fullmatch(r"(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])", str(value)):
            return DATE_MESSAGE
    elif kind == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}", str(value)):
            return DATE_MESSAGE
    elif kind in ("dropdown", "radio"):
        choices = merge_field.options.get("choices") or []
        if choices and str(value) not in choices:
            return CHOICE_MESSAGE
    return None


def _normalised(merge_field: MergeField, value: Any) -> Any:
    if merge_field.type == "address" and isinstance(value, dict):
        address = {part: str(value.get(part, "") or "") for part in ADDRESS_PARTS}
        # An address without a country is taken as US (beaufort12.com, "Mailchimp
        # address fields"); inferred for the API.
        address["country"] = address["country"] or "US"
        return address
    if merge_field.type == "number" and value != "":
        number = float(value)
        return int(number) if number.is_integer() else number
    return value if isinstance(value, str) else str(value)
