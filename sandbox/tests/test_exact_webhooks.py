"""Exact Online webhooks: subscription CRUD and HMAC-signed notifications that carry no
record data (reference C6)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from exact_helpers import get, odata_error, session

from erp_sandbox.exact import ExactEmulator

#: How picqer's ``Authenticatable`` cuts the raw ``Content`` out of a notification.
NOTIFICATION = re.compile(rb'^{"Content":(.*),"HashCode":"(.*)"}$')


class Receiver:
    """A local callback URL that records what it is sent."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                receiver.bodies.append(self.rfile.read(length))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/exact/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    callback = Receiver()
    try:
        yield callback
    finally:
        callback.close()


def subscribe(emu: ExactEmulator, callback: str, topic: str) -> dict[str, object]:
    http = session(emu)
    response = http.post(
        emu.api_url + "/webhooks/WebhookSubscriptions",
        json={"CallbackURL": callback, "Topic": topic},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["d"]


def test_subscriptions_can_be_created_listed_read_and_deleted(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    created = subscribe(emu, receiver.url, "accounts")
    assert created["Topic"] == "Accounts"
    assert created["CallbackURL"] == receiver.url
    assert created["ClientID"] == emu.client_id
    assert created["Division"] == emu.division
    http = session(emu)
    url = emu.api_url + "/webhooks/WebhookSubscriptions"
    listed = get(http, url)["results"]
    assert [s["ID"] for s in listed] == [created["ID"]]
    one = http.get(f"{url}(guid'{created['ID']}')", timeout=10)
    assert one.json()["d"]["Topic"] == "Accounts"
    assert http.delete(f"{url}(guid'{created['ID']}')", timeout=10).status_code == 204
    assert get(http, url)["results"] == []
    again = http.delete(f"{url}(guid'{created['ID']}')", timeout=10)
    assert again.status_code == 404
    assert receiver.bodies == []  # no validation call unless configured


def test_bad_and_duplicate_subscriptions_are_refused(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    http = session(emu)
    url = emu.api_url + "/webhooks/WebhookSubscriptions"
    unknown = http.post(url, json={"CallbackURL": receiver.url, "Topic": "Ponies"}, timeout=10)
    assert odata_error(unknown, 400) == "Topic 'Ponies' is not a valid webhook topic."
    missing = http.post(url, json={"Topic": "Accounts"}, timeout=10)
    assert odata_error(missing, 400) == "CallbackURL is mandatory."
    subscribe(emu, receiver.url, "Contacts")
    duplicate = http.post(url, json={"CallbackURL": receiver.url, "Topic": "Contacts"}, timeout=10)
    assert odata_error(duplicate, 500) == "Data already exists."


def test_a_change_posts_a_signed_notification_without_record_data(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    emu.configure(deliver_webhooks=True)
    subscribe(emu, receiver.url, "Accounts")
    emu.clock.freeze("2026-06-15T08:30:00.125Z")
    account = emu.update_record("Accounts", "1001", Email="orders@keystonebikes.nl")
    assert len(receiver.bodies) == 1
    match = NOTIFICATION.match(receiver.bodies[0])
    assert match is not None
    raw_content, hash_code = match.groups()
    expected = hmac.new(emu.webhook_secret.encode(), raw_content, hashlib.sha256).hexdigest()
    assert hash_code.decode() == expected.upper()
    content = json.loads(raw_content)
    endpoint = f"{emu.api_url}/crm/Accounts(guid'{account['ID']}')"
    assert content == {
        "Topic": "Accounts",
        "ClientId": emu.client_id,
        "Division": emu.division,
        "Action": "Update",
        "Key": account["ID"],
        "ExactOnlineEndpoint": endpoint,
        "EventCreatedOn": "2026-06-15T10:30:00.125",
    }
    fetched = session(emu).get(content["ExactOnlineEndpoint"], timeout=10).json()["d"]
    assert fetched["Email"] == "orders@keystonebikes.nl"


def test_creates_and_deletes_are_notified_per_topic(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    emu.configure(deliver_webhooks=True)
    subscribe(emu, receiver.url, "SalesInvoices")
    subscribe(emu, receiver.url, "Contacts")
    account = emu.record("Accounts", "1001")
    assert account is not None
    created = emu.insert_record("Contacts", Account=account["ID"], FirstName="Eva", LastName="Smit")
    emu.delete_record("SalesInvoices", 24700001)
    emu.update_record("Accounts", "1001", Phone="+31 10 7654321")  # no Accounts subscription
    actions = [(n.topic, n.action, n.key, n.delivered) for n in emu.webhook_notifications]
    assert actions[0] == ("Contacts", "Create", created["ID"], True)
    assert actions[1][:2] == ("SalesInvoices", "Delete")
    assert len(actions) == len(receiver.bodies) == 2


def test_delivery_is_off_by_default_but_notifications_are_recorded(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    subscribe(emu, receiver.url, "Accounts")
    emu.update_record("Accounts", "1001", Website="www.keystonebikes.nl")
    assert receiver.bodies == []
    [notification] = emu.webhook_notifications
    assert not notification.delivered
    match = NOTIFICATION.match(notification.body.encode())
    assert match is not None
    assert emu.sign_webhook(match.group(1)) == notification.hash_code


def test_a_failing_callback_is_recorded_not_raised(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    emu.configure(deliver_webhooks=True)
    subscribe(emu, receiver.url, "Accounts")
    receiver.status = 503
    emu.update_record("Accounts", "1001", Website="www.keystonebikes.nl")
    [notification] = emu.webhook_notifications
    assert (notification.delivered, notification.status) == (False, 503)


def test_the_optional_validation_call_posts_an_empty_body_first(
    exact_emulator: ExactEmulator, receiver: Receiver
) -> None:
    emu = exact_emulator
    emu.configure(validate_webhook_callbacks=True)
    subscribe(emu, receiver.url, "Accounts")
    assert receiver.bodies == [b""]
    receiver.status = 500
    http = session(emu)
    refused = http.post(
        emu.api_url + "/webhooks/WebhookSubscriptions",
        json={"CallbackURL": receiver.url, "Topic": "Contacts"},
        timeout=10,
    )
    assert "could not be validated" in odata_error(refused, 400)
