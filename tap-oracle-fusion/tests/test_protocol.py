"""Protocol details of tap-oracle-fusion, against requests-mock."""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import re
import subprocess
import sys
import typing as t
import urllib.parse

import pytest
import requests
import urllib3
from singer_sdk.exceptions import FatalAPIError

from tap_oracle_fusion.tap import TapOracleFusion

POD = "https://abcd.fa.us2.oraclecloud.com"
TOKEN = "https://idcs-123.identity.oraclecloud.com/oauth2/v1/token"
ACCOUNTS = f"{POD}/crmRestApi/resources/11.13.18.05/accounts"
ORDERS = f"{POD}/fscmRestApi/resources/11.13.18.05/salesOrdersForOrderHub"
INVOICES = f"{POD}/fscmRestApi/resources/11.13.18.05/receivablesInvoices"
OAUTH = {"token_url": TOKEN, "client_id": "app", "client_secret": "s3cret"}

ACCOUNT_ATTRIBUTES = [
    {"name": "PartyId", "type": "integer"},
    {"name": "PartyNumber", "type": "string"},
    {"name": "PartyName", "type": "string"},
    {"name": "EmailAddress", "type": "string"},
    {"name": "Status", "type": "string"},
    {"name": "LastUpdateDate", "type": "datetime"},
]


def describe(resource: str, attributes: list[dict], children: dict | None = None) -> dict:
    return {"Resources": {resource: {"attributes": attributes, "children": children or {}}}}


def collection(items: list[dict], *, has_more: bool = False) -> dict:
    return {"items": items, "count": len(items), "hasMore": has_more, "limit": 500, "offset": 0}


def account(party_id: int, updated: str = "2026-03-01T09:30:00.000+00:00") -> dict:
    return {
        "PartyId": party_id,
        "PartyNumber": f"P{party_id}",
        "PartyName": "Acme",
        "EmailAddress": "ops@acme-trading.com",
        "Status": "A",
        "LastUpdateDate": updated,
    }


def tap(**config: t.Any) -> TapOracleFusion:
    return TapOracleFusion(
        config={"base_url": POD, "start_date": "2026-01-01T00:00:00Z", **config},
        validate_config=True,
    )


def records(tap_instance: TapOracleFusion, stream: str) -> list[dict[str, t.Any]]:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tap_instance.streams[stream].sync()
    messages = [json.loads(line) for line in output.getvalue().splitlines()]
    return [message["record"] for message in messages if message["type"] == "RECORD"]


@pytest.fixture
def describes(requests_mock) -> None:
    requests_mock.get(f"{ACCOUNTS}/describe", json=describe("accounts", ACCOUNT_ATTRIBUTES))
    line = [{"name": "LineId", "type": "integer"}, {"name": "OrderedQuantity", "type": "number"}]
    requests_mock.get(
        f"{ORDERS}/describe",
        json=describe(
            "salesOrdersForOrderHub",
            [
                {"name": "HeaderId", "type": "integer"},
                {"name": "OrderKey", "type": "string"},
                {"name": "LastUpdateDate", "type": "datetime"},
            ],
            {"lines": {"attributes": line}},
        ),
    )
    requests_mock.get(
        f"{INVOICES}/describe",
        json=describe(
            "receivablesInvoices",
            [
                {"name": "CustomerTransactionId", "type": "integer"},
                {"name": "LastUpdateDate", "type": "datetime"},
            ],
            {
                "receivablesInvoiceLines": {
                    "attributes": [{"name": "LineNumber", "type": "integer"}]
                }
            },
        ),
    )


def test_schema_comes_from_the_resources_describe(describes) -> None:
    schema = tap(username="u", password="p").streams["customers"].schema
    assert schema["properties"]["PartyId"]["type"] == ["integer", "null"]
    assert schema["properties"]["LastUpdateDate"]["format"] == "date-time"
    orders = tap(username="u", password="p").streams["sales_orders"].schema
    assert orders["properties"]["lines"]["items"]["properties"]["OrderedQuantity"]["type"] == [
        "number",
        "null",
    ]


