"""Exact Online sync API: ``Timestamp`` paging at 1000 rows, ``$select`` required,
flattened sales invoice rows and ``sync/Deleted`` (reference C4)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from exact_helpers import get, odata_error, read_all, session

from erp_sandbox.exact import ExactEmulator

INVOICE_SELECT = (
    "Timestamp,ID,InvoiceID,LineNumber,InvoiceNumber,InvoiceToName,AmountFC,AmountFCExclVat,"
    "ItemCode,Quantity,CostCenter,Modified"
)


def test_sync_endpoints_need_select(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    response = http.get(
        exact_emulator.api_url + "/sync/CRM/Accounts",
        params={"$filter": "Timestamp gt 1"},
        timeout=10,
    )
    assert odata_error(response, 400) == "$select is mandatory for this endpoint."


def test_sync_pages_hold_1000_rows_in_timestamp_order(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    emu.seed(accounts=1234, contacts=0, sales_invoices=0)
    http = session(emu)
    url = emu.api_url + "/sync/CRM/Accounts"
    first = get(http, url, select="ID,Timestamp", filter="Timestamp gt 1")
    assert len(first["results"]) == 1000
    query = parse_qs(urlparse(first["__next"]).query)
    assert query["$select"] == ["ID,Timestamp"]
    assert query["$filter"] == ["Timestamp gt 1"]
    assert query["$skiptoken"] == [first["results"][-1]["Timestamp"] + "L"]
    rows, pages = read_all(http, url, select="ID,Timestamp", filter="Timestamp gt 1")
    assert (len(rows), pages) == (1234, 2)
    stamps = [int(row["Timestamp"]) for row in rows]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert all(stamp > 2**32 for stamp in stamps)  # 64-bit values


def test_timestamp_gt_n_returns_only_later_changes(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    http = session(emu)
    url = emu.api_url + "/sync/CRM/Accounts"
    rows, _ = read_all(http, url, select="ID,Timestamp", filter="Timestamp gt 1")
    high = max(int(row["Timestamp"]) for row in rows)
    assert get(http, url, select="ID", filter=f"Timestamp gt {high}L")["results"] == []
    account = emu.record("Accounts", "1010")
    assert account is not None
    emu.update_record("Accounts", account["ID"], Email="finance@brightpathlabs.nl")
    changed = get(http, url, select="ID,Email,Timestamp", filter=f"Timestamp gt {high}L")
    assert [(row["ID"], row["Email"]) for row in changed["results"]] == [
        (account["ID"], "finance@brightpathlabs.nl")
    ]
    assert int(changed["results"][0]["Timestamp"]) > high


def test_a_record_changed_between_pages_comes_again_on_a_later_page(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.seed(accounts=2500, contacts=0, sales_invoices=0)
    http = session(emu)
    url = emu.api_url + "/sync/CRM/Accounts"
    first = get(http, url, select="ID,Timestamp", filter="Timestamp gt 1")
    early = first["results"][0]["ID"]
    emu.update_record("Accounts", early, Email="changed@brightpathlabs.nl")
    rows = list(first["results"])
    page = first
    while page.get("__next"):
        response = http.get(page["__next"], timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()["d"]
        rows.extend(page["results"])
    assert [row["ID"] for row in rows].count(early) == 2
    assert rows[-1]["ID"] == early
    assert len(rows) == 2501


def test_the_timestamp_counter_is_shared_by_the_whole_division(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    contact = emu.update_record("Contacts", 1, JobTitleDescription="Inkoper")
    account = emu.update_record("Accounts", "1001", Phone="+31 20 1234567")
    assert account["Timestamp"] > contact["Timestamp"]


def test_sync_filters_may_name_only_timestamp(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    url = exact_emulator.api_url + "/sync/CRM/Contacts"
    modified = http.get(
        url,
        params={"$select": "ID", "$filter": "Modified gt datetime'2025-01-01T00:00:00'"},
        timeout=10,
    )
    assert "may be used in $filter" in odata_error(modified, 400)
    ordered = http.get(url, params={"$select": "ID", "$orderby": "Modified"}, timeout=10)
    assert "not supported on sync endpoints" in odata_error(ordered, 400)


def test_sync_invoices_flatten_a_header_row_and_one_row_per_line(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    http = session(emu)
    rows, _ = read_all(
        http,
        emu.api_url + "/sync/SalesInvoice/SalesInvoices",
        select=INVOICE_SELECT,
        filter="Timestamp gt 1",
    )
    counts = emu.store.counts()
    assert len(rows) == counts["SalesInvoices"] + counts["SalesInvoiceLines"]
    invoice = emu.record("SalesInvoices", 24700001)
    assert invoice is not None
    mine = [row for row in rows if row["InvoiceID"] == invoice["InvoiceID"]]
    header = next(row for row in mine if row["LineNumber"] == 0)
    lines = sorted((row for row in mine if row["LineNumber"] > 0), key=lambda r: r["LineNumber"])
    assert header["ID"] == invoice["InvoiceID"]
    assert header["ItemCode"] is None and header["Quantity"] is None
    assert header["AmountFC"] == invoice["AmountFC"]
    assert header["AmountFCExclVat"] == invoice["AmountFCExclVat"]
    assert [line["ID"] for line in lines] == [x["ID"] for x in invoice["SalesInvoiceLines"]]
    for line, stored in zip(lines, invoice["SalesInvoiceLines"], strict=True):
        assert line["InvoiceNumber"] == 24700001
        assert line["InvoiceToName"] == invoice["InvoiceToName"]
        assert line["Modified"] == header["Modified"]
        assert line["AmountFCExclVat"] is None
        assert line["AmountFC"] == stored["AmountFC"]
        assert line["ItemCode"] == stored["ItemCode"]
    assert any(row["CostCenter"] for row in rows if row["LineNumber"] > 0)


def test_a_line_change_renumbers_the_header_and_every_line(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    http = session(emu)
    url = emu.api_url + "/sync/SalesInvoice/SalesInvoices"
    high = emu.store.rowversion
    emu.clock.freeze("2026-11-02T10:15:00Z")
    invoice = emu.update_record("SalesInvoices", 24700001, SalesInvoiceLines={1: {"Quantity": 7}})
    changed = get(
        http,
        url,
        select="ID,LineNumber,Quantity,Timestamp,Modified",
        filter=f"Timestamp gt {high}L",
    )["results"]
    assert sorted(row["LineNumber"] for row in changed) == list(
        range(len(invoice["SalesInvoiceLines"]) + 1)
    )
    assert next(row["Quantity"] for row in changed if row["LineNumber"] == 1) == 7
    assert {row["Modified"] for row in changed} == {
        "/Date(1793618100000)/"
    }  # 11:15 CET, read as UTC


def test_deleted_records_appear_in_sync_deleted(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    http = session(emu)
    url = emu.api_url + "/sync/Deleted"
    select = "Timestamp,EntityKey,EntityType,DeletedDate,DeletedBy,Division,ID"
    seeded = get(http, url, select=select, filter="Timestamp gt 1")["results"]
    assert {row["EntityType"] for row in seeded} == {2, 5, 13}
    high = emu.store.rowversion
    account = emu.delete_record("Accounts", "1020")
    invoice = emu.delete_record("SalesInvoices", 24700002)
    contact = emu.delete_record("Contacts", 3)
    fresh = get(http, url, select=select, filter=f"Timestamp gt {high}L")["results"]
    assert [(row["EntityType"], row["EntityKey"]) for row in fresh] == [
        (2, account["ID"]),
        (13, invoice["InvoiceID"]),
        (5, contact["ID"]),
    ]
    assert all(row["Division"] == emu.division for row in fresh)
    gone = http.get(f"{emu.api_url}/crm/Accounts(guid'{account['ID']}')", timeout=10)
    assert gone.status_code == 404


def test_int64_timestamps_are_strings_unless_configured_otherwise(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    http = session(emu)
    url = emu.api_url + "/sync/CRM/Contacts"
    row = get(http, url, select="Timestamp,HID", top=1)["results"][0]
    assert isinstance(row["Timestamp"], str) and isinstance(row["HID"], int)
    emu.configure(int64_as_string=False)
    row = get(http, url, select="Timestamp", top=1)["results"][0]
    assert isinstance(row["Timestamp"], int)
