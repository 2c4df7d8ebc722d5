"""List webhooks: the validation GET, form-encoded events from API writes and from audience
activity, events/sources filtering (reference section 6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, problem, put_member, seed_members
from webhook_receiver import Received, Receiver, closed_port_url

from erp_sandbox.mailchimp import MailchimpEmulator, subscriber_hash

WEBHOOKS = f"/lists/{LIST}/webhooks"
NOW = "2026-11-25T17:00:00+00:00"
FIRED_AT = "2026-11-25 17:00:00"
ALL_EVENTS = dict.fromkeys(("subscribe", "unsubscribe", "profile", "cleaned", "upemail"), True)
ALL_SOURCES = {"user": True, "admin": True, "api": True}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    callback = Receiver("/mailchimp/k3y")
    try:
        yield callback
    finally:
        callback.close()


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    callback = Receiver("/other")
    try:
        yield callback
    finally:
        callback.close()


@pytest.fixture
def emu(mailchimp_emulator: MailchimpEmulator) -> MailchimpEmulator:
    mailchimp_emulator.store.clock.freeze(NOW)
    return mailchimp_emulator


def add_webhook(
    api: requests.Session,
    url: str,
    events: dict[str, bool] | None = None,
    sources: dict[str, bool] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, "events": events or ALL_EVENTS}
    body["sources"] = sources or ALL_SOURCES
    response = api.post(WEBHOOKS, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def events_of(receiver: Receiver) -> list[dict[str, str]]:
    """The form fields of each event POST."""
    return [dict(parse_qsl(r.body.decode(), keep_blank_values=True)) for r in receiver.of("POST")]


def member_fields(emu: MailchimpEmulator, email: str, **merges: str) -> list[tuple[str, str]]:
    """The ``data[…]`` fields of a member in the default list."""
    member = emu.member(email)
    assert member is not None
    stored = emu.store.lists[LIST].find_member(email)
    assert stored is not None
    values = {"FNAME": "", "LNAME": "", "ADDRESS": "", "PHONE": "", **merges}
    return [
        ("data[id]", member["unique_email_id"]),
        ("data[email]", member["email_address"]),
        ("data[email_type]", "html"),
        ("data[ip_opt]", member["ip_opt"]),
        ("data[ip_signup]", member["ip_signup"]),
        ("data[web_id]", str(stored.web_id)),
        ("data[list_id]", LIST),
        ("data[merges][EMAIL]", member["email_address"]),
        *((f"data[merges][{tag}]", value) for tag, value in values.items()),
    ]


# --- the webhooks themselves ----------------------------------------------------------


def test_a_new_webhook_is_validated_with_a_get_and_echoed(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    created = add_webhook(
        mailchimp_api, receiver.url, {"unsubscribe": True, "cleaned": True}, {"user": True}
    )
    [probe] = receiver.requests
    assert probe.method == "GET"
    assert probe.path == "/mailchimp/k3y"
    assert probe.headers["user-agent"] == "MailChimp.com WebHook Validator"
    assert len(created["id"]) == 10
    href = f"{emu.api_root}/lists/{LIST}/webhooks/{created['id']}"
    assert created == {
        "id": created["id"],
        "url": receiver.url,
        "events": {
            "subscribe": False,
            "unsubscribe": True,
            "profile": False,
            "cleaned": True,
            "upemail": False,
            "campaign": False,
        },
        "sources": {"user": True, "admin": False, "api": False},
        "list_id": LIST,
        "_links": created["_links"],
    }
    assert created["_links"][0]["href"] == href
    listed = mailchimp_api.get(WEBHOOKS).json()
    assert listed["webhooks"] == [created]
    assert (listed["list_id"], listed["total_items"]) == (LIST, 1)
    assert emu.list_webhooks == [created]


def test_left_out_flags_default_to_every_event_from_users_and_admins(
    mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    created = mailchimp_api.post(WEBHOOKS, json={"url": receiver.url}).json()
    assert set(created["events"].values()) == {True}
    assert created["sources"] == {"user": True, "admin": True, "api": False}


@pytest.mark.parametrize("answer", [404, 302, 500, 201])
def test_a_url_that_does_not_answer_200_refuses_the_webhook(
    mailchimp_api: requests.Session, receiver: Receiver, answer: int
) -> None:
    receiver.probe_status = answer
    response = mailchimp_api.post(WEBHOOKS, json={"url": receiver.url})
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Invalid Resource"
    assert body["detail"] == (
        "We couldn't verify the URL is working. Please double check and try again. "
        f"HTTP Code: {answer}"
    )
    assert mailchimp_api.get(WEBHOOKS).json()["webhooks"] == []


def test_an_unreachable_url_refuses_the_webhook(
    emu: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    response = mailchimp_api.post(WEBHOOKS, json={"url": closed_port_url()})
    assert problem(response)["detail"].endswith("HTTP Code: 0")
    state = requests.get(emu.base_url + "/_sandbox/webhooks", timeout=10).json()
    [validation] = state["validations"]
    assert validation["accepted"] is False
    assert validation["status"] is None


def test_a_missing_or_malformed_url_is_refused(mailchimp_api: requests.Session) -> None:
    missing = problem(mailchimp_api.post(WEBHOOKS, json={"events": {"subscribe": True}}))
    assert missing["errors"] == [{"field": "", "message": "Required fields were not provided: url"}]
    relative = problem(mailchimp_api.post(WEBHOOKS, json={"url": "/hooks/mailchimp"}))
    assert relative["errors"] == [{"field": "url", "message": "Invalid URL"}]


def test_webhooks_can_be_read_updated_and_deleted(
    mailchimp_api: requests.Session, receiver: Receiver, other_receiver: Receiver
) -> None:
    created = add_webhook(mailchimp_api, receiver.url)
    one = f"{WEBHOOKS}/{created['id']}"
    assert mailchimp_api.get(one).json() == created
    changed = mailchimp_api.patch(
        one, json={"url": other_receiver.url, "sources": {"admin": False}}
    ).json()
    assert changed["url"] == other_receiver.url
    assert changed["sources"] == {"user": True, "admin": False, "api": True}
    assert changed["events"] == created["events"]
    assert other_receiver.requests == []  # no validation GET on PATCH
    assert mailchimp_api.delete(one).status_code == 204
    assert mailchimp_api.get(one).status_code == 404
    assert mailchimp_api.delete(one).status_code == 404
    assert mailchimp_api.get("/lists/nosuchlist/webhooks").status_code == 404


def test_with_deliver_webhooks_off_nothing_is_sent_but_everything_is_recorded(
    emu: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    emu.configure(deliver_webhooks=False)
    hook = add_webhook(mailchimp_api, closed_port_url())
    assert put_member(mailchimp_api, "ann@acme.io").status_code == 200
    [delivery] = emu.webhook_deliveries
    assert delivery.webhook_id == hook["id"]
    assert delivery.type == "subscribe"
    assert not delivery.delivered
    assert delivery.error == "not sent: deliver_webhooks is off"


def test_reset_forgets_webhooks_and_deliveries(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    add_webhook(mailchimp_api, receiver.url)
    put_member(mailchimp_api, "ann@acme.io")
    assert emu.webhook_deliveries
    emu.reset()
    assert emu.list_webhooks == []
    assert emu.webhook_deliveries == []


# --- events from API writes -------------------------------------------------------------


def test_an_api_subscribe_posts_the_form_encoded_event(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    add_webhook(mailchimp_api, receiver.url)
    response = put_member(
        mailchimp_api, "ann@acme.io", merge_fields={"FNAME": "Ann", "LNAME": "Lee"}
    )
    assert response.status_code == 200
    [post] = receiver.of("POST")
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert post.headers["user-agent"] == "MailChimp.com"
    expected = [
        ("type", "subscribe"),
        ("fired_at", FIRED_AT),
        *member_fields(emu, "ann@acme.io", FNAME="Ann", LNAME="Lee"),
    ]
    assert post.body == urlencode(expected).encode()
    assert post.body.startswith(b"type=subscribe&fired_at=2026-11-25+17%3A00%3A00&data%5Bid%5D=")
    [delivery] = emu.webhook_deliveries
    assert (delivery.type, delivery.source, delivery.status) == ("subscribe", "api", 200)
    assert delivery.body == post.body.decode()


def test_api_writes_fire_unsubscribe_profile_upemail_and_delete(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    put_member(mailchimp_api, "ann@acme.io", merge_fields={"FNAME": "Ann"})
    put_member(mailchimp_api, "bob@acme.io")
    add_webhook(mailchimp_api, receiver.url)
    mailchimp_api.patch(f"{MEMBERS}/ann@acme.io", json={"merge_fields": {"LNAME": "Lee"}})
    mailchimp_api.patch(f"{MEMBERS}/ann@acme.io", json={"merge_fields": {"LNAME": "Lee"}})
    old_id = emu.member("ann@acme.io")["unique_email_id"]  # type: ignore[index]
    renamed = mailchimp_api.patch(f"{MEMBERS}/ann@acme.io", json={"email_address": "ann@lee.io"})
    assert renamed.status_code == 200
    new_id = renamed.json()["unique_email_id"]
    assert new_id != old_id
    mailchimp_api.patch(f"{MEMBERS}/ann@lee.io", json={"status": "unsubscribed"})
    assert mailchimp_api.delete(f"{MEMBERS}/bob@acme.io").status_code == 204
    events = events_of(receiver)
    assert [e["type"] for e in events] == ["profile", "upemail", "unsubscribe", "unsubscribe"]
    profile, upemail, unsubscribe, deletion = events
    assert profile["data[merges][FNAME]"] == "Ann"
    assert profile["data[merges][LNAME]"] == "Lee"
    assert upemail == {
        "type": "upemail",
        "fired_at": FIRED_AT,
        "data[list_id]": LIST,
        "data[new_id]": new_id,
        "data[new_email]": "ann@lee.io",
        "data[old_email]": "ann@acme.io",
    }
    assert unsubscribe["data[action]"] == "unsub"
    assert unsubscribe["data[reason]"] == "manual"
    assert unsubscribe["data[email]"] == "ann@lee.io"
    assert unsubscribe["data[campaign_id]"] == ""
    assert deletion["data[action]"] == "delete"
    assert deletion["data[email]"] == "bob@acme.io"
    assert {d.source for d in emu.webhook_deliveries} == {"api"}


def test_batch_subscribe_fires_for_each_member_it_subscribes_or_changes(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    seed_members(emu, {"email_address": "old@acme.io", "status": "subscribed"})
    add_webhook(mailchimp_api, receiver.url)
    response = mailchimp_api.post(
        f"/lists/{LIST}",
        json={
            "members": [
                {"email_address": "new@acme.io", "status": "subscribed"},
                {"email_address": "old@acme.io", "merge_fields": {"FNAME": "Old"}},
                {"email_address": "bad@example.com", "status": "subscribed"},
            ],
            "update_existing": True,
        },
    )
    assert response.json()["error_count"] == 1
    assert [(e["type"], e["data[email]"]) for e in events_of(receiver)] == [
        ("subscribe", "new@acme.io"),
        ("profile", "old@acme.io"),
    ]


def test_events_go_only_to_webhooks_that_want_their_type_and_source(
    emu: MailchimpEmulator,
    mailchimp_api: requests.Session,
    receiver: Receiver,
    other_receiver: Receiver,
) -> None:
    put_member(mailchimp_api, "ann@acme.io")
    put_member(mailchimp_api, "bob@acme.io")
    add_webhook(mailchimp_api, receiver.url, {"unsubscribe": True}, {"api": True})
    add_webhook(mailchimp_api, other_receiver.url, ALL_EVENTS, {"user": True, "admin": True})
    mailchimp_api.patch(f"{MEMBERS}/ann@acme.io", json={"status": "unsubscribed"})
    mailchimp_api.patch(f"{MEMBERS}/bob@acme.io", json={"merge_fields": {"FNAME": "Bob"}})
    emu.member_activity("unsubscribe", "bob@acme.io")
    emu.member_activity("subscribe", "cat@acme.io", source="admin")
    assert [(e["type"], e["data[email]"]) for e in events_of(receiver)] == [
        ("unsubscribe", "ann@acme.io")
    ]
    assert [(e["type"], e["data[email]"]) for e in events_of(other_receiver)] == [
        ("unsubscribe", "bob@acme.io"),
        ("subscribe", "cat@acme.io"),
    ]
    assert [d.source for d in emu.webhook_deliveries] == ["api", "user", "admin"]


def test_a_receiver_may_call_the_api_back_while_it_is_notified(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    seen: list[str] = []

    def read_back(request: Received) -> None:
        if request.method == "POST":
            email = dict(parse_qsl(request.body.decode()))["data[email]"]
            found = mailchimp_api.get(f"{MEMBERS}/{email}", timeout=5)
            seen.append(found.json()["status"])

    receiver.on_request = read_back
    add_webhook(mailchimp_api, receiver.url)
    assert put_member(mailchimp_api, "ann@acme.io").status_code == 200
    emu.member_activity("unsubscribe", "ann@acme.io")
    assert seen == ["subscribed", "unsubscribed"]
    assert all(d.delivered for d in emu.webhook_deliveries)


# --- audience activity ------------------------------------------------------------------


def activity(emu: MailchimpEmulator, **body: Any) -> requests.Response:
    return requests.post(f"{emu.base_url}/_sandbox/lists/{LIST}/activity", json=body, timeout=10)


def test_activity_unsubscribe_and_cleaned_change_the_status_and_fire(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    put_member(mailchimp_api, "ann@acme.io", merge_fields={"FNAME": "Ann"})
    put_member(mailchimp_api, "bob@acme.io")
    add_webhook(mailchimp_api, receiver.url)
    response = activity(
        emu, type="unsubscribe", email="ann@acme.io", reason="abuse", campaign_id="c4mp41gn"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["member"]["status"] == "unsubscribed"
    [delivery] = body["deliveries"]
    assert (delivery["type"], delivery["source"], delivery["delivered"]) == (
        "unsubscribe",
        "user",
        True,
    )
    expected = [
        ("type", "unsubscribe"),
        ("fired_at", FIRED_AT),
        ("data[action]", "unsub"),
        ("data[reason]", "abuse"),
        *member_fields(emu, "ann@acme.io", FNAME="Ann"),
        ("data[campaign_id]", "c4mp41gn"),
    ]
    assert receiver.of("POST")[0].body == urlencode(expected).encode()
    cleaned = activity(emu, type="cleaned", email="bob@acme.io", source="admin")
    assert cleaned.json()["member"]["status"] == "cleaned"
    assert events_of(receiver)[1] == {
        "type": "cleaned",
        "fired_at": FIRED_AT,
        "data[list_id]": LIST,
        "data[campaign_id]": "",
        "data[reason]": "hard",
        "data[email]": "bob@acme.io",
    }
    assert emu.member("ann@acme.io")["status"] == "unsubscribed"  # type: ignore[index]


def test_activity_upemail_renames_the_member(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    put_member(mailchimp_api, "ann@acme.io", merge_fields={"FNAME": "Ann"})
    add_webhook(mailchimp_api, receiver.url)
    response = activity(emu, type="upemail", email="ann@acme.io", new_email="ann@lee.io")
    member = response.json()["member"]
    assert member["id"] == subscriber_hash("ann@lee.io")
    assert member["email_address"] == "ann@lee.io"
    assert member["merge_fields"]["FNAME"] == "Ann"
    assert mailchimp_api.get(f"{MEMBERS}/ann@acme.io").status_code == 404
    assert mailchimp_api.get(f"{MEMBERS}/{subscriber_hash('ann@lee.io')}").status_code == 200
    assert events_of(receiver) == [
        {
            "type": "upemail",
            "fired_at": FIRED_AT,
            "data[list_id]": LIST,
            "data[new_id]": member["unique_email_id"],
            "data[new_email]": "ann@lee.io",
            "data[old_email]": "ann@acme.io",
        }
    ]


def test_activity_profile_and_subscribe(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    seed_members(emu, {"email_address": "gone@acme.io", "status": "unsubscribed"})
    put_member(mailchimp_api, "ann@acme.io")
    add_webhook(mailchimp_api, receiver.url)
    deliveries = emu.member_activity(
        "profile",
        "ann@acme.io",
        merges={
            "FNAME": "Ann",
            "ADDRESS": {"addr1": "1 Main St", "city": "Reno", "state": "NV", "zip": "89501"},
        },
    )
    assert [d.type for d in deliveries] == ["profile"]
    assert emu.member("ann@acme.io")["merge_fields"]["FNAME"] == "Ann"  # type: ignore[index]
    profile = events_of(receiver)[0]
    assert profile["data[merges][ADDRESS][addr1]"] == "1 Main St"
    assert profile["data[merges][ADDRESS][country]"] == "US"
    # A person may resubscribe; only the API is bound by the compliance rule.
    emu.member_activity("subscribe", "gone@acme.io", merges={"FNAME": "Back"})
    emu.member_activity("subscribe", "new@acme.io")
    assert emu.member("gone@acme.io")["status"] == "subscribed"  # type: ignore[index]
    assert emu.member("new@acme.io")["status"] == "subscribed"  # type: ignore[index]
    assert [(e["type"], e["data[email]"]) for e in events_of(receiver)[1:]] == [
        ("subscribe", "gone@acme.io"),
        ("subscribe", "new@acme.io"),
    ]
    assert events_of(receiver)[1]["data[merges][FNAME]"] == "Back"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "bounce", "email": "ann@acme.io"}, 400),
        ({"type": "unsubscribe", "email": "nobody@acme.io"}, 404),
        ({"type": "unsubscribe", "email": "ann@acme.io", "source": "api"}, 400),
        ({"type": "upemail", "email": "ann@acme.io", "new_email": "bob@acme.io"}, 400),
        ({"type": "upemail", "email": "ann@acme.io"}, 400),
        ({"type": "cleaned", "email": "ann@acme.io", "reason": "soft"}, 400),
        ({"type": "subscribe", "email": "ann@acme.io"}, 400),
        ({"type": "profile", "email": "ann@acme.io", "merges": {"NOPE": "x"}}, 400),
        ({"type": "profile", "email": "ann@acme.io", "colour": "red"}, 400),
    ],
)
def test_activity_that_cannot_happen_is_refused(
    emu: MailchimpEmulator,
    mailchimp_api: requests.Session,
    receiver: Receiver,
    body: dict[str, Any],
    status: int,
) -> None:
    put_member(mailchimp_api, "ann@acme.io")
    put_member(mailchimp_api, "bob@acme.io")
    add_webhook(mailchimp_api, receiver.url)
    response = activity(emu, **body)
    assert response.status_code == status
    assert "error" in response.json()
    assert receiver.of("POST") == []
    assert emu.member("ann@acme.io")["status"] == "subscribed"  # type: ignore[index]


def test_the_sandbox_lists_webhooks_and_deliveries(
    emu: MailchimpEmulator, mailchimp_api: requests.Session, receiver: Receiver
) -> None:
    hook = add_webhook(mailchimp_api, receiver.url)
    put_member(mailchimp_api, "ann@acme.io")
    state = requests.get(emu.base_url + "/_sandbox/webhooks", timeout=10).json()
    assert state["deliver_webhooks"] is True
    assert state["webhooks"] == [hook]
    assert [v["accepted"] for v in state["validations"]] == [True]
    [delivery] = state["deliveries"]
    assert delivery["webhook_id"] == hook["id"]
    assert delivery["url"] == receiver.url
    assert delivery["type"] == "subscribe"
    assert delivery["fired_at"] == FIRED_AT
    assert (delivery["delivered"], delivery["status"], delivery["error"]) == (True, 200, None)
