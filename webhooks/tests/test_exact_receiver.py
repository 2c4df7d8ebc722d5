"""Exact Online notifications: HashCode, validation call, replays."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import requests

from erp_webhooks.security import hmac_sha256_hex
from tests.conftest import EXACT_SECRET

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def content(age: dt.timedelta = dt.timedelta(seconds=5), **fields) -> bytes:
    created = (dt.datetime.now(AMSTERDAM) - age).replace(tzinfo=None)
    document = {
        "Topic": "Accounts",
        "ClientId": "c0ffee00-0000-0000-0000-000000000001",
        "Division": 3123456,
        "Action": "Update",
        "Key": "9b1f0c1e-0000-0000-0000-000000000042",
        "ExactOnlineEndpoint": "https://start.exactonline.nl/api/v1/3123456/crm/Accounts(guid'9b1f')",
        "EventCreatedOn": created.isoformat(timespec="milliseconds"),
        **fields,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def signed(raw: bytes, secret: str = EXACT_SECRET) -> bytes:
    code = hmac_sha256_hex(secret, raw).upper()
    return b'{"Content":' + raw + b',"HashCode":"' + code.encode() + b'"}'


def post(service, body: bytes) -> requests.Response:
    return requests.post(
        service.url + "/exact",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )


def test_a_signed_notification_runs_the_exact_job(start_service) -> None:
    service = start_service()
    response = post(service, signed(content()))
    assert response.status_code == 202
    assert response.json()["job"] == "exact-to-mailchimp"
    service.settle()
    assert service.starts("exact-to-mailchimp") == 1


def test_the_hash_is_of_the_raw_bytes_not_of_reparsed_json(start_service) -> None:
    service = start_service()
    spaced = content().replace(b'"Topic":', b'"Topic" : ')
    assert post(service, signed(spaced)).status_code == 202


def test_the_validation_call_is_answered_and_runs_nothing(start_service) -> None:
    service = start_service()
    response = post(service, b"")
    assert response.status_code == 200
    assert response.json() == {"validated": True}
    service.settle()
    assert service.starts() == 0


def test_forged_and_broken_notifications_are_refused(start_service) -> None:
    service = start_service()
    raw = content()
    wrong_key = signed(raw, secret="not-the-secret-0123456789")
    assert post(service, wrong_key).status_code == 401
    tampered = signed(raw).replace(b"Update", b"Delete")
    assert post(service, tampered).status_code == 401
    lowercase_forgery = signed(raw).replace(b'"HashCode":"', b'"HashCode":"00')
    assert post(service, lowercase_forgery).status_code == 401
    missing = json.dumps({"Content": json.loads(raw)}).encode()
    assert post(service, missing).status_code == 401
    assert post(service, b'{"Content":').status_code == 400
    assert post(service, b'{"Other":1}').status_code == 400
    not_an_object = signed(b"[1,2]")
    assert post(service, not_an_object).status_code == 400
    service.settle()
    assert service.starts() == 0


def test_a_replayed_old_event_is_refused(start_service) -> None:
    service = start_service()  # max_age_seconds defaults to 600
    replayed = signed(content(age=dt.timedelta(hours=2)))
    response = post(service, replayed)
    assert response.status_code == 400
    assert response.json() == {"error": "event older than max_age_seconds"}
    future = signed(content(age=-dt.timedelta(hours=1)))
    assert post(service, future).status_code == 400
    undated = signed(content(EventCreatedOn="soon"))
    assert post(service, undated).status_code == 400
    service.settle()
    assert service.starts() == 0


def test_topics_not_synced_and_other_divisions(start_service) -> None:
    service = start_service(
        receivers={"exact": {"webhook_secret": EXACT_SECRET, "divisions": [3123456]}}
    )
    ignored = post(service, signed(content(Topic="Items")))
    assert ignored.status_code == 200
    assert ignored.json() == {"ignored": "topic not synced"}
    other = post(service, signed(content(Division=999)))
    assert other.status_code == 403
    service.settle()
    assert service.starts() == 0