def test_first_page_asks_from_the_start_date_in_key_order(requests_mock, describes) -> None:
    requests_mock.get(ACCOUNTS, json=collection([account(1)]))
    records(tap(username="u", password="p"), "customers")
    request = requests_mock.last_request
    assert request.qs["orderby"] == ["lastupdatedate:asc,partyid:asc"]
    assert request.qs["onlydata"] == ["true"]
    assert request.qs["limit"] == ["500"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)["q"][0]
    assert query == "LastUpdateDate >= '2026-01-01T00:00:00+00:00'"
    assert request.headers["REST-Framework-Version"] == "4"
    assert "application/vnd.oracle.adf.error+json" in request.headers["Accept"]


def test_pages_follow_the_last_row_by_keyset(requests_mock, describes) -> None:
    requests_mock.get(
        ACCOUNTS,
        [
            {"json": collection([account(1), account(2)], has_more=True)},
            {"json": collection([account(3)])},
        ],
    )
    found = records(tap(username="u", password="p"), "customers")
    assert [record["PartyId"] for record in found] == [1, 2, 3]
    second = requests_mock.request_history[-1]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(second.url).query)["q"][0]
    assert query == (
        "LastUpdateDate > '2026-03-01T09:30:00.000+00:00' or "
        "(LastUpdateDate = '2026-03-01T09:30:00.000+00:00' and PartyId > 2)"
    )
    assert second.qs["offset"] == ["0"]


def test_one_token_serves_every_page_and_stream_and_401_renews_it_once(
    requests_mock, describes
) -> None:
    requests_mock.post(
        TOKEN,
        [
            {"json": {"access_token": "t1", "expires_in": 3600}},
            {"json": {"access_token": "t2", "expires_in": 3600}},
        ],
    )
    requests_mock.get(
        ACCOUNTS,
        [
            {"json": collection([account(1)], has_more=True)},
            {"status_code": 401, "text": "Unauthorized"},
            {"json": collection([account(2)])},
        ],
    )
    requests_mock.get(ORDERS, json=collection([]))
    fusion = tap(**OAUTH)
    found = records(fusion, "customers")
    records(fusion, "sales_orders")
    token_calls = [r for r in requests_mock.request_history if r.url == TOKEN]
    assert len(token_calls) == 2
    assert [record["PartyId"] for record in found] == [1, 2]  # no page lost
    form = urllib.parse.parse_qs(token_calls[0].text)
    assert form == {
        "grant_type": ["client_credentials"],
        "scope": ["urn:opc:resource:consumer::all"],
    }
    client = base64.b64decode(token_calls[0].headers["Authorization"][6:]).decode()
    assert client == "app:s3cret"
    assert requests_mock.last_request.headers["Authorization"] == "Bearer t2"


def test_basic_auth_is_the_alternative(requests_mock, describes) -> None:
    requests_mock.get(ACCOUNTS, json=collection([]))
    records(tap(username="integration.user", password="pw"), "customers")
    header = requests_mock.last_request.headers["Authorization"]
    assert base64.b64decode(header[6:]).decode() == "integration.user:pw"


def test_lines_are_the_expanded_child_with_its_further_pages(requests_mock, describes) -> None:
    order = {
        "HeaderId": 7,
        "OrderKey": "a1b2",
        "LastUpdateDate": "2026-03-01T09:30:00+00:00",
        "lines": {"items": [{"LineId": 1, "OrderedQuantity": 2}], "hasMore": True},
    }
    requests_mock.get(ORDERS, json=collection([order]))
    requests_mock.get(
        f"{ORDERS}/a1b2/child/lines", json=collection([{"LineId": 2, "OrderedQuantity": 1}])
    )
    [found] = records(tap(username="u", password="p"), "sales_orders")
    assert [line["LineId"] for line in found["lines"]] == [1, 2]
    [collection_request] = [
        r
        for r in requests_mock.request_history
        if urllib.parse.urlsplit(r.url).path.endswith("OrderHub")
    ]
    assert collection_request.qs["expand"] == ["lines"]


