"""What Mailchimp's list webhooks tell the target between runs."""

from __future__ import annotations

import hashlib

import pytest
import requests

from target_mailchimp.audience_events import (
    AudienceEvent,
    address_redirects,
    record_audience_event,
)
from target_mailchimp.audit import AuditStore, LedgerEntry
from tests.conftest import singer_lines
from tests.test_members_sandbox import person, status_of

LIST = "list1"


@pytest.fixture
def store(tmp_path) -> AuditStore:
    return AuditStore(f"sqlite:///{tmp_path / 'audit.db'}")


def event(kind: str, email: str, fired_at: str, **fields) -> AudienceEvent:
    return AudienceEvent(type=kind, list_id=LIST, email=email, fired_at=fired_at, **fields)


def test_an_unsubscribe_sets_the_status_the_next_run_reads(store) -> None:
    store.save_statuses(LIST, {"ann@example.com": "subscribed"})
    assert record_audience_event(
        store, event("unsubscribe", "Ann@Example.com", "2026-11-25 10:00:00")
    )
    assert store.statuses(LIST, ["ann@example.com"]) == {"ann@example.com": "unsubscribed"}


def test_an_event_older_than_one_applied_is_kept_but_not_applied(store) -> None:
    record_audience_event(store, event("unsubscribe", "ann@example.com", "2026-11-25 10:00:00"))
    late = event("subscribe", "ann@example.com", "2026-11-25 09:59:59")
    assert record_audience_event(store, late) is False
    assert store.statuses(LIST, ["ann@example.com"]) == {"ann@example.com": "unsubscribed"}


def test_an_address_change_moves_status_ledger_and_erp_keys(store) -> None:
    store.save_statuses(LIST, {"old@example.com": "subscribed"})
    store.save_ledger(LIST, {"old@example.com": LedgerEntry("hash", ["vip"])})
    store.save_source_emails(LIST, {"C-1": "old@example.com"})
    store.save_source_tags(LIST, {"C-2": ("old@example.com", ["contact"])})
    store.queue_tag_updates(LIST, {"old@example.com": {"customer"}})
    change = event("upemail", "old@example.com", "2026-11-25 10:00:00", new_email="New@example.com")
    assert record_audience_event(store, change)
    assert store.statuses(LIST, ["old@example.com", "new@example.com"]) == {
        "new@example.com": "subscribed"
    }
    assert store.ledger(LIST, ["new@example.com"])["new@example.com"].applied_tags == ["vip"]
    assert store.emails_for_sources(LIST, ["C-1"]) == {"C-1": "new@example.com"}
    assert store.source_tags_at(LIST, ["new@example.com"]) == {
        "new@example.com": {"C-2": ["contact"]}
    }
    assert store.pending_tag_updates(LIST) == {"new@example.com": {"customer"}}


def test_redirects_follow_changes_in_order_and_a_change_back_cancels(store) -> None:
    record_audience_event(
        store, event("upemail", "a@example.com", "2026-11-25 10:00:00", new_email="b@example.com")
    )
    record_audience_event(
        store, event("upemail", "b@example.com", "2026-11-25 11:00:00", new_email="c@example.com")
    )
    assert address_redirects(store, LIST, ["A@example.com", "x@example.com"]) == {
        "a@example.com": "c@example.com"
    }
    record_audience_event(
        store, event("upemail", "c@example.com", "2026-11-25 12:00:00", new_email="a@example.com")
    )
    assert address_redirects(store, LIST, ["a@example.com"]) == {}


def test_unknown_event_types_and_bad_times_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        event("campaign", "a@example.com", "2026-11-25 10:00:00")
    with pytest.raises(ValueError):
        event("unsubscribe", "a@example.com", "yesterday")
    with pytest.raises(ValueError, match="new address"):
        event("upemail", "a@example.com", "2026-11-25 10:00:00")


def test_an_erp_record_with_the_old_address_updates_the_member_at_the_new_one(
    emulator, run_target, config
) -> None:
    run_target(singer_lines(person(1)))
    old, new = "person1@harborsupply.com", "chosen.by.person@harborsupply.com"
    # The person changes their address in Mailchimp; the webhook reports it.
    subscriber_hash = hashlib.md5(old.encode()).hexdigest()  # noqa: S324 - Mailchimp's key
    response = requests.patch(
        f"{emulator.api_root}/lists/{emulator.default_list_id}/members/{subscriber_hash}",
        json={"email_address": new},
        auth=emulator.auth,
        timeout=10,
    )
    response.raise_for_status()
    store = AuditStore(config["audit_database_url"])
    change = AudienceEvent(
        "upemail", emulator.default_list_id, old, "2026-11-25 10:00:00", new_email=new
    )
    record_audience_event(store, change)

    run = run_target(singer_lines(person(1, merge_fields={"FNAME": "Renamed"})))

    assert emulator.member(old) is None  # not recreated behind the person's back
    assert emulator.member(new)["merge_fields"]["FNAME"] == "Renamed"
    assert status_of(emulator, new) == "subscribed"
    assert run.outcomes() == {new: "updated"}


def test_absurdly_long_keys_are_still_audited(store) -> None:
    from target_mailchimp.audit import AuditEvent

    key = "x" * 400 + "@example.com"
    store.record(
        "run-1", [AuditEvent("members", key, "failed", "invalid", "s" * 300)], dry_run=False
    )
    [event] = store.events("run-1")
    assert (len(event["record_key"]), len(event["source_id"])) == (320, 255)
