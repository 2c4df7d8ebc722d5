"""The mapping engine and the NetSuite mapping, without I/O."""

from __future__ import annotations

import contextlib
import decimal
import io
import json
from pathlib import Path

import pytest

from erp_mailchimp_mapper.mapper import ErpMailchimpMapper
from erp_mailchimp_mapper.mapping import Mapping, MappingError

NETSUITE = Path(__file__).parents[1] / "netsuite.yml"

CUSTOMER = {
    "id": 7,
    "entityid": "ACME",
    "email": "ops@acme-trading.com",
    "firstname": "Ada",
    "lastname": "Lovelace",
    "companyname": "Acme Trading",
    "isperson": False,
    "phone": "555",
    "isinactive": False,
    "lastmodifieddate": "2026-03-01T17:30:00+00:00",
    "billaddr1": "1 Main St",
    "billaddr2": None,
    "billcity": "Leeds",
    "billstate": "WY",
    "billzip": "12345",
    "billcountry": "US",
    "datecreated": None,
}
ORDER = {
    "id": 100,
    "tranid": "SO100",
    "trandate": "2026-02-01",
    "entity": 7,
    "email": "ops@acme-trading.com",
    "status": "B",
    "statusname": "Sales Order : Billed",
    "currency": "EUR",
    "foreigntotal": decimal.Decimal("250.00"),
    "lastmodifieddate": "2026-03-01T17:30:00+00:00",
    "lines": [
        {
            "id": 5001,
            "line": 1,
            "item": 42,
            "quantity": decimal.Decimal("2"),
            "rate": decimal.Decimal("125"),
            "amount": decimal.Decimal("250"),
        }
    ],
}


@pytest.fixture
def mapping() -> Mapping:
    return Mapping.load(NETSUITE)


def test_customer_with_email_becomes_a_member_and_an_e_commerce_customer(mapping) -> None:
    outputs = {rule.target: record for rule, record in mapping.apply("customers", CUSTOMER)}
    assert outputs["members"] == {
        "email_address": "ops@acme-trading.com",
        "source_id": "netsuite:7",
        "active": True,
        "updated_at": "2026-03-01T17:30:00+00:00",
        "merge_fields": {
            "FNAME": "Ada",
            "LNAME": "Lovelace",
            "PHONE": "555",
            "COMPANY": "Acme Trading",
            "ADDRESS": {
                "addr1": "1 Main St",
                "addr2": None,
                "city": "Leeds",
                "state": "WY",
                "zip": "12345",
                "country": "US",
            },
        },
        "tags": ["netsuite:company"],
    }
    assert outputs["customers"]["id"] == "7"
    assert outputs["customers"]["opt_in_status"] is False


def test_customer_without_email_is_counted_and_skipped(mapping) -> None:
    assert list(mapping.apply("customers", {**CUSTOMER, "email": None})) == []
    assert [rule.skipped for rule in mapping.rules["customers"]] == [1, 1]
    assert mapping.rules["customers"][0].skip_reason == "customer has no email address"


def test_inactive_customer_is_an_inactive_member_and_no_e_commerce_customer(mapping) -> None:
    [(rule, member)] = mapping.apply("customers", {**CUSTOMER, "isinactive": True})
    assert rule.target == "members"
    assert member["active"] is False


def test_sales_order_becomes_an_order_with_lines_and_statuses(mapping) -> None:
    [(rule, order)] = mapping.apply("sales_orders", ORDER)
    assert rule.target == "orders"
    assert order["financial_status"] == "paid"
    assert order["fulfillment_status"] == "shipped"
    assert order["cancelled_at_foreign"] is None
    assert order["processed_at_foreign"] == "2026-02-01T00:00:00+00:00"
    assert order["customer"] == {
        "id": "7",
        "email_address": "ops@acme-trading.com",
        "opt_in_status": False,
    }
    assert order["lines"] == [
        {
            "id": "5001",
            "product_id": "42",
            "product_variant_id": "42",
            "quantity": 2,
            "price": decimal.Decimal("125"),
        }
    ]


def test_cancelled_order_is_cancelled(mapping) -> None:
    [(_, order)] = mapping.apply("sales_orders", {**ORDER, "statusname": "Cancelled"})
    assert order["financial_status"] == "cancelled"
    assert order["cancelled_at_foreign"] == ORDER["lastmodifieddate"]


def test_item_becomes_a_product_with_one_variant(mapping) -> None:
    item = {
        "id": 42,
        "itemid": "WIDGET-1",
        "displayname": None,
        "itemtype": "InvtPart",
        "baseprice": decimal.Decimal("9.5"),
        "isinactive": False,
        "lastmodifieddate": "2026-03-01T17:30:00+00:00",
    }
    [(_, product)] = mapping.apply("items", item)
    assert product["title"] == "WIDGET-1"
    assert product["variants"] == [
        {"id": "42", "title": "WIDGET-1", "sku": "WIDGET-1", "price": decimal.Decimal("9.5")}
    ]


