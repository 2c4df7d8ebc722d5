"""Protocol details of tap-acumatica, against requests-mock."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import typing as t
import urllib.parse

import pytest
import requests
from singer_sdk.exceptions import FatalAPIError

from tap_acumatica.client import RequestPacer, unwrap
from tap_acumatica.tap import TapAcumatica

BASE = "https://erp.acme-distribution.com/AcumaticaERP"
ENTITY = f"{BASE}/entity/Default/23.200.001"
TOKEN = f"{BASE}/identity/connect/token"
OAUTH = {
    "client_id": "7f2c1e0a-1111-2222-3333-444455556666@Company",
    "client_secret": "cs",
    "username": "integration",
    "password": "pw",
}
COOKIE = {"auth_method": "cookie", "username": "integration", "password": "pw", "tenant": "Company"}
ENDPOINTS = {
    "endpoints": [
        {"name": "Default", "version": v, "href": "…"} for v in ("22.200.001", "23.200.001")
    ]
}


def tap(**config: t.Any) -> TapAcumatica:
    return TapAcumatica(
        config={"base_url": BASE, "start_date": "2026-01-01T00:00:00Z", "page_size": 2, **config},
        validate_config=True,
    )


def sync(tap_instance: TapAcumatica) -> list[dict[str, t.Any]]:
    """Run the tap as Meltano would (endpoint check, every stream, logout)."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tap_instance.sync_all()
    return [json.loads(line) for line in output.getvalue().splitlines()]


def records(messages: list[dict], stream: str) -> list[dict]:
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def customer(number: int) -> dict[str, t.Any]:
    return {
        "id": f"0000-{number}",
        "rowNumber": number,
        "note": {"value": None},
        "CustomerID": {"value": f"C{number:05d}"},
        "CustomerName": {"value": "Acme"},
        "Status": {"value": "Active"},
        "LastModifiedDateTime": {"value": "2026-03-01T09:30:00.123+00:00"},
        "MainContact": {
            "id": "x",
            "rowNumber": 1,
            "Email": {"value": "ops@acme-trading.com"},
            "Address": {"City": {"value": "Leeds"}},
        },
        "custom": {"Document": {"UsrSegment": {"type": "CustomStringField", "value": "Wholesale"}}},
        "_links": {"self": "/entity/…"},
    }


@pytest.fixture
def instance(requests_mock) -> None:
    requests_mock.get(f"{BASE}/entity/", json=ENDPOINTS)
    requests_mock.post(
        TOKEN,
        json={
            "access_token": "t1",
            "expires_in": 3600,
            "token_type": "Bearer",
            "refresh_token": "r1",
        },
    )
    requests_mock.post(f"{BASE}/entity/auth/logout", status_code=204)
    for entity in ("Customer", "Contact", "SalesInvoice", "StockItem"):
        requests_mock.get(f"{ENTITY}/{entity}", json=[])


def test_value_wrappers_links_and_custom_fields_are_unwrapped() -> None:
    assert unwrap(customer(1)) == {
        "id": "0000-1",
        "note": None,
        "CustomerID": "C00001",
        "CustomerName": "Acme",
        "Status": "Active",
        "LastModifiedDateTime": "2026-03-01T09:30:00.123+00:00",
        "MainContact": {"id": "x", "Email": "ops@acme-trading.com", "Address": {"City": "Leeds"}},
        "custom": {"Document": {"UsrSegment": "Wholesale"}},
    }


def skips(requests_mock, entity: str = "customer") -> list[int]:
    return [int(r.qs["$skip"][0]) for r in requests_mock.request_history if r.path.endswith(entity)]


def test_pages_by_skip_and_top_until_a_short_page_each_repeating_the_last_row(
    requests_mock, instance
) -> None:
    requests_mock.get(
        f"{ENTITY}/Customer",
        [
            {"json": [customer(1), customer(2)]},
            {"json": [customer(2), customer(3)]},
            {"json": [customer(3)]},  # only the repeated row: the end
        ],
    )
    found = records(sync(tap(**OAUTH)), "customers")
    assert [r["CustomerID"] for r in found] == ["C00001", "C00002", "C00003"]
    assert skips(requests_mock) == [0, 1, 2]


