"""The data service: grid shape, column selection, order, query operators, COUNT and
errors."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import requests
from jde_helpers import (
    auth_headers,
    browse,
    condition,
    data_request,
    dataservice,
    grid,
    next_link,
    rowset,
    service_error,
    sign_in,
)

from erp_sandbox.jde import JdeEmulator


def an8s(response: dict[str, Any], table: str = "F0101") -> list[int]:
    return [row[f"{table}_AN8"] for row in rowset(response, table)]


def test_browse_answers_the_data_browser_form_with_alias_keys(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    response = browse(
        emu, sign_in(emu), "F0101", columns=["AN8", "ALPH", "AT1", "UPMJ"], page_size=5
    )
    assert set(response) == {"fs_DATABROWSE_F0101", "currentApp", "timeStamp", "sysErrors"}
    form = response["fs_DATABROWSE_F0101"]
    assert form["title"] == "Data Browser - F0101 [Address Book Master]"
    assert (form["errors"], form["warnings"], response["sysErrors"]) == ([], [], [])
    assert response["currentApp"] == "DATABROWSE_F0101"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}:\d{2}\.\d{2}\.\d{2}", response["timeStamp"])
    data = grid(response, "F0101")
    assert (data["id"], data["fullGridId"]) == (54, "54")
    assert data["columns"] == {
        "F0101_AN8": "Address Number",
        "F0101_ALPH": "Alpha Name",
        "F0101_AT1": "Search Type",
        "F0101_UPMJ": "Date - Updated",
    }
    assert data["summary"] == {"records": 5, "moreRecords": True}
    first = data["rowset"][0]
    assert list(first) == ["F0101_AN8", "F0101_ALPH", "F0101_AT1", "F0101_UPMJ"]
    assert first["F0101_AN8"] == 1
    assert first["F0101_ALPH"] == "Financial/Distribution Company"
    assert next_link(response) is None  # no next-page processing asked for


def test_return_control_ids_pick_and_order_the_columns(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    picked = browse(emu, token, "F03012", columns=["UPMT", "CO", "AN8"], page_size=1)
    assert list(rowset(picked, "F03012")[0]) == ["F03012_UPMT", "F03012_CO", "F03012_AN8"]
    everything = browse(emu, token, "F0116", page_size=1)
    aliases = "AN8 EFTB ADD1 ADD2 ADD3 ADD4 ADDZ CTY1 COUN ADDS CTR USER PID JOBN UPMJ UPMT"
    expected = [f"F0116_{alias}" for alias in aliases.split(" ")]
    assert list(grid(everything, "F0116")["columns"]) == expected


def test_values_are_typed_and_strings_keep_their_padding(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    row = rowset(browse(emu, token, "F03012", columns=["AN8", "CO", "ACL", "UPMT"]), "F03012")[0]
    assert isinstance(row["F03012_AN8"], int)
    assert isinstance(row["F03012_ACL"], int)
    assert isinstance(row["F03012_UPMT"], int)
    assert row["F03012_CO"] == "00000"
    address_book = rowset(browse(emu, token, "F0101", columns=["MCU"], page_size=3), "F0101")
    assert all(len(r["F0101_MCU"]) == 12 and r["F0101_MCU"].startswith(" ") for r in address_book)


def test_rows_come_in_primary_key_order(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    rows = rowset(browse(emu, sign_in(emu), "F01151", columns=["AN8", "IDLN", "RCK7"]), "F01151")
    keys = [(r["F01151_AN8"], r["F01151_IDLN"], r["F01151_RCK7"]) for r in rows]
    assert keys == sorted(keys)
    assert len(keys) == emu.store.counts()["F01151"]


def test_order_by_sorts_and_ties_keep_key_order(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    rows = rowset(
        browse(
            emu,
            sign_in(emu),
            "F0101",
            columns=["AN8", "UPMJ", "UPMT"],
            orderBy=[
                {"column": "F0101.UPMJ", "direction": "DESC"},
                {"column": "F0101.UPMT", "direction": "DESC"},
            ],
        ),
        "F0101",
    )
    stamps = [(r["F0101_UPMJ"], r["F0101_UPMT"]) for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    for before, after in itertools.pairwise(rows):
        if (before["F0101_UPMJ"], before["F0101_UPMT"]) == (
            after["F0101_UPMJ"],
            after["F0101_UPMT"],
        ):
            assert before["F0101_AN8"] < after["F0101_AN8"]


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("EQUAL", lambda v: v == 1100),
        ("NOT_EQUAL", lambda v: v != 1100),
        ("LESS", lambda v: v < 1100),
        ("LESS_EQUAL", lambda v: v <= 1100),
        ("GREATER", lambda v: v > 1100),
        ("GREATER_EQUAL", lambda v: v >= 1100),
    ],
)
def test_comparison_operators_on_numbers(
    jde_emulator: JdeEmulator, operator: str, expected: Any
) -> None:
    emu = jde_emulator
    emu.insert_record("F0101", AN8=1100, ALPH="Harbor Tools Ltd", AT1="C")
    response = browse(
        emu,
        sign_in(emu),
        "F0101",
        columns=["AN8"],
        conditions=[condition("F0101.AN8", operator, 1100)],
    )
    wanted = [r["AN8"] for r in emu.store.rows("F0101") if expected(r["AN8"])]
    assert an8s(response) == wanted
    assert wanted


def test_between_is_inclusive_and_list_matches_any_value(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    every = [r["AN8"] for r in emu.store.rows("F0101")]
    low, high = every[10], every[20]
    between = browse(
        emu,
        token,
        "F0101",
        columns=["AN8"],
        conditions=[condition("F0101.AN8", "BETWEEN", low, high)],
    )
    assert an8s(between) == every[10:21]
    listed = browse(
        emu,
        token,
        "F0101",
        columns=["AN8"],
        conditions=[condition("F0101.AT1", "LIST", "V", "E")],
    )
    assert an8s(listed) == [r["AN8"] for r in emu.store.rows("F0101") if r["AT1"] in ("V", "E")]


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("STR_START_WITH", ("accounts@",), lambda e: e.startswith("accounts@")),
        ("STR_END_WITH", ("@gmail.com",), lambda e: e.endswith("@gmail.com")),
        ("STR_CONTAIN", ("harbor",), lambda e: "harbor" in e),
        ("STR_BLANK", (), lambda e: e.strip() == ""),
        ("STR_NOT_BLANK", (), lambda e: e.strip() != ""),
    ],
)
def test_string_operators(
    jde_emulator: JdeEmulator, operator: str, values: tuple[str, ...], expected: Any
) -> None:
    emu = jde_emulator
    emu.update_record("F01151", (1, 0, 1), EMAL="")  # one blank address
    response = browse(
        emu,
        sign_in(emu),
        "F01151",
        columns=["AN8", "EMAL"],
        conditions=[condition("F01151.EMAL", operator, *values)],
    )
    wanted = [r["EMAL"] for r in emu.store.rows("F01151") if expected(r["EMAL"])]
    assert [r["F01151_EMAL"] for r in rowset(response, "F01151")] == wanted
    assert wanted


def test_match_all_ands_and_match_any_ors_the_conditions(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    conditions = [
        condition("F01151.IDLN", "EQUAL", 0),
        condition("F01151.RCK7", "EQUAL", 1),
        condition("F01151.ETP", "EQUAL", "E"),
    ]
    primary = browse(emu, token, "F01151", columns=["AN8"], conditions=conditions)
    rows = emu.store.rows("F01151")
    assert an8s(primary, "F01151") == [
        r["AN8"] for r in rows if r["IDLN"] == 0 and r["RCK7"] == 1 and r["ETP"] == "E"
    ]
    either = browse(emu, token, "F01151", columns=["AN8"], conditions=conditions, match="MATCH_ANY")
    assert an8s(either, "F01151") == [
        r["AN8"] for r in rows if r["IDLN"] == 0 or r["RCK7"] == 1 or r["ETP"] == "E"
    ]


def test_count_answers_the_number_of_matching_rows(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    response = dataservice(
        emu,
        sign_in(emu),
        data_request(
            "F0101", service_type="COUNT", conditions=[condition("F0101.AT1", "EQUAL", "C")]
        ),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ds_F0101"] == {"output": [{"count": 150}]}
    assert "fs_DATABROWSE_F0101" not in body


def test_find_on_entry_false_without_auto_find_finds_nothing(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    body = data_request("F0101", findOnEntry="FALSE")
    body["query"]["autoFind"] = False
    response = dataservice(emu, sign_in(emu), body)
    assert grid(response.json(), "F0101")["summary"] == {"records": 0, "moreRecords": False}


def test_unknown_tables_columns_operators_and_literals_are_500_service_errors(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    cases = [
        data_request("F9999"),
        data_request("F0101", columns=["AN8", "EMAL"]),
        data_request("F0101", conditions=[condition("F0101.AN8", "LIKE", 1)]),
        data_request("F0101", conditions=[condition("F0101.AN8", "STR_CONTAIN", 1)]),
        data_request("F0101", conditions=[condition("F0101.AN8", "EQUAL", "abc")]),
        data_request("F0101", conditions=[condition("F0101.AN8", "BETWEEN", 1)]),
        data_request("F0101", conditions=[condition("F03012.AN8", "EQUAL", 1)]),
    ]
    for body in cases:
        error = service_error(dataservice(emu, token, body), 500)
        assert error["exception"] == "JDERestServiceException"
    assert "F0101.EMAL" in service_error(dataservice(emu, token, cases[1]), 500)["message"]


def test_malformed_requests_are_400_415_405_and_404(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    url = f"{emu.base_url}/jderest/v2/dataservice"
    headers = auth_headers(token)
    not_json = requests.post(
        url, data=b"{nope", headers={**headers, "Content-Type": "application/json"}, timeout=10
    )
    assert service_error(not_json, 400)["message"] == "Bad Request - Invalid JSON Input"
    no_target = requests.post(url, json={"targetType": "table"}, headers=headers, timeout=10)
    assert service_error(no_target, 400)["message"] == "Bad Request - Invalid JSON Input"
    as_text = requests.post(
        url, data=b"targetName=F0101", headers={**headers, "Content-Type": "text/plain"}, timeout=10
    )
    assert service_error(as_text, 415)["message"].startswith("Invalid Content-Type Header")
    assert service_error(requests.get(url, headers=headers, timeout=10), 405)
    assert service_error(requests.get(f"{emu.base_url}/jderest/v2/nothing", timeout=10), 404)


def test_a_stateless_call_with_credentials_runs_in_a_temporary_session(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    body = {
        **data_request("F0101", page_size=2),
        "username": emu.username,
        "password": emu.password,
    }
    response = requests.post(f"{emu.base_url}/jderest/v2/dataservice", json=body, timeout=10)
    assert response.status_code == 200
    assert len(rowset(response.json(), "F0101")) == 2
    assert emu.open_sessions == 0
    wrong = requests.post(
        f"{emu.base_url}/jderest/v2/dataservice", json={**body, "password": "x"}, timeout=10
    )
    assert service_error(wrong, 403)["message"] == "Authorization Failure"
    anonymous = requests.post(
        f"{emu.base_url}/jderest/v2/dataservice", json=data_request("F0101"), timeout=10
    )
    assert service_error(anonymous, 403)


def test_a_table_the_role_may_not_read_is_403(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.configure(denied_tables=["F0115"])
    token = sign_in(emu)
    assert service_error(dataservice(emu, token, data_request("F0115")), 403)
    assert dataservice(emu, token, data_request("F0116", page_size=1)).status_code == 200


def test_version_1_never_offers_next_links(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    response = requests.post(
        f"{emu.base_url}/jderest/dataservice",
        json=data_request("F0101", page_size=5, next_pages=True),
        headers=auth_headers(token),
        timeout=10,
    )
    body = response.json()
    assert grid(body, "F0101")["summary"] == {"records": 5, "moreRecords": True}
    assert next_link(body) is None
    assert emu.open_result_sets == 0
