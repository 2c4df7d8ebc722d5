"""Member behaviour against the emulated Mailchimp, over real HTTP."""

from __future__ import annotations

import logging
import typing as t

import pytest

from target_mailchimp.member_sync import LOGGED_WARNINGS_PER_KIND, MissingMergeFieldsError
from tests.conftest import singer_lines, write_calls

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator

BATCH = "POST /3.0/lists/{list_id}"


def person(number: int, **fields: t.Any) -> dict[str, t.Any]:
    return {
        "email_address": f"person{number}@harborsupply.com",
        "source_id": f"C-{number}",
        "merge_fields": {"FNAME": f"First{number}", "LNAME": f"Last{number}"},
        "updated_at": "2026-11-01T00:00:00+00:00",
        **fields,
    }


def seed_members(emulator: MailchimpEmulator, *members: dict[str, t.Any]) -> None:
    emulator.seed({"lists": [{"id": emulator.default_list_id, "members": list(members)}]})


def status_of(emulator: MailchimpEmulator, email: str) -> str | None:
    member = emulator.member(email)
    return member["status"] if member else None


def tags_of(emulator: MailchimpEmulator, email: str) -> set[str]:
    member = emulator.member(email)
    return {tag["name"] for tag in member["tags"]} if member else set()


def test_members_land_through_batch_subscribe_500_per_call(emulator, run_target) -> None:
    run = run_target(singer_lines(*(person(n) for n in range(1, 1201))))
    assert emulator.calls.count(BATCH) == 3  # ceil(1200 / 500)
    assert set(run.outcomes().values()) == {"created"}
    landed = emulator.member("person1200@harborsupply.com")
    assert landed["status"] == "subscribed"
    assert landed["merge_fields"]["FNAME"] == "First1200"


def test_unchanged_rerun_makes_no_write_calls(emulator, run_target) -> None:
    lines = singer_lines(*(person(n, tags=["vip"]) for n in range(1, 21)))
    run_target(lines)
    emulator.calls.reset()
    rerun = run_target(lines)
    assert write_calls(emulator) == []
    assert set(rerun.outcomes().values()) == {"unchanged"}


def test_skip_unchanged_can_be_turned_off(emulator, run_target) -> None:
    lines = singer_lines(person(1))
    run_target(lines)
    rerun = run_target(lines, skip_unchanged=False)
    assert rerun.outcomes() == {"person1@harborsupply.com": "updated"}


def test_changed_record_is_sent_again(emulator, run_target) -> None:
    run_target(singer_lines(person(1)))
    run_target(singer_lines(person(1, merge_fields={"FNAME": "Renamed"})))
    assert emulator.member("person1@harborsupply.com")["merge_fields"]["FNAME"] == "Renamed"


def test_duplicates_of_one_email_collapse_to_the_latest_updated_at(emulator, run_target) -> None:
    newest = person(1, merge_fields={"FNAME": "Newest"}, updated_at="2026-11-03T00:00:00Z")
    oldest = person(
        1,
        email_address="PERSON1@harborsupply.com",
        merge_fields={"FNAME": "Oldest"},
        updated_at="2026-11-01T00:00:00Z",
    )
    run = run_target(singer_lines(newest, oldest))
    assert emulator.member("person1@harborsupply.com")["merge_fields"]["FNAME"] == "Newest"
    assert emulator.calls.count(BATCH) == 1
    assert sorted(event["outcome"] for event in run.events) == ["created", "skipped"]


def test_older_duplicate_in_a_later_batch_of_the_run_is_not_written(emulator, run_target) -> None:
    records = [person(n) for n in range(1, 501)]
    records[0] = person(1, merge_fields={"FNAME": "Newest"}, updated_at="2026-11-05T00:00:00Z")
    late_but_older = person(1, merge_fields={"FNAME": "Older"}, updated_at="2026-11-02T00:00:00Z")
    run_target(singer_lines(*records, late_but_older))
    assert emulator.member("person1@harborsupply.com")["merge_fields"]["FNAME"] == "Newest"


@pytest.mark.parametrize("status", ["unsubscribed", "cleaned"])
def test_member_who_left_is_never_resubscribed(emulator, run_target, status) -> None:
    seed_members(emulator, {"email_address": "person1@harborsupply.com", "status": status})
    run = run_target(singer_lines(person(1, status="subscribed")))
    assert status_of(emulator, "person1@harborsupply.com") == status
    assert run.outcomes() == {"person1@harborsupply.com": "skipped"}
    assert status in run.reasons()["person1@harborsupply.com"]
    assert write_calls(emulator) == []
    assert emulator.opt_in_emails == []


