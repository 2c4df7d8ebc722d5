"""Fault injection as a client sees it: latency, 429, 5xx, dropped connections."""

from __future__ import annotations

import time

import pytest
import requests
from sandbox_helpers import problem

from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.mailchimp import MailchimpEmulator


def test_injected_latency_delays_every_request(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.faults.configure(latency_ms=150)
    started = time.perf_counter()
    assert mailchimp_api.get("/ping").status_code == 200
    assert time.perf_counter() - started >= 0.15


def test_queued_429_carries_retry_after_and_mailchimp_problem(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.faults.enqueue(method="GET", path="/3.0/ping", status=429, retry_after=7)
    response = mailchimp_api.get("/ping")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    body = problem(response)
    assert body["title"] == "Too Many Requests"
    assert body["detail"] == "You have exceeded the limit of 10 simultaneous connections."
    assert mailchimp_api.get("/ping").status_code == 200


def test_429_without_retry_after(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.faults.enqueue(status=429)
    response = mailchimp_api.get("/ping")
    assert response.status_code == 429
    assert "retry-after" not in response.headers


def test_empty_body_faults_like_mailchimp_at_high_volume(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.faults.enqueue(status=403, empty_body=True)
    response = mailchimp_api.get("/ping")
    assert response.status_code == 403
    assert response.content == b""


def test_queue_matches_method_and_path_glob_for_n_requests(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=503, times=2)
    assert mailchimp_api.get("/lists/sandboxlist").status_code == 200
    payload = {"members": []}
    codes = [mailchimp_api.post("/lists/sandboxlist", json=payload).status_code for _ in range(3)]
    assert codes == [503, 503, 200]


def test_dropped_connection_is_seen_as_connection_error(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    mailchimp_emulator.faults.enqueue(path="/3.0/ping", drop="mid_body")
    mailchimp_emulator.faults.enqueue(path="/3.0/ping", drop="no_response")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        mailchimp_api.get("/ping")
    with pytest.raises(requests.exceptions.ConnectionError):
        mailchimp_api.get("/ping")
    assert mailchimp_api.get("/ping").status_code == 200
    faults = [call.fault for call in mailchimp_emulator.calls.calls]
    assert faults == ["drop:mid_body", "drop:no_response", None]
    assert [call.status for call in mailchimp_emulator.calls.calls] == [None, None, 200]


def test_rates_are_reproducible_with_a_seed(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    def run() -> list[int]:
        mailchimp_emulator.faults.configure(rate_5xx=0.3, rate_429=0.2, seed=42)
        return [mailchimp_api.get("/ping").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {429, 200} <= set(first)
    assert set(first) & {500, 502, 503}


def test_fault_decisions_follow_the_rates() -> None:
    injector = FaultInjector(FaultSettings(rate_5xx=0.5, statuses_5xx=(502,), seed=1))
    outcomes = [injector.decide("GET", "/x").status for _ in range(2000)]
    share = outcomes.count(502) / len(outcomes)
    assert 0.45 < share < 0.55


def test_invalid_fault_settings_are_refused() -> None:
    injector = FaultInjector()
    with pytest.raises(ValueError):
        injector.configure(rate_429=0.7, rate_5xx=0.6)
    with pytest.raises(ValueError):
        injector.enqueue(drop="explode")


def test_faults_can_be_set_over_http(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    response = requests.post(
        mailchimp_emulator.base_url + "/_sandbox/faults",
        json={"queue": [{"method": "GET", "path": "/3.0/ping", "status": 500}]},
    )
    assert response.status_code == 200
    assert response.json()["queue"][0]["status"] == 500
    failed = mailchimp_api.get("/ping")
    assert failed.status_code == 500
    assert problem(failed)["title"] == "Internal Server Error"
    requests.post(
        mailchimp_emulator.base_url + "/_sandbox/faults", json={"settings": {"latency_ms": 5}}
    )
    cleared = requests.delete(mailchimp_emulator.base_url + "/_sandbox/faults").json()
    assert cleared["settings"]["latency_ms"] == 0


def test_sandbox_routes_are_never_faulted(mailchimp_emulator: MailchimpEmulator) -> None:
    mailchimp_emulator.faults.configure(rate_5xx=1.0)
    response = requests.get(mailchimp_emulator.base_url + "/_sandbox/health")
    assert response.status_code == 200
