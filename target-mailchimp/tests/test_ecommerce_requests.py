"""E-commerce request building, without I/O."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from target_mailchimp.ecommerce import (
    ACCOUNTING_STREAM,
    InvalidRecordError,
    content_hash,
    customer_body,
    line_products,
    order_body,
    order_customer,
    product_body,
    without_id,
)

ORDER = {
    "id": "SO-1",
    "customer": {
        "id": "C-1",
        "email_address": "ada@lovelace.org",
        "opt_in_status": True,
        "first_name": "Ada",
        "credit_limit": 5000,
    },
    "order_total": decimal.Decimal("120.50"),
    "tax_total": decimal.Decimal("20.50"),
    "financial_status": "paid",
    "processed_at_foreign": dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC),
    "gl_account": "4000-Revenue",
    "lines": [
        {
            "id": "1",
            "product_id": "WIDGET",
            "product_title": "Widget",
            "quantity": 2,
            "price": decimal.Decimal("50"),
            "cost": decimal.Decimal("31.2"),
        },
        {
            "id": "2",
            "product_id": "GADGET",
            "product_variant_id": "GADGET-RED",
            "quantity": 1,
            "price": 20.5,
        },
    ],
}


def test_order_body_copies_only_contract_fields_as_plain_json() -> None:
    body = order_body(ORDER, currency_code="eur", customer={"id": "C-1"})
    assert body == {
        "id": "SO-1",
        "customer": {"id": "C-1"},
        "currency_code": "EUR",
        "order_total": 120.5,
        "tax_total": 20.5,
        "financial_status": "paid",
        "processed_at_foreign": "2026-11-01T09:00:00+00:00",
        "lines": [
            {
                "id": "1",
                "product_id": "WIDGET",
                "product_variant_id": "WIDGET",
                "quantity": 2,
                "price": 50,
            },
            {
                "id": "2",
                "product_id": "GADGET",
                "product_variant_id": "GADGET-RED",
                "quantity": 1,
                "price": 20.5,
            },
        ],
    }


def test_known_customer_is_sent_by_id_only() -> None:
    assert order_customer(ORDER, known=True, may_opt_in=True) == {"id": "C-1"}


def test_new_customer_is_sent_whole_without_extra_fields() -> None:
    customer = order_customer(ORDER, known=False, may_opt_in=True)
    assert customer == {
        "id": "C-1",
        "email_address": "ada@lovelace.org",
        "opt_in_status": True,
        "first_name": "Ada",
    }


def test_customer_who_left_is_never_opted_in() -> None:
    body = customer_body(
        {"id": "C-1", "email_address": "a@b.co", "opt_in_status": True}, may_opt_in=False
    )
    assert body["opt_in_status"] is False


def test_customer_id_longer_than_50_characters_is_refused() -> None:
    with pytest.raises(InvalidRecordError, match="50 characters"):
        customer_body({"id": "X" * 51, "email_address": "a@b.co"}, may_opt_in=True)


def test_product_without_variants_gets_one_with_its_own_id_and_title() -> None:
    assert product_body({"id": "P1", "title": "Chair", "vendor": "Acme"})["variants"] == [
        {"id": "P1", "title": "Chair"}
    ]


def test_variants_take_the_product_title_when_they_have_none() -> None:
    body = product_body(
        {
            "id": "P1",
            "title": "Chair",
            "variants": [{"id": "P1-RED", "price": decimal.Decimal("9.90")}],
        }
    )
    assert body["variants"] == [{"id": "P1-RED", "title": "Chair", "price": 9.9}]


def test_line_products_group_variants_per_product() -> None:
    products = {product.product_id: product for product in line_products(ORDER)}
    assert products["WIDGET"].title == "Widget"
    assert products["GADGET"].variants == {
        "GADGET-RED": {"id": "GADGET-RED", "title": "GADGET", "price": 20.5}
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lines": []}, "no lines"),
        ({"order_total": None}, "order_total"),
        ({"lines": [{"id": "1", "quantity": 1, "price": 1}]}, "product_id"),
    ],
)
def test_unusable_orders_are_refused_with_a_reason(change: dict, reason: str) -> None:
    with pytest.raises(InvalidRecordError, match=reason):
        order_body({**ORDER, **change}, currency_code="USD", customer={"id": "C-1"})


def test_update_body_drops_the_id_and_keeps_only_the_customer_id() -> None:
    body = order_body(
        ORDER, currency_code="USD", customer=order_customer(ORDER, known=False, may_opt_in=True)
    )
    update = without_id(body)
    assert "id" not in update
    assert update["customer"] == {"id": "C-1"}


def test_content_hash_is_stable_across_number_and_date_types() -> None:
    assert content_hash({"a": decimal.Decimal("1.0"), "b": [1]}) == content_hash({"b": [1], "a": 1})


@pytest.mark.parametrize(
    "stream",
    [
        "gl_accounts",
        "general_ledger",
        "journal_entries",
        "vendor_bills",
        "ap_invoices",
        "accounts_payable",
        "account_types",
        "chart_of_accounts",
    ],
)
def test_accounting_streams_are_recognised(stream: str) -> None:
    assert ACCOUNTING_STREAM.search(stream)


@pytest.mark.parametrize("stream", ["members", "customers", "products", "orders", "contacts"])
def test_marketing_streams_are_not_taken_for_accounting(stream: str) -> None:
    assert not ACCOUNTING_STREAM.search(stream)