def test_permanently_deleted_address_is_skipped_and_not_retried(emulator, run_target) -> None:
    seed_members(emulator, {"email_address": "person1@harborsupply.com", "status": "forgotten"})
    first = run_target(singer_lines(person(1)))
    assert first.outcomes() == {"person1@harborsupply.com": "skipped"}
    assert "permanently deleted" in first.reasons()["person1@harborsupply.com"]
    emulator.calls.reset()
    second = run_target(singer_lines(person(1, merge_fields={"FNAME": "Changed"})))
    assert second.outcomes() == {"person1@harborsupply.com": "skipped"}
    assert write_calls(emulator) == []


def test_unsubscribe_in_mailchimp_after_the_last_run_is_respected(emulator, run_target) -> None:
    run_target(singer_lines(person(1)))
    seed_members(emulator, {"email_address": "person1@harborsupply.com", "status": "unsubscribed"})
    run = run_target(singer_lines(person(1, merge_fields={"FNAME": "Changed"})))
    assert status_of(emulator, "person1@harborsupply.com") == "unsubscribed"
    assert run.outcomes() == {"person1@harborsupply.com": "skipped"}


def test_record_status_can_unsubscribe_a_known_member(emulator, run_target) -> None:
    run_target(singer_lines(person(1)))
    run_target(singer_lines(person(1, status="unsubscribed")))
    assert status_of(emulator, "person1@harborsupply.com") == "unsubscribed"


def test_record_status_never_upgrades_a_known_member(emulator, run_target) -> None:
    seed_members(emulator, {"email_address": "person1@harborsupply.com", "status": "transactional"})
    run = run_target(singer_lines(person(1, status="subscribed")))
    assert status_of(emulator, "person1@harborsupply.com") == "transactional"
    assert run.outcomes() == {"person1@harborsupply.com": "updated"}


def test_status_if_new_applies_to_new_addresses_only(emulator, run_target) -> None:
    seed_members(emulator, {"email_address": "person1@harborsupply.com", "status": "subscribed"})
    run_target(singer_lines(person(1), person(2)), status_if_new="pending")
    assert status_of(emulator, "person1@harborsupply.com") == "subscribed"
    assert status_of(emulator, "person2@harborsupply.com") == "pending"


def test_inactive_record_for_unknown_address_creates_nothing(emulator, run_target) -> None:
    run = run_target(singer_lines(person(1, active=False)))
    assert emulator.member("person1@harborsupply.com") is None
    assert run.outcomes() == {"person1@harborsupply.com": "skipped"}


@pytest.mark.parametrize(
    ("action", "expected_status", "expected_tags"),
    [
        ("unsubscribe", "unsubscribed", set()),
        ("archive", "archived", set()),
        ("tag", "subscribed", {"erp-inactive"}),
        ("none", "subscribed", set()),
    ],
)
def test_inactive_action_applies_to_known_members(
    emulator, run_target, action, expected_status, expected_tags
) -> None:
    run_target(singer_lines(person(1)))
    run_target(
        singer_lines(person(1, active=False)), inactive_action=action, inactive_tag="erp-inactive"
    )
    assert status_of(emulator, "person1@harborsupply.com") == expected_status
    assert tags_of(emulator, "person1@harborsupply.com") == expected_tags


def test_a_deletion_known_only_by_source_id_applies_to_the_address_last_written(
    emulator, run_target
) -> None:
    run_target(singer_lines(person(1), person(2)))
    deletion = {"source_id": "C-1", "deleted": True, "updated_at": "2026-11-02T00:00:00Z"}
    run = run_target(singer_lines(deletion), inactive_action="archive")
    assert status_of(emulator, "person1@harborsupply.com") == "archived"
    assert status_of(emulator, "person2@harborsupply.com") == "subscribed"
    assert list(run.outcomes()) == ["person1@harborsupply.com"]


def test_a_deletion_of_a_record_never_written_is_skipped(emulator, run_target) -> None:
    run = run_target(singer_lines({"source_id": "C-404", "deleted": True}))
    assert run.outcomes() == {"source:C-404": "skipped"}
    assert write_calls(emulator) == []


def test_reactivated_record_loses_the_inactive_tag(emulator, run_target) -> None:
    run_target(singer_lines(person(1)), inactive_action="tag")
    run_target(singer_lines(person(1, active=False)), inactive_action="tag")
    run_target(singer_lines(person(1, active=True)), inactive_action="tag")
    assert tags_of(emulator, "person1@harborsupply.com") == set()


