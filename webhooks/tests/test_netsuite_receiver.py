"""NetSuite notifications: who may call, what a burst costs, and what is refused."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests

from erp_webhooks.security import hmac_sha256_hex
from tests.conftest import HMAC_SECRET, NETSUITE_SECRET

NOTIFICATION = {"recordType": "customer", "id": "42", "event": "edit", "account": "TSTDRV1"}


def post(service, payload=NOTIFICATION, *, secret=NETSUITE_SECRET, **kwargs) -> requests.Response:
    path = f"/netsuite/{secret}" if secret else "/netsuite"
    if "data" not in kwargs:
        kwargs["json"] = payload
    return requests.post(service.url + path, timeout=10, **kwargs)


def test_an_accepted_notification_runs_the_job_once(start_service) -> None:
    service = start_service()
    response = post(service)
    assert response.status_code == 202
    assert response.json() == {"accepted": True, "job": "netsuite-to-mailchimp", "run": "started"}
    service.settle()
    assert service.starts("netsuite-to-mailchimp") == 1
    assert service.runner.history("netsuite-to-mailchimp")[0]["exit_code"] == 0


def test_a_burst_of_hundreds_gives_exactly_one_run(start_service) -> None:
    service = start_service(debounce_seconds=1.5)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(lambda _: post(service).status_code, range(300)))
    assert statuses == [202] * 300
    service.settle()
    assert service.starts() == 1
    assert service.runner.history("netsuite-to-mailchimp")[0]["events"] == 300


def test_events_during_a_run_book_one_more_run_that_never_overlaps(start_service) -> None:
    service = start_service(job_seconds=1.5, debounce_seconds=0.2)
    post(service)
    while service.starts() == 0:
        pass  # the first run is going
    runs = {post(service).json()["run"] for _ in range(50)}
    assert runs == {"queued", "coalesced"}
    service.settle()
    events = service.runs()
    assert [kind for kind, _, _ in events] == ["start", "end", "start", "end"]
    assert events[2][2] >= events[1][2]  # the second starts after the first ended


def test_jobs_of_different_record_types_are_configurable(start_service) -> None:
    service = start_service(
        receivers={
            "netsuite": {
                "path_secret": NETSUITE_SECRET,
                "record_types": {"customer": "members-job", "salesorder": "orders-job"},
            }
        }
    )
    assert post(service, {**NOTIFICATION, "recordType": "salesorder"}).json()["job"] == "orders-job"
    ignored = post(service, {**NOTIFICATION, "recordType": "employee"})
    assert ignored.status_code == 200
    assert ignored.json() == {"ignored": "record type not synced"}
    service.settle()
    assert service.starts("orders-job") == 1
    assert service.starts() == 1


def test_a_wrong_or_missing_url_secret_is_refused(start_service) -> None:
    service = start_service()
    assert post(service, secret="x" * len(NETSUITE_SECRET)).status_code == 401
    assert post(service, secret=NETSUITE_SECRET[:-1]).status_code == 401
    assert post(service, secret=None).status_code == 401
    service.settle()
    assert service.starts() == 0


def test_callers_outside_the_allowlist_are_refused(start_service) -> None:
    service = start_service(
        receivers={"netsuite": {"path_secret": NETSUITE_SECRET, "allow_ips": ["10.0.0.0/8"]}}
    )
    assert post(service).status_code == 403  # loopback is not in 10/8
    # Without a trusted proxy, a forwarded-for header proves nothing.
    assert post(service, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 403
    service.settle()
    assert service.starts() == 0


def test_forwarded_for_is_believed_from_trusted_proxies_only(start_service) -> None:
    service = start_service(
        trusted_proxies=["127.0.0.1/32"],
        receivers={"netsuite": {"path_secret": NETSUITE_SECRET, "allow_ips": ["10.0.0.0/8"]}},
    )
    assert post(service, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 202
    # The client prepended a fake hop; the proxy appended the real one.
    spoofed = {"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}
    assert post(service, headers=spoofed).status_code == 403
    service.settle()
    assert service.starts() == 1


def test_a_signed_body_is_required_when_hmac_is_configured(start_service) -> None:
    service = start_service(
        receivers={"netsuite": {"hmac_secret": HMAC_SECRET, "allow_ips": ["127.0.0.1/32"]}}
    )
    body = json.dumps(NOTIFICATION).encode()
    good = "sha256=" + hmac_sha256_hex(HMAC_SECRET, body)
    headers = {"Content-Type": "application/json"}
    assert post(service, secret=None, data=body, headers=headers).status_code == 401
    forged = {**headers, "X-Webhook-Signature": "sha256=" + hmac_sha256_hex("guess" * 4, body)}
    assert post(service, secret=None, data=body, headers=forged).status_code == 401
    tampered = body.replace(b"42", b"43")
    signed = {**headers, "X-Webhook-Signature": good}
    assert post(service, secret=None, data=tampered, headers=signed).status_code == 401
    assert post(service, secret=None, data=body, headers=signed).status_code == 202
    service.settle()
    assert service.starts() == 1


def test_old_signed_notifications_are_refused_when_an_age_is_set(start_service) -> None:
    service = start_service(
        receivers={"netsuite": {"path_secret": NETSUITE_SECRET, "max_age_seconds": 300}}
    )
    old = {**NOTIFICATION, "occurredAt": "2020-01-01T00:00:00Z"}
    response = post(service, old)
    assert response.status_code == 400
    assert response.json() == {"error": "notification older than max_age_seconds"}


def test_oversize_bodies_are_refused_declared_or_streamed(start_service) -> None:
    service = start_service()  # max_body_bytes 4096
    big = json.dumps({**NOTIFICATION, "padding": "x" * 5000}).encode()
    assert post(service, data=big).status_code == 413

    def chunks():
        yield big[:3000]
        yield big[3000:]

    assert post(service, data=chunks()).status_code == 413  # no Content-Length
    service.settle()
    assert service.starts() == 0


def test_malformed_or_incomplete_bodies_are_refused(start_service) -> None:
    service = start_service()
    assert post(service, data=b"{not json").status_code == 400
    assert post(service, data=b"[1, 2]").status_code == 400
    assert post(service, {"recordType": "customer", "event": "edit"}).status_code == 400
    assert post(service, {"id": "1", "event": "edit"}).status_code == 400
    assert post(service, {"recordType": "customer", "id": True, "event": "x"}).status_code == 400
    service.settle()
    assert service.starts() == 0


def test_health_reports_receivers_and_jobs(start_service) -> None:
    service = start_service()
    post(service)
    service.settle()
    health = requests.get(service.url + "/health", timeout=10).json()
    assert health["status"] == "ok"
    assert health["receivers"] == ["netsuite", "exact", "mailchimp"]
    assert health["jobs"]["netsuite-to-mailchimp"]["runs_finished"] == 1
