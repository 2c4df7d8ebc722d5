"""Exact Online ordinary endpoints: JSON vs Atom, 60-row pages with ``__next``, and the
OData query options (reference C2, C3, C4, C7)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests
from exact_helpers import get, odata_error, parse_xml, read_all, session

from erp_sandbox.exact import ExactEmulator

ATOM = "{http://www.w3.org/2005/Atom}"
DATA = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"
META = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"


def test_me_names_the_current_division(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    body = get(http, exact_emulator.base_url + "/api/v1/current/Me", select="CurrentDivision")
    assert [{k: v for k, v in r.items() if k != "__metadata"} for r in body["results"]] == [
        {"CurrentDivision": exact_emulator.division}
    ]


def test_without_accept_json_the_api_answers_atom_xml(exact_emulator: ExactEmulator) -> None:
    token = exact_emulator.issue_access_token()
    response = requests.get(
        exact_emulator.api_url + "/crm/Accounts",
        params={"$select": "ID,Name,Modified,Blocked"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = parse_xml(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 60
    properties = entries[0].find(f"{ATOM}content/{META}properties")
    assert properties is not None
    assert [child.tag.removeprefix(DATA) for child in properties] == [
        "ID",
        "Blocked",
        "Modified",
        "Name",
    ]
    assert properties.find(f"{DATA}ID").get(f"{META}type") == "Edm.Guid"  # type: ignore[union-attr]
    next_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "next"]
    assert "$skiptoken=guid'" in next_link[0].get("href", "")


def test_errors_are_xml_too_without_accept_json(exact_emulator: ExactEmulator) -> None:
    token = exact_emulator.issue_access_token()
    response = requests.get(
        exact_emulator.api_url + "/crm/Accounts",
        params={"$filter": "Nope eq 1"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 400
    error = parse_xml(response.content)
    assert error.tag == f"{META}error"
    assert "No property 'Nope'" in (error.find(f"{META}message").text or "")  # type: ignore[union-attr]


def test_ordinary_endpoints_page_at_60_rows_with_a_full_next_url(
    exact_emulator: ExactEmulator,
) -> None:
    http = session(exact_emulator)
    first = get(http, exact_emulator.api_url + "/crm/Accounts", select="ID,Name")
    assert len(first["results"]) == 60
    next_url = urlparse(first["__next"])
    assert first["__next"].startswith(exact_emulator.api_url + "/crm/Accounts?")
    assert parse_qs(next_url.query)["$select"] == ["ID,Name"]
    rows, pages = read_all(http, exact_emulator.api_url + "/crm/Accounts", select="ID,Name")
    assert pages == 3
    ids = [row["ID"] for row in rows]
    assert len(ids) == len(set(ids)) == 125
    assert ids == sorted(ids)  # key order
    assert set(rows[0]) == {"__metadata", "ID", "Name"}


def test_top_spans_pages_and_stops_where_asked(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    rows, pages = read_all(http, exact_emulator.api_url + "/crm/Contacts", select="ID", top=70)
    assert (len(rows), pages) == (70, 2)
    short = get(http, exact_emulator.api_url + "/crm/Contacts", select="ID", top=5)
    assert len(short["results"]) == 5
    assert "__next" not in short


def test_orderby_pages_by_value_then_key(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    rows, pages = read_all(
        http,
        exact_emulator.api_url + "/crm/Contacts",
        select="ID,Modified",
        orderby="Modified desc",
    )
    assert pages == 3
    assert len({row["ID"] for row in rows}) == 150
    stamps = [int(row["Modified"][6:-2]) for row in rows]
    assert stamps == sorted(stamps, reverse=True)


def test_modified_filters_read_datetime_literals_on_the_cet_wall_clock(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    before = emu.record("Accounts", "1004")  # modified 2025-03-30 01:59:59.250 CET
    after = emu.record("Accounts", "1005")  # modified 2025-03-30 03:00:00.750 CEST
    assert before is not None and after is not None
    http = session(emu)
    window = (
        "Modified ge datetime'2025-03-30T01:59:59' and Modified le datetime'2025-03-30T03:00:01'"
    )
    found = get(http, emu.api_url + "/crm/Accounts", select="ID", filter=window)["results"]
    assert {row["ID"] for row in found} == {before["ID"], after["ID"]}
    later = get(
        http,
        emu.api_url + "/crm/Accounts",
        select="ID",
        filter="Modified gt datetime'2025-03-30T03:00:00.750' and Modified lt datetime'2025-03-31'",
    )["results"]
    assert after["ID"] not in {row["ID"] for row in later}


def test_account_codes_are_padded_to_18_characters_and_filters_need_the_padding(
    exact_emulator: ExactEmulator,
) -> None:
    http = session(exact_emulator)
    url = exact_emulator.api_url + "/crm/Accounts"
    assert get(http, url, select="ID", filter="Code eq '1004'")["results"] == []
    padded = get(http, url, select="Code", filter="Code eq '" + "1004".rjust(18) + "'")
    assert [row["Code"] for row in padded["results"]] == ["              1004"]


def test_filter_type_errors_read_like_wcf_data_services(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    url = exact_emulator.api_url + "/crm/Accounts"
    response = http.get(url, params={"$filter": "ID eq 1"}, timeout=10)
    assert odata_error(response, 400) == (
        "Operator 'eq' incompatible with operand types 'System.Guid' and 'System.Int32' "
        "at position 3."
    )
    unknown = http.get(url, params={"$filter": "Colour eq 'red'"}, timeout=10)
    assert odata_error(unknown, 400) == (
        "No property 'Colour' exists in type 'Exact.Web.Api.Models.Account' at position 0."
    )
    offset = http.get(
        url, params={"$filter": "Modified gt datetimeoffset'2024-01-01T00:00:00Z'"}, timeout=10
    )
    assert odata_error(offset, 400).startswith("Operator 'gt' incompatible")


def test_guid_string_and_function_filters(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    http = session(emu)
    account = emu.record("Accounts", "1001")
    assert account is not None
    contacts = get(
        http,
        emu.api_url + "/crm/Contacts",
        select="Account",
        filter=f"Account eq guid'{account['ID']}'",
    )["results"]
    assert all(row["Account"] == account["ID"] for row in contacts)
    name_start = account["Name"][:4].upper()  # string comparison ignores case
    named = get(
        http,
        emu.api_url + "/crm/Accounts",
        select="Name",
        filter=f"startswith(Name,'{name_start}') eq true and Email ne null",
    )["results"]
    assert named
    assert all(row["Name"].upper().startswith(name_start) for row in named)


def test_one_address_belongs_to_an_account_and_a_contact_of_another_account(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    http = session(emu)
    accounts, _ = read_all(http, emu.api_url + "/crm/Accounts", select="ID,Email")
    contacts, _ = read_all(http, emu.api_url + "/crm/Contacts", select="Account,Email")
    shared = {a["Email"] for a in accounts if a["Email"]} & {c["Email"] for c in contacts}
    assert shared
    email = sorted(shared)[0]
    owner = next(a["ID"] for a in accounts if a["Email"] == email)
    assert any(c["Email"] == email and c["Account"] != owner for c in contacts)
    assert any(a["Email"] is None for a in accounts)


def test_seeded_addresses_use_real_looking_domains(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    accounts, _ = read_all(http, exact_emulator.api_url + "/crm/Accounts", select="Email")
    contacts, _ = read_all(http, exact_emulator.api_url + "/crm/Contacts", select="Email")
    emails = [row["Email"] for row in accounts + contacts if row["Email"]]
    assert len(emails) > 200
    fake = (".test", ".example", ".invalid", ".localhost", "example.com", "test.com")
    assert not [email for email in emails if email.lower().endswith(fake)]
    assert all(email.count("@") == 1 for email in emails)


def test_invoices_expand_their_lines_and_defer_them_otherwise(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    http = session(emu)
    url = emu.api_url + "/salesinvoice/SalesInvoices"
    deferred = get(http, url, top=1)["results"][0]
    assert set(deferred["SalesInvoiceLines"]) == {"__deferred"}
    expanded = get(
        http,
        url,
        select="InvoiceID,InvoiceNumber,SalesInvoiceLines/LineNumber,SalesInvoiceLines/CostCenter",
        expand="SalesInvoiceLines",
        top=3,
    )["results"]
    for invoice in expanded:
        lines = invoice["SalesInvoiceLines"]["results"]
        assert 1 <= len(lines) <= 4
        assert [line["LineNumber"] for line in lines] == list(range(1, len(lines) + 1))
        assert set(lines[0]) == {"__metadata", "LineNumber", "CostCenter"}
    lines_url = deferred["SalesInvoiceLines"]["__deferred"]["uri"]
    nested = get(http, lines_url, select="InvoiceID")["results"]
    assert {line["InvoiceID"] for line in nested} == {deferred["InvoiceID"]}


def test_invoices_hold_credit_notes_and_every_status(exact_emulator: ExactEmulator) -> None:
    http = session(exact_emulator)
    invoices, _ = read_all(
        http,
        exact_emulator.api_url + "/salesinvoice/SalesInvoices",
        select="Type,Status,AmountDC,AmountFC,AmountFCExclVat,VATAmountFC,Currency",
    )
    assert len(invoices) == 180
    assert {i["Status"] for i in invoices} == {10, 20, 50}
    credits = [i for i in invoices if i["Type"] == 8021]
    assert credits
    assert all(i["AmountFC"] < 0 for i in credits)
    assert all(round(i["AmountFCExclVat"] + i["VATAmountFC"], 2) == i["AmountFC"] for i in invoices)
    assert {i["Currency"] for i in invoices} >= {"EUR", "USD"}


def test_one_entity_by_key_and_a_count(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    http = session(emu)
    account = emu.record("Accounts", "1001")
    assert account is not None
    one = http.get(f"{emu.api_url}/crm/Accounts(guid'{account['ID']}')", timeout=10).json()
    assert one["d"]["ID"] == account["ID"]
    assert one["d"]["__metadata"]["uri"].endswith(f"crm/Accounts(guid'{account['ID']}')")
    missing = http.get(
        f"{emu.api_url}/crm/Accounts(guid'00000000-0000-4000-8000-000000000000')", timeout=10
    )
    assert odata_error(missing, 404) == "Resource not found for the segment 'Accounts'."
    count = http.get(f"{emu.api_url}/hrm/Costcenters/$count", timeout=10)
    assert count.text == "8"
    centers = get(http, emu.api_url + "/hrm/Costcenters", filter="Active eq false")["results"]
    assert [c["Code"] for c in centers] == ["900"]


def test_unknown_system_options_and_properties_are_refused(
    exact_emulator: ExactEmulator,
) -> None:
    http = session(exact_emulator)
    url = exact_emulator.api_url + "/crm/Accounts"
    option = http.get(url, params={"$search": "x"}, timeout=10)
    assert "system-reserved '$' character" in odata_error(option, 400)
    select = http.get(url, params={"$select": "ID,Colour"}, timeout=10)
    assert "No property 'Colour'" in odata_error(select, 400)
    path = http.get(exact_emulator.api_url + "/crm/Nothing", timeout=10)
    assert odata_error(path, 404) == "Resource not found for the segment 'Nothing'."
