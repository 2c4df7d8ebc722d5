"""Next-page processing: maxPageSize, next links carrying the token, GET and POST, the
server-side cursor, result set expiry and what happens after logout."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests
from jde_helpers import (
    DEVICE,
    browse,
    data_request,
    dataservice,
    grid,
    next_link,
    rowset,
    service_error,
    sign_in,
)

from erp_sandbox.jde import JdeEmulator

EXPIRED = {
    "sysErrors": [
        {
            "TITLE": "JAS_MSG347: The query results expired.  Refresh them by clicking Find again.",
            "DESC": "JAS_MSG347: The query results expired.  Refresh them by clicking Find again.",
        }
    ]
}


def first_page(emu: JdeEmulator, token: str, page_size: int = 40) -> dict[str, Any]:
    return browse(
        emu, token, "F0101", columns=["AN8", "ALPH"], page_size=page_size, next_pages=True
    )


def an8s(response: dict[str, Any]) -> list[int]:
    return [row["F0101_AN8"] for row in rowset(response, "F0101")]


def test_max_page_size_limits_the_rows_and_says_more_records(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    response = first_page(emu, sign_in(emu), page_size=25)
    assert grid(response, "F0101")["summary"] == {"records": 25, "moreRecords": True}
    assert an8s(response) == [r["AN8"] for r in emu.store.rows("F0101")][:25]
    assert emu.open_result_sets == 1


def test_next_links_carry_the_encoded_token_and_walk_every_row_by_get(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    response = first_page(emu, token)
    href = next_link(response)
    assert href is not None
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}" == emu.base_url
    assert parts.path == "/jderest/v2/dataservice/next"
    assert f"token={quote(token, safe='')}&" in href
    query = parse_qs(parts.query)
    assert query["token"] == [token]
    assert (query["stackId"], query["stateId"], query["fullGridId"], query["formOID"]) == (
        ["1"],
        ["1"],
        ["54"],
        ["V0101"],
    )
    assert query["outputType"] == ["GRID_DATA"]
    assert query["returnControlIDs"] == ["F0101.AN8|F0101.ALPH"]
    collected = an8s(response)
    pages = 1
    while href:
        page = requests.get(href, timeout=10)  # the link alone authenticates
        assert page.status_code == 200, page.text
        body = page.json()
        collected += an8s(body)
        assert list(grid(body, "F0101")["columns"]) == ["F0101_AN8", "F0101_ALPH"]
        href = next_link(body)
        pages += 1
    assert collected == [r["AN8"] for r in emu.store.rows("F0101")]
    assert pages == 6  # 219 rows in pages of 40
    assert grid(body, "F0101")["summary"] == {"records": 19, "moreRecords": False}
    assert emu.open_result_sets == 0
    assert emu.calls.count("GET /jderest/v2/dataservice/next") == 5


def test_next_links_work_by_post_with_the_token_headers(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    response = first_page(emu, token, page_size=100)
    href = next_link(response)
    assert href is not None
    page = requests.post(
        href, headers={"jde-AIS-Auth": token, "jde-AIS-Auth-Device": DEVICE}, timeout=10
    )
    assert page.status_code == 200
    second = page.json()
    assert an8s(second) == [r["AN8"] for r in emu.store.rows("F0101")][100:200]
    assert parse_qs(urlsplit(next_link(second) or "").query)["stateId"] == ["2"]


def test_without_next_page_processing_there_is_no_link(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    response = browse(emu, sign_in(emu), "F0101", page_size=10, next_pages=False)
    assert grid(response, "F0101")["summary"]["moreRecords"] is True
    assert next_link(response) is None
    assert emu.open_result_sets == 0


def test_a_result_that_fits_one_page_opens_no_result_set(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    response = browse(emu, sign_in(emu), "F0101", page_size="No Max", next_pages=True)
    assert grid(response, "F0101")["summary"] == {"records": 219, "moreRecords": False}
    assert next_link(response) is None
    assert emu.open_result_sets == 0


def test_the_cursor_lives_on_the_server_so_a_repeated_link_moves_on(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    response = first_page(emu, sign_in(emu), page_size=10)
    href = next_link(response)
    assert href is not None
    every = [r["AN8"] for r in emu.store.rows("F0101")]
    assert an8s(requests.get(href, timeout=10).json()) == every[10:20]
    assert an8s(requests.get(href, timeout=10).json()) == every[20:30]  # not a replay


def test_an_idle_result_set_expires_after_the_timeout_with_500(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.clock.freeze("2026-03-02T15:00:00Z")
    response = first_page(emu, sign_in(emu), page_size=10)
    href = next_link(response)
    assert href is not None
    emu.clock.advance(59)
    page = requests.get(href, timeout=10)
    assert page.status_code == 200  # reading restarts the timeout
    emu.clock.advance(59)
    assert requests.get(href, timeout=10).status_code == 200
    emu.clock.advance(61)
    expired = requests.get(href, timeout=10)
    assert expired.status_code == 500
    assert expired.json() == EXPIRED
    assert emu.open_result_sets == 0
    assert emu.open_sessions == 1  # the session lives on; run the query again


def test_expiring_result_sets_from_python_or_http(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    first, second = next_link(first_page(emu, token)), next_link(first_page(emu, token))
    assert emu.open_result_sets == 2
    assert emu.expire_result_sets() == 2
    assert requests.get(first or "", timeout=10).json() == EXPIRED
    third = next_link(first_page(emu, token))
    response = requests.post(f"{emu.base_url}/_sandbox/result-sets/expire", timeout=10)
    assert response.json() == {"expired": 1}
    for href in (second, third):
        assert requests.get(href or "", timeout=10).status_code == 500


def test_a_finished_result_set_answers_500_to_another_next_call(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    href = next_link(first_page(emu, sign_in(emu), page_size=200))
    assert href is not None
    last = requests.get(href, timeout=10).json()
    assert next_link(last) is None
    assert requests.get(href, timeout=10).json() == EXPIRED


def test_a_next_call_after_logout_or_token_expiry_is_444(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    href = next_link(first_page(emu, token))
    requests.post(f"{emu.base_url}/jderest/v2/tokenrequest/logout", json={"token": token})
    assert service_error(requests.get(href or "", timeout=10), 444)["message"] == "Invalid Token"
    assert emu.open_result_sets == 0

    emu.clock.freeze("2026-03-02T15:00:00Z")
    href = next_link(first_page(emu, sign_in(emu)))
    emu.clock.advance(1801)
    assert service_error(requests.get(href or "", timeout=10), 444)


def test_a_next_call_from_another_device_is_444(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    href = next_link(first_page(emu, sign_in(emu)))
    other = requests.get(href or "", headers={"jde-AIS-Auth-Device": "elsewhere"}, timeout=10)
    assert service_error(other, 444)
    same = requests.get(href or "", headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10)
    assert same.status_code == 200


def test_a_token_pasted_into_the_link_without_encoding_is_refused(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    href = next_link(first_page(emu, token)) or ""
    raw = href.replace(quote(token, safe=""), token)  # "+" now reads as a space
    assert service_error(requests.get(raw, timeout=10), 444)


def test_a_result_set_belongs_to_its_session(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    href = next_link(first_page(emu, sign_in(emu))) or ""
    intruder = sign_in(emu)
    query = parse_qs(urlsplit(href).query)
    stolen = requests.get(
        f"{emu.base_url}/jderest/v2/dataservice/next",
        params={"rid": query["rid"][0], "token": intruder},
        headers={"jde-AIS-Auth-Device": DEVICE},
        timeout=10,
    )
    assert stolen.json() == EXPIRED


def test_a_stateless_call_keeps_its_temporary_session_while_the_result_set_is_open(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    body = {
        **data_request("F0101", page_size=200, next_pages=True),
        "username": emu.username,
        "password": emu.password,
    }
    response = requests.post(f"{emu.base_url}/jderest/v2/dataservice", json=body, timeout=10)
    href = next_link(response.json())
    assert href is not None
    assert (emu.open_sessions, emu.open_result_sets) == (1, 1)
    assert requests.get(href, timeout=10).status_code == 200
    assert (emu.open_sessions, emu.open_result_sets) == (0, 0)


def test_result_sets_show_in_the_state(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    dataservice(emu, token, data_request("F0101", page_size=50, next_pages=True))
    sessions = requests.get(f"{emu.base_url}/_sandbox/state", timeout=10).json()["sessions"]
    assert (sessions["open"], sessions["open_result_sets"]) == (1, 1)
    assert sessions["result_sets"][0]["table"] == "F0101"
    assert (sessions["result_sets"][0]["delivered"], sessions["result_sets"][0]["remaining"]) == (
        50,
        169,
    )
    assert sessions["sessions"][0]["device"] == DEVICE
    assert token not in str(sessions)  # tokens are shortened