def test_429_waits_for_retry_after(requests_mock, describes, monkeypatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", waits.append)
    requests_mock.get(
        ACCOUNTS,
        [
            {"status_code": 429, "headers": {"Retry-After": "7"}, "text": "slow down"},
            {"json": collection([])},
        ],
    )
    records(tap(username="u", password="p"), "customers")
    assert waits == [7.0]


def test_errors_surface_o_error_details_and_name_the_stream(requests_mock, describes) -> None:
    requests_mock.get(
        ACCOUNTS,
        status_code=400,
        json={
            "title": "Bad Request",
            "status": "400",
            "o:errorDetails": [
                {"detail": "The attribute Foo is not queryable.", "o:errorCode": "27501"}
            ],
        },
    )
    with pytest.raises(
        Exception, match=re.escape("Stream 'customers': Oracle Fusion answered 400")
    ) as raised:
        records(tap(username="u", password="pw"), "customers")
    assert "Foo is not queryable" in str(raised.value)


def test_missing_credentials_fail_with_one_sentence() -> None:
    with pytest.raises(Exception, match="Set client_id, client_secret and token_url"):
        records(tap(), "customers")


def test_a_refused_token_request_says_which_settings_to_check(requests_mock, token_waits) -> None:
    requests_mock.post(
        TOKEN,
        status_code=401,
        json={"error": "invalid_client", "error_description": "Client authentication failed."},
    )
    with pytest.raises(FatalAPIError) as raised:
        records(tap(**OAUTH), "customers")
    message = str(raised.value)
    assert message.startswith(
        "The Oracle identity domain refused the token request "
        "(401 invalid_client: Client authentication failed.)"
    )
    assert "check `client_id`, `client_secret`" in message
    assert "s3cret" not in message
    assert len(token_calls(requests_mock)) == 1  # a refusal means wrong settings: no retry
    assert token_waits == []


def test_an_unreachable_pod_fails_at_once_saying_to_check_base_url(
    requests_mock, monkeypatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", waits.append)
    requests_mock.get(
        f"{ACCOUNTS}/describe", exc=requests.ConnectionError("[Errno 111] Connection refused")
    )
    with pytest.raises(FatalAPIError) as raised:
        records(tap(username="u", password="p"), "customers")
    assert str(raised.value).startswith(f"Cannot reach Oracle Fusion at {POD} (Connection refused)")
    assert waits == []  # no minutes of retries before saying so


def test_a_dropped_connection_after_the_pod_answered_is_retried(
    requests_mock, describes, monkeypatch
) -> None:
    monkeypatch.setattr("backoff._sync.time.sleep", lambda _: None)
    requests_mock.get(
        ACCOUNTS, [{"exc": requests.ConnectionError("reset")}, {"json": collection([])}]
    )
    assert records(tap(username="u", password="p"), "customers") == []


def test_a_connection_the_pod_dropped_on_the_first_request_is_retried(
    requests_mock, describes, monkeypatch
) -> None:
    # What requests raises when the server closes the connection without answering.
    dropped = requests.ConnectionError(
        urllib3.exceptions.ProtocolError(
            "Connection aborted.",
            http.client.RemoteDisconnected("Remote end closed connection without response"),
        )
    )
    monkeypatch.setattr("backoff._sync.time.sleep", lambda _: None)
    requests_mock.get(
        f"{ACCOUNTS}/describe",
        [{"exc": dropped}, {"json": describe("accounts", ACCOUNT_ATTRIBUTES)}],
    )
    requests_mock.get(ACCOUNTS, json=collection([]))
    assert records(tap(username="u", password="p"), "customers") == []


def test_an_unreachable_identity_domain_says_to_check_token_url(requests_mock, token_waits) -> None:
    requests_mock.post(TOKEN, exc=requests.ConnectionError("[Errno -2] Name or service not known"))
    with pytest.raises(FatalAPIError) as raised:
        records(tap(**OAUTH), "customers")
    assert str(raised.value).startswith(
        "Cannot reach the Oracle identity domain at https://idcs-123.identity.oraclecloud.com "
        "(Name or service not known)"
    )
    assert len(token_calls(requests_mock)) == 4  # after a few quick retries
    assert sum(token_waits) <= 3.5


@pytest.fixture
def token_waits(monkeypatch) -> list[float]:
    """The waits between token requests, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", waits.append)
    return waits


def token_calls(requests_mock) -> list[t.Any]:
    return [r for r in requests_mock.request_history if r.url == TOKEN]


@pytest.mark.parametrize(
    "first_answer",
    [
        {"status_code": 503, "text": "Service Unavailable"},
        {"exc": requests.ConnectionError("Connection aborted.")},
        {"exc": requests.ReadTimeout("Read timed out.")},
    ],
    ids=["503", "dropped-connection", "timeout"],
)
def test_a_token_request_that_failed_in_passing_is_retried_and_the_stream_syncs(
    requests_mock, describes, token_waits, caplog, first_answer
) -> None:
    requests_mock.post(TOKEN, [first_answer, {"json": {"access_token": "t", "expires_in": 3600}}])
    requests_mock.get(ACCOUNTS, json=collection([account(1)]))
    with caplog.at_level("WARNING", logger="tap_oracle_fusion.auth"):
        assert len(records(tap(**OAUTH), "customers")) == 1
    assert len(token_calls(requests_mock)) == 2
    assert len(token_waits) == 1
    assert 0 <= token_waits[0] <= 0.5
    [warning] = [r for r in caplog.records if r.name == "tap_oracle_fusion.auth"]
    assert warning.levelname == "WARNING"
    assert warning.getMessage().startswith("Token request failed (")
    assert "try 2 of 4" in warning.getMessage()


def test_a_busy_identity_domain_is_waited_for_as_its_retry_after_says_capped(
    requests_mock, describes, token_waits
) -> None:
    requests_mock.post(
        TOKEN,
        [
            {"status_code": 429, "headers": {"Retry-After": "2"}, "text": "slow down"},
            {"status_code": 503, "headers": {"Retry-After": "600"}, "text": "maintenance"},
            {"json": {"access_token": "t", "expires_in": 3600}},
        ],
    )
    requests_mock.get(ACCOUNTS, json=collection([]))
    records(tap(**OAUTH), "customers")
    assert token_waits == [2.0, 3.0]


def test_an_identity_domain_busy_on_every_try_ends_the_run_with_its_answer(
    requests_mock, token_waits, caplog
) -> None:
    requests_mock.post(TOKEN, status_code=503, json={"error": "temporarily_unavailable"})
    with pytest.raises(FatalAPIError) as raised, caplog.at_level("WARNING"):
        records(tap(**OAUTH), "customers")
    assert str(raised.value) == (
        "The Oracle identity domain's token endpoint answered 503: temporarily_unavailable"
    )
    assert len(token_calls(requests_mock)) == 4
    assert len(token_waits) == 3
    assert "s3cret" not in caplog.text
    assert base64.b64encode(b"app:s3cret").decode() not in caplog.text


def test_discovery_that_fusion_refuses_ends_with_one_logged_sentence(requests_mock, caplog) -> None:
    requests_mock.post(TOKEN, status_code=401, json={"error": "invalid_client"})
    # As `--discover` builds it: no stream maps, so no schema is read before discovery.
    discovering = TapOracleFusion(config={"base_url": POD, **OAUTH}, setup_mapper=False)
    with pytest.raises(SystemExit) as exited, caplog.at_level("ERROR"):
        discovering.run_discovery()
    assert exited.value.code == 1
    assert "The Oracle identity domain refused the token request (401 invalid_client)" in (
        caplog.text
    )


def test_discovery_without_a_pod_says_to_set_base_url(caplog) -> None:
    discovering = TapOracleFusion(config=OAUTH, setup_mapper=False, validate_config=False)
    with pytest.raises(SystemExit) as exited, caplog.at_level("ERROR"):
        discovering.run_discovery()
    assert exited.value.code == 1
    assert "Set `base_url`" in caplog.text


def test_a_settings_error_is_named_on_the_command_line(tmp_path) -> None:
    # The SDK's CLI logs only a ConfigValidationError's `errors`, then "Config
    # validation failed": the sentence must be among them.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"base_url": "https://abcd.fa.us2.oraclecloud.com"}))
    completed = subprocess.run(
        [sys.executable, "-m", "tap_oracle_fusion", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "Set client_id, client_secret and token_url" in completed.stderr
