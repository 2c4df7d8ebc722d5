"""Mailchimp allows 10 simultaneous connections per API key."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from erp_sandbox.mailchimp import MailchimpEmulator


def _parallel_pings(
    emulator: MailchimpEmulator, count: int, auths: list[tuple[str, str]]
) -> list[requests.Response]:
    barrier = threading.Barrier(count)

    def ping(index: int) -> requests.Response:
        barrier.wait()
        return requests.get(emulator.api_root + "/ping", auth=auths[index % len(auths)])

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(ping, range(count)))


def test_more_than_ten_in_flight_requests_get_429(mailchimp_emulator: MailchimpEmulator) -> None:
    mailchimp_emulator.faults.configure(latency_ms=600)
    responses = _parallel_pings(mailchimp_emulator, 13, [mailchimp_emulator.auth])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 10 + [429] * 3
    rejected = next(r for r in responses if r.status_code == 429)
    assert rejected.headers["content-type"] == "application/problem+json; charset=utf-8"
    assert rejected.json()["title"] == "Too Many Requests"
    assert rejected.json()["detail"] == (
        "You have exceeded the limit of 10 simultaneous connections."
    )


def test_the_limit_is_per_api_key(mailchimp_emulator: MailchimpEmulator) -> None:
    second_key = "fedcba9876543210fedcba9876543210-us21"
    mailchimp_emulator.configure(api_keys=[mailchimp_emulator.api_key, second_key])
    mailchimp_emulator.faults.configure(latency_ms=600)
    responses = _parallel_pings(
        mailchimp_emulator, 16, [mailchimp_emulator.auth, ("x", second_key)]
    )
    assert all(r.status_code == 200 for r in responses)


def test_the_limit_is_configurable(mailchimp_emulator: MailchimpEmulator) -> None:
    mailchimp_emulator.configure(concurrency_limit=2)
    mailchimp_emulator.faults.configure(latency_ms=600)
    responses = _parallel_pings(mailchimp_emulator, 4, [mailchimp_emulator.auth])
    assert sorted(r.status_code for r in responses) == [200, 200, 429, 429]
