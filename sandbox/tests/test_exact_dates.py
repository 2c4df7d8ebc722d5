"""``/Date(ms)/`` values carry the CET/CEST wall clock, not UTC (reference C7), through
both daylight-saving switches."""

from __future__ import annotations

import calendar
from datetime import datetime

import requests
from exact_helpers import get, parse_xml, session

from erp_sandbox.exact import ExactEmulator

DATA = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"


def wall_ms(text: str) -> int:
    """Epoch milliseconds of a wall-clock reading taken as if it were UTC."""
    moment = datetime.fromisoformat(text)
    return calendar.timegm(moment.timetuple()) * 1000 + moment.microsecond // 1000


def modified_of(emu: ExactEmulator, code: str) -> str:
    account = emu.record("Accounts", code)
    assert account is not None
    http = session(emu)
    one = http.get(f"{emu.api_url}/crm/Accounts(guid'{account['ID']}')", timeout=10).json()
    return one["d"]["Modified"]


def test_the_march_switch_skips_an_hour_of_wall_clock(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    before = emu.record("Accounts", "1004")
    after = emu.record("Accounts", "1005")
    assert before is not None and after is not None
    assert before["Modified"] == "2025-03-30T00:59:59.250+00:00"
    assert after["Modified"] == "2025-03-30T01:00:00.750+00:00"
    assert modified_of(emu, "1004") == f"/Date({wall_ms('2025-03-30T01:59:59.250')})/"
    assert modified_of(emu, "1005") == f"/Date({wall_ms('2025-03-30T03:00:00.750')})/"


def test_the_october_switch_shows_two_instants_as_one_wall_clock_reading(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    first = emu.record("Accounts", "1006")
    second = emu.record("Accounts", "1007")
    assert first is not None and second is not None
    assert (first["Modified"], second["Modified"]) == (
        "2025-10-26T00:30:00.000+00:00",
        "2025-10-26T01:30:00.000+00:00",
    )
    expected = f"/Date({wall_ms('2025-10-26T02:30:00')})/"
    assert modified_of(emu, "1006") == modified_of(emu, "1007") == expected


def test_contacts_cross_the_2024_switches_too(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    rows = get(
        http,
        exact_emulator.api_url + "/crm/Contacts",
        select="HID,Modified",
        filter="HID ge 4 and HID le 7",
        orderby="HID",
    )["results"]
    assert [row["Modified"] for row in rows] == [
        f"/Date({wall_ms('2024-03-31T01:59:00')})/",
        f"/Date({wall_ms('2024-03-31T03:01:00')})/",
        f"/Date({wall_ms('2024-10-27T02:15:00')})/",
        f"/Date({wall_ms('2024-10-27T02:15:00')})/",
    ]


def test_changes_on_the_fake_clock_render_in_summer_and_winter_time(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-07-01T10:00:00Z")
    emu.update_record("Accounts", "1001", Phone="+31 30 2345678")
    assert modified_of(emu, "1001") == f"/Date({wall_ms('2026-07-01T12:00:00')})/"
    emu.clock.freeze("2026-12-01T10:00:00Z")
    emu.update_record("Accounts", "1001", Phone="+31 30 8765432")
    assert modified_of(emu, "1001") == f"/Date({wall_ms('2026-12-01T11:00:00')})/"


def test_date_only_fields_are_midnight_on_the_wall_clock(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    invoice = emu.record("SalesInvoices", 24700001)
    assert invoice is not None
    http = session(emu)
    one = http.get(
        f"{emu.api_url}/salesinvoice/SalesInvoices(guid'{invoice['InvoiceID']}')",
        params={"$select": "InvoiceDate,DueDate"},
        timeout=10,
    ).json()["d"]
    assert one["InvoiceDate"] == f"/Date({wall_ms(invoice['InvoiceDate'] + 'T00:00:00')})/"
    assert one["DueDate"] == f"/Date({wall_ms(invoice['DueDate'] + 'T00:00:00')})/"


def test_json_escapes_date_slashes_as_wcf_does(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    raw = http.get(
        exact_emulator.api_url + "/crm/Accounts",
        params={"$select": "Modified", "$top": "1"},
        timeout=10,
    ).text
    assert '"Modified":"\\/Date(' in raw


def test_atom_shows_the_wall_clock_reading(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    account = emu.record("Accounts", "1005")
    assert account is not None
    response = requests.get(
        f"{emu.api_url}/crm/Accounts(guid'{account['ID']}')",
        params={"$select": "Modified"},
        headers={"Authorization": f"Bearer {emu.issue_access_token()}"},
        timeout=10,
    )
    entry = parse_xml(response.content)
    modified = entry.find(f".//{DATA}Modified")
    assert modified is not None
    assert modified.text == "2025-03-30T03:00:00.750"