def test_a_row_deleted_from_a_page_already_read_skips_nothing(requests_mock, instance) -> None:
    # C2 is deleted after the first page: the list moves one place back, so the second
    # page (from $skip 3, repeating one row) starts at C5 instead of C4.
    pages = [
        [customer(1), customer(2), customer(3), customer(4)],
        [customer(5), customer(6)],  # C4 slipped before the page: its tail is missing
        [customer(1), customer(3), customer(4), customer(5)],  # so it starts over
        [customer(5), customer(6)],
    ]
    requests_mock.get(f"{ENTITY}/Customer", [{"json": page} for page in pages])
    found = records(sync(tap(**OAUTH, page_size=4)), "customers")
    assert [r["CustomerID"] for r in found] == [f"C0000{n}" for n in (1, 2, 3, 4, 5, 6)]
    assert skips(requests_mock) == [0, 2, 0, 2]


def test_a_list_that_keeps_changing_stops_the_read_clearly(requests_mock, instance) -> None:
    requests_mock.get(
        f"{ENTITY}/Customer",
        [{"json": [customer(1), customer(2)]}, {"json": [customer(8), customer(9)]}] * 5,
    )
    with pytest.raises(FatalAPIError, match="Customer list kept changing under the read"):
        sync(tap(**OAUTH))


def test_filter_is_datetimeoffset_encoded_once_and_links_are_expanded(
    requests_mock, instance
) -> None:
    sync(tap(**OAUTH))
    [request] = [r for r in requests_mock.request_history if r.path.endswith("/customer")]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
    assert query["$filter"] == [
        "LastModifiedDateTime gt datetimeoffset'2026-01-01T00:00:00.000+00:00'"
    ]
    assert query["$expand"] == [
        "MainContact,MainContact/Address,BillingContact,BillingContact/Address"
    ]
    assert "%2B00%3A00" in request.url  # once, not twice (%252B)


def test_only_released_invoices_are_asked_for(requests_mock, instance) -> None:
    sync(tap(**OAUTH))
    [request] = [r for r in requests_mock.request_history if r.path.endswith("/salesinvoice")]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.url).query)
    assert query["$filter"][0].startswith("(Status eq 'Open' or Status eq 'Closed') and ")
    assert query["$expand"] == ["Details"]


def test_endpoint_22_has_no_invoice_last_modified_field_so_invoices_are_read_whole(
    requests_mock,
) -> None:
    requests_mock.get(f"{BASE}/entity/", json=ENDPOINTS)
    netsuite_22 = tap(endpoint_version="22.200.001", **OAUTH)
    invoices = netsuite_22.streams["sales_invoices"]
    assert invoices.replication_key is None
    assert "LastModifiedDateTime" not in invoices.schema["properties"]
    assert "Email" not in netsuite_22.streams["customers"].schema["properties"]  # from 23 on
    assert "Email" in tap(**OAUTH).streams["customers"].schema["properties"]


def test_an_endpoint_version_the_instance_lacks_stops_with_the_offered_ones(
    requests_mock, instance
) -> None:
    with pytest.raises(
        Exception,
        match=r"does not offer endpoint Default 24\.200\.001.*"
        r"Default 22\.200\.001, Default 23\.200\.001",
    ):
        sync(tap(endpoint_version="24.200.001", **OAUTH))
    assert not [r for r in requests_mock.request_history if "/Default/" in r.url]


def test_password_grant_then_one_token_for_every_stream(requests_mock, instance) -> None:
    sync(tap(**OAUTH))
    token_calls = [r for r in requests_mock.request_history if r.url == TOKEN]
    assert len(token_calls) == 1
    form = urllib.parse.parse_qs(token_calls[0].text)
    assert form["grant_type"] == ["password"]
    assert form["scope"] == ["api offline_access"]
    assert form["client_id"] == [OAUTH["client_id"]]


def test_oauth_session_is_signed_out_with_its_bearer(requests_mock, instance) -> None:
    sync(tap(**OAUTH))
    last = requests_mock.request_history[-1]
    assert last.path == "/acumaticaerp/entity/auth/logout"
    assert last.headers["Authorization"] == "Bearer t1"


def test_refresh_token_grant_when_configured(requests_mock, instance) -> None:
    sync(tap(client_id=OAUTH["client_id"], client_secret="cs", refresh_token="r0"))
    [call] = [r for r in requests_mock.request_history if r.url == TOKEN]
    assert urllib.parse.parse_qs(call.text)["grant_type"] == ["refresh_token"]


def test_cookie_session_is_logged_out_after_a_run(requests_mock, instance) -> None:
    requests_mock.post(
        f"{BASE}/entity/auth/login",
        status_code=204,
        headers={"Set-Cookie": "ASP.NET_SessionId=abc; path=/"},
    )
    requests_mock.post(f"{BASE}/entity/auth/logout", status_code=204)
    sync(tap(**COOKIE))
    paths = [r.path for r in requests_mock.request_history]
    assert paths.count("/acumaticaerp/entity/auth/login") == 1
    assert paths[-1] == "/acumaticaerp/entity/auth/logout"
    [entity_call] = [r for r in requests_mock.request_history if r.path.endswith("/customer")]
    assert "ASP.NET_SessionId=abc" in entity_call.headers["Cookie"]


