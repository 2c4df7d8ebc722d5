"""ERP records sharing one address: the member carries the union of their tags."""

from __future__ import annotations

import typing as t

from target_mailchimp.audit import AuditStore
from tests.conftest import singer_lines, write_calls

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator

SHARED = "office@harborsupply.com"
BATCH = "POST /3.0/lists/{list_id}"
TAG_CALL = "POST /3.0/lists/{list_id}/segments/{segment_id}"


def record(source_id: str, tags: list[str], day: int, **fields: t.Any) -> dict[str, t.Any]:
    return {
        "email_address": SHARED,
        "source_id": source_id,
        "merge_fields": {"FNAME": source_id},
        "tags": tags,
        "updated_at": f"2026-11-{day:02d}T00:00:00Z",
        **fields,
    }


def tags_of(emulator: MailchimpEmulator) -> set[str]:
    return {tag["name"] for tag in emulator.member(SHARED)["tags"]}


def test_records_sharing_an_address_in_one_batch_add_up_their_tags(emulator, run_target) -> None:
    customer = record("customer:1", ["erp:customer", "class:retail"], day=1)
    contact = record("contact:7", ["erp:contact"], day=2)
    run_target(singer_lines(customer, contact))
    assert tags_of(emulator) == {"erp:customer", "class:retail", "erp:contact"}
    assert emulator.member(SHARED)["merge_fields"]["FNAME"] == "contact:7"  # the latest record
    assert emulator.calls.count(BATCH) == 1
    assert emulator.calls.count(TAG_CALL) == 0


def test_an_older_record_in_a_later_drain_adds_its_tags_and_leaves_the_rest(
    emulator, run_target
) -> None:
    customer = record("customer:1", ["erp:customer"], day=2)
    contact = record("contact:7", ["erp:contact"], day=1)
    lines = singer_lines(customer, contact)
    run = run_target(lines, batch_size_rows=1)
    # The contact's fields are older than the customer's: not written, its tag is.
    assert [event["outcome"] for event in run.events] == ["created", "skipped"]
    assert emulator.member(SHARED)["merge_fields"]["FNAME"] == "customer:1"
    assert tags_of(emulator) == {"erp:customer", "erp:contact"}
    assert emulator.member(SHARED)["status"] == "subscribed"
    assert emulator.calls.count(BATCH) == 2  # the member, then the contact's tag alone
    assert emulator.calls.count(TAG_CALL) == 0
    emulator.calls.reset()
    run_target(lines, batch_size_rows=1)
    assert write_calls(emulator) == []


def test_a_tag_leaves_only_once_no_record_at_the_address_sends_it(emulator, run_target) -> None:
    run_target(
        singer_lines(
            record("customer:1", ["class:retail", "erp"], day=1),
            record("contact:7", ["erp"], day=2),
        )
    )
    run_target(singer_lines(record("customer:1", ["class:wholesale", "erp"], day=3)))
    assert tags_of(emulator) == {"class:wholesale", "erp"}
    run_target(singer_lines(record("customer:1", ["class:wholesale"], day=4)))
    assert tags_of(emulator) == {"class:wholesale", "erp"}  # the contact still sends "erp"
    run_target(singer_lines(record("contact:7", [], day=5)))
    assert tags_of(emulator) == {"class:wholesale"}


def test_an_older_record_withdrawing_a_tag_removes_it_from_the_member(emulator, run_target) -> None:
    run_target(
        singer_lines(
            record("contact:7", ["erp:contact", "newsletter"], day=1),
            record("customer:1", ["erp:customer"], day=5),
        )
    )
    emulator.calls.reset()
    run_target(
        singer_lines(
            record("customer:1", ["erp:customer"], day=6),
            record("contact:7", ["erp:contact"], day=2),
        ),
        batch_size_rows=1,
    )
    assert tags_of(emulator) == {"erp:contact", "erp:customer"}
    assert emulator.calls.count(TAG_CALL) == 1
    assert emulator.calls.count(BATCH) == 0


def test_tags_mailchimp_refuses_stay_queued_for_the_next_run(emulator, run_target) -> None:
    members_call = f"/3.0/lists/{emulator.default_list_id}"
    emulator.faults.enqueue(method="POST", path=members_call)  # the customer's write passes
    emulator.faults.enqueue(method="POST", path=members_call, status=400)
    lines = singer_lines(
        record("customer:1", ["erp:customer"], day=2),
        record("contact:7", ["erp:contact"], day=1),
    )
    run = run_target(lines, batch_size_rows=1)
    failed = [event for event in run.events if event["outcome"] == "failed"]
    assert [event["record_key"] for event in failed] == [SHARED]
    assert "the next run tries again" in failed[0]["reason"]
    assert tags_of(emulator) == {"erp:customer"}
    rerun = run_target(lines, batch_size_rows=1)  # nothing changed in the ERP
    assert tags_of(emulator) == {"erp:customer", "erp:contact"}
    assert "failed" not in rerun.outcomes().values()


def test_tag_updates_are_sent_500_members_a_call_across_the_run(emulator, run_target) -> None:
    customers = [
        record(f"customer:{n}", ["erp:customer"], day=2, email_address=f"shop{n}@harborsupply.com")
        for n in range(600)
    ]
    contacts = [
        record(f"contact:{n}", ["erp:contact"], day=1, email_address=f"shop{n}@harborsupply.com")
        for n in range(600)
    ]
    run_target(singer_lines(*customers, *contacts), batch_size_rows=100)
    # 6 member writes of 100, then the contacts' tags: one call at 500 queued, one at the end.
    assert emulator.calls.count(BATCH) == 6 + 2
    assert emulator.calls.count(TAG_CALL) == 0
    tags = {tag["name"] for tag in emulator.member("shop599@harborsupply.com")["tags"]}
    assert tags == {"erp:customer", "erp:contact"}


def test_a_dry_run_remembers_no_tags(emulator, run_target, config) -> None:
    run_target(singer_lines(record("customer:1", ["erp:customer"], day=2)))
    run_target(singer_lines(record("contact:7", ["erp:contact"], day=1)), dry_run=True)
    run_target(
        singer_lines(
            record("customer:1", ["erp:customer"], day=3),
            record("contact:7", ["erp:contact"], day=1),
        ),
        dry_run=True,
        batch_size_rows=1,
    )
    store = AuditStore(config["audit_database_url"])
    assert store.source_tags(emulator.default_list_id, ["contact:7"]) == {}
    assert tags_of(emulator) == {"erp:customer"}