def test_email_change_of_subscribed_member_changes_the_address_in_place(
    emulator, run_target
) -> None:
    run_target(singer_lines(person(1)))
    run = run_target(singer_lines(person(1, email_address="new.address@harborsupply.com")))
    assert emulator.member("person1@harborsupply.com") is None
    assert status_of(emulator, "new.address@harborsupply.com") == "subscribed"
    assert emulator.calls.count("PATCH /3.0/lists/{list_id}/members/{subscriber_hash}") == 1
    assert run.outcomes() == {"new.address@harborsupply.com": "updated"}
    with emulator.store.lock:
        assert len(emulator.store.lists[emulator.default_list_id].members) == 1


def test_email_change_of_non_subscribed_member_never_gets_more_permissive(
    emulator, run_target
) -> None:
    run_target(singer_lines(person(1)), status_if_new="transactional")
    run_target(
        singer_lines(person(1, email_address="new.address@harborsupply.com", status="subscribed"))
    )
    assert status_of(emulator, "new.address@harborsupply.com") == "transactional"
    assert status_of(emulator, "person1@harborsupply.com") == "archived"


def test_tags_are_added_and_only_the_targets_own_stale_tags_removed(emulator, run_target) -> None:
    run_target(singer_lines(person(1, tags=["segment:retail", "vip"])))
    # A marketer tags the member in Mailchimp.
    with emulator.store.lock:
        lst = emulator.store.lists[emulator.default_list_id]
        emulator.store.add_tag(lst, lst.find_member("person1@harborsupply.com"), "newsletter-fan")
    run_target(singer_lines(person(1, tags=["segment:wholesale", "vip"])))
    assert tags_of(emulator, "person1@harborsupply.com") == {
        "segment:wholesale",
        "vip",
        "newsletter-fan",
    }


def test_tag_changes_cost_one_call_per_removed_tag_not_per_member(emulator, run_target) -> None:
    run_target(singer_lines(*(person(n, tags=["a"]) for n in range(1, 301))))
    emulator.calls.reset()
    run_target(singer_lines(*(person(n, tags=["b"]) for n in range(1, 301))))
    # "b" rides in the batch-subscribe call; only removing "a" needs its segment call.
    assert emulator.calls.count(BATCH) == 1
    assert emulator.calls.count("POST /3.0/lists/{list_id}/segments/{segment_id}") == 1
    assert emulator.calls.count("POST /3.0/lists/{list_id}/segments") == 0
    assert all(tags_of(emulator, f"person{n}@harborsupply.com") == {"b"} for n in (1, 300))


def test_missing_merge_fields_are_created_as_text(emulator, run_target) -> None:
    run_target(singer_lines(person(1, merge_fields={"FNAME": "A", "REGION": "EMEA"})))
    with emulator.store.lock:
        region = emulator.store.lists[emulator.default_list_id].merge_field_by_tag("REGION")
        assert region is not None
        assert region.type == "text"
    assert emulator.member("person1@harborsupply.com")["merge_fields"]["REGION"] == "EMEA"


def test_missing_merge_fields_fail_early_when_creation_is_off(emulator, run_target) -> None:
    with pytest.raises(MissingMergeFieldsError, match="REGION"):
        run_target(
            singer_lines(person(1, merge_fields={"REGION": "EMEA"})),
            create_missing_merge_fields=False,
        )
    assert emulator.calls.count(BATCH) == 0


def test_incomplete_address_is_dropped_and_the_member_still_lands(emulator, run_target) -> None:
    record = person(1, merge_fields={"FNAME": "Ada", "ADDRESS": {"addr1": "1 Main St"}})
    run = run_target(singer_lines(record))
    member = emulator.member("person1@harborsupply.com")
    assert member["merge_fields"]["FNAME"] == "Ada"
    assert run.outcomes() == {"person1@harborsupply.com": "created"}
    assert "incomplete ADDRESS" in run.reasons()["person1@harborsupply.com"]


def test_complete_address_lands(emulator, run_target) -> None:
    address = {
        "addr1": "400 Pier Ave",
        "city": "Seattle",
        "state": "WA",
        "zip": "98101",
        "country": "US",
    }
    run_target(singer_lines(person(1, merge_fields={"ADDRESS": address})))
    landed = emulator.member("person1@harborsupply.com")["merge_fields"]["ADDRESS"]
    assert landed["city"] == "Seattle"


