"""The seed, record changes between runs (Python and HTTP), the inspection API."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import requests
from fusion_helpers import get, items, values

from erp_sandbox.cli import fusion_summary_line
from erp_sandbox.fusion import FusionEmulator, SeedSize
from erp_sandbox.fusion.seed_data import generate

FAKE_DOMAINS = ("example.com", "example.org", "example.net", "test.com")
FAKE_TLDS = (".test", ".invalid", ".example", ".localhost")


def test_seed_is_deterministic_and_realistic() -> None:
    first, second = generate(SeedSize()), generate(SeedSize())
    assert first == second
    accounts = first.rows["accounts"]
    emails = [a["EmailAddress"] for a in accounts]
    assert None in emails
    assert not any(e and (e.endswith(FAKE_DOMAINS) or e.endswith(FAKE_TLDS)) for e in emails)
    assert {a["Status"] for a in accounts} == {"A", "I"}
    assert {a["PartyType"] for a in accounts} == {"PERSON", "ORGANIZATION"}
    stamps = [row["LastUpdateDate"] for rows in first.rows.values() for row in rows]
    assert all(2024 <= stamp.year <= 2026 for stamp in stamps)
    # A mass update gives one moment to many rows.
    assert Counter(a["LastUpdateDate"] for a in accounts).most_common(1)[0][1] >= 8
    lines = first.children["lines"]
    assert {len(order_lines) for order_lines in lines.values()} == {1, 2, 3, 4}
    numbers = {a["PartyNumber"] for a in accounts}
    orders = first.rows["salesOrdersForOrderHub"]
    assert {o["BuyingPartyNumber"] for o in orders} <= numbers
    accounts_by_number = {a["AccountNumber"]: a for a in accounts if a["AccountNumber"]}
    for invoice in first.rows["receivablesInvoices"]:
        account = accounts_by_number[invoice["BillToCustomerNumber"]]
        assert invoice["BillToPartyId"] == account["PartyId"]


def test_changed_account_shows_up_in_the_next_incremental_run(
    fusion_emulator: FusionEmulator,
) -> None:
    emu = fusion_emulator
    since = "2026-12-01T00:00:00.000+00:00"
    assert items(emu, "accounts", q=f"LastUpdateDate > '{since}'", version=2) == []
    emu.clock.freeze("2026-12-01T09:30:00.123+00:00")
    changed = emu.update_record("accounts", "100005", EmailAddress="new.address@fastmail.com")
    assert changed["LastUpdateDate"] == "2026-12-01T09:30:00.123+00:00"
    (found,) = items(emu, "accounts", q=f"LastUpdateDate > '{since}'", version=2)
    assert (found["PartyNumber"], found["EmailAddress"]) == ("100005", "new.address@fastmail.com")


def test_changing_a_line_moves_its_order(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    (order,) = items(emu, "salesOrdersForOrderHub", limit=1, expand="lines", onlyData="true")
    line_id = order["lines"][0]["FulfillLineId"]
    emu.clock.freeze("2026-12-02T10:00:00+00:00")
    line = emu.update_record("lines", line_id, OrderedQuantity=42)
    assert line["OrderedQuantity"] == 42
    header = emu.record("salesOrdersForOrderHub", order["HeaderId"])
    assert header is not None
    assert header["LastUpdateDate"] == "2026-12-02T10:00:00.000+00:00"
    assert header["lines"][0]["OrderedQuantity"] == 42


def test_inserted_records_get_next_keys_and_clock_dates(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    emu.clock.freeze("2026-12-03T08:00:00+00:00")
    account = emu.insert_record("accounts", PartyName="Harbor Tools Ltd", PartyType="ORGANIZATION")
    assert (account["PartyNumber"], account["Status"]) == ("100201", "A")
    assert account["CreationDate"] == account["LastUpdateDate"] == "2026-12-03T08:00:00.000+00:00"
    order = emu.insert_record(
        "salesOrdersForOrderHub",
        BuyingPartyNumber=account["PartyNumber"],
        TransactionalCurrencyCode="USD",
    )
    assert order["OrderKey"] == f"OPS:{order['HeaderId']}"
    emu.clock.advance(60)
    line = emu.insert_record("lines", parent=order["OrderKey"], ProductNumber="DESK-OAK-1001")
    assert (line["LineNumber"], line["HeaderId"]) == (1, order["HeaderId"])
    lines = values(emu, f"salesOrdersForOrderHub/{order['OrderKey']}/child/lines", "ProductNumber")
    assert lines == ["DESK-OAK-1001"]
    moved = get(emu, f"salesOrdersForOrderHub/{order['HeaderId']}").json()
    assert moved["LastUpdateDate"] == "2026-12-03T08:01:00.000+00:00"


def test_deleted_records_leave_the_collection_with_their_lines(
    fusion_emulator: FusionEmulator,
) -> None:
    emu = fusion_emulator
    (order,) = items(emu, "salesOrdersForOrderHub", limit=1, expand="lines", onlyData="true")
    deleted = emu.delete_record("salesOrdersForOrderHub", order["HeaderId"])
    assert deleted["HeaderId"] == order["HeaderId"]
    assert emu.record("salesOrdersForOrderHub", order["HeaderId"]) is None
    assert emu.record("lines", order["lines"][0]["FulfillLineId"]) is None
    assert get(emu, f"salesOrdersForOrderHub/{order['HeaderId']}").status_code == 404
    emu.delete_record("accounts", "100001")
    assert "100001" not in values(emu, "accounts", "PartyNumber")


def test_reset_restores_the_seeded_data(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    emu.update_record("accounts", "100001", PartyName="Renamed")
    emu.insert_record("accounts", PartyName="Extra")
    emu.reset()
    record = emu.record("accounts", "100001")
    assert record is not None and record["PartyName"] != "Renamed"
    assert emu.record("accounts", "100201") is None


def test_http_inspection_api_reads_and_changes_records(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    base = f"{emu.base_url}/_sandbox"
    lines_before = emu.store.counts()["receivablesInvoiceLines"]
    clock = requests.post(f"{base}/clock", json={"freeze": "2026-12-04T12:00:00Z"}, timeout=10)
    assert clock.json() == {"now": "2026-12-04T12:00:00.000+00:00", "frozen": True}
    patched = requests.patch(f"{base}/records/accounts/100003", json={"Status": "I"}, timeout=10)
    assert (patched.json()["Status"], patched.json()["LastUpdateDate"]) == (
        "I",
        "2026-12-04T12:00:00.000+00:00",
    )
    order = requests.get(f"{base}/records/salesOrdersForOrderHub/300000010000001", timeout=10)
    assert order.json()["lines"]
    inserted = requests.post(
        f"{base}/records/receivablesInvoiceLines",
        json={"parent": 300000020000001, "Description": "Late fee", "LineAmount": 25},
        timeout=10,
    )
    assert inserted.status_code == 201
    assert requests.get(f"{base}/records/accounts/1", timeout=10).status_code == 404
    bad = requests.patch(f"{base}/records/accounts/100003", json={"Nope": 1}, timeout=10)
    assert bad.status_code == 400
    state = requests.get(f"{base}/state", timeout=10).json()
    assert state["counts"]["receivablesInvoiceLines"] == lines_before + 1
    assert requests.get(f"{base}/health", timeout=10).json()["emulator"] == "fusion"
    assert requests.get(f"{base}/calls", timeout=10).json()["total"] == 0


def test_http_seed_and_config(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    base = f"{emu.base_url}/_sandbox"
    seeded = requests.post(f"{base}/seed", json={"accounts": 30, "sales_orders": 5}, timeout=10)
    assert seeded.json()["counts"]["accounts"] == 30
    config = requests.post(f"{base}/config", json={"default_page_size": 10}, timeout=10)
    assert config.json()["default_page_size"] == 10
    assert len(items(emu, "accounts")) == 10
    assert requests.post(f"{base}/config", json={"nope": 1}, timeout=10).status_code == 400
    line = fusion_summary_line(emu.base_url)
    assert line.startswith(f"Oracle Fusion sandbox at {emu.base_url}: 30 accounts, 5 sales orders")
    assert datetime.fromisoformat(emu.record("accounts", "100001")["CreationDate"]).year >= 2024
