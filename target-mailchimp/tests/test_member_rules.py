"""The member rules, decided without any I/O."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from target_mailchimp.members import (
    InvalidMemberError,
    MemberSettings,
    RunWrites,
    batch_member,
    least_permissive,
    parse_member,
    plan_member,
    subscriber_hash,
    supersedes,
)

SETTINGS = MemberSettings(list_id="l1")


def member(**fields: object) -> dict[str, object]:
    return {"email_address": "Ada@Lovelace.org", "source_id": "C-1", **fields}


def plan(current: str | None, settings: MemberSettings = SETTINGS, **fields: object):
    return plan_member(parse_member(member(**fields)), current=current, settings=settings)


def test_subscriber_hash_is_md5_of_lowercase_address() -> None:
    assert subscriber_hash("Ada@Lovelace.org") == subscriber_hash("ada@lovelace.org")
    assert subscriber_hash("A@B.co") == hashlib.md5(b"a@b.co").hexdigest()  # noqa: S324


@pytest.mark.parametrize("status", ["unsubscribed", "cleaned", "forgotten"])
def test_member_who_left_is_never_resubscribed(status: str) -> None:
    decided = plan(status, status="subscribed")
    assert decided.action == "skip"
    assert status in (decided.reason or "")


def test_new_address_gets_status_if_new() -> None:
    decided = plan(None, MemberSettings(list_id="l1", status_if_new="pending"))
    assert (decided.action, decided.is_new, decided.status) == ("subscribe", True, "pending")


def test_new_address_takes_the_records_own_status() -> None:
    assert plan(None, status="transactional").status == "transactional"


def test_archived_address_counts_as_not_held() -> None:
    decided = plan("archived")
    assert decided.is_new and decided.status == "subscribed"


def test_record_status_never_makes_a_known_member_more_subscribed() -> None:
    assert plan("transactional", status="subscribed").status == "transactional"
    assert plan("pending", status="subscribed").status == "pending"


def test_record_status_may_unsubscribe_a_known_member() -> None:
    assert plan("subscribed", status="unsubscribed").status == "unsubscribed"


def test_inactive_record_for_unknown_address_creates_nothing() -> None:
    decided = plan(None, active=False)
    assert decided.action == "skip"
    assert "does not hold" in (decided.reason or "")


@pytest.mark.parametrize(
    ("action", "expected_action", "expected_status"),
    [
        ("unsubscribe", "subscribe", "unsubscribed"),
        ("archive", "archive", None),
        ("tag", "subscribe", "subscribed"),
        ("none", "skip", None),
    ],
)
def test_inactive_action_decides_what_happens_to_a_known_member(
    action: str, expected_action: str, expected_status: str | None
) -> None:
    settings = MemberSettings(list_id="l1", inactive_action=action, inactive_tag="gone")
    decided = plan("subscribed", settings, active=False, tags=["vip"])
    assert decided.action == expected_action
    if expected_status:
        assert decided.status == expected_status
    if action == "tag":
        assert decided.desired_tags == {"vip", "gone"}


def test_email_change_of_subscribed_member_renames_in_place() -> None:
    record = parse_member(member(email_address="new@lovelace.org"))
    decided = plan_member(
        record,
        current=None,
        settings=SETTINGS,
        old_email="ada@lovelace.org",
        old_status="subscribed",
    )
    assert decided.rename_from == "ada@lovelace.org"
    assert not decided.is_new
    assert decided.status == "subscribed"


@pytest.mark.parametrize(
    ("old_status", "new_status"),
    [("transactional", "transactional"), ("pending", "pending"), ("cleaned", "unsubscribed")],
)
def test_email_change_of_non_subscribed_member_never_gets_more_permissive(
    old_status: str, new_status: str
) -> None:
    record = parse_member(member(email_address="new@lovelace.org", status="subscribed"))
    decided = plan_member(
        record,
        current=None,
        settings=SETTINGS,
        old_email="ada@lovelace.org",
        old_status=old_status,
    )
    assert decided.rename_from is None
    assert decided.archive_old == "ada@lovelace.org"
    assert decided.is_new
    assert decided.status == new_status


def test_incomplete_address_is_dropped_with_a_warning_and_the_member_kept() -> None:
    record = parse_member(
        member(merge_fields={"FNAME": "Ada", "ADDRESS": {"addr1": "1 Main St", "city": "X"}})
    )
    assert record.merge_fields == {"FNAME": "Ada"}
    assert any("incomplete ADDRESS" in warning for warning in record.warnings)


def test_complete_address_is_kept_with_string_parts() -> None:
    address = {"addr1": "1 Main St", "city": "Leeds", "state": "WY", "zip": 12345, "addr2": None}
    record = parse_member(member(merge_fields={"address": address}))
    assert record.merge_fields["ADDRESS"] == {
        "addr1": "1 Main St",
        "city": "Leeds",
        "state": "WY",
        "zip": "12345",
    }


def test_merge_values_become_strings_and_nulls_are_not_sent() -> None:
    record = parse_member(member(merge_fields={"vip": True, "score": 7, "PHONE": None}))
    assert record.merge_fields == {"VIP": "true", "SCORE": "7"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"email_address": None}, "missing"),
        ({"email_address": "not-an-address"}, "not a valid"),
        ({"status": "cleaned"}, "status"),
        ({"merge_fields": "FNAME=Ada"}, "merge_fields"),
    ],
)
def test_unusable_records_are_refused_with_a_reason(fields: dict, reason: str) -> None:
    with pytest.raises(InvalidMemberError, match=reason):
        parse_member(member(**fields))


def test_latest_updated_at_wins_and_ties_go_to_the_later_record() -> None:
    early = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    late = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert supersedes(late, early)
    assert not supersedes(early, late)
    assert supersedes(early, early)
    assert supersedes(None, late)


def test_least_permissive_status() -> None:
    assert least_permissive("subscribed", "pending") == "pending"
    assert least_permissive("transactional", "subscribed") == "transactional"


def test_content_hash_ignores_updated_at_but_not_content_or_settings() -> None:
    first = parse_member(member(updated_at="2026-01-01T00:00:00Z"))
    second = parse_member(member(updated_at="2026-02-01T00:00:00Z"))
    third = parse_member(member(tags=["vip"]))
    assert first.content_hash(SETTINGS) == second.content_hash(SETTINGS)
    assert first.content_hash(SETTINGS) != third.content_hash(SETTINGS)
    other = MemberSettings(list_id="l1", status_if_new="pending")
    assert first.content_hash(SETTINGS) != first.content_hash(other)


def test_tags_go_in_the_batch_body_for_new_and_known_members() -> None:
    new = plan(None, tags=["vip", "b2b"])
    known = plan("subscribed", tags=["vip"])
    assert batch_member(new)["tags"] == ["b2b", "vip"]
    assert batch_member(known)["tags"] == ["vip"]  # adds only: no sync_tags
    assert "tags" not in batch_member(plan("subscribed"))


def test_a_run_remembers_what_it_wrote_and_refuses_only_older_versions() -> None:
    writes = RunWrites()
    noon = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)
    assert not writes.older_than_written("ann@example.com", noon)  # not written yet
    writes.remember("ann@example.com", noon)
    assert writes.older_than_written("ann@example.com", noon - dt.timedelta(microseconds=1))
    assert not writes.older_than_written("ann@example.com", noon)  # a tie: the later arrival
    assert not writes.older_than_written("ann@example.com", None)  # no time: the later arrival
    assert not writes.older_than_written("bob@example.com", noon - dt.timedelta(days=1))
    writes.remember("bob@example.com", None)
    assert not writes.older_than_written("bob@example.com", noon)
