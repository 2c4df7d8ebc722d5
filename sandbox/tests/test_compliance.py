"""Compliance states: unsubscribed and cleaned members are never silently resubscribed."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, problem, put_member, seed_members

from erp_sandbox.mailchimp import MailchimpEmulator

COMPLIANCE_DETAIL = (
    "jane@acme.io is in a compliance state due to unsubscribe, bounce, or "
    "compliance review and cannot be subscribed."
)


def _seed(emulator: MailchimpEmulator, status: str) -> None:
    seed_members(emulator, {"email_address": "jane@acme.io", "status": status})


@pytest.mark.parametrize("status", ["unsubscribed", "cleaned"])
def test_unsubscribed_or_cleaned_member_cannot_be_resubscribed_by_put(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
    status: str,
) -> None:
    _seed(mailchimp_emulator, status)
    response = put_member(mailchimp_api, "jane@acme.io", status="subscribed")
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Member In Compliance State"
    assert body["detail"] == COMPLIANCE_DETAIL
    assert mailchimp_emulator.member("jane@acme.io")["status"] == status


def test_unsubscribed_member_cannot_be_resubscribed_by_patch(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed(mailchimp_emulator, "unsubscribed")
    response = mailchimp_api.patch(f"{MEMBERS}/jane@acme.io", json={"status": "subscribed"})
    assert response.status_code == 400
    assert problem(response)["title"] == "Member In Compliance State"


def test_status_if_new_subscribed_leaves_an_unsubscribed_member_alone(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed(mailchimp_emulator, "unsubscribed")
    response = put_member(
        mailchimp_api, "jane@acme.io", status_if_new="subscribed", merge_fields={"FNAME": "Jane"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "unsubscribed"
    assert response.json()["merge_fields"]["FNAME"] == "Jane"


def test_pending_is_allowed_and_sends_an_opt_in_email(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed(mailchimp_emulator, "unsubscribed")
    assert mailchimp_emulator.opt_in_emails == []
    response = put_member(mailchimp_api, "jane@acme.io", status="pending")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    assert [e["email_address"] for e in mailchimp_emulator.opt_in_emails] == ["jane@acme.io"]


def test_subscribing_a_new_member_sends_no_opt_in_email(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    assert mailchimp_emulator.opt_in_emails == []


def test_batch_subscribe_reports_compliance_error_in_errors_array(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed(mailchimp_emulator, "cleaned")
    response = mailchimp_api.post(
        f"/lists/{LIST}",
        json={
            "members": [
                {"email_address": "jane@acme.io", "status": "subscribed"},
                {"email_address": "joe@acme.io", "status": "subscribed"},
            ],
            "update_existing": True,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total_created"] == 1
    assert body["error_count"] == 1
    assert body["errors"][0]["email_address"] == "jane@acme.io"
    assert body["errors"][0]["error"] == COMPLIANCE_DETAIL
    assert body["errors"][0]["error_code"] == "ERROR_GENERIC"
    assert mailchimp_emulator.member("jane@acme.io")["status"] == "cleaned"


def test_batch_can_update_an_unsubscribed_member_without_resubscribing(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    _seed(mailchimp_emulator, "unsubscribed")
    response = mailchimp_api.post(
        f"/lists/{LIST}",
        json={
            "members": [{"email_address": "jane@acme.io", "merge_fields": {"FNAME": "Jane"}}],
            "update_existing": True,
        },
    )
    body = response.json()
    assert body["total_updated"] == 1
    assert body["updated_members"][0]["status"] == "unsubscribed"
