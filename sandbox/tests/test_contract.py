"""The OpenAPI contract check itself: it passes real traffic and catches bad traffic."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, put_member, seed_members

from erp_sandbox.contract import OpenApiContract
from erp_sandbox.mailchimp import MailchimpEmulator
from erp_sandbox.mailchimp.context import load_contract

FULL_ADDRESS = {"addr1": "1 Main St", "city": "Atlanta", "state": "GA", "zip": "30308"}


def test_every_response_matches_the_openapi_spec(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    seed_members(
        mailchimp_emulator,
        {"email_address": "gone@acme.io", "status": "archived"},
        {"email_address": "unsub@acme.io", "status": "unsubscribed"},
    )
    calls = [
        mailchimp_api.get("/"),
        mailchimp_api.get("/ping"),
        mailchimp_api.get("/lists"),
        mailchimp_api.get(f"/lists/{LIST}"),
        put_member(
            mailchimp_api, "a@acme.io", merge_fields={"FNAME": "A", "ADDRESS": FULL_ADDRESS}
        ),
        mailchimp_api.post(
            MEMBERS, json={"email_address": "b@acme.io", "status": "pending", "tags": ["x"]}
        ),
        mailchimp_api.patch(f"{MEMBERS}/a@acme.io", json={"vip": True}),
        mailchimp_api.get(f"{MEMBERS}/a@acme.io"),
        mailchimp_api.get(MEMBERS, params={"count": 1000}),
        mailchimp_api.post(
            f"{MEMBERS}/a@acme.io/tags",
            json={"tags": [{"name": "Gold", "status": "active"}], "is_syncing": False},
        ),
        mailchimp_api.get(f"{MEMBERS}/a@acme.io/tags"),
        mailchimp_api.post(
            f"/lists/{LIST}",
            json={
                "members": [
                    {"email_address": "c@acme.io", "status": "subscribed"},
                    {"email_address": "unsub@acme.io", "status": "subscribed"},
                ],
                "update_existing": True,
            },
        ),
        mailchimp_api.get(f"/lists/{LIST}/merge-fields"),
        mailchimp_api.post(f"/lists/{LIST}/merge-fields", json={"name": "Age", "type": "number"}),
        mailchimp_api.get(f"/lists/{LIST}/segments", params={"type": "static"}),
        mailchimp_api.delete(f"{MEMBERS}/b@acme.io"),
        mailchimp_api.post(f"{MEMBERS}/c@acme.io/actions/delete-permanent"),
        mailchimp_api.get(f"{MEMBERS}/nobody@acme.io"),
        put_member(mailchimp_api, "unsub@acme.io", status="subscribed"),
    ]
    assert [c.status_code for c in calls][-2:] == [404, 400]
    assert mailchimp_emulator.contract_violations == []


@pytest.mark.sends_invalid_requests
def test_invalid_request_bodies_are_recorded(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_api.post(MEMBERS, json={"email_address": "a@acme.io", "status": "maybe"})
    violations = mailchimp_emulator.contract_violations
    assert [(v.part, v.location) for v in violations] == [("request", "status")]
    body = requests.get(mailchimp_emulator.base_url + "/_sandbox/contract-violations").json()
    assert body["count"] == 1


@pytest.mark.sends_invalid_requests
def test_contract_checks_can_be_switched_off(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.contract.enabled = False
    mailchimp_api.post(MEMBERS, json={"email_address": "a@acme.io", "status": "maybe"})
    assert mailchimp_emulator.contract_violations == []


def test_response_checks_catch_a_body_that_breaks_the_schema() -> None:
    contract = load_contract()
    op = contract.operation("GET", "/3.0/lists/abc/members/xyz")
    assert op is not None
    good = contract.response_body_problems(
        op, 200, {"id": "x", "status": "archived", "merge_fields": {"FNAME": "A"}}
    )
    bad = contract.response_body_problems(op, 200, {"id": 5, "status": "gone"})
    assert good == []
    assert {p.location for p in bad} == {"id", "status"}
    problem_doc = contract.response_body_problems(op, 404, {"title": "x"})
    assert problem_doc


def test_operations_are_found_by_most_specific_template() -> None:
    contract = OpenApiContract(
        {"paths": {"/a/{x}": {"get": {"responses": {}}}, "/a/b": {"get": {"responses": {}}}}},
        path_prefix="/3.0",
    )
    op = contract.operation("GET", "/3.0/a/b")
    assert op is not None and op.template == "/a/b"
    assert contract.operation("GET", "/elsewhere/a/b") is None
    assert contract.operation("POST", "/3.0/a/b") is None


def test_member_collection_items_are_checked_against_the_member_schema() -> None:
    contract = load_contract()
    op = contract.operation("GET", "/3.0/lists/abc/members")
    assert op is not None
    problems = contract.response_body_problems(
        op, 200, {"members": [{"id": "x", "status": "gone"}], "total_items": 1}
    )
    assert [p.location for p in problems] == ["members.0.status"]
