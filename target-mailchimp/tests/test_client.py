"""Protocol details of the Mailchimp client, against requests-mock."""

from __future__ import annotations

import base64

import pytest
import requests

from target_mailchimp import client as client_module
from target_mailchimp.client import (
    MailchimpAPIError,
    MailchimpAuth,
    MailchimpClient,
    resolve_api_root,
)

API_KEY = "f00dfeedf00dfeedf00dfeedf00dfeed-us6"
ROOT = "https://us6.api.mailchimp.com/3.0"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff sleeps instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", recorded.append)
    return recorded


def make_client(**kwargs: object) -> MailchimpClient:
    return MailchimpClient(ROOT, MailchimpAuth(api_key=API_KEY), **kwargs)  # type: ignore[arg-type]


def test_data_center_comes_from_the_key_suffix() -> None:
    assert resolve_api_root(api_key="abc-def-us21") == "https://us21.api.mailchimp.com/3.0"


def test_explicit_data_center_and_base_url_take_precedence() -> None:
    assert resolve_api_root(api_key=API_KEY, data_center="us9").startswith("https://us9.")
    assert resolve_api_root(api_key=API_KEY, base_url="http://127.0.0.1:1/3.0/") == (
        "http://127.0.0.1:1/3.0"
    )


def test_a_key_without_data_center_suffix_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="data center"):
        resolve_api_root(api_key="nodashkey")


def test_access_token_data_center_comes_from_oauth_metadata(requests_mock) -> None:
    requests_mock.get(
        client_module.DEFAULT_OAUTH_METADATA_URL,
        json={"dc": "us22", "api_endpoint": "https://us22.api.mailchimp.com"},
    )
    assert resolve_api_root(access_token="tok-123") == "https://us22.api.mailchimp.com/3.0"
    assert requests_mock.last_request.headers["Authorization"] == "OAuth tok-123"


def test_invalid_token_answered_with_200_is_reported(requests_mock) -> None:
    # Mailchimp answers a bad token with HTTP 200 and {"error": "invalid_token"}.
    requests_mock.get(client_module.DEFAULT_OAUTH_METADATA_URL, json={"error": "invalid_token"})
    with pytest.raises(ValueError, match="invalid_token") as raised:
        resolve_api_root(access_token="tok-secret-value")
    assert "tok-secret-value" not in str(raised.value)


def test_api_key_is_sent_as_basic_auth_password(requests_mock) -> None:
    requests_mock.get(f"{ROOT}/ping", json={"health_status": "Everything's Chimpy!"})
    make_client().request("GET", "/ping")
    header = requests_mock.last_request.headers["Authorization"]
    assert header.startswith("Basic ")
    assert base64.b64decode(header[6:]).decode().endswith(f":{API_KEY}")


def test_access_token_is_sent_as_bearer(requests_mock) -> None:
    requests_mock.get(f"{ROOT}/ping", json={})
    MailchimpClient(ROOT, MailchimpAuth(access_token="tok-1")).request("GET", "/ping")
    assert requests_mock.last_request.headers["Authorization"] == "Bearer tok-1"


def test_429_waits_for_retry_after_then_succeeds(requests_mock, waits) -> None:
    requests_mock.post(
        f"{ROOT}/lists/l1",
        [
            {"status_code": 429, "headers": {"Retry-After": "7"}, "json": {"title": "Too Many"}},
            {"status_code": 200, "json": {"new_members": []}},
        ],
    )
    assert make_client().request("POST", "/lists/l1", json={}) == {"new_members": []}
    assert waits == [7.0]


def test_server_errors_and_dropped_connections_back_off_with_jitter(requests_mock, waits) -> None:
    requests_mock.get(
        f"{ROOT}/lists/l1",
        [
            {"status_code": 503, "text": "<html>Request Blocked</html>"},
            {"exc": requests.exceptions.ConnectionError("connection reset")},
            {"status_code": 500, "json": {"title": "Internal Server Error"}},
            {"status_code": 200, "json": {"id": "l1"}},
        ],
    )
    assert make_client(max_backoff_seconds=30).request("GET", "/lists/l1") == {"id": "l1"}
    assert len(waits) == 3
    # Full jitter: each wait lies between 0 and the exponential cap of its attempt.
    for attempt, wait in enumerate(waits):
        assert 0 <= wait <= 0.5 * 2**attempt


def test_retries_stop_after_max_retries(requests_mock, waits) -> None:
    requests_mock.get(f"{ROOT}/lists/l1", status_code=502, json={"title": "Bad Gateway"})
    with pytest.raises(MailchimpAPIError) as raised:
        make_client(max_retries=2).request("GET", "/lists/l1")
    assert raised.value.status == 502
    assert requests_mock.call_count == 3
    assert len(waits) == 2


def test_overload_403_without_json_body_is_retried(requests_mock, waits) -> None:
    requests_mock.get(
        f"{ROOT}/ping", [{"status_code": 403, "text": ""}, {"status_code": 200, "json": {}}]
    )
    make_client().request("GET", "/ping")
    assert len(waits) == 1


def test_other_4xx_raise_at_once_with_mailchimps_title_and_detail(requests_mock, waits) -> None:
    requests_mock.put(
        f"{ROOT}/lists/l1/members/abc",
        status_code=400,
        json={
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": "Invalid Resource",
            "status": 400,
            "detail": "Your merge fields were invalid.",
            "instance": "x",
            "errors": [{"field": "LNAME", "message": "Please enter a value"}],
        },
    )
    with pytest.raises(MailchimpAPIError) as raised:
        make_client().request("PUT", "/lists/l1/members/abc", json={})
    assert waits == []
    message = str(raised.value)
    assert "Invalid Resource" in message
    assert "LNAME: Please enter a value" in message
    assert API_KEY not in message


def test_calls_are_counted_per_endpoint(requests_mock) -> None:
    requests_mock.get(f"{ROOT}/ping", json={})
    client = make_client()
    client.request("GET", "/ping")
    client.request("GET", "/ping")
    assert client.calls_by_endpoint == {"GET /ping": 2}


def test_paginate_reads_every_page_with_count_1000(requests_mock) -> None:
    requests_mock.get(
        f"{ROOT}/lists/l1/members",
        [
            {"json": {"members": [{"n": i} for i in range(1000)], "total_items": 1500}},
            {"json": {"members": [{"n": i} for i in range(500)], "total_items": 1500}},
        ],
    )
    items = list(make_client().paginate("/lists/l1/members", "members"))
    assert len(items) == 1500
    offsets = [request.qs["offset"] for request in requests_mock.request_history]
    assert offsets == [["0"], ["1000"]]
    assert requests_mock.request_history[0].qs["count"] == ["1000"]


def test_auth_repr_hides_the_credential() -> None:
    assert API_KEY not in repr(MailchimpAuth(api_key=API_KEY))
