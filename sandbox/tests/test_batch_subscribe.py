"""Batch subscribe, POST /lists/{list_id}: always 200, per-member errors."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import LIST, problem, put_member, seed_members

from erp_sandbox.mailchimp import MailchimpEmulator

BATCH = f"/lists/{LIST}"


def _members(*emails: str, **extra: object) -> list[dict[str, object]]:
    return [{"email_address": e, "status": "subscribed", **extra} for e in emails]


def test_batch_creates_members_and_reports_totals(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(BATCH, json={"members": _members("a@acme.io", "b@acme.io")})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "new_members",
        "updated_members",
        "errors",
        "total_created",
        "total_updated",
        "error_count",
        "_links",
    }
    assert body["total_created"] == 2
    assert body["total_updated"] == 0
    assert body["error_count"] == 0
    assert [m["email_address"] for m in body["new_members"]] == ["a@acme.io", "b@acme.io"]


def test_existing_member_without_update_existing_is_contact_exists_error(
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "a@acme.io")
    body = mailchimp_api.post(BATCH, json={"members": _members("a@acme.io")}).json()
    assert body["error_count"] == 1
    error = body["errors"][0]
    assert error["error_code"] == "ERROR_CONTACT_EXISTS"
    assert error["error"] == (
        "a@acme.io is already a list member, do you want to update? "
        "please provide update_existing:true in the request body"
    )


def test_update_existing_updates_members(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "a@acme.io", merge_fields={"FNAME": "A"})
    body = mailchimp_api.post(
        BATCH,
        json={
            "members": [
                {
                    "email_address": "a@acme.io",
                    "status": "subscribed",
                    "merge_fields": {"LNAME": "Z"},
                }
            ],
            "update_existing": True,
        },
    ).json()
    assert body["total_updated"] == 1
    assert body["updated_members"][0]["merge_fields"]["FNAME"] == "A"
    assert body["updated_members"][0]["merge_fields"]["LNAME"] == "Z"


def test_more_than_500_members_is_a_400(mailchimp_api: requests.Session) -> None:
    emails = [f"p{i}@acme.io" for i in range(501)]
    response = mailchimp_api.post(BATCH, json={"members": _members(*emails)})
    assert response.status_code == 400
    assert problem(response)["title"] == "Invalid Resource"


def test_exactly_500_members_are_accepted(mailchimp_api: requests.Session) -> None:
    emails = [f"p{i}@acme.io" for i in range(500)]
    body = mailchimp_api.post(BATCH, json={"members": _members(*emails)}).json()
    assert body["total_created"] == 500


def test_fake_forgotten_and_invalid_addresses_are_per_member_errors(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.seed({"lists": [{"id": LIST, "forgotten": ["gone@acme.io"]}]})
    body = mailchimp_api.post(
        BATCH,
        json={"members": _members("ok@acme.io", "fake@example.com", "gone@acme.io", "broken")},
    ).json()
    assert body["total_created"] == 1
    errors = {e["email_address"]: e["error"] for e in body["errors"]}
    assert errors["fake@example.com"].endswith(
        "looks fake or invalid, please enter a real email address."
    )
    assert errors["gone@acme.io"].startswith("gone@acme.io was permanently deleted")
    assert errors["broken"] == "Please provide a valid email address."
    assert all(e["error_code"] == "ERROR_GENERIC" for e in body["errors"])


def test_merge_field_errors_name_the_field(mailchimp_api: requests.Session) -> None:
    body = mailchimp_api.post(
        BATCH,
        json={
            "members": [
                {
                    "email_address": "a@acme.io",
                    "status": "subscribed",
                    "merge_fields": {"ADDRESS": {"addr1": "1 Main St", "city": "Atlanta"}},
                }
            ]
        },
    ).json()
    assert body["error_count"] == 1
    error = body["errors"][0]
    assert error["error"] == "Your merge fields were invalid."
    assert error["field"] == "ADDRESS"
    assert error["field_message"] == "Please enter a complete address"


def test_members_carry_tags(mailchimp_api: requests.Session) -> None:
    body = mailchimp_api.post(BATCH, json={"members": _members("a@acme.io", tags=["Gold"])})
    member = body.json()["new_members"][0]
    assert [t["name"] for t in member["tags"]] == ["Gold"]


def test_sync_tags_replaces_tags_of_updated_members(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "a@acme.io", "tags": ["Old", "Keep"]})
    body = mailchimp_api.post(
        BATCH,
        json={
            "members": _members("a@acme.io", tags=["Keep", "New"]),
            "update_existing": True,
            "sync_tags": True,
        },
    ).json()
    assert {t["name"] for t in body["updated_members"][0]["tags"]} == {"Keep", "New"}


def test_without_sync_tags_tags_are_only_added(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "a@acme.io", "tags": ["Old"]})
    body = mailchimp_api.post(
        BATCH,
        json={
            "members": _members("a@acme.io", tags=["New"]),
            "update_existing": True,
        },
    ).json()
    assert {t["name"] for t in body["updated_members"][0]["tags"]} == {"Old", "New"}


def test_sync_tags_without_update_existing_changes_nothing(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "a@acme.io", "tags": ["Old"]})
    body = mailchimp_api.post(
        BATCH, json={"members": _members("a@acme.io", tags=["New"]), "sync_tags": True}
    ).json()
    assert body["errors"][0]["error_code"] == "ERROR_CONTACT_EXISTS"
    assert [t["name"] for t in mailchimp_emulator.member("a@acme.io")["tags"]] == ["Old"]


def test_duplicates_in_one_batch_are_errors_unless_skipped(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    payload = {
        "members": [
            {"email_address": "a@acme.io", "status": "subscribed"},
            {"email_address": "A@acme.io", "status": "unsubscribed"},
        ]
    }
    body = mailchimp_api.post(BATCH, json=payload).json()
    assert body["total_created"] == 1
    assert body["error_count"] == 1
    mailchimp_emulator.reset()
    skipped = mailchimp_api.post(
        BATCH, params={"skip_duplicate_check": "true"}, json=payload
    ).json()
    assert skipped["total_created"] == 1
    assert skipped["error_count"] == 0
    assert mailchimp_emulator.member("a@acme.io")["status"] == "subscribed"


def test_archived_members_are_re_added_as_new(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "a@acme.io", "status": "archived"})
    body = mailchimp_api.post(BATCH, json={"members": _members("a@acme.io")}).json()
    assert body["total_created"] == 1
    assert mailchimp_emulator.member("a@acme.io")["status"] == "subscribed"


def test_batch_to_unknown_list_is_404(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post("/lists/nolist", json={"members": _members("a@acme.io")})
    assert response.status_code == 404


@pytest.mark.sends_invalid_requests
def test_members_must_be_an_array(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(BATCH, json={"members": {"email_address": "a@acme.io"}})
    assert response.status_code == 400
    body = problem(response)
    assert body["errors"] == [
        {"field": "members", "message": "Schema describes array, object found instead"}
    ]
