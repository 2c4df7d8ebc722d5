"""GET …/members: paging, field selection, status and time filters."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, seed_members

from erp_sandbox.mailchimp import MailchimpEmulator


def _seed_members(emulator: MailchimpEmulator, count: int, status: str = "subscribed") -> None:
    seed_members(
        emulator,
        *({"email_address": f"person{i:04d}@acme.io", "status": status} for i in range(count)),
    )


def test_count_defaults_to_ten_and_total_items_counts_all(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed_members(mailchimp_emulator, 25)
    body = mailchimp_api.get(MEMBERS).json()
    assert len(body["members"]) == 10
    assert body["total_items"] == 25
    assert body["list_id"] == LIST


def test_offset_pages_without_gaps_or_repeats(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed_members(mailchimp_emulator, 25)
    seen: list[str] = []
    for offset in range(0, 25, 7):
        page = mailchimp_api.get(MEMBERS, params={"count": 7, "offset": offset}).json()
        seen += [m["email_address"] for m in page["members"]]
    assert len(seen) == 25
    assert len(set(seen)) == 25


@pytest.mark.sends_invalid_requests
def test_count_above_1000_is_clamped_and_flagged_as_a_contract_violation(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed_members(mailchimp_emulator, 1005)
    body = mailchimp_api.get(
        MEMBERS, params={"count": 5000, "fields": "total_items,members.id"}
    ).json()
    assert len(body["members"]) == 1000
    assert body["total_items"] == 1005
    violations = mailchimp_emulator.contract_violations
    assert [(v.part, v.location) for v in violations] == [("query", "count")]


def test_fields_keeps_only_the_named_dotted_paths(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed_members(mailchimp_emulator, 2)
    body = mailchimp_api.get(
        MEMBERS, params={"fields": "members.email_address,members.status,total_items"}
    ).json()
    assert body == {
        "members": [
            {"email_address": "person0000@acme.io", "status": "subscribed"},
            {"email_address": "person0001@acme.io", "status": "subscribed"},
        ],
        "total_items": 2,
    }


def test_exclude_fields_drops_the_named_paths(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed_members(mailchimp_emulator, 1)
    body = mailchimp_api.get(MEMBERS, params={"exclude_fields": "members._links,_links"}).json()
    assert "_links" not in body
    assert "_links" not in body["members"][0]
    assert "email_address" in body["members"][0]


def test_status_filter(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    seed_members(
        mailchimp_emulator,
        {"email_address": "a@acme.io", "status": "subscribed"},
        {"email_address": "b@acme.io", "status": "unsubscribed"},
        {"email_address": "c@acme.io", "status": "archived"},
    )
    for status, expected in (("unsubscribed", ["b@acme.io"]), ("archived", ["c@acme.io"])):
        body = mailchimp_api.get(MEMBERS, params={"status": status}).json()
        assert [m["email_address"] for m in body["members"]] == expected
    everyone = mailchimp_api.get(MEMBERS).json()
    assert everyone["total_items"] == 3


def test_since_and_before_last_changed_bound_the_window(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(
        mailchimp_emulator,
        {
            "email_address": "early@acme.io",
            "last_changed": "2026-01-01T00:00:00+00:00",
        },
        {
            "email_address": "middle@acme.io",
            "last_changed": "2026-02-01T00:00:00+00:00",
        },
        {
            "email_address": "late@acme.io",
            "last_changed": "2026-03-01T00:00:00+00:00",
        },
    )
    body = mailchimp_api.get(
        MEMBERS,
        params={
            "since_last_changed": "2026-02-01T00:00:00+00:00",
            "before_last_changed": "2026-03-01T00:00:00Z",
        },
    ).json()
    assert [m["email_address"] for m in body["members"]] == ["middle@acme.io"]


def test_sort_by_last_changed_descending(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(
        mailchimp_emulator,
        {"email_address": "b@acme.io", "last_changed": "2026-02-01T00:00:00+00:00"},
        {"email_address": "a@acme.io", "last_changed": "2026-01-01T00:00:00+00:00"},
        {"email_address": "c@acme.io", "last_changed": "2026-03-01T00:00:00+00:00"},
    )
    body = mailchimp_api.get(
        MEMBERS, params={"sort_field": "last_changed", "sort_dir": "DESC"}
    ).json()
    assert [m["email_address"] for m in body["members"]] == ["c@acme.io", "b@acme.io", "a@acme.io"]


def test_member_listing_shows_tags_from_segments(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "a@acme.io", "tags": ["Gold", "Newsletter"]})
    member = mailchimp_api.get(MEMBERS).json()["members"][0]
    assert member["tags_count"] == 2
    assert {t["name"] for t in member["tags"]} == {"Gold", "Newsletter"}
