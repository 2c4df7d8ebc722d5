"""The Exact Online mapping (`exact.yml`), record by record."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from erp_mailchimp_mapper.mapping import Mapping

EXACT = Path(__file__).parents[1] / "exact.yml"
ACCOUNT_ID = "54307d87-dfcc-4240-95f0-c808c3226dc1"


@pytest.fixture
def mapping() -> Mapping:
    return Mapping.load(EXACT)


def complete(stream: str, record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The record as tap-exact emits it: every declared field, null when not given."""
    from tap_exact.streams import STREAM_TYPES

    properties = next(s for s in STREAM_TYPES if s.name == stream).schema["properties"]
    full = {name: None for name in properties} | record
    if "lines" in record:
        line_fields = properties["lines"]["items"]["properties"]
        full["lines"] = [{name: None for name in line_fields} | line for line in record["lines"]]
    return full


def outputs(mapping: Mapping, stream: str, record: dict[str, t.Any]) -> dict[str, dict]:
    return {rule.target: output for rule, output in mapping.apply(stream, complete(stream, record))}


def account(**fields: t.Any) -> dict[str, t.Any]:
    return {
        "ID": ACCOUNT_ID,
        "Code": "1042",
        "Name": "Contoso Labs Ltd",
        "Email": "finance@contosolabs.co.uk",
        "Status": "C",
        "Blocked": False,
        "IsSales": True,
        "IsSupplier": False,
        "Phone": "+44 20 7946 0000",
        "AddressLine1": "12 Wharf Road",
        "City": "London",
        "Postcode": "N1 7GR",
        "State": None,
        "Country": "GB",
        "Modified": "2026-03-01T09:30:00+00:00",
        **fields,
    }


def invoice(**fields: t.Any) -> dict[str, t.Any]:
    return {
        "InvoiceID": "8d178c0b-e6ec-4c7e-a714-66ca96b3c521",
        "InvoiceNumber": 24700006,
        "InvoiceTo": ACCOUNT_ID,
        "Currency": "EUR",
        "AmountFC": 870.04,
        "VATAmountFC": 0.0,
        "Status": 50,
        "Type": 8020,
        "InvoiceDate": "2024-01-28T23:00:00+00:00",
        "Modified": "2024-02-12T20:55:46.904000+00:00",
        "lines": [
            {
                "LineNumber": 1,
                "ItemCode": "DESK-BLU",
                "ItemDescription": "Desk blue",
                "Description": "Desk blue",
                "Quantity": 2.0,
                "UnitPrice": 339.61,
                "CostCenter": "110",
            },
            {
                "LineNumber": 2,
                "ItemCode": "ADAP-BLA",
                "ItemDescription": "Adapter black",
                "Description": "Adapter black",
                "Quantity": 1.0,
                "UnitPrice": 190.82,
                "CostCenter": None,
            },
        ],
        **fields,
    }


def test_the_mapping_matches_the_taps_schemas(mapping) -> None:
    from tap_exact.streams import STREAM_TYPES

    for stream_type in STREAM_TYPES:
        mapping.check(stream_type.name, stream_type.schema)


def test_an_account_becomes_a_tagged_member_and_an_e_commerce_customer(mapping) -> None:
    mapped = outputs(mapping, "accounts", account(IsSupplier=True))
    member = mapped["members"]
    assert member["source_id"] == f"exact:{ACCOUNT_ID}"
    assert member["active"] is True
    assert member["tags"] == ["exact:customer", "exact:supplier"]
    assert member["merge_fields"]["COMPANY"] == "Contoso Labs Ltd"
    assert mapped["customers"]["id"] == ACCOUNT_ID
    assert mapped["customers"]["opt_in_status"] is False


def test_a_blocked_account_is_an_inactive_member_and_no_customer(mapping) -> None:
    mapped = outputs(mapping, "accounts", account(Blocked=True))
    assert mapped["members"]["active"] is False
    assert "customers" not in mapped


def test_a_contact_excluded_from_mailings_is_never_subscribed(mapping) -> None:
    contact = {
        "ID": "0b7c5a7e-2f0e-4f58-8a55-5d1c0c2f9a10",
        "Email": " ada@contosolabs.co.uk ",
        "FirstName": "Ada",
        "LastName": "Byron",
        "AccountName": "Contoso Labs Ltd",
        "IsMailingExcluded": True,
        "Modified": "2026-03-02T09:30:00+00:00",
    }
    member = outputs(mapping, "contacts", contact)["members"]
    assert member["email_address"] == "ada@contosolabs.co.uk"
    assert member["status"] == "unsubscribed"
    assert member["source_id"] == "exact-contact:0b7c5a7e-2f0e-4f58-8a55-5d1c0c2f9a10"


def test_a_processed_invoice_is_an_order_and_tags_its_buyer_with_cost_centers(mapping) -> None:
    mapped = outputs(mapping, "sales_invoices", invoice())
    order = mapped["orders"]
    assert order["id"] == "exact-24700006"
    assert order["customer"] == {"id": ACCOUNT_ID}
    assert order["financial_status"] == "processed"
    assert [(ln["product_id"], ln["quantity"]) for ln in order["lines"]] == [
        ("DESK-BLU", 2),
        ("ADAP-BLA", 1),
    ]
    assert mapped["member_tags"]["source_id"] == f"exact:{ACCOUNT_ID}"
    assert mapped["member_tags"]["tags"] == ["costcenter:110"]


def test_a_credit_note_is_a_refunded_order_with_positive_amounts(mapping) -> None:
    credit = invoice(
        Type=8021,
        InvoiceNumber=24700007,
        AmountFC=-339.61,
        lines=[
            {
                "LineNumber": 1,
                "ItemCode": "DESK-BLU",
                "Quantity": -1.0,
                "UnitPrice": 339.61,
                "CostCenter": "110",
            }
        ],
    )
    mapped = outputs(mapping, "sales_invoices", credit)
    order = mapped["orders"]
    assert order["id"] == "exact-CN-24700007"
    assert order["financial_status"] == "refunded"
    assert order["order_total"] == 339.61
    assert order["lines"][0]["quantity"] == 1
    assert "member_tags" not in mapped  # a refund is no purchase under the cost center


def test_a_draft_invoice_is_left_out(mapping) -> None:
    assert outputs(mapping, "sales_invoices", invoice(Status=10)) == {}


def test_an_account_deletion_is_a_deleted_member_known_by_its_source_id(mapping) -> None:
    deletion = {
        "ID": "d1",
        "EntityKey": ACCOUNT_ID,
        "EntityType": 2,
        "DeletedDate": "2026-03-03T10:00:00+00:00",
    }
    member = outputs(mapping, "deleted", deletion)["members"]
    assert member == {
        "source_id": f"exact:{ACCOUNT_ID}",
        "deleted": True,
        "updated_at": "2026-03-03T10:00:00+00:00",
    }
    assert outputs(mapping, "deleted", {**deletion, "EntityType": 13}) == {}
