"""Protocol details of tap-jde, against requests-mock: sign-in, queries, paging, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError

from tap_jde.tap import TapJde

from .running import final_state, records, run

BASE = "https://ais.acme-distribution.com:9302"
TOKEN_URL = f"{BASE}/jderest/v2/tokenrequest"
LOGOUT_URL = f"{BASE}/jderest/v2/tokenrequest/logout"
DATA_URL = f"{BASE}/jderest/v2/dataservice"
FIRST_TOKEN = "044Ab+Cd/Ef=MTc5NTYy"
SECOND_TOKEN = "044Gh+Ij/Kl=MTc5NTYz"
CONFIG = {
    "base_url": BASE,
    "username": "INTEGRATE",
    "password": "pw-Secret-1",
    "environment": "JPD920",
    "role": "*ALL",
    "device_name": "meltano-prod",
    "time_zone": "America/Denver",
    "page_size": 2,
}
INVALID_TOKEN = {"message": "Invalid Token", "exception": "Exception"}
EXPIRED = {
    "sysErrors": [
        {
            "TITLE": "JAS_MSG347: The query results expired.  Refresh them by clicking Find again.",
            "DESC": "JAS_MSG347: The query results expired.",
        }
    ]
}


def token_response(token: str) -> dict[str, t.Any]:
    return {
        "username": "INTEGRATE",
        "environment": "JPD920",
        "role": "*ALL",
        "userInfo": {"token": token, "simpleDateFormat": "MM/dd/yyyy", "dateFormat": "MDE"},
        "userAuthorized": False,
    }


def link(rid: str, token: str = FIRST_TOKEN) -> str:
    """A next link as the AIS Server writes it: the token percent-encoded, `|` left as is."""
    encoded = token.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return (
        f"{BASE}/jderest/v2/dataservice/next?stackId=1&stateId=1&rid={rid}&fullGridId=54"
        f"&formOID=V0101&token={encoded}&outputType=GRID_DATA&returnControlIDs=F0101.AN8|F0101.ALPH"
    )


def address_book(an8: int, upmj: str = "20240201", upmt: int = 141805) -> dict[str, t.Any]:
    return {
        "F0101_AN8": an8,
        "F0101_ALPH": f"Customer {an8}",
        "F0101_AT1": "C",
        "F0101_MCU": "          30",
        "F0101_UPMJ": upmj,
        "F0101_UPMT": upmt,
    }


def changed(an8: int) -> dict[str, t.Any]:
    """An F0101 row changed the day after the bookmark in `STATE`."""
    return address_book(an8, "20240202", 141805)


def electronic_address(an8: int, idln: int, rck7: int) -> dict[str, t.Any]:
    return {
        "F01151_AN8": an8,
        "F01151_IDLN": idln,
        "F01151_RCK7": rck7,
        "F01151_ETP": "E",
        "F01151_EMAL": f"line{idln}.{rck7}@harbortools.com",
        "F01151_UPMJ": "20240201",
        "F01151_UPMT": 93005,
    }


def page(table: str, rows: list[dict[str, t.Any]], next_link: str | None = None) -> dict:
    body: dict[str, t.Any] = {
        f"fs_DATABROWSE_{table}": {
            "title": f"Data Browser - {table}",
            "data": {
                "gridData": {
                    "id": 54,
                    "rowset": rows,
                    "summary": {"records": len(rows), "moreRecords": next_link is not None},
                }
            },
            "errors": [],
            "warnings": [],
        },
        "currentApp": f"DATABROWSE_{table}",
        "sysErrors": [],
    }
    if next_link:
        body["links"] = [{"rel": "next", "href": next_link}]
    return body


@pytest.fixture
def ais(requests_mock) -> t.Any:
    """Sign-in (a new token each time) and logout; data calls are set per test."""
    requests_mock.post(
        TOKEN_URL,
        [{"json": token_response(FIRST_TOKEN)}, {"json": token_response(SECOND_TOKEN)}],
    )
    requests_mock.post(LOGOUT_URL, status_code=200, text="")
    return requests_mock


def calls(mock: t.Any, url: str, method: str = "POST") -> list[t.Any]:
    return [r for r in mock.request_history if r.url.split("?")[0] == url and r.method == method]


def data_bodies(mock: t.Any) -> list[dict[str, t.Any]]:
    return [r.json() for r in calls(mock, DATA_URL)]


# Session -----------------------------------------------------------------------------


def test_signs_in_once_with_the_device_and_sends_token_and_device_headers(ais) -> None:
    ais.post(DATA_URL, json=page("F0101", [address_book(1004)]))
    run(CONFIG, "f0101")
    [sign_in] = calls(ais, TOKEN_URL)
    assert sign_in.json() == {
        "username": "INTEGRATE",
        "password": "pw-Secret-1",
        "deviceName": "meltano-prod",
        "environment": "JPD920",
        "role": "*ALL",
    }
    [query] = calls(ais, DATA_URL)
    assert query.headers["jde-AIS-Auth"] == FIRST_TOKEN
    assert query.headers["jde-AIS-Auth-Device"] == "meltano-prod"


def test_logs_out_at_the_end_of_the_run(ais) -> None:
    ais.post(DATA_URL, json=page("F0101", [address_book(1004)]))
    run(CONFIG, "f0101")
    last = ais.request_history[-1]
    assert last.url == LOGOUT_URL
    assert last.json() == {"token": FIRST_TOKEN}


def test_logs_out_after_a_failure_too(ais) -> None:
    ais.post(
        DATA_URL,
        status_code=403,
        json={"message": "Authorization Failure", "exception": "Exception"},
    )
    with pytest.raises(Exception, match=r"f0101.*403.*Authorization Failure"):
        run(CONFIG, "f0101")
    assert ais.request_history[-1].url == LOGOUT_URL
    assert ais.request_history[-1].json() == {"token": FIRST_TOKEN}


def test_a_refused_sign_in_says_what_to_check_and_logs_nothing_out(requests_mock) -> None:
    requests_mock.post(TOKEN_URL, status_code=403, json={"message": "Authorization Failure"})
    with pytest.raises(Exception, match="check `username`, `password`, `environment` and `role`"):
        run(CONFIG, "f0101")
    assert not calls(requests_mock, LOGOUT_URL)
    assert not calls(requests_mock, DATA_URL)


def test_an_unreachable_ais_server_says_to_check_base_url(requests_mock) -> None:
    requests_mock.post(TOKEN_URL, exc=requests.ConnectionError("[Errno 111] Connection refused"))
    with pytest.raises(FatalAPIError) as raised:
        run(CONFIG, "f0101")
    assert str(raised.value).startswith(
        f"Cannot reach the JD Edwards AIS Server at {BASE} (Connection refused)"
    )
    assert "check `base_url`" in str(raised.value)
    assert not calls(requests_mock, DATA_URL)


def test_an_expired_token_signs_in_again_once_and_resends_the_same_query(ais) -> None:
    ais.post(
        DATA_URL,
        [
            {"status_code": 444, "json": INVALID_TOKEN},
            {"json": page("F0101", [address_book(1004), address_book(1005)])},
        ],
    )
    messages = run(CONFIG, "f0101")
    assert [r["AN8"] for r in records(messages, "f0101")] == [1004, 1005]
    assert len(calls(ais, TOKEN_URL)) == 2
    first, second = calls(ais, DATA_URL)
    assert first.json() == second.json()
    assert first.headers["jde-AIS-Auth"] == FIRST_TOKEN
    assert second.headers["jde-AIS-Auth"] == SECOND_TOKEN
    assert ais.request_history[-1].json() == {"token": SECOND_TOKEN}  # the live one


def test_a_token_refused_again_right_after_signing_in_stops_the_run(ais) -> None:
    ais.post(DATA_URL, status_code=444, json=INVALID_TOKEN)
    with pytest.raises(Exception, match="444"):
        run(CONFIG, "f0101")
    assert len(calls(ais, TOKEN_URL)) == 2  # renewed once, not in a loop
    assert len(calls(ais, DATA_URL)) == 2
    assert ais.request_history[-1].url == LOGOUT_URL


# Queries -----------------------------------------------------------------------------


def test_a_table_query_asks_for_declared_columns_in_key_order(ais) -> None:
    ais.post(DATA_URL, json=page("F01151", []))
    run(CONFIG, "f01151")
    [body] = data_bodies(ais)
    assert body["targetName"] == "F01151"
    assert body["targetType"] == "table"
    assert body["dataServiceType"] == "BROWSE"
    assert body["maxPageSize"] == "2"
    assert body["enableNextPageProcessing"] is True
    assert body["returnControlIDs"].split("|")[:4] == [
        "F01151.AN8",
        "F01151.IDLN",
        "F01151.RCK7",
        "F01151.ETP",
    ]
    assert body["orderBy"] == [
        {"column": "F01151.AN8", "direction": "ASC"},
        {"column": "F01151.IDLN", "direction": "ASC"},
        {"column": "F01151.RCK7", "direction": "ASC"},
    ]
    assert "query" not in body  # first run, no start date: every row


# The bookmark 2024-02-01T21:18:05Z is 14:18:05 on 1 February in Denver.
STATE = {
    "bookmarks": {
        "f0101": {
            "replication_key": "last_changed_at",
            "replication_key_value": "2024-02-01T21:18:05+00:00",
        }
    }
}


@pytest.mark.parametrize(
    ("literal_format", "literal"), [("formatted", "02/01/2024"), ("julian", "124032")]
)
def test_changed_since_asks_for_the_date_and_filters_the_time_in_the_tap(
    ais, literal_format: str, literal: str
) -> None:
    ais.post(
        DATA_URL,
        json=page(
            "F0101",
            [
                address_book(1001, "20240201", 93005),  # earlier that day
                address_book(1002, "20240201", 141805),  # the bookmark itself
                address_book(1003, "20240201", 141806),  # a second later
                address_book(1004, "20240202", 10),  # the next day, just after midnight
            ],
        ),
    )
    messages = run({**CONFIG, "date_literal_format": literal_format}, "f0101", state=STATE)
    [body] = data_bodies(ais)
    assert body["query"] == {
        "autoFind": True,
        "matchType": "MATCH_ALL",
        "condition": [
            {
                "controlId": "F0101.UPMJ",
                "operator": "GREATER_EQUAL",
                "value": [{"content": literal, "specialValueId": "LITERAL"}],
            }
        ],
    }
    assert [r["AN8"] for r in records(messages, "f0101")] == [1003, 1004]


def test_rows_carry_iso_dates_times_and_their_change_in_utc(ais) -> None:
    ais.post(DATA_URL, json=page("F0101", [address_book(1004, "19990315", 93005)]))
    [record] = records(run(CONFIG, "f0101"), "f0101")
    assert record["UPMJ"] == "1999-03-15"
    assert record["UPMT"] == "09:30:05"
    assert record["last_changed_at"] == "1999-03-15T16:30:05+00:00"  # MST, UTC-7
    assert record["MCU"] == "          30"  # raw tables keep values as stored


# Paging ------------------------------------------------------------------------------


def test_next_links_are_called_exactly_as_given(ais) -> None:
    ais.post(DATA_URL, json=page("F0101", [address_book(1001), address_book(1002)], link("r1")))
    ais.get(link("r1"), json=page("F0101", [address_book(1003)]))
    messages = run(CONFIG, "f0101")
    assert [r["AN8"] for r in records(messages, "f0101")] == [1001, 1002, 1003]
    [next_call] = calls(ais, f"{BASE}/jderest/v2/dataservice/next", "GET")
    assert next_call.url == link("r1")  # token still percent-encoded, `|` untouched


def test_an_expired_result_set_is_read_again_from_the_last_key(ais) -> None:
    ais.post(
        DATA_URL,
        [
            {"json": page("F0101", [changed(1001), changed(1002)], link("r1"))},
            {"json": page("F0101", [changed(1003), changed(1004)])},
        ],
    )
    ais.get(link("r1"), status_code=500, json=EXPIRED)
    messages = run(CONFIG, "f0101", state=STATE)
    assert [r["AN8"] for r in records(messages, "f0101")] == [1001, 1002, 1003, 1004]
    assert len(calls(ais, f"{BASE}/jderest/v2/dataservice/next", "GET")) == 1  # never retried
    first, restart = data_bodies(ais)
    assert restart["query"]["condition"] == [
        *first["query"]["condition"],
        {
            "controlId": "F0101.AN8",
            "operator": "GREATER",
            "value": [{"content": "1002", "specialValueId": "LITERAL"}],
        },
    ]
    assert final_state(messages)["bookmarks"]["f0101"]["replication_key_value"] == (
        "2024-02-02T21:18:05+00:00"
    )


def test_a_restart_on_a_composite_key_skips_the_rows_already_read(ais) -> None:
    ais.post(
        DATA_URL,
        [
            {
                "json": page(
                    "F01151",
                    [electronic_address(1004, 0, 1), electronic_address(1004, 0, 2)],
                    link("r1"),
                )
            },
            {
                "json": page(
                    "F01151",
                    [
                        electronic_address(1004, 0, 1),
                        electronic_address(1004, 0, 2),
                        electronic_address(1004, 1, 1),
                        electronic_address(1005, 0, 1),
                    ],
                )
            },
        ],
    )
    ais.get(link("r1"), status_code=500, json=EXPIRED)
    keys = [(r["AN8"], r["IDLN"], r["RCK7"]) for r in records(run(CONFIG, "f01151"), "f01151")]
    assert keys == [(1004, 0, 1), (1004, 0, 2), (1004, 1, 1), (1005, 0, 1)]
    restart = data_bodies(ais)[1]
    assert restart["query"]["condition"] == [
        {
            "controlId": "F01151.AN8",
            "operator": "GREATER_EQUAL",
            "value": [{"content": "1004", "specialValueId": "LITERAL"}],
        }
    ]


def test_a_session_that_ended_under_a_result_set_signs_in_again_and_restarts(ais) -> None:
    ais.post(
        DATA_URL,
        [
            {"json": page("F0101", [address_book(1001), address_book(1002)], link("r1"))},
            {"json": page("F0101", [address_book(1003)])},
        ],
    )
    ais.get(link("r1"), status_code=444, json=INVALID_TOKEN)
    messages = run(CONFIG, "f0101")
    assert [r["AN8"] for r in records(messages, "f0101")] == [1001, 1002, 1003]
    assert len(calls(ais, TOKEN_URL)) == 2
    restart = calls(ais, DATA_URL)[1]
    assert restart.headers["jde-AIS-Auth"] == SECOND_TOKEN
    assert len(calls(ais, f"{BASE}/jderest/v2/dataservice/next", "GET")) == 1


def test_a_lost_answer_to_a_next_call_is_never_retried(ais) -> None:
    # The cursor lives on the server: the call may have moved it, so calling the link
    # again could return the page after the lost one.
    ais.post(
        DATA_URL,
        [
            {"json": page("F0101", [address_book(1001), address_book(1002)], link("r1"))},
            {"json": page("F0101", [address_book(1003)])},
        ],
    )
    ais.get(link("r1"), exc=requests.ConnectionError)
    messages = run(CONFIG, "f0101")
    assert [r["AN8"] for r in records(messages, "f0101")] == [1001, 1002, 1003]
    assert len(calls(ais, f"{BASE}/jderest/v2/dataservice/next", "GET")) == 1


def test_next_pages_that_never_work_stop_the_run_instead_of_looping(ais) -> None:
    ais.post(DATA_URL, json=page("F0101", [address_book(1001), address_book(1002)], link("r1")))
    ais.get(link("r1"), status_code=500, json=EXPIRED)
    with pytest.raises(Exception, match="next pages keep failing"):
        run(CONFIG, "f0101")
    assert ais.request_history[-1].url == LOGOUT_URL


def test_an_answer_without_the_data_browser_form_is_an_error_not_an_empty_table(ais) -> None:
    ais.post(DATA_URL, text="<html>Sign in to Oracle Access Manager</html>")
    with pytest.raises(Exception, match="F0101: the answer holds no data browser form"):
        run(CONFIG, "f0101")


# Settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"time_zone": "Mountain Time"}, "not an IANA time zone"),
        ({"inactive_customer_column": "F0116.CTR"}, "must be `F03012.<alias>` or `F0101.<alias>`"),
        ({"inactive_customer_column": "CUSTS"}, "must be `F03012.<alias>`"),
    ],
)
def test_settings_the_schema_cannot_check_fail_fast(setting: dict[str, str], message: str) -> None:
    with pytest.raises(Exception, match=message):
        TapJde(config={**CONFIG, **setting})


def test_a_missing_password_fails_before_any_request(requests_mock) -> None:
    config = {key: value for key, value in CONFIG.items() if key != "password"}
    with pytest.raises(ConfigValidationError) as failure:
        TapJde(config=config)
    assert any("'password' is a required property" in error for error in failure.value.errors)
    assert not requests_mock.request_history


def test_a_settings_error_is_named_on_the_command_line(tmp_path) -> None:
    # The SDK's CLI logs only a ConfigValidationError's `errors`, then "Config
    # validation failed": the sentence must be among them.
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "base_url": "https://ais.acme-distribution.com:9302",
                "username": "u",
                "password": "p",
                "time_zone": "Mars/Olympus",
            }
        )
    )
    completed = subprocess.run(
        [sys.executable, "-m", "tap_jde", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "is not an IANA time zone" in completed.stderr
