"""The /_sandbox/ inspection API and the Python call log."""

from __future__ import annotations

import requests
from sandbox_helpers import LIST, MEMBERS, put_member

from erp_sandbox.mailchimp import MailchimpEmulator


def test_call_log_counts_by_route_template(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "a@acme.io")
    put_member(mailchimp_api, "b@acme.io")
    mailchimp_api.post(f"/lists/{LIST}", json={"members": []})
    calls = mailchimp_emulator.calls
    assert calls.count("PUT /3.0/lists/{list_id}/members/{subscriber_hash}") == 2
    assert calls.count("POST /3.0/lists/{list_id}") == 1
    assert calls.count(f"PUT /3.0{MEMBERS}/a@acme.io") == 1
    assert calls.counts() == {
        "PUT /3.0/lists/{list_id}/members/{subscriber_hash}": 2,
        "POST /3.0/lists/{list_id}": 1,
    }


def test_sandbox_routes_are_not_counted(mailchimp_emulator: MailchimpEmulator) -> None:
    requests.get(mailchimp_emulator.base_url + "/_sandbox/state")
    body = requests.get(mailchimp_emulator.base_url + "/_sandbox/calls").json()
    empty = {"total": 0, "counts": {}, "calls": []}
    assert body == {**empty, "batch_operations": empty}


def test_calls_endpoint_lists_method_route_path_status_time(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_api.get("/ping")
    body = requests.get(mailchimp_emulator.base_url + "/_sandbox/calls").json()
    call = body["calls"][0]
    assert call["method"] == "GET"
    assert call["route"] == "GET /3.0/ping"
    assert call["path"] == "/3.0/ping"
    assert call["status"] == 200
    assert call["started_at"] and call["duration_ms"] >= 0
    assert body["counts"] == {"GET /3.0/ping": 1}


def test_state_shows_lists_members_tags_and_forgotten(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "a@acme.io")
    mailchimp_api.post(
        f"{MEMBERS}/a@acme.io/tags", json={"tags": [{"name": "Gold", "status": "active"}]}
    )
    put_member(mailchimp_api, "b@acme.io")
    mailchimp_api.post(f"{MEMBERS}/b@acme.io/actions/delete-permanent")
    state = requests.get(mailchimp_emulator.base_url + "/_sandbox/state").json()
    (lst,) = state["lists"]
    assert [m["email_address"] for m in lst["members"]] == ["a@acme.io"]
    assert lst["segments"][0]["name"] == "Gold"
    assert lst["segments"][0]["member_emails"] == ["a@acme.io"]
    assert lst["forgotten"] == ["b@acme.io"]
    assert [f["tag"] for f in lst["merge_fields"]] == ["FNAME", "LNAME", "ADDRESS", "PHONE"]


def test_seed_over_http_accepts_every_status(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    response = requests.post(
        mailchimp_emulator.base_url + "/_sandbox/seed",
        json={
            "lists": [
                {
                    "id": "second",
                    "name": "Second",
                    "merge_fields": [{"tag": "company", "name": "Company", "type": "text"}],
                    "tags": ["Empty"],
                    "members": [
                        {
                            "email_address": "s@acme.io",
                            "status": "subscribed",
                            "merge_fields": {"COMPANY": "Acme"},
                            "tags": ["Gold"],
                        },
                        {"email_address": "u@acme.io", "status": "unsubscribed"},
                        {"email_address": "c@acme.io", "status": "cleaned"},
                        {"email_address": "a@acme.io", "status": "archived"},
                        {"email_address": "f@acme.io", "status": "forgotten"},
                    ],
                }
            ]
        },
    )
    assert response.status_code == 200
    assert response.json() == {"lists": ["second"], "members": 4, "forgotten": 1}
    members = mailchimp_api.get("/lists/second/members").json()["members"]
    assert {m["email_address"]: m["status"] for m in members} == {
        "s@acme.io": "subscribed",
        "u@acme.io": "unsubscribed",
        "c@acme.io": "cleaned",
        "a@acme.io": "archived",
    }
    assert members[0]["merge_fields"]["COMPANY"] == "Acme"
    segments = mailchimp_api.get("/lists/second/segments").json()["segments"]
    assert sorted(s["name"] for s in segments) == ["Empty", "Gold"]
    forgotten = mailchimp_api.put(
        "/lists/second/members/f@acme.io",
        json={"email_address": "f@acme.io", "status_if_new": "subscribed"},
    )
    assert forgotten.json()["title"] == "Forgotten Email Not Subscribed"


def test_bad_seed_document_is_a_400(mailchimp_emulator: MailchimpEmulator) -> None:
    response = requests.post(
        mailchimp_emulator.base_url + "/_sandbox/seed",
        json={
            "lists": [{"id": LIST, "members": [{"email_address": "x@acme.io", "status": "odd"}]}]
        },
    )
    assert response.status_code == 400


def test_reset_restores_the_starting_state(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    put_member(mailchimp_api, "a@acme.io")
    mailchimp_emulator.faults.configure(latency_ms=10)
    assert requests.post(mailchimp_emulator.base_url + "/_sandbox/reset").status_code == 200
    assert mailchimp_emulator.member("a@acme.io") is None
    assert len(mailchimp_emulator.calls) == 0
    assert mailchimp_emulator.faults.settings.latency_ms == 0
    assert [lst.id for lst in mailchimp_emulator.store.lists.values()] == [LIST]


def test_config_endpoint_changes_keys_and_contract_switch(
    mailchimp_emulator: MailchimpEmulator,
) -> None:
    url = mailchimp_emulator.base_url + "/_sandbox/config"
    body = requests.post(url, json={"api_keys": ["k-us21"], "contract_checks": False}).json()
    assert body["api_keys"] == ["k-us21"]
    assert body["contract_checks"] is False
    assert (
        requests.get(mailchimp_emulator.api_root + "/ping", auth=("x", "k-us21")).status_code == 200
    )
    assert requests.post(url, json={"no_such_setting": 1}).status_code == 400


def test_health(mailchimp_emulator: MailchimpEmulator) -> None:
    body = requests.get(mailchimp_emulator.base_url + "/_sandbox/health").json()
    assert body == {"status": "ok", "emulator": "mailchimp"}
