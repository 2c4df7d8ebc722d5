"""Changing records between runs, the seed, faults and the inspection API."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
import requests
from acumatica_helpers import LATEST, get_entity, http_error, login, rows, value

from erp_sandbox.acumatica import AcumaticaEmulator, SeedSize
from erp_sandbox.acumatica.seed_data import generate
from erp_sandbox.cli import acumatica_summary_line

CHANGED_SINCE = "LastModifiedDateTime gt datetimeoffset'2026-11-30T00:00:00.000+00:00'"


def test_changes_show_up_in_the_next_incremental_run(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    # Freeze first: sessions idle out on the emulator clock too.
    emu.clock.freeze("2026-12-01T17:00:00.250+00:00")
    session = login(emu)
    assert rows(emu, session, "Customer", filter=CHANGED_SINCE) == []
    emu.update_record("Customer", "C000005", MainContact={"Email": "new.address@fastmail.com"})
    emu.clock.advance(60)
    created = emu.insert_record("Customer", CustomerName="Harbor Tools", Status="Active")
    changed = rows(
        emu,
        session,
        "Customer",
        filter=CHANGED_SINCE,
        expand="MainContact",
        select="CustomerID,LastModifiedDateTime,MainContact/Email",
    )
    assert [(value(r, "CustomerID"), value(r, "LastModifiedDateTime")) for r in changed] == [
        ("C000005", "2026-12-01T12:00:00.250-05:00"),
        (created["CustomerID"], "2026-12-01T12:01:00.250-05:00"),
    ]
    assert value(changed[0], "MainContact/Email") == "new.address@fastmail.com"


def test_changing_a_line_moves_its_invoice_and_its_totals(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    emu.clock.freeze("2026-12-01T17:00:00+00:00")
    session = login(emu)
    emu.update_line("SalesInvoice", "Invoice/INV000001", 1, Qty=7, UnitPrice=10.0)
    (invoice,) = rows(
        emu,
        session,
        "SalesInvoice",
        filter=CHANGED_SINCE + " and ReferenceNbr eq 'INV000001'",
        expand="Details",
    )
    assert value(invoice, "LastModifiedDateTime") == "2026-12-01T12:00:00-05:00"
    assert value(invoice["Details"][0], "Amount") == 70.0
    assert value(invoice, "DetailTotal") == round(
        sum(value(line, "Amount") for line in invoice["Details"]), 2
    )
    old = rows(emu, session, "SalesInvoice", "22.200.001", filter="ReferenceNbr eq 'INV000001'")
    assert "LastModifiedDateTime" not in old[0]


def test_records_change_over_http_too(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    url = emu.server_url + "/_sandbox/records/StockItem/"
    item = emu.store.rows("StockItem")[0]["InventoryID"]
    requests.post(
        emu.server_url + "/_sandbox/clock", json={"freeze": "2026-12-01T17:00:00Z"}, timeout=10
    )
    changed = requests.patch(url + item, json={"DefaultPrice": 12.5}, timeout=10).json()
    assert changed["DefaultPrice"] == 12.5
    stamp = "2026-12-01T17:00:00.000+00:00"
    assert changed["LastModified"] == changed["LastModifiedDateTime"] == stamp
    lines = requests.patch(
        emu.server_url + "/_sandbox/records/SalesOrder/SO/SO000001",
        json={"Details": {"1": {"OrderQty": 3}}},
        timeout=10,
    ).json()
    assert lines["Details"][0]["OrderQty"] == 3.0
    assert lines["LastModified"] == stamp
    bad = requests.patch(url + item, json={"Colour": "red"}, timeout=10)
    assert bad.status_code == 400
    assert requests.get(url + "NOPE", timeout=10).status_code == 404
    inserted = requests.post(
        emu.server_url + "/_sandbox/records/Contact",
        json={"FirstName": "Ada", "LastName": "Byron", "Email": "ada@fastmail.com"},
        timeout=10,
    )
    assert inserted.status_code == 201
    assert inserted.json()["ContactID"] == 100201
    keyless = requests.post(emu.server_url + "/_sandbox/records/StockItem", json={}, timeout=10)
    assert keyless.json() == {"error": "a new StockItem needs InventoryID"}
    deleted = requests.delete(emu.server_url + "/_sandbox/records/Contact/100201", timeout=10)
    assert deleted.status_code == 200
    assert emu.record("Contact", 100201) is None


def test_reset_restores_the_seeded_records(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    original = emu.record("Customer", "C000001")
    emu.update_record("Customer", "C000001", CustomerName="Renamed")
    emu.delete_record("Contact", 100001)
    emu.reset()
    assert emu.record("Customer", "C000001") == original
    assert emu.record("Contact", 100001) is not None


def test_seed_is_deterministic_with_size_knobs() -> None:
    small = SeedSize(customers=10, contacts=12, stock_items=5, sales_orders=4, sales_invoices=6)
    first, second = generate(small), generate(small)
    assert first == second
    assert {name: len(records) for name, records in first.items()} == {
        "Customer": 10,
        "Contact": 12,
        "StockItem": 5,
        "SalesOrder": 4,
        "SalesInvoice": 6,
    }
    assert (
        generate(
            SeedSize(
                customers=10, contacts=12, stock_items=5, sales_orders=4, sales_invoices=6, seed=12
            )
        )
        != first
    )


def test_the_default_seed_looks_like_a_real_tenant() -> None:
    data = generate(SeedSize())
    invoices = data["SalesInvoice"]
    assert Counter(i["Status"] for i in invoices).keys() >= {
        "Balanced",
        "Open",
        "Closed",
        "On Hold",
    }
    assert {len(i["Details"]) for i in invoices} == {1, 2, 3, 4}
    contacts = data["Contact"]
    assert any(c["DoNotEmail"] for c in contacts)
    assert any(c["NoMarketing"] for c in contacts)
    assert any(not c["Active"] for c in contacts)
    emails = [c["Email"] for c in contacts if c["Email"]] + [
        c["MainContact"]["Email"] for c in data["Customer"] if c["MainContact"]["Email"]
    ]
    domains = {email.split("@")[1] for email in emails}
    assert not {d for d in domains if d in ("example.com", "test.com") or d.endswith(".test")}
    stamps = [c["LastModifiedDateTime"] for c in data["Customer"]]
    assert min(stamps).year == 2024
    assert max(stamps).year == 2026
    shared = Counter(stamps).most_common(1)[0][1]
    assert shared >= 3  # the mass update
    moments = [i["LastModifiedDateTime"] for i in invoices]
    assert all(isinstance(m, datetime) for m in moments)


def test_seeding_another_size_over_http(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    answer = requests.post(
        emu.base_url + "/_sandbox/seed", json={"customers": 3, "contacts": 2}, timeout=30
    ).json()
    assert answer["counts"]["Customer"] == 3
    session = login(emu)
    assert len(rows(emu, session, "Customer")) == 3


def test_injected_faults_use_acumatica_error_bodies(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    emu.faults.enqueue(path="/entity/Default/*/Customer", status=503, times=1)
    body = http_error(get_entity(emu, session, "Customer", top=1), 503)
    assert body["message"] == "An error has occurred."
    assert get_entity(emu, session, "Customer", top=1).status_code == 200
    emu.faults.enqueue(path="/entity/Default/*", status=429, retry_after=3)
    limited = get_entity(emu, session, "Customer", top=1)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    emu.faults.enqueue(path="/entity/Default/*", drop="no_response")
    with pytest.raises(requests.ConnectionError):
        get_entity(emu, session, "Customer", top=1)


def test_calls_are_logged_relative_to_the_instance(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    rows(emu, session, "Customer", top=1)
    session.get(emu.endpoint_url() + "/Customer/C000001", timeout=10)
    requests.get(emu.base_url + "/_sandbox/state", timeout=10)
    assert emu.calls.count("POST /entity/auth/login") == 1
    assert emu.calls.count(f"GET /entity/Default/{LATEST}/Customer") == 1
    assert emu.calls.count("GET /entity/{endpoint}/{version}/{entity}/{ids}") == 1
    assert emu.calls.count() == 3


def test_state_reports_sessions_and_counts(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    login(emu)
    state = requests.get(emu.base_url + "/_sandbox/state", timeout=10).json()
    assert state["counts"] == {
        "Customer": 150,
        "Contact": 200,
        "StockItem": 40,
        "SalesOrder": 100,
        "SalesInvoice": 200,
    }
    assert state["sessions"]["open"] == 1
    assert state["client_id"] == emu.client_id
    config = requests.post(
        emu.base_url + "/_sandbox/config", json={"api_user_limit": 5}, timeout=10
    ).json()
    assert config["api_user_limit"] == 5
    assert (
        requests.post(emu.base_url + "/_sandbox/config", json={"nope": 1}, timeout=10).status_code
        == 400
    )
    assert (
        requests.post(
            emu.base_url + "/_sandbox/config", json={"endpoint_versions": ["9.0"]}, timeout=10
        ).status_code
        == 400
    )


def test_the_cli_summary_line_counts_records_and_sessions(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    login(emu)
    assert acumatica_summary_line(emu.base_url) == (
        f"Acumatica sandbox at {emu.base_url} (tenant MyStore): 150 customers, 200 contacts, "
        "40 stock items, 100 sales orders, 200 sales invoices; open sessions 1; API calls 1"
    )
    assert acumatica_summary_line("http://127.0.0.1:9/AcumaticaERP").endswith("not reachable")
