"""Address rules: syntax, fake-looking addresses, and changing a member's address."""

from __future__ import annotations

import requests
from sandbox_helpers import MEMBERS, problem, put_member, seed_members

from erp_sandbox.mailchimp import MailchimpEmulator, subscriber_hash


def test_fake_looking_email_is_rejected_as_invalid_resource(
    mailchimp_api: requests.Session,
) -> None:
    response = put_member(mailchimp_api, "fooboo@example.com")
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Invalid Resource"
    assert body["detail"] == (
        "fooboo@example.com looks fake or invalid, please enter a real email address."
    )


def test_reserved_test_domains_look_fake(mailchimp_api: requests.Session) -> None:
    for email in ("test@test.com", "a@mail.example.org", "x@shop.test", "y@host.invalid"):
        response = put_member(mailchimp_api, email)
        assert response.status_code == 400, email
        assert "looks fake or invalid" in problem(response)["detail"]


def test_syntactically_invalid_email_is_rejected(mailchimp_api: requests.Session) -> None:
    for email in ("not-an-email", "two@@acme.io", "trailing@acme."):
        response = mailchimp_api.post(
            MEMBERS, json={"email_address": email, "status": "subscribed"}
        )
        assert response.status_code == 400, email
        assert problem(response)["detail"] == "Please provide a valid email address."


def test_fake_email_rule_is_configurable(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.configure(fake_emails={"domains": ["acme.io"], "local_parts": ["noreply"]})
    assert put_member(mailchimp_api, "jane@acme.io").status_code == 400
    assert put_member(mailchimp_api, "noreply@globex.com").status_code == 400
    assert put_member(mailchimp_api, "jane@example.com").status_code == 200


def test_email_change_rekeys_a_subscribed_member(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "old@acme.io", merge_fields={"FNAME": "Jane"}).json()
    mailchimp_api.post(
        f"{MEMBERS}/old@acme.io/tags", json={"tags": [{"name": "VIP", "status": "active"}]}
    )
    response = mailchimp_api.patch(f"{MEMBERS}/old@acme.io", json={"email_address": "new@acme.io"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == subscriber_hash("new@acme.io")
    assert body["merge_fields"]["FNAME"] == "Jane"
    assert [t["name"] for t in body["tags"]] == ["VIP"]
    assert mailchimp_api.get(f"{MEMBERS}/old@acme.io").status_code == 404
    assert mailchimp_api.get(f"{MEMBERS}/new@acme.io").status_code == 200


def test_email_change_is_refused_unless_subscribed(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "old@acme.io", "status": "cleaned"})
    response = mailchimp_api.patch(f"{MEMBERS}/old@acme.io", json={"email_address": "new@acme.io"})
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Invalid Resource"
    assert body["detail"] == (
        'This member\'s status is "cleaned." You can only update email '
        'addresses for members with a status of "subscribed."'
    )


def test_email_change_onto_an_existing_member_is_refused(
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "old@acme.io")
    put_member(mailchimp_api, "taken@acme.io")
    response = mailchimp_api.patch(
        f"{MEMBERS}/old@acme.io", json={"email_address": "taken@acme.io"}
    )
    assert response.status_code == 400
    assert problem(response)["title"] == "Member Exists"
