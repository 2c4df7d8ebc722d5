"""The deployed user-event script: a JSON POST per record change, optionally signed
(reference A5)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
import requests
from webhook_receiver import Received, Receiver, closed_port_url

from erp_sandbox.netsuite import NetSuiteEmulator
from erp_sandbox.netsuite.database import RecordError, RecordNotFoundError

NOW = "2026-11-25T17:00:00Z"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    callback = Receiver("/netsuite")
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
def emu(netsuite_emulator: NetSuiteEmulator) -> NetSuiteEmulator:
    netsuite_emulator.clock.freeze(NOW)
    return netsuite_emulator


def sent(receiver: Receiver) -> list[dict[str, str]]:
    """The JSON bodies the receiver got."""
    return [json.loads(r.body) for r in receiver.of("POST")]


def test_an_edit_posts_exactly_the_scripts_body(emu: NetSuiteEmulator, receiver: Receiver) -> None:
    deployment = emu.deploy_user_event_script(receiver.url)
    assert deployment == {
        "id": "customdeploy1",
        "url": receiver.url,
        "record_types": None,
        "signed": False,
    }
    emu.update_record("customer", 1005, email="new@fastmail.com")
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/netsuite"
    assert request.body == (
        b'{"recordType":"customer","id":"1005","event":"edit",'
        b'"occurredAt":"2026-11-25T17:00:00Z","account":"1234567_SB1"}'
    )
    assert request.headers["content-type"] == "application/json"
    assert "x-webhook-signature" not in request.headers
    [notification] = emu.notifications
    assert notification.deployment_id == "customdeploy1"
    assert notification.url == receiver.url
    assert (notification.record_type, notification.record_id) == ("customer", "1005")
    assert notification.event == "edit"
    assert notification.body == request.body.decode()
    assert (notification.delivered, notification.status, notification.error) == (True, 200, None)


def test_a_deployment_with_a_secret_signs_the_raw_body(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    assert emu.deploy_user_event_script(receiver.url, hmac_secret="s3cr3t-ключ")["signed"]
    emu.update_record("customer", 1005, phone="555-0100")
    [request] = receiver.requests
    expected = hmac.new("s3cr3t-ключ".encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-webhook-signature"] == f"sha256={expected}"
    assert emu.notifications[0].signature == f"sha256={expected}"


def test_inserts_edits_and_deletes_are_create_edit_and_delete(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    emu.deploy_user_event_script(receiver.url)
    created = emu.insert_record("customer", entityid="CUST-NEW", email="new@fastmail.com")
    emu.clock.advance(60)
    emu.update_record("customer", created["id"], phone="555-0100")
    emu.clock.advance(60)
    emu.delete_record("customer", created["id"])
    record_id = str(created["id"])
    assert sent(receiver) == [
        {
            "recordType": "customer",
            "id": record_id,
            "event": "create",
            "occurredAt": NOW,
            "account": "1234567_SB1",
        },
        {
            "recordType": "customer",
            "id": record_id,
            "event": "edit",
            "occurredAt": "2026-11-25T17:01:00Z",
            "account": "1234567_SB1",
        },
        {
            "recordType": "customer",
            "id": record_id,
            "event": "delete",
            "occurredAt": "2026-11-25T17:02:00Z",
            "account": "1234567_SB1",
        },
    ]


def test_record_types_follow_the_transaction_and_item_types(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    emu.deploy_user_event_script(receiver.url)
    emu.update_record("transaction", 5001, memo="rush")  # SalesOrd
    emu.update_record("transaction", 5004, memo="paid")  # CustInvc
    credit = emu.insert_record("transaction", type="CustCred", tranid="CM1", entity=1001)
    emu.update_record("item", 201, description="x")  # NonInvtPart
    emu.update_record("item", 202, description="y")  # InvtPart
    assert [(b["recordType"], b["id"], b["event"]) for b in sent(receiver)] == [
        ("salesorder", "5001", "edit"),
        ("invoice", "5004", "edit"),
        ("creditmemo", str(credit["id"]), "create"),
        ("noninventoryitem", "201", "edit"),
        ("inventoryitem", "202", "edit"),
    ]


def test_lines_addresses_and_subsidiaries_are_edits_of_their_record(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    emu.deploy_user_event_script(receiver.url)
    emu.update_record("transactionline", 10002, memo="gift wrap")  # a line of 5001
    emu.update_record("entityaddress", 3, city="Reno")  # billing and shipping of 1002
    emu.update_record("customersubsidiaryrelationship", 2, isprimarysub="F")  # of 1001
    assert [(b["recordType"], b["id"], b["event"]) for b in sent(receiver)] == [
        ("salesorder", "5001", "edit"),
        ("customer", "1002", "edit"),
        ("customer", "1001", "edit"),
    ]


def test_a_deployment_fires_only_for_its_record_types(
    emu: NetSuiteEmulator, receiver: Receiver, other_receiver: Receiver
) -> None:
    orders_only = emu.deploy_user_event_script(receiver.url, record_types=["SalesOrder"])
    everything = emu.deploy_user_event_script(other_receiver.url)
    assert orders_only["record_types"] == ["salesorder"]
    assert everything["id"] == "customdeploy2"
    emu.update_record("customer", 1005, email="new@fastmail.com")
    emu.update_record("transaction", 5001, memo="rush")
    assert [b["recordType"] for b in sent(receiver)] == ["salesorder"]
    assert [b["recordType"] for b in sent(other_receiver)] == ["customer", "salesorder"]
    assert [n.deployment_id for n in emu.notifications] == [
        "customdeploy2",
        "customdeploy1",
        "customdeploy2",
    ]


def test_changes_that_fail_seeding_and_resets_send_nothing(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    emu.deploy_user_event_script(receiver.url)
    with pytest.raises(RecordNotFoundError):
        emu.update_record("customer", 999_999, email="x@fastmail.com")
    with pytest.raises(RecordError):
        emu.insert_record("customer", id=1001, entityid="DUPLICATE")
    with pytest.raises(RecordError):
        emu.update_record("customer", 1005, no_such_column="x")
    [(deleted_id,)] = emu.db.fetch("SELECT MIN(recordid) FROM deletedrecord")
    emu.update_record("deletedrecord", deleted_id, name="not a record type")
    assert receiver.requests == []
    assert emu.notifications == []
    emu.reset()
    assert emu.user_event_deployments == []
    emu.update_record("customer", 1005, email="after-reset@fastmail.com")
    assert receiver.requests == []


def test_a_failing_receiver_is_recorded_and_the_change_stands(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    receiver.status = 500
    emu.deploy_user_event_script(receiver.url)
    emu.deploy_user_event_script(closed_port_url())
    changed = emu.update_record("customer", 1005, email="kept@fastmail.com")
    assert changed["email"] == "kept@fastmail.com"
    refused, unreachable = emu.notifications
    assert (refused.delivered, refused.status, refused.error) == (
        False,
        500,
        "callback answered 500",
    )
    assert not unreachable.delivered
    assert unreachable.status is None
    assert unreachable.error is not None


def test_the_sandbox_api_deploys_lists_and_removes_scripts(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    base = emu.base_url + "/_sandbox/notifications"
    response = requests.post(
        base,
        json={"url": receiver.url, "record_types": ["customer"], "hmac_secret": "k"},
        timeout=10,
    )
    assert response.status_code == 201
    assert response.json() == {
        "id": "customdeploy1",
        "url": receiver.url,
        "record_types": ["customer"],
        "signed": True,
    }
    patched = requests.patch(
        emu.base_url + "/_sandbox/records/customer/1005", json={"phone": "555-0100"}, timeout=10
    )
    assert patched.status_code == 200
    listed = requests.get(base, timeout=10).json()
    assert listed["deployments"] == [response.json()]
    [notification] = listed["notifications"]
    assert notification["record_id"] == "1005"
    assert notification["body"] == receiver.requests[0].body.decode()
    assert notification["signature"] == receiver.requests[0].headers["x-webhook-signature"]
    state = requests.get(emu.base_url + "/_sandbox/state", timeout=10).json()
    assert state["user_event_script"] == {"deployments": 1, "notifications": 1}
    assert requests.delete(base, timeout=10).json() == {"removed": 1}
    assert requests.get(base, timeout=10).json() == {"deployments": [], "notifications": []}
    emu.update_record("customer", 1005, phone="555-0199")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": "ftp://example.org/x"},
        {"url": "http://127.0.0.1:1/x", "record_types": []},
        {"url": "http://127.0.0.1:1/x", "record_types": ["sales order"]},
        {"url": "http://127.0.0.1:1/x", "hmac_secret": ""},
        {"url": "http://127.0.0.1:1/x", "script": "x"},
    ],
)
def test_bad_deployments_are_refused(emu: NetSuiteEmulator, body: dict[str, object]) -> None:
    response = requests.post(emu.base_url + "/_sandbox/notifications", json=body, timeout=10)
    assert response.status_code == 400
    assert "error" in response.json()
    assert emu.user_event_deployments == []


def test_the_receiver_can_read_the_change_while_being_notified(
    emu: NetSuiteEmulator, receiver: Receiver
) -> None:
    seen: list[str] = []

    def read_back(_request: Received) -> None:
        url = emu.base_url + "/_sandbox/records/customer/1005"
        seen.append(requests.get(url, timeout=5).json()["email"])

    receiver.on_request = read_back
    emu.deploy_user_event_script(receiver.url)
    response = requests.patch(
        emu.base_url + "/_sandbox/records/customer/1005",
        json={"email": "fresh@fastmail.com"},
        timeout=10,
    )
    assert response.status_code == 200
    assert seen == ["fresh@fastmail.com"]
    assert emu.notifications[0].delivered