def test_fake_email_fails_with_mailchimps_detail_and_the_rest_lands(emulator, run_target) -> None:
    run = run_target(singer_lines(person(1), person(2, email_address="fooboo@example.com")))
    assert run.outcomes()["fooboo@example.com"] == "failed"
    assert "looks fake or invalid" in run.reasons()["fooboo@example.com"]
    assert status_of(emulator, "person1@harborsupply.com") == "subscribed"


def test_a_warning_repeated_on_many_records_is_logged_a_few_times(run_target, caplog) -> None:
    records = [
        person(n, merge_fields={"ADDRESS": {"addr1": f"{n} Main St"}})
        for n in range(1, LOGGED_WARNINGS_PER_KIND + 6)
    ]
    with caplog.at_level(logging.WARNING, logger="target_mailchimp.members"):
        run = run_target(singer_lines(*records))
    logged = [r.getMessage() for r in caplog.records if r.name == "target_mailchimp.members"]
    assert sum(m.startswith("incomplete ADDRESS dropped for") for m in logged) == (
        LOGGED_WARNINGS_PER_KIND
    )
    assert sum("further 'incomplete ADDRESS dropped' warnings" in m for m in logged) == 1
    last = f"person{LOGGED_WARNINGS_PER_KIND + 5}@harborsupply.com"
    assert "incomplete ADDRESS" in run.reasons()[last]  # still in its audit event


def test_invalid_records_fail_alone(emulator, run_target) -> None:
    run = run_target(
        singer_lines({"email_address": "not-an-address"}, {"source_id": "X"}, person(1))
    )
    outcomes = run.outcomes()
    assert outcomes["not-an-address"] == "failed"
    assert outcomes["source:X"] == "failed"
    assert outcomes["person1@harborsupply.com"] == "created"


def test_unknown_stream_stops_the_run_with_a_clear_message(run_target) -> None:
    with pytest.raises(ValueError, match="does not accept stream 'vendors'"):
        run_target(singer_lines(person(1), stream="vendors"))


def test_unknown_audience_stops_the_run_with_a_clear_message(run_target) -> None:
    with pytest.raises(RuntimeError, match="no audience with list_id 'nope'"):
        run_target(singer_lines(person(1)), list_id="nope")


def test_oauth_access_token_finds_the_api_through_metadata(emulator, run_target) -> None:
    run = run_target(
        singer_lines(person(1)),
        api_key=None,
        base_url=None,
        access_token=emulator.oauth_token,
        oauth_metadata_url=f"{emulator.base_url}/oauth2/metadata",
    )
    assert run.outcomes() == {"person1@harborsupply.com": "created"}


def test_refused_address_change_carries_mailchimps_real_status(emulator, run_target) -> None:
    seed_members(emulator, {"email_address": "someone@harborsupply.com", "status": "subscribed"})
    run_target(singer_lines(person(1)))
    # The member turned pending in Mailchimp long ago, before the target's last look.
    seed_members(
        emulator,
        {
            "email_address": "person1@harborsupply.com",
            "status": "pending",
            "last_changed": "2000-01-01T00:00:00+00:00",
        },
    )
    run = run_target(singer_lines(person(1, email_address="new.address@harborsupply.com")))
    assert emulator.calls.count("PATCH /3.0/lists/{list_id}/members/{subscriber_hash}") == 1
    assert status_of(emulator, "new.address@harborsupply.com") == "pending"
    assert status_of(emulator, "person1@harborsupply.com") == "archived"
    assert run.outcomes() == {"new.address@harborsupply.com": "created"}


def test_batch_size_rows_sets_members_per_call(emulator, run_target) -> None:
    run_target(singer_lines(*(person(n) for n in range(1, 451))), batch_size_rows=200)
    assert emulator.calls.count(BATCH) == 3


def test_member_tags_find_members_by_erp_key_and_only_accumulate(emulator, run_target) -> None:
    from tests.conftest import streams_lines

    run_target(
        streams_lines(
            ("members", [person(1, tags=["vip"])]),
            (
                "member_tags",
                [
                    {"source_id": "C-1", "tags": ["cc:100", "cc:200"]},
                    {"source_id": "C-404", "tags": ["cc:100"]},
                ],
            ),
        )
    )
    assert tags_of(emulator, "person1@harborsupply.com") == {"vip", "cc:100", "cc:200"}
    # A later member write with other tags never removes the member_tags ones.
    run = run_target(
        streams_lines(
            ("members", [person(1, tags=[])]),
            ("member_tags", [{"source_id": "C-1", "tags": ["cc:100"]}]),
        )
    )
    assert tags_of(emulator, "person1@harborsupply.com") == {"cc:100", "cc:200"}
    assert {e["record_key"]: e["outcome"] for e in run.events if e["stream"] == "member_tags"} == {
        "C-1": "unchanged"
    }


