"""Governance and faults: the concurrency limit's 429, injected errors in NetSuite's envelope."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from netsuite_helpers import bearer_token, error_detail, suiteql

from erp_sandbox.netsuite import NetSuiteEmulator

QUERY = "SELECT c.id FROM customer c WHERE c.id = 1001"


def test_requests_over_the_concurrency_limit_get_429_without_retry_after(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    netsuite_emulator.configure(concurrency_limit=2)
    netsuite_emulator.faults.configure(latency_ms=300)
    token = bearer_token(netsuite_emulator)
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(lambda _: suiteql(netsuite_emulator, QUERY, token=token), range(6))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 2
    assert 429 in statuses
    for response in responses:
        if response.status_code == 429:
            assert "Retry-After" not in response.headers
            body = response.json()
            assert body["title"] == "Bad Request"
            assert body["o:errorDetails"] == [
                {
                    "detail": "Concurrent request limit exceeded. Request blocked.",
                    "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                }
            ]


def test_token_requests_do_not_count_toward_the_limit(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    netsuite_emulator.configure(concurrency_limit=1)
    with ThreadPoolExecutor(max_workers=4) as pool:
        tokens = list(pool.map(lambda _: bearer_token(netsuite_emulator), range(4)))
    assert len(set(tokens)) == 4


def test_injected_server_errors_use_unexpected_error(netsuite_emulator: NetSuiteEmulator) -> None:
    token = bearer_token(netsuite_emulator)
    netsuite_emulator.faults.enqueue(path="/services/rest/query/*", status=503, times=1)
    detail = error_detail(suiteql(netsuite_emulator, QUERY, token=token), 503)
    assert detail["o:errorCode"] == "UNEXPECTED_ERROR"
    assert suiteql(netsuite_emulator, QUERY, token=token).status_code == 200


def test_injected_429_looks_like_the_concurrency_refusal(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    token = bearer_token(netsuite_emulator)
    netsuite_emulator.faults.enqueue(method="POST", path="/services/rest/query/*", status=429)
    detail = error_detail(suiteql(netsuite_emulator, QUERY, token=token), 429)
    assert detail["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"


def test_dropped_connection_is_a_connection_error(netsuite_emulator: NetSuiteEmulator) -> None:
    token = bearer_token(netsuite_emulator)
    netsuite_emulator.faults.enqueue(path="/services/rest/query/*", drop="no_response")
    try:
        suiteql(netsuite_emulator, QUERY, token=token)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the connection should have been dropped")
    assert netsuite_emulator.calls.count("POST /services/rest/query/v1/suiteql") == 1
