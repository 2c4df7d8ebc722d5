"""Record changes, the seed, the inspection API, faults, the in-flight limit and the CLI
summary line."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
import requests
from jde_helpers import (
    browse,
    condition,
    data_request,
    dataservice,
    rowset,
    service_error,
    sign_in,
)

from erp_sandbox.cli import jde_summary_line
from erp_sandbox.jde import JdeEmulator, SeedSize
from erp_sandbox.jde.dates import julian_of
from erp_sandbox.jde.seed_data import generate
from erp_sandbox.jde.store import RecordError

FAKE_DOMAINS = ("example.com", "example.org", "example.net", "test.com")


def test_a_change_stamps_upmj_and_upmt_with_the_servers_local_time(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    emu.clock.freeze("2026-03-03T05:30:07Z")  # 22:30:07 on March 2 in Denver (UTC-7)
    an8 = next(r["AN8"] for r in emu.store.rows("F0101") if r["AT1"] == "C")
    changed = emu.update_record("F0101", an8, ALPH="Harbor Tools Ltd")
    assert (changed["UPMJ"], changed["UPMT"]) == (126061, 223007)
    response = browse(
        emu,
        sign_in(emu),
        "F0101",
        columns=["AN8", "ALPH", "UPMJ", "UPMT"],
        conditions=[
            condition("F0101.UPMJ", "GREATER_EQUAL", "03/02/2026"),
            condition("F0101.UPMT", "EQUAL", 223007),
        ],
    )
    assert rowset(response, "F0101") == [
        {
            "F0101_AN8": an8,
            "F0101_ALPH": "Harbor Tools Ltd",
            "F0101_UPMJ": "20260302",
            "F0101_UPMT": 223007,
        }
    ]


def test_child_rows_change_on_their_own_stamp(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.clock.freeze("2026-03-02T21:30:05Z")
    email = emu.store.rows("F01151")[0]
    key = (email["AN8"], email["IDLN"], email["RCK7"])
    changed = emu.update_record("F01151", key, EMAL="ap@harbortools.com")
    assert (changed["UPMJ"], changed["UPMT"]) == (126061, 143005)
    assert emu.record("F0101", email["AN8"])["UPMJ"] != 126061  # the parent did not move
    given = emu.update_record("F01151", key, UPMJ=date(2025, 1, 2), UPMT=80000)
    assert (given["UPMJ"], given["UPMT"]) == (125002, 80000)


def test_insert_record_numbers_new_rows_and_defaults_child_keys(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.clock.freeze("2026-03-02T21:30:05Z")
    highest = max(r["AN8"] for r in emu.store.rows("F0101"))
    entry = emu.insert_record("F0101", ALPH="Cedar Optics GmbH", AT1="C", MCU="50".rjust(12))
    assert entry["AN8"] == highest + 1
    assert (entry["UPMJ"], entry["UPMT"]) == (126061, 143005)
    customer = emu.insert_record("F03012", AN8=entry["AN8"], CUSTS="0", CRCD="EUR")
    assert customer["CO"] == "00000"
    first = emu.insert_record("F01151", AN8=entry["AN8"], ETP="E", EMAL="info@cedaroptics.de")
    second = emu.insert_record("F01151", AN8=entry["AN8"], ETP="E", EMAL="ap@cedaroptics.de")
    assert [(r["IDLN"], r["RCK7"]) for r in (first, second)] == [(0, 1), (0, 2)]
    address = emu.insert_record("F0116", AN8=entry["AN8"], CTY1="Munich", CTR="DE")
    assert address["EFTB"] == julian_of(date(2026, 3, 2))
    with pytest.raises(RecordError, match="no F0101 row"):
        emu.insert_record("F0115", AN8=999999, PH1="555-0100")


def test_record_routes_read_change_insert_and_delete_over_http(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    base = f"{emu.base_url}/_sandbox/records"
    customer = next(r for r in emu.store.rows("F03012"))
    key = f"{customer['AN8']}/{customer['CO']}"
    assert requests.get(f"{base}/F03012/{key}", timeout=10).json() == customer
    patched = requests.patch(f"{base}/F03012/{key}", json={"CUSTS": "1"}, timeout=10).json()
    assert patched["CUSTS"] == "1"
    assert emu.record("F03012", (customer["AN8"], customer["CO"]))["CUSTS"] == "1"
    created = requests.post(f"{base}/F0115", json={"AN8": 1, "PHTP": "FAX", "PH1": "555-0199"})
    assert created.status_code == 201
    phone = created.json()
    phone_key = f"1/{phone['IDLN']}/{phone['RCK7']}"
    assert requests.delete(f"{base}/F0115/{phone_key}", timeout=10).status_code == 200
    assert requests.get(f"{base}/F0115/{phone_key}", timeout=10).status_code == 404
    assert requests.patch(f"{base}/F0101/1", json={"NOPE": 1}, timeout=10).status_code == 400
    assert requests.get(f"{base}/F9999/1", timeout=10).status_code == 400
    assert emu.calls.count() == 0  # inspection is not an API call


def test_reset_restores_the_seed_and_settings(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    before = emu.record("F0101", 1)
    emu.update_record("F0101", 1, ALPH="Changed")
    emu.configure(date_output="julian", session_timeout_seconds=1)
    sign_in(emu)
    emu.reset()
    assert emu.record("F0101", 1) == before
    assert emu.open_sessions == 0
    assert emu.settings.date_output == "julian"
    emu.reset(restore_settings=True)
    assert (emu.settings.date_output, emu.settings.session_timeout_seconds) == ("yyyymmdd", 1800)


def test_seeding_is_deterministic_and_resizable(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    assert generate(SeedSize()) == generate(SeedSize())
    counts = emu.seed(customers=20, vendors=5, employees=1)
    assert counts["F0101"] == 27
    assert Counter(r["AT1"] for r in emu.store.rows("F0101")) == {"C": 20, "V": 5, "E": 1, "O": 1}
    emu.reset()
    assert emu.store.counts()["F0101"] == 27
    emu.reset(restore_settings=True)
    assert emu.store.counts()["F0101"] == 219


def test_large_seeds_keep_company_names_unique(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.seed(customers=6000, vendors=0, employees=0)  # more than the word lists combine to
    companies = [r["ALPH"] for r in emu.store.rows("F0101") if r["TAXC"] == "C"]
    assert len(companies) > 4000
    assert len(set(companies)) == len(companies)


def test_the_seed_looks_like_a_real_address_book(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    entries = emu.store.rows("F0101")
    assert Counter(r["AT1"] for r in entries) == {"C": 150, "V": 60, "E": 8, "O": 1}
    emails = emu.store.rows("F01151")
    primary = Counter(r["AN8"] for r in emails if (r["IDLN"], r["RCK7"], r["ETP"]) == (0, 1, "E"))
    assert max(primary.values()) == 1  # one primary email at most
    with_email = {r["AN8"] for r in emails if r["ETP"] == "E"}
    customers = {r["AN8"] for r in entries if r["AT1"] == "C"}
    assert 0.75 < len(customers & with_email) / len(customers) < 0.95  # some have none
    several = Counter(r["AN8"] for r in emails if r["ETP"] == "E")
    assert any(count > 1 for count in several.values())
    assert not any(r["EMAL"].endswith((*FAKE_DOMAINS, ".test")) for r in emails)
    statuses = Counter(r["CUSTS"] for r in emu.store.rows("F03012"))
    assert statuses["1"] > 0 and statuses["0"] > statuses["1"]
    companies = Counter(r["AN8"] for r in emu.store.rows("F03012"))
    assert any(count > 1 for count in companies.values())  # several lines of business
    addresses = Counter(r["AN8"] for r in emu.store.rows("F0116"))
    assert any(count >= 3 for count in addresses.values())
    future = [r for r in emu.store.rows("F0116") if r["EFTB"] > julian_of(date(2026, 10, 31))]
    assert future  # not yet the current address


def test_faults_answer_in_the_ais_error_shape(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    emu.faults.enqueue(method="POST", path="/jderest/v2/dataservice", status=503)
    emu.faults.enqueue(method="POST", path="/jderest/v2/dataservice", status=444)
    body = data_request("F0101", page_size=1)
    unavailable = service_error(dataservice(emu, token, body), 503)
    assert unavailable["message"] == "Server Failed to Process Request"
    assert service_error(dataservice(emu, token, body), 444)["message"] == "Invalid Token"
    assert dataservice(emu, token, body).status_code == 200
    faults = [
        call.fault for call in emu.calls.calls if call.route == "POST /jderest/v2/dataservice"
    ]
    assert faults == ["status:503", "status:444", None]


def test_the_in_flight_limit_answers_429_when_configured(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    emu.configure(concurrency_limit=1)
    emu.faults.configure(latency_ms=300)
    statuses: list[int] = []

    def call() -> None:
        statuses.append(dataservice(emu, token, data_request("F0101", page_size=1)).status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 429]


def test_the_cli_summary_line_counts_rows_sessions_and_calls(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    dataservice(emu, token, data_request("F0101", page_size=10, next_pages=True))
    assert jde_summary_line(emu.base_url) == (
        f"JD Edwards AIS sandbox at {emu.base_url} (environment JDV920): 219 address book rows "
        "(150 customers), 166 customer master rows, 269 electronic addresses, 247 phones, "
        "332 addresses; open sessions 1, open result sets 1; API calls 2"
    )
    assert jde_summary_line("http://127.0.0.1:9").endswith("not reachable")
