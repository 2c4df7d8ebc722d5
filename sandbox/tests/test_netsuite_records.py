"""Changing records between runs (Python and HTTP), the inspection API, and the seed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import requests
from netsuite_helpers import TIMESTAMP, items

from erp_sandbox.netsuite import NetSuiteEmulator, SeedSize
from erp_sandbox.netsuite.schema import TABLES
from erp_sandbox.netsuite.seed_data import generate, on_the_wall_clock

CHANGED_SINCE = (
    f"SELECT c.id, c.email, TO_CHAR(c.lastmodifieddate, {TIMESTAMP}) AS lastmodifieddate "
    f"FROM customer c WHERE c.lastmodifieddate > TO_TIMESTAMP('2026-11-30 00:00:00', {TIMESTAMP}) "
    "ORDER BY c.lastmodifieddate, c.id"
)


def test_updates_inserts_and_deletes_show_up_in_the_next_run(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    emu = netsuite_emulator
    emu.clock.freeze("2026-12-01T20:00:00+00:00")  # 12:00 in Los Angeles
    emu.update_record("customer", 1005, email="new.address@fastmail.com")
    emu.clock.advance(60)
    created = emu.insert_record("customer", entityid="Harbor Tools", companyname="Harbor Tools")
    emu.clock.advance(60)
    deleted = emu.delete_record("customer", 1006)
    assert items(emu, CHANGED_SINCE) == [
        {
            "id": "1005",
            "email": "new.address@fastmail.com",
            "lastmodifieddate": "2026-12-01 12:00:00",
        },
        {"id": str(created["id"]), "lastmodifieddate": "2026-12-01 12:01:00"},
    ]
    assert deleted["deleteddate"] == "2026-12-01 12:02:00"
    gone = items(
        emu,
        f"SELECT d.recordid, d.recordtypeid, d.type, TO_CHAR(d.deleteddate, {TIMESTAMP}) AS "
        "deleteddate FROM deletedrecord d WHERE d.recordid = 1006",
    )
    assert gone == [
        {
            "recordid": "1006",
            "recordtypeid": "-2",
            "type": "customer",
            "deleteddate": "2026-12-01 12:02:00",
        }
    ]


def test_changing_a_line_moves_its_transaction(netsuite_emulator: NetSuiteEmulator) -> None:
    emu = netsuite_emulator
    emu.clock.freeze("2026-12-01T20:00:00+00:00")
    (line,) = items(
        emu,
        "SELECT tl.uniquekey FROM transactionline tl WHERE tl.transaction = 5001 "
        "AND tl.linesequencenumber = 1",
    )
    emu.update_record("transactionline", int(line["uniquekey"]), quantity=-42)
    transaction = emu.record("transaction", 5001)
    assert transaction is not None
    assert transaction["lastmodifieddate"] == "2026-12-01 12:00:00"


def test_http_inspection_api_changes_records_and_controls_the_clock(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    base = netsuite_emulator.base_url + "/_sandbox"
    clock = requests.post(f"{base}/clock", json={"freeze": "2026-12-01T20:00:00Z"}, timeout=10)
    assert clock.json()["account_now"] == "2026-12-01 12:00:00"
    patched = requests.patch(f"{base}/records/item/201", json={"baseprice": 9.5}, timeout=10)
    assert patched.json()["baseprice"] == 9.5
    assert patched.json()["lastmodifieddate"] == "2026-12-01 12:00:00"
    inserted = requests.post(f"{base}/records/item", json={"itemid": "NEW-1"}, timeout=10)
    assert inserted.status_code == 201
    removed = requests.delete(f"{base}/records/item/{inserted.json()['id']}", timeout=10)
    assert removed.json()["deletedrecord"]["recordtypeid"] == -10
    assert requests.get(f"{base}/records/item/999999", timeout=10).status_code == 404
    state = requests.get(f"{base}/state", timeout=10).json()
    assert state["counts"]["deletedrecord"] == 11
    assert requests.get(f"{base}/calls", timeout=10).json()["total"] == 0  # not API calls


def test_reset_restores_the_seeded_data(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.delete_record("customer", 1001)
    requests.post(netsuite_emulator.base_url + "/_sandbox/reset", json={}, timeout=10)
    assert netsuite_emulator.record("customer", 1001) is not None


def test_http_seed_resizes_the_account(netsuite_emulator: NetSuiteEmulator) -> None:
    response = requests.post(
        netsuite_emulator.base_url + "/_sandbox/seed",
        json={"customers": 40, "items": 5, "sales_orders": 7},
        timeout=10,
    )
    counts = response.json()["counts"]
    assert (counts["customer"], counts["item"]) == (40, 6)  # items plus the tax item
    assert items(
        netsuite_emulator, "SELECT COUNT(*) AS n FROM transaction t WHERE t.type = 'SalesOrd'"
    ) == [{"n": "7"}]


ZONE = "America/Los_Angeles"  # the emulator's default account time zone


def test_a_time_the_clocks_skipped_reads_as_the_wall_clock_shows_it() -> None:
    zone = ZoneInfo(ZONE)
    # 2025-03-09: Los Angeles clocks jump from 02:00 to 03:00.
    assert on_the_wall_clock(datetime(2025, 3, 9, 2, 31, 2), zone) == datetime(2025, 3, 9, 3, 31, 2)
    assert on_the_wall_clock(datetime(2025, 3, 9, 1, 59, 59), zone) == datetime(
        2025, 3, 9, 1, 59, 59
    )
    assert on_the_wall_clock(datetime(2025, 3, 9, 3, 0, 0), zone) == datetime(2025, 3, 9, 3, 0, 0)


def test_seeded_timestamps_all_exist_in_the_account_time_zone() -> None:
    """Large seeds draw times across three spring-forward days; NetSuite keeps instants, so
    a local time in a skipped hour would be one it can never show."""
    zone = ZoneInfo(ZONE)
    rows = generate(SeedSize(customers=3000, sales_orders=30000), ZONE)
    columns = list(TABLES["transaction"].columns)
    stamps = [
        row[columns.index(name)]
        for row in rows["transaction"]
        for name in ("lastmodifieddate", "createddate")
        if name in columns
    ]
    moments = [datetime.fromisoformat(stamp) for stamp in stamps if stamp]
    assert len(moments) >= 30000
    skipped = [m for m in moments if on_the_wall_clock(m, zone) != m]
    assert skipped == []


def test_seed_is_deterministic_realistic_and_never_uses_fake_domains() -> None:
    size = SeedSize(customers=500, sales_orders=50)
    first, second = generate(size, ZONE), generate(size, ZONE)
    assert first == second
    emails = [row[6] for row in first["customer"]]
    present = [e for e in emails if e]
    assert len(present) < len(emails)
    assert not any(
        e.endswith(("@example.com", "@test.com", ".test", ".example", ".invalid")) for e in present
    )
    assert {row[8] for row in first["customer"]} == {"T", "F"}  # persons and companies
    assert "T" in {row[9] for row in first["customer"]}  # some inactive


def test_cli_summary_has_a_netsuite_line(netsuite_emulator: NetSuiteEmulator) -> None:
    from erp_sandbox.cli import netsuite_summary_line

    line = netsuite_summary_line(netsuite_emulator.base_url)
    assert "account 1234567_SB1" in line and "300 customers" in line
    assert netsuite_summary_line("http://127.0.0.1:9").endswith("not reachable")