def test_member_tags_for_an_unknown_erp_key_are_skipped(emulator, run_target) -> None:
    from tests.conftest import streams_lines

    run = run_target(streams_lines(("member_tags", [{"source_id": "C-404", "tags": ["x"]}])))
    assert run.outcomes() == {"C-404": "skipped"}


SEGMENT_WRITES = (
    "POST /3.0/lists/{list_id}/segments",
    "POST /3.0/lists/{list_id}/segments/{segment_id}",
)


def test_member_tags_cost_one_call_per_500_members_whatever_the_tags(emulator, run_target) -> None:
    from tests.conftest import streams_lines

    run_target(singer_lines(*(person(n) for n in range(1, 601))))
    emulator.calls.reset()
    tags = [
        {"source_id": f"C-{n}", "tags": [f"cc:{n % 3}", f"kind:{n % 2}"]} for n in range(1, 601)
    ]
    run = run_target(streams_lines(("member_tags", tags)))
    assert set(run.outcomes().values()) == {"updated"}
    # Five tags over 600 members: two batch-subscribe calls, no segment calls.
    assert write_calls(emulator) == [BATCH, BATCH]
    assert tags_of(emulator, "person6@harborsupply.com") == {"cc:0", "kind:0"}
    assert tags_of(emulator, "person599@harborsupply.com") == {"cc:2", "kind:1"}
    assert status_of(emulator, "person599@harborsupply.com") == "subscribed"


def test_member_tags_leave_every_status_as_it_is(emulator, run_target) -> None:
    from tests.conftest import streams_lines

    run_target(singer_lines(person(1), person(2)), status_if_new="pending")
    run_target(singer_lines(person(3)), status_if_new="transactional")
    emulator.calls.reset()
    tags = [{"source_id": f"C-{n}", "tags": ["cc:100"]} for n in (1, 2, 3)]
    run_target(streams_lines(("member_tags", tags)))
    assert [status_of(emulator, f"person{n}@harborsupply.com") for n in (1, 2, 3)] == [
        "pending",
        "pending",
        "transactional",
    ]
    assert all(tags_of(emulator, f"person{n}@harborsupply.com") == {"cc:100"} for n in (1, 2, 3))


def test_member_tags_rerun_without_changes_makes_no_write_calls(emulator, run_target) -> None:
    from tests.conftest import streams_lines

    lines = streams_lines(
        ("members", [person(1), person(2)]),
        (
            "member_tags",
            [{"source_id": "C-1", "tags": ["a", "b"]}, {"source_id": "C-2", "tags": ["a"]}],
        ),
    )
    run_target(lines)
    emulator.calls.reset()
    run = run_target(lines)
    assert write_calls(emulator) == []
    assert set(run.outcomes().values()) == {"unchanged"}


def test_member_tags_never_bring_back_a_member_archived_behind_the_targets_back(
    emulator, run_target
) -> None:
    from tests.conftest import streams_lines

    run_target(singer_lines(person(1), person(2)))
    run_target(singer_lines(person(3)))  # reads the audience: the snapshot has a mark
    # Archived in Mailchimp long ago as far as the change feed goes: the target's
    # snapshot still holds the member as subscribed.
    seed_members(
        emulator,
        {
            "email_address": "person1@harborsupply.com",
            "status": "archived",
            "last_changed": "2000-01-01T00:00:00+00:00",
        },
    )
    tags = [{"source_id": "C-1", "tags": ["cc:100"]}, {"source_id": "C-2", "tags": ["cc:100"]}]
    run = run_target(streams_lines(("member_tags", tags)))
    assert run.outcomes() == {"C-1": "failed", "C-2": "updated"}
    assert status_of(emulator, "person1@harborsupply.com") == "archived"
    # Not in the ledger: the next run tries again, and still brings nobody back.
    emulator.calls.reset()
    again = run_target(streams_lines(("member_tags", tags)))
    assert again.outcomes() == {"C-1": "failed", "C-2": "unchanged"}
    assert status_of(emulator, "person1@harborsupply.com") == "archived"
    assert not set(write_calls(emulator)) & set(SEGMENT_WRITES)


def test_a_record_with_an_unreadable_date_fails_alone(emulator, run_target) -> None:
    run = run_target(singer_lines(person(1, updated_at="31/12/2026"), person(2)))
    assert run.outcomes() == {
        "person1@harborsupply.com": "failed",
        "person2@harborsupply.com": "created",
    }
    assert "ISO 8601" in run.reasons()["person1@harborsupply.com"]
