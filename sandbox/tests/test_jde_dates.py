"""Julian CYYDDD dates and HHMMSS times: how grids show them and how queries take them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from jde_helpers import (
    browse,
    condition,
    data_request,
    dataservice,
    rowset,
    service_error,
    sign_in,
    token_request,
)

from erp_sandbox.jde import JdeEmulator
from erp_sandbox.jde.dates import date_of_julian, julian_of, time_of_hhmmss


def test_julian_arithmetic_follows_cyyddd() -> None:
    assert julian_of(date(2024, 2, 1)) == 124032
    assert date_of_julian(124032) == date(2024, 2, 1)
    assert date_of_julian(98365) == date(1998, 12, 31)  # C=0, often written 098365
    assert date_of_julian(100001) == date(2000, 1, 1)
    assert str(time_of_hhmmss(141805)) == "14:18:05"
    assert str(time_of_hhmmss(20000)) == "02:00:00"


def stored_and_shown(emu: JdeEmulator, an8: int) -> tuple[dict, dict]:
    shown = browse(
        emu,
        sign_in(emu),
        "F0101",
        columns=["AN8", "UPMJ", "UPMT"],
        conditions=[condition("F0101.AN8", "EQUAL", an8)],
    )
    return emu.record("F0101", an8) or {}, rowset(shown, "F0101")[0]


def test_dates_are_yyyymmdd_strings_and_times_hhmmss_numbers_by_default(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    row = next(r for r in emu.store.rows("F0101") if r["UPMT"] < 100000)  # before 10:00
    stored, shown = stored_and_shown(emu, row["AN8"])
    assert shown["F0101_UPMJ"] == date_of_julian(stored["UPMJ"]).strftime("%Y%m%d")
    assert shown["F0101_UPMT"] == stored["UPMT"]
    assert isinstance(shown["F0101_UPMT"], int)
    assert len(str(shown["F0101_UPMT"])) == 5  # leading zero lost: 93005 is 09:30:05


def test_pre_2000_dates_have_century_zero(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    legacy = [r for r in emu.store.rows("F0101") if r["UPMJ"] < 100000]
    assert legacy
    stored, shown = stored_and_shown(emu, legacy[0]["AN8"])
    assert shown["F0101_UPMJ"].startswith("199")
    emu.configure(date_output="julian")
    _, julian = stored_and_shown(emu, legacy[0]["AN8"])
    assert julian["F0101_UPMJ"] == str(stored["UPMJ"])
    assert len(julian["F0101_UPMJ"]) == 5
    effective = [r for r in emu.store.rows("F0116") if r["EFTB"] < 100000]
    assert effective  # addresses effective since the 1990s


def test_formatted_output_follows_the_users_simple_date_format(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    emu.update_record("F0101", 1, UPMJ=date(2024, 2, 1), UPMT=141805)
    emu.configure(date_output="formatted")
    assert stored_and_shown(emu, 1)[1]["F0101_UPMJ"] == "02/01/2024"
    emu.configure(date_format="DME", date_separator=".")
    assert stored_and_shown(emu, 1)[1]["F0101_UPMJ"] == "01.02.2024"
    info = token_request(emu).json()["userInfo"]  # the token response announces it
    assert (info["dateFormat"], info["simpleDateFormat"]) == ("DME", "dd.MM.yyyy")


def test_julian_output_shows_the_stored_digits(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.update_record("F0101", 1, UPMJ=124032)
    emu.configure(date_output="julian")
    assert stored_and_shown(emu, 1)[1]["F0101_UPMJ"] == "124032"


def test_date_literals_in_the_users_format_filter_upmj(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    since = date(2025, 6, 1)
    response = browse(
        emu,
        sign_in(emu),
        "F0101",
        columns=["AN8"],
        conditions=[condition("F0101.UPMJ", "GREATER_EQUAL", since.strftime("%m/%d/%Y"))],
    )
    wanted = [r["AN8"] for r in emu.store.rows("F0101") if r["UPMJ"] >= julian_of(since)]
    assert [r["F0101_AN8"] for r in rowset(response, "F0101")] == wanted
    assert 0 < len(wanted) < emu.store.counts()["F0101"]


def test_a_literal_in_the_wrong_date_format_is_a_service_error(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    julian = data_request("F0101", conditions=[condition("F0101.UPMJ", "GREATER", 125152)])
    error = service_error(dataservice(emu, token, julian), 500)
    assert "MM/dd/yyyy" in error["message"]
    emu.configure(date_literal_format="julian")
    assert dataservice(emu, token, julian).status_code == 200
    formatted = data_request("F0101", conditions=[condition("F0101.UPMJ", "GREATER", "06/01/2025")])
    assert service_error(dataservice(emu, token, formatted), 500)


@pytest.mark.parametrize(
    ("special", "content", "shift"),
    [("TODAY", "", 0), ("TODAY_MINUS_DAY", "30", -30), ("TODAY_PLUS_DAY", "2", 2)],
)
def test_today_special_values_compute_dates_on_the_server(
    jde_emulator: JdeEmulator, special: str, content: str, shift: int
) -> None:
    emu = jde_emulator
    emu.clock.freeze("2026-03-02T19:00:00Z")  # 12:00 in Denver
    target = date(2026, 3, 2) + timedelta(days=shift)
    emu.update_record("F0101", 1, UPMJ=target)
    response = browse(
        emu,
        sign_in(emu),
        "F0101",
        columns=["AN8"],
        conditions=[
            {
                "controlId": "F0101.UPMJ",
                "operator": "EQUAL",
                "value": [{"content": content, "specialValueId": special}],
            }
        ],
    )
    assert 1 in [r["F0101_AN8"] for r in rowset(response, "F0101")]


def test_many_rows_share_one_mass_update_stamp(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    for table in ("F0101", "F03012", "F01151", "F0115", "F0116"):
        stamps = [(r["UPMJ"], r["UPMT"]) for r in emu.store.rows(table)]
        most = max(set(stamps), key=stamps.count)
        assert most[1] == 20000, table  # 02:00:00, written 020000
        assert stamps.count(most) >= 5, table
