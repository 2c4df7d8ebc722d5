"""The singer-sdk standard target suite, curated for an API target.

Kept from the standard suite: `cli_prints`, `invalid_schema`, `record_before_schema`.
Left out, with the reason:

- `array_data`, `camelcase`, `camelcase_complex_schema`, `duplicate_records`,
  `encoded_string_data`, `no_primary_keys`, `optional_attributes`, `pk_updates`,
  `record_missing_fields`, `schema_no_properties`, `schema_updates`,
  `special_chars_in_attributes`: they send streams named `test_*` with arbitrary fields.
  target-mailchimp is not a database: it accepts only the streams of its input contract
  and refuses any other stream by design (a mapper renames upstream streams). Each of these
  behaviours is instead covered on the `members` stream by the file tests below
  (duplicates, encoded strings, optional attributes, schema updates, state relay).
- `record_missing_key_property`: the target deliberately accepts a record missing its
  upstream key properties and records it as failed in the audit store, so bad input never
  stops the other records (see `test_invalid_records_fail_alone`).
"""

from __future__ import annotations

import atexit
import importlib.resources
import tempfile
import typing as t
from pathlib import Path

import pytest
from erp_sandbox.mailchimp import MailchimpEmulator
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.target_tests import (
    TargetCliPrintsTest,
    TargetInvalidSchemaTest,
    TargetRecordBeforeSchemaTest,
)
from singer_sdk.testing.templates import TargetFileTestTemplate

from target_mailchimp.target import TargetMailchimp

STREAMS = Path(__file__).parent / "target_test_streams"

# The suite's config is fixed when the class is built, so this module runs its own
# emulator for the whole session.
EMULATOR = MailchimpEmulator(port=0).start()
atexit.register(EMULATOR.stop)
AUDIT_DIR = tempfile.mkdtemp(prefix="target-mailchimp-suite-")

SAMPLE_CONFIG = {
    "api_key": EMULATOR.api_key,
    "base_url": EMULATOR.api_root,
    "list_id": EMULATOR.default_list_id,
    "audit_database_url": f"sqlite:///{AUDIT_DIR}/audit.db",
    "max_backoff_seconds": 0,
}


@pytest.fixture(scope="module", autouse=True)
def no_contract_violations() -> t.Iterator[None]:
    """Everything the suite sent, and every answer, matched Mailchimp's OpenAPI spec."""
    yield
    assert EMULATOR.contract_violations == []


class MembersFileTest(TargetFileTestTemplate):
    """A file test on the `members` stream, read from this package's test streams."""

    @property
    def singer_filepath(self) -> importlib.resources.abc.Traversable:  # type: ignore[override]
        """Files live beside this module."""
        return STREAMS / f"{self.name}.singer"

    def member(self, email: str) -> dict:
        """The member as the emulated Mailchimp holds it."""
        found = EMULATOR.member(email)
        assert found is not None, f"{email} did not land"
        return found


class TargetMembersDuplicateRecords(MembersFileTest):
    """Duplicates of one address collapse to the record with the latest updated_at."""

    name = "members_duplicate_records"

    def test(self) -> None:
        """Run test."""
        self.runner.sync_all()
        assert self.member("dup@harborsupply.com")["merge_fields"]["FNAME"] == "Third"
        assert self.member("other@harborsupply.com")["merge_fields"]["FNAME"] == "Other"


class TargetMembersMultipleStateMessages(MembersFileTest):
    """The latest state is relayed once the records before it are written."""

    name = "members_multiple_state_messages"

    def test(self) -> None:
        """Run test."""
        self.runner.sync_all()
        assert self.runner.state_messages == [{"members": 3}]
        assert self.member("s3@harborsupply.com")["status"] == "subscribed"


class TargetMembersEncodedStrings(MembersFileTest):
    """RTL scripts, emoji and combining characters land unchanged."""

    name = "members_encoded_strings"

    def test(self) -> None:
        """Run test."""
        self.runner.sync_all()
        assert self.member("rtl@harborsupply.com")["merge_fields"]["LNAME"] == "שָׁלוֹם"
        emoji = self.member("emoji@harborsupply.com")
        assert emoji["merge_fields"]["FNAME"] == "Zoë 🎉"
        assert {tag["name"] for tag in emoji["tags"]} == {"客户:批发"}
        assert self.member("combining@harborsupply.com")["merge_fields"]["FNAME"] == "e\u0301mile"


class TargetMembersOptionalAttributes(MembersFileTest):
    """A record with nothing but an address lands."""

    name = "members_optional_attributes"

    def test(self) -> None:
        """Run test."""
        self.runner.sync_all()
        assert self.member("only.email@harborsupply.com")["status"] == "subscribed"


class TargetMembersSchemaUpdates(MembersFileTest):
    """A new SCHEMA mid-stream drains the old sink and carries on."""

    name = "members_schema_updates"

    def test(self) -> None:
        """Run test."""
        self.runner.sync_all()
        assert self.member("v1@harborsupply.com")["status"] == "subscribed"
        assert self.member("v2@harborsupply.com")["status"] == "transactional"


TestTargetMailchimp = get_target_test_class(
    target_class=TargetMailchimp,
    config=SAMPLE_CONFIG,
    include_target_tests=False,
    custom_suites=[
        SingerTestSuite(
            kind="target",
            tests=[
                TargetCliPrintsTest,
                TargetInvalidSchemaTest,
                TargetRecordBeforeSchemaTest,
                TargetMembersDuplicateRecords,
                TargetMembersMultipleStateMessages,
                TargetMembersEncodedStrings,
                TargetMembersOptionalAttributes,
                TargetMembersSchemaUpdates,
            ],
        )
    ],
)