def test_cookie_session_is_logged_out_after_a_failure_too(requests_mock, instance) -> None:
    requests_mock.post(
        f"{BASE}/entity/auth/login",
        status_code=204,
        headers={"Set-Cookie": "ASP.NET_SessionId=abc; path=/"},
    )
    requests_mock.post(f"{BASE}/entity/auth/logout", status_code=204)
    requests_mock.get(
        f"{ENTITY}/Customer",
        status_code=400,
        json={"message": "An error has occurred.", "exceptionMessage": "Invalid filter."},
    )
    with pytest.raises(Exception, match="Invalid filter"):
        sync(tap(**COOKIE))
    assert requests_mock.request_history[-1].path == "/acumaticaerp/entity/auth/logout"


def test_login_limit_is_explained(requests_mock, instance) -> None:
    requests_mock.post(
        f"{BASE}/entity/auth/login", status_code=429, json={"message": "API Login Limit"}
    )
    with pytest.raises(RuntimeError, match="API user limit"):
        sync(tap(**COOKIE))


def test_pacer_spaces_requests_below_the_licence_limit(monkeypatch) -> None:
    clock = [100.0]
    slept: list[float] = []
    monkeypatch.setattr("tap_acumatica.client.time.monotonic", lambda: clock[0])
    monkeypatch.setattr("tap_acumatica.client.time.sleep", slept.append)
    pacer = RequestPacer(per_minute=120)
    for _ in range(3):
        pacer.wait()
    assert slept == [0.5, 1.0]
    RequestPacer(per_minute=None).wait()  # no limit: no wait


def test_a_refused_password_grant_says_which_settings_to_check(
    requests_mock, instance, waits
) -> None:
    requests_mock.get(f"{BASE}/entity/", status_code=401)
    requests_mock.post(
        TOKEN,
        status_code=400,
        json={"error": "invalid_grant", "error_description": "invalid_username_or_password"},
    )
    with pytest.raises(FatalAPIError) as raised:
        sync(tap(**OAUTH))
    message = str(raised.value)
    assert message.startswith(
        "Acumatica refused the token request (400 invalid_grant: invalid_username_or_password)"
    )
    assert "check `client_id`, `client_secret` and `username` and `password`" in message
    assert len(calls_to(requests_mock, TOKEN)) == 1  # a refusal means wrong settings: no retry
    assert waits == []


def test_a_refused_refresh_token_falls_back_to_the_password_grant(requests_mock, instance) -> None:
    requests_mock.post(
        TOKEN,
        [
            {"status_code": 400, "json": {"error": "invalid_grant"}},
            {"json": {"access_token": "t2", "expires_in": 3600}},
        ],
    )
    sync(tap(**OAUTH, refresh_token="spent"))
    grants = [
        urllib.parse.parse_qs(r.text)["grant_type"][0]
        for r in requests_mock.request_history
        if r.url == TOKEN
    ]
    assert grants == ["refresh_token", "password"]


def test_an_unreachable_instance_says_to_check_base_url(requests_mock, waits) -> None:
    requests_mock.get(
        f"{BASE}/entity/", exc=requests.ConnectionError("[Errno 111] Connection refused")
    )
    with pytest.raises(FatalAPIError) as raised:
        sync(tap(**OAUTH))
    assert str(raised.value).startswith(f"Cannot reach Acumatica at {BASE} (Connection refused)")
    assert "check `base_url`" in str(raised.value)
    assert len(calls_to(requests_mock, f"{BASE}/entity/")) == 4  # after a few quick retries
    assert sum(waits) <= 3.5


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits between retried requests, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr("backoff._sync.time.sleep", recorded.append)
    return recorded


def calls_to(requests_mock, url: str) -> list[t.Any]:
    return [r for r in requests_mock.request_history if r.url == url]


FAILED_IN_PASSING = pytest.mark.parametrize(
    "first_answer",
    [
        {"status_code": 503, "text": "Service Unavailable"},
        {"exc": requests.ConnectionError("Connection aborted.")},
        {"exc": requests.ReadTimeout("Read timed out.")},
    ],
    ids=["503", "dropped-connection", "timeout"],
)


