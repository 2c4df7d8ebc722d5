"""Reading entities: value wrapping, $expand, $select, $filter, $top/$skip, keys, custom."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest
import requests
from acumatica_helpers import LATEST, get_entity, http_error, login, rows, value

from erp_sandbox.acumatica import AcumaticaEmulator


@pytest.fixture
def session(acumatica_emulator: AcumaticaEmulator) -> requests.Session:
    return login(acumatica_emulator)


def test_fields_are_value_wrapped_with_the_envelope(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    (customer,) = rows(acumatica_emulator, session, "Customer", top=1)
    assert list(customer)[:3] == ["id", "rowNumber", "note"]
    assert list(customer)[-2:] == ["custom", "_links"]
    assert customer["rowNumber"] == 1
    assert customer["note"] == {"value": ""}
    assert customer["custom"] == {}
    assert customer["CustomerID"] == {"value": "C000001"}
    assert isinstance(value(customer, "BAccountID"), int)
    assert isinstance(value(customer, "CreditLimit"), float)
    assert isinstance(value(customer, "BillingContactOverride"), bool)
    modified = datetime.fromisoformat(value(customer, "LastModifiedDateTime"))
    assert modified.utcoffset() is not None
    assert customer["_links"]["self"].endswith(f"/Customer/{customer['id']}")
    (invoice,) = rows(acumatica_emulator, session, "SalesInvoice", top=1)
    assert value(invoice, "Date").endswith("T00:00:00-04:00") or value(invoice, "Date").endswith(
        "T00:00:00-05:00"
    )


def test_empty_values_are_empty_objects(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    records = rows(acumatica_emulator, session, "Contact")
    assert any(record["Email"] == {} for record in records)
    assert all(record["Email"] == {} or "value" in record["Email"] for record in records)


def test_linked_and_detail_entities_need_expand(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    (plain,) = rows(emu, session, "Customer", top=1)
    assert "MainContact" not in plain
    assert "BillingContact" not in plain
    (invoice,) = rows(emu, session, "SalesInvoice", top=1)
    assert "Details" not in invoice
    (shallow,) = rows(emu, session, "Customer", top=1, expand="MainContact")
    assert "Address" not in shallow["MainContact"]
    assert value(shallow, "MainContact/DisplayName")
    assert "BillingContact" not in shallow
    (deep,) = rows(emu, session, "Customer", top=1, expand="MainContact,MainContact/Address")
    assert value(deep, "MainContact/Address/City")
    (only_nested,) = rows(emu, session, "Customer", top=1, expand="MainContact/Address")
    assert "MainContact" not in only_nested
    (with_lines,) = rows(emu, session, "SalesInvoice", top=1, expand="Details")
    lines = with_lines["Details"]
    assert 1 <= len(lines) <= 4
    assert [line["rowNumber"] for line in lines] == list(range(1, len(lines) + 1))
    assert value(lines[0], "Amount") == round(
        value(lines[0], "Qty") * value(lines[0], "UnitPrice"), 2
    )


def test_select_keeps_the_named_fields(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    (customer,) = rows(
        acumatica_emulator,
        session,
        "Customer",
        top=1,
        expand="MainContact,MainContact/Address",
        select="CustomerID,MainContact/Email,MainContact/Address/City",
    )
    assert set(customer) == {
        "id",
        "rowNumber",
        "note",
        "CustomerID",
        "MainContact",
        "custom",
        "_links",
    }
    assert set(customer["MainContact"]) == {"id", "rowNumber", "Email", "Address", "custom"}
    assert set(customer["MainContact"]["Address"]) == {"id", "rowNumber", "City", "custom"}


def test_top_and_skip_page_with_a_short_last_page(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    everything = [r["CustomerID"]["value"] for r in rows(emu, session, "Customer")]
    assert len(everything) == 150
    pages, skip = [], 0
    while True:
        page = rows(emu, session, "Customer", top=40, skip=skip, select="CustomerID")
        pages.append(len(page))
        skip += len(page)
        if len(page) < 40:
            break
    assert pages == [40, 40, 40, 30]
    window = rows(emu, session, "Customer", skip=5, top=3, select="CustomerID")
    assert [r["CustomerID"]["value"] for r in window] == everything[5:8]
    assert [r["rowNumber"] for r in window] == [1, 2, 3]
    assert rows(emu, session, "Customer", skip=500) == []


def test_rows_are_in_key_order_not_by_last_modified(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    records = rows(
        acumatica_emulator,
        session,
        "SalesInvoice",
        select="ReferenceNbr,LastModifiedDateTime",
        orderby="LastModifiedDateTime",
    )
    stamps = [datetime.fromisoformat(value(r, "LastModifiedDateTime")) for r in records]
    assert stamps != sorted(stamps)
    invoices = [value(r, "ReferenceNbr") for r in records if value(r, "ReferenceNbr")[:3] == "INV"]
    assert invoices == sorted(invoices)


def test_datetimeoffset_filters_gt_and_ge(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    records = rows(emu, session, "Contact", select="ContactID,LastModifiedDateTime")
    stamps = sorted(datetime.fromisoformat(value(r, "LastModifiedDateTime")) for r in records)
    pivot = stamps[len(stamps) // 2]
    literal = pivot.isoformat(timespec="milliseconds")
    after = rows(
        emu, session, "Contact", filter=f"LastModifiedDateTime gt datetimeoffset'{literal}'"
    )
    from_ = rows(
        emu, session, "Contact", filter=f"LastModifiedDateTime ge datetimeoffset'{literal}'"
    )
    assert len(after) == sum(1 for s in stamps if s > pivot)
    assert len(from_) == sum(1 for s in stamps if s >= pivot)
    assert len(from_) > len(after)
    in_utc = pivot.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+00:00").tzinfo)
    utc_literal = in_utc.isoformat(timespec="milliseconds")
    same = rows(
        emu, session, "Contact", filter=f"LastModifiedDateTime gt datetimeoffset'{utc_literal}'"
    )
    assert len(same) == len(after)


def test_datetime_values_encoded_as_the_documentation_asks(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    encoded = quote("2026-01-01T00:00:00.000+00:00", safe="")
    url = (
        f"{emu.endpoint_url()}/Contact?$filter=LastModifiedDateTime%20gt%20"
        f"datetimeoffset'{encoded}'"
    )
    by_hand = session.get(url, timeout=10)
    assert by_hand.status_code == 200
    twice = rows(
        emu, session, "Contact", filter=f"LastModifiedDateTime gt datetimeoffset'{encoded}'"
    )
    assert len(twice) == len(by_hand.json()) > 0
    raw_plus = session.get(
        f"{emu.endpoint_url()}/Contact?$filter=LastModifiedDateTime gt "
        "datetimeoffset'2026-01-01T00:00:00+00:00'",
        timeout=10,
    )
    assert (
        "Unrecognized 'Edm.DateTimeOffset' literal" in http_error(raw_plus, 500)["exceptionMessage"]
    )


def test_string_boolean_and_linked_filters(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    invoices = rows(emu, session, "SalesInvoice", select="Status,Type")
    open_ = rows(emu, session, "SalesInvoice", filter="Status eq 'Open'")
    assert len(open_) == sum(1 for r in invoices if value(r, "Status") == "Open") > 0
    assert len(rows(emu, session, "SalesInvoice", filter="Status eq 'open'")) == len(open_)
    either = rows(
        emu,
        session,
        "SalesInvoice",
        filter="(Status eq 'Open' or Status eq 'Closed') and Type eq 'Invoice'",
    )
    assert all(
        value(r, "Status") in ("Open", "Closed") and value(r, "Type") == "Invoice" for r in either
    )
    no_mail = rows(emu, session, "Contact", filter="DoNotEmail eq true and Active eq true")
    assert no_mail and all(value(r, "DoNotEmail") for r in no_mail)
    customers = rows(emu, session, "Customer", top=10, expand="MainContact")
    first = next(c for c in customers if value(c, "MainContact/Email"))
    email = value(first, "MainContact/Email")
    found = rows(emu, session, "Customer", filter=f"MainContact/Email eq '{email}'")
    assert first["id"] in {r["id"] for r in found}
    domain = email.split("@")[1]
    ending = rows(emu, session, "Customer", filter=f"endswith(Email,'@{domain}')")
    assert first["id"] in {r["id"] for r in ending}
    dated = rows(emu, session, "SalesInvoice", filter="Date ge date'2026-01-01' and Amount gt 100")
    assert all(value(r, "Date") >= "2026-01-01" and value(r, "Amount") > 100 for r in dated)


@pytest.mark.parametrize(
    ("version", "query", "message"),
    [
        (LATEST, "Status eq", "Syntax error"),
        (LATEST, "Status eq 'Open' AND Type eq 'Invoice'", "Syntax error"),
        (LATEST, "Nope eq 'x'", "Could not find a property named 'Nope'"),
        (
            "22.200.001",
            "LastModifiedDateTime gt datetimeoffset'2026-01-01T00:00:00Z'",
            "Could not find a property named 'LastModifiedDateTime' on type 'SalesInvoice'",
        ),
        (LATEST, "Amount gt 'ten'", "incompatible types"),
        (LATEST, "tolower(Status) eq 'open'", "Unknown function"),
    ],
)
def test_filters_acumatica_refuses_are_500s(
    acumatica_emulator: AcumaticaEmulator,
    session: requests.Session,
    version: str,
    query: str,
    message: str,
) -> None:
    response = get_entity(acumatica_emulator, session, "SalesInvoice", version, filter=query)
    body = http_error(response, 500)
    assert body["message"] == "An error has occurred."
    assert message in body["exceptionMessage"]


def test_unknown_expand_and_select_names_are_refused(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    assert get_entity(emu, session, "Customer", expand="Nope").status_code == 500
    assert get_entity(emu, session, "Customer", select="Nope").status_code == 500
    assert (
        get_entity(emu, session, "SalesInvoice", "22.200.001", expand="BillToContact").status_code
        == 500
    )
    assert get_entity(emu, session, "Customer", top="ten").status_code == 500


def test_custom_fields_come_with_custom_and_filter_with_cf(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    items = rows(emu, session, "StockItem", custom="ItemSettings.UsrRepairItemType")
    entries = [item["custom"]["ItemSettings"]["UsrRepairItemType"] for item in items]
    assert all(entry["type"] == "CustomStringField" for entry in entries)
    batteries = [e for e in entries if e.get("value") == "Battery"]
    assert batteries
    filtered = rows(
        emu,
        session,
        "StockItem",
        filter="cf.String(f='ItemSettings.UsrRepairItemType') eq 'Battery'",
    )
    assert len(filtered) == len(batteries)
    assert all(item["custom"] == {} for item in filtered)
    (customer,) = rows(emu, session, "Customer", top=1, custom="DefContact.UsrMarketingOptIn")
    assert isinstance(customer["custom"]["DefContact"]["UsrMarketingOptIn"]["value"], bool)
    assert get_entity(emu, session, "Customer", custom="Nope.UsrX").status_code == 500


def test_get_by_keys_and_by_id(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    emu = acumatica_emulator
    base = emu.endpoint_url()
    by_key = session.get(f"{base}/SalesInvoice/Invoice/INV000002?$expand=Details", timeout=10)
    assert by_key.status_code == 200
    invoice = by_key.json()
    assert value(invoice, "ReferenceNbr") == "INV000002"
    assert invoice["Details"]
    by_id = session.get(f"{base}/SalesInvoice/{invoice['id']}", timeout=10).json()
    assert by_id["id"] == invoice["id"]
    assert value(session.get(f"{base}/Contact/100001", timeout=10).json(), "ContactID") == 100001
    missing = session.get(f"{base}/Customer/C999999", timeout=10)
    assert http_error(missing, 500)["exceptionMessage"] == "No entity satisfies the condition."


def test_unsupported_methods_are_405(
    acumatica_emulator: AcumaticaEmulator, session: requests.Session
) -> None:
    response = session.put(acumatica_emulator.endpoint_url() + "/Customer", json={}, timeout=10)
    assert http_error(response, 405)["message"] == (
        "The requested resource does not support http method 'PUT'."
    )
