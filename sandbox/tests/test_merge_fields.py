"""Merge fields: defaults, creation rules, and how member writes are validated."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, problem, put_member

from erp_sandbox.mailchimp import MailchimpEmulator

FIELDS = f"/lists/{LIST}/merge-fields"
FULL_ADDRESS = {"addr1": "1 Main St", "city": "Atlanta", "state": "GA", "zip": "30308"}


def test_new_list_has_fname_lname_address_phone(mailchimp_api: requests.Session) -> None:
    body = mailchimp_api.get(FIELDS).json()
    assert [(f["tag"], f["type"]) for f in body["merge_fields"]] == [
        ("FNAME", "text"),
        ("LNAME", "text"),
        ("ADDRESS", "address"),
        ("PHONE", "phone"),
    ]
    assert body["total_items"] == 4


def test_create_uppercases_the_tag(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(
        FIELDS, json={"name": "Company", "type": "text", "tag": "company"}
    )
    assert response.status_code == 200
    created = response.json()
    assert created["tag"] == "COMPANY"
    assert mailchimp_api.get(f"{FIELDS}/{created['merge_id']}").json()["name"] == "Company"


def test_create_without_tag_gets_an_mmerge_tag(mailchimp_api: requests.Session) -> None:
    created = mailchimp_api.post(FIELDS, json={"name": "Company", "type": "text"}).json()
    assert created["tag"] == "MMERGE5"


def test_duplicate_tag_is_refused_with_mailchimps_words(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(FIELDS, json={"name": "First", "type": "text", "tag": "fname"})
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Invalid Resource"
    assert body["detail"] == 'A Merge Field with the tag "FNAME" already exists for this list.'


def test_tag_longer_than_ten_characters_is_refused(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(FIELDS, json={"name": "X", "type": "text", "tag": "ELEVENCHARS"})
    assert response.status_code == 400


@pytest.mark.sends_invalid_requests
def test_create_requires_name_and_type(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(FIELDS, json={"tag": "X"})
    assert response.status_code == 400
    messages = {e["message"] for e in problem(response)["errors"]}
    assert "Required fields were not provided: name" in messages
    assert "Required fields were not provided: type" in messages


def test_patch_and_delete_a_merge_field(mailchimp_api: requests.Session) -> None:
    created = mailchimp_api.post(
        FIELDS, json={"name": "Company", "type": "text", "tag": "COMPANY"}
    ).json()
    url = f"{FIELDS}/{created['merge_id']}"
    put_member(mailchimp_api, "a@acme.io", merge_fields={"COMPANY": "Acme"})
    assert mailchimp_api.patch(url, json={"name": "Employer"}).json()["name"] == "Employer"
    assert mailchimp_api.delete(url).status_code == 204
    assert mailchimp_api.get(url).status_code == 404
    assert "COMPANY" not in mailchimp_api.get(f"{MEMBERS}/a@acme.io").json()["merge_fields"]


def test_new_field_is_echoed_empty_on_existing_members(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "a@acme.io")
    mailchimp_api.post(FIELDS, json={"name": "Company", "type": "text", "tag": "COMPANY"})
    assert mailchimp_api.get(f"{MEMBERS}/a@acme.io").json()["merge_fields"]["COMPANY"] == ""


def test_unknown_merge_tag_is_refused_by_default(mailchimp_api: requests.Session) -> None:
    response = put_member(mailchimp_api, "a@acme.io", merge_fields={"NOPE": "x"})
    assert response.status_code == 400
    body = problem(response)
    assert body["detail"] == "Your merge fields were invalid."
    assert body["errors"][0]["field"] == "NOPE"


def test_unknown_merge_tag_can_be_ignored_by_setting(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.configure(unknown_merge_fields="ignore")
    response = put_member(mailchimp_api, "a@acme.io", merge_fields={"NOPE": "x"})
    assert response.status_code == 200
    assert "NOPE" not in response.json()["merge_fields"]


def test_incomplete_address_is_refused(mailchimp_api: requests.Session) -> None:
    response = put_member(
        mailchimp_api,
        "a@acme.io",
        merge_fields={"ADDRESS": {"addr1": "1 Main St", "city": "Atlanta"}},
    )
    assert response.status_code == 400
    body = problem(response)
    assert body["detail"] == "Your merge fields were invalid."
    assert body["errors"] == [{"field": "ADDRESS", "message": "Please enter a complete address"}]


def test_complete_address_is_stored_with_every_part(mailchimp_api: requests.Session) -> None:
    body = put_member(mailchimp_api, "a@acme.io", merge_fields={"ADDRESS": FULL_ADDRESS}).json()
    assert body["merge_fields"]["ADDRESS"] == {**FULL_ADDRESS, "addr2": "", "country": "US"}


def test_required_merge_field_is_enforced_on_create(mailchimp_api: requests.Session) -> None:
    mailchimp_api.post(
        FIELDS, json={"name": "Company", "type": "text", "tag": "COMPANY", "required": True}
    )
    response = put_member(mailchimp_api, "a@acme.io")
    assert response.status_code == 400
    assert problem(response)["errors"] == [{"field": "COMPANY", "message": "Please enter a value"}]


def test_skip_merge_validation_allows_missing_required_fields(
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_api.post(
        FIELDS, json={"name": "Company", "type": "text", "tag": "COMPANY", "required": True}
    )
    response = mailchimp_api.put(
        f"{MEMBERS}/a@acme.io",
        params={"skip_merge_validation": "true"},
        json={"email_address": "a@acme.io", "status_if_new": "subscribed"},
    )
    assert response.status_code == 200


def test_batch_reports_missing_required_field_unless_skipped(
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_api.post(
        FIELDS, json={"name": "Company", "type": "text", "tag": "COMPANY", "required": True}
    )
    payload = {"members": [{"email_address": "a@acme.io", "status": "subscribed"}]}
    body = mailchimp_api.post(f"/lists/{LIST}", json=payload).json()
    assert body["errors"][0]["field"] == "COMPANY"
    skipped = mailchimp_api.post(
        f"/lists/{LIST}", params={"skip_merge_validation": "true"}, json=payload
    ).json()
    assert skipped["total_created"] == 1


@pytest.mark.sends_invalid_requests
def test_boolean_merge_value_fails_the_schema(mailchimp_api: requests.Session) -> None:
    response = put_member(mailchimp_api, "a@acme.io", merge_fields={"FNAME": True})
    assert response.status_code == 400
    body = problem(response)
    assert body["errors"] == [
        {
            "field": "merge_fields.FNAME",
            "message": "Data did not match any of the schemas described in anyOf.",
        }
    ]


def test_number_field_accepts_numbers_and_refuses_words(mailchimp_api: requests.Session) -> None:
    mailchimp_api.post(FIELDS, json={"name": "Age", "type": "number", "tag": "AGE"})
    assert (
        put_member(mailchimp_api, "a@acme.io", merge_fields={"AGE": 42}).json()["merge_fields"][
            "AGE"
        ]
        == 42
    )
    assert put_member(mailchimp_api, "b@acme.io", merge_fields={"AGE": "old"}).status_code == 400