@FAILED_IN_PASSING
def test_a_token_request_that_failed_in_passing_is_retried_and_the_run_goes_on(
    requests_mock, instance, waits, caplog, first_answer
) -> None:
    requests_mock.get(f"{ENTITY}/Customer", json=[customer(1)])
    requests_mock.post(TOKEN, [first_answer, {"json": {"access_token": "t1", "expires_in": 3600}}])
    secret = {"client_secret": "cs-never-logged", "password": "pw-never-logged"}
    with caplog.at_level("WARNING", logger="tap_acumatica.auth"):
        assert len(records(sync(tap(**{**OAUTH, **secret})), "customers")) == 1
    assert len(calls_to(requests_mock, TOKEN)) == 2
    assert len(waits) == 1
    assert 0 <= waits[0] <= 0.5
    [warning] = [r for r in caplog.records if r.name == "tap_acumatica.auth"]
    assert warning.levelname == "WARNING"
    assert warning.getMessage().startswith("Token request failed (")
    assert "try 2 of 4" in warning.getMessage()
    assert "never-logged" not in caplog.text


def test_a_busy_token_endpoint_is_waited_for_as_its_retry_after_says_capped(
    requests_mock, instance, waits
) -> None:
    requests_mock.post(
        TOKEN,
        [
            {"status_code": 429, "headers": {"Retry-After": "2"}, "text": "slow down"},
            {"status_code": 503, "headers": {"Retry-After": "600"}, "text": "maintenance"},
            {"json": {"access_token": "t1", "expires_in": 3600}},
        ],
    )
    sync(tap(**OAUTH))
    assert waits == [2.0, 3.0]


def test_a_token_endpoint_busy_on_every_try_ends_the_run_with_its_answer(
    requests_mock, instance, waits
) -> None:
    requests_mock.post(TOKEN, status_code=503, json={"error": "server_error"})
    with pytest.raises(FatalAPIError) as raised:
        sync(tap(**OAUTH))
    assert str(raised.value) == "Acumatica's token endpoint answered 503: server_error"
    assert len(calls_to(requests_mock, TOKEN)) == 4
    assert len(waits) == 3


def test_an_unreachable_token_endpoint_says_to_check_base_url_after_a_few_tries(
    requests_mock, instance, waits
) -> None:
    requests_mock.post(TOKEN, exc=requests.ConnectionError("[Errno 111] Connection refused"))
    with pytest.raises(FatalAPIError) as raised:
        sync(tap(**OAUTH))
    assert str(raised.value).startswith(
        f"Cannot reach Acumatica's token endpoint {TOKEN} (Connection refused): check `base_url`"
    )
    assert len(calls_to(requests_mock, TOKEN)) == 4


@FAILED_IN_PASSING
def test_an_endpoint_list_that_failed_in_passing_is_asked_again(
    requests_mock, instance, waits, first_answer
) -> None:
    requests_mock.get(f"{BASE}/entity/", [first_answer, {"json": ENDPOINTS}])
    requests_mock.get(f"{ENTITY}/Customer", json=[customer(1)])
    assert len(records(sync(tap(**OAUTH)), "customers")) == 1
    assert len(calls_to(requests_mock, f"{BASE}/entity/")) == 2


def test_an_endpoint_list_busy_on_every_try_ends_the_run_saying_so(
    requests_mock, instance, waits
) -> None:
    requests_mock.get(f"{BASE}/entity/", status_code=503, text="Service Unavailable")
    with pytest.raises(FatalAPIError) as raised:
        sync(tap(**OAUTH))
    assert str(raised.value).startswith(f"Acumatica's endpoint list ({BASE}/entity/) answered 503")
    assert len(calls_to(requests_mock, f"{BASE}/entity/")) == 4
    assert len(waits) == 3


def test_a_missing_endpoint_list_is_not_asked_again(requests_mock, instance, waits) -> None:
    requests_mock.get(f"{BASE}/entity/", status_code=404, text="Not Found")
    with pytest.raises(FatalAPIError, match=r"answered 404: check `base_url`"):
        sync(tap(**OAUTH))
    assert len(calls_to(requests_mock, f"{BASE}/entity/")) == 1


def test_a_settings_error_is_named_on_the_command_line(tmp_path) -> None:
    # The SDK's CLI logs only a ConfigValidationError's `errors`, then "Config
    # validation failed": the sentence must be among them.
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"base_url": "https://erp.acme-distribution.com/AcumaticaERP", "client_id": "c"})
    )
    completed = subprocess.run(
        [sys.executable, "-m", "tap_acumatica", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "OAuth needs `client_id`, `client_secret`" in completed.stderr