def test_unknown_source_fields_are_refused_at_schema_time(tmp_path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(
        "streams:\n  customers:\n    - target: members\n      fields:\n"
        "        email_address: emial\n"
    )
    with pytest.raises(MappingError, match="emial"):
        Mapping.load(path).check("customers", {"properties": {"email": {}}})


def test_unknown_target_stream_is_refused(tmp_path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("streams:\n  gl:\n    - target: general_ledger\n      fields: {}\n")
    with pytest.raises(MappingError, match="general_ledger"):
        Mapping.load(path)


def test_netsuite_mapping_matches_the_taps_schemas(mapping) -> None:
    from tap_netsuite.streams import STREAM_TYPES

    for stream_type in STREAM_TYPES:
        mapping.check(stream_type.name, stream_type.schema)


def test_mapper_emits_contract_schemas_records_and_state(tmp_path) -> None:
    lines = [
        {
            "type": "SCHEMA",
            "stream": "customers",
            "schema": {"properties": {name: {} for name in CUSTOMER}},
            "key_properties": ["id"],
        },
        {"type": "RECORD", "stream": "customers", "record": CUSTOMER},
        {"type": "RECORD", "stream": "customers", "record": {**CUSTOMER, "email": None}},
        {
            "type": "SCHEMA",
            "stream": "deleted_records",
            "schema": {"properties": {}},
            "key_properties": [],
        },
        {"type": "STATE", "value": {"bookmarks": {"customers": {"x": 1}}}},
    ]
    mapper = ErpMailchimpMapper(config={"mapping_file": str(NETSUITE)})
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        mapper.listen(io.StringIO("".join(json.dumps(line) + "\n" for line in lines)))
    messages = [json.loads(line) for line in output.getvalue().splitlines()]
    assert [(m["type"], m.get("stream")) for m in messages] == [
        ("SCHEMA", "members"),
        ("SCHEMA", "customers"),
        ("RECORD", "members"),
        ("RECORD", "customers"),
        ("STATE", None),
    ]
    assert "email_address" in messages[0]["schema"]["properties"]
    assert messages[0]["key_properties"] == ["email_address"]


def test_contract_schemas_are_target_mailchimps_own() -> None:
    schemas = pytest.importorskip("target_mailchimp.schemas")
    from erp_mailchimp_mapper.mapper import contract_schema

    for stream, schema in schemas.INPUT_SCHEMAS.items():
        assert contract_schema(stream) == json.loads(json.dumps(schema)), stream


def test_lines_without_an_item_are_left_out_and_missing_rates_derived(mapping) -> None:
    lines = [
        {"id": 1, "line": 1, "item": None, "quantity": None, "rate": None, "amount": None},
        {
            "id": 2,
            "line": 2,
            "item": 42,
            "quantity": decimal.Decimal("4"),
            "rate": None,
            "amount": decimal.Decimal("10"),
        },
    ]
    [(_, order)] = mapping.apply("sales_orders", {**ORDER, "lines": lines})
    assert [line["id"] for line in order["lines"]] == ["2"]
    assert order["lines"][0]["price"] == decimal.Decimal("2.5")


def test_order_with_only_itemless_lines_is_skipped(mapping) -> None:
    lines = [{"id": 1, "line": 1, "item": None, "quantity": None, "rate": None, "amount": None}]
    assert list(mapping.apply("sales_orders", {**ORDER, "lines": lines})) == []


def test_disabled_rules_stay_in_the_file_but_do_not_run(tmp_path) -> None:
    path = tmp_path / "m.yml"
    path.write_text(
        "streams:\n  invoices:\n    - target: orders\n      enabled: false\n"
        "      fields: {id: str(id)}\n"
    )
    assert Mapping.load(path).rules == {}


def test_a_record_the_mapping_cannot_handle_is_left_out_and_counted(mapping) -> None:
    broken = {**ORDER, "lines": ["not an object"]}
    assert list(mapping.apply("sales_orders", broken)) == []
    assert mapping.rules["sales_orders"][0].failed == 1
    assert len(list(mapping.apply("sales_orders", ORDER))) == 1  # the next one still flows


def test_every_record_left_out_is_logged_with_its_key_and_why(caplog) -> None:
    schema = {
        "type": "SCHEMA",
        "stream": "sales_orders",
        "schema": {
            "properties": {
                **{name: {} for name in ORDER},
                "lines": {"items": {"properties": {name: {} for name in ORDER["lines"][0]}}},
            }
        },
        "key_properties": ["id"],
    }
    customers = {
        "type": "SCHEMA",
        "stream": "customers",
        "schema": {"properties": {name: {} for name in CUSTOMER}},
        "key_properties": ["id"],
    }
    lines = [
        customers,
        {"type": "RECORD", "stream": "customers", "record": {**CUSTOMER, "id": 8, "email": None}},
        schema,
        {"type": "RECORD", "stream": "sales_orders", "record": {**ORDER, "id": 9, "lines": [1]}},
        {"type": "RECORD", "stream": "sales_orders", "record": ORDER},
    ]
    mapper = ErpMailchimpMapper(config={"mapping_file": str(NETSUITE)})
    with contextlib.redirect_stdout(io.StringIO()), caplog.at_level("INFO"):
        mapper.listen(io.StringIO("".join(json.dumps(line, default=str) + "\n" for line in lines)))
    logged = caplog.text
    assert "customers → members: record id=8 skipped (customer has no email address)" in logged
    assert "record id=9 left out: sales_orders → orders:" in logged
    assert "sales_orders → orders: 1 written, 0 skipped" in logged
    assert "1 failed (see the warnings)" in logged


def test_a_fusion_person_with_a_blank_name_still_becomes_a_member() -> None:
    fusion = Mapping.load(Path(__file__).parents[1] / "oracle_fusion.yml")
    account = {
        "PartyId": 300,
        "PartyName": "   ",
        "PartyType": "PERSON",
        "EmailAddress": "ops@contoso-fabrics.com",
        "Status": "A",
        "LastUpdateDate": "2026-03-01T17:30:00+00:00",
        **dict.fromkeys(
            ("PhoneNumber", "AddressLine1", "AddressLine2", "City", "State", "PostalCode")
        ),
        "Country": None,
    }
    built = {rule.target: record for rule, record in fusion.apply("customers", account)}
    assert built["members"]["email_address"] == "ops@contoso-fabrics.com"
    assert built["members"]["merge_fields"]["FNAME"] is None
    assert built["customers"]["first_name"] is None
