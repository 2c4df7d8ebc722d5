"""E-commerce: stores, customers and their members, products, variants, orders."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox_helpers import LIST, problem, seed_members

from erp_sandbox.mailchimp import MailchimpEmulator

STORES = "/ecommerce/stores"
SHOP = f"{STORES}/shop1"


def _store(api: requests.Session, **extra: Any) -> requests.Response:
    return api.post(
        STORES,
        json={"id": "shop1", "list_id": LIST, "name": "Shop", "currency_code": "USD", **extra},
    )


def _product(api: requests.Session, product_id: str = "p1", **extra: Any) -> requests.Response:
    body = {
        "id": product_id,
        "title": "Mug",
        "variants": [{"id": f"{product_id}-v1", "title": "Blue", "price": 9.5}],
        **extra,
    }
    return api.post(f"{SHOP}/products", json=body)


def _order(api: requests.Session, order_id: str = "o1", **extra: Any) -> requests.Response:
    body = {
        "id": order_id,
        "currency_code": "USD",
        "order_total": 19.0,
        "customer": {"id": "c1", "email_address": "buyer@acme.io", "opt_in_status": False},
        "lines": [
            {
                "id": "l1",
                "product_id": "p1",
                "product_variant_id": "p1-v1",
                "quantity": 2,
                "price": 9.5,
            }
        ],
        **extra,
    }
    return api.post(f"{SHOP}/orders", json=body)


@pytest.fixture
def shop(mailchimp_api: requests.Session) -> requests.Session:
    assert _store(mailchimp_api).status_code == 200
    return mailchimp_api


def test_store_needs_an_existing_list(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(
        STORES, json={"id": "s", "list_id": "nolist", "name": "S", "currency_code": "USD"}
    )
    assert response.status_code == 400
    problem(response)


@pytest.mark.sends_invalid_requests
def test_store_requires_id_list_name_currency(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(STORES, json={"id": "s", "name": "S"})
    assert response.status_code == 400
    messages = {e["message"] for e in problem(response)["errors"]}
    assert messages == {
        "Required fields were not provided: list_id",
        "Required fields were not provided: currency_code",
    }


def test_store_list_id_is_immutable(shop: requests.Session) -> None:
    shop.post(
        "/lists",
        json={
            "name": "Other",
            "contact": {"company": "A", "address1": "1", "city": "B", "country": "US"},
            "permission_reminder": "r",
            "email_type_option": False,
            "campaign_defaults": {
                "from_name": "A",
                "from_email": "a@acme.io",
                "subject": "",
                "language": "en",
            },
        },
    )
    other = shop.get("/lists").json()["lists"][1]["id"]
    response = shop.patch(SHOP, json={"list_id": other})
    assert response.status_code == 400
    assert shop.get(SHOP).json()["list_id"] == LIST


def test_store_is_syncing_can_be_flipped(shop: requests.Session) -> None:
    assert shop.patch(SHOP, json={"is_syncing": True}).json()["is_syncing"] is True
    assert shop.get(STORES).json()["stores"][0]["is_syncing"] is True


def test_customer_put_upserts_and_creates_transactional_member(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    body = {
        "id": "c1",
        "email_address": "buyer@acme.io",
        "opt_in_status": False,
        "first_name": "Bea",
    }
    first = shop.put(f"{SHOP}/customers/c1", json=body)
    assert first.status_code == 200
    again = shop.put(f"{SHOP}/customers/c1", json={**body, "last_name": "Yer"})
    assert again.json()["first_name"] == "Bea"
    assert again.json()["last_name"] == "Yer"
    assert mailchimp_emulator.member("buyer@acme.io")["status"] == "transactional"


def test_customer_email_cannot_be_changed_once_created(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    body = {"id": "c1", "email_address": "buyer@acme.io", "opt_in_status": False}
    shop.put(f"{SHOP}/customers/c1", json=body)
    refused = shop.put(f"{SHOP}/customers/c1", json={**body, "email_address": "new@acme.io"})
    assert refused.status_code == 400
    assert "may not be changed" in refused.json()["detail"]
    assert mailchimp_emulator.member("new@acme.io") is None
    same = shop.put(f"{SHOP}/customers/c1", json={**body, "email_address": "BUYER@acme.io"})
    assert same.status_code == 200


def test_opted_in_customer_creates_subscribed_member(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    shop.put(
        f"{SHOP}/customers/c1",
        json={"id": "c1", "email_address": "buyer@acme.io", "opt_in_status": True},
    )
    assert mailchimp_emulator.member("buyer@acme.io")["status"] == "subscribed"


def test_opt_in_false_to_true_subscribes_and_true_to_false_changes_nothing(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    url = f"{SHOP}/customers/c1"
    shop.put(url, json={"id": "c1", "email_address": "buyer@acme.io", "opt_in_status": False})
    shop.patch(url, json={"opt_in_status": True})
    assert mailchimp_emulator.member("buyer@acme.io")["status"] == "subscribed"
    shop.patch(url, json={"opt_in_status": False})
    assert mailchimp_emulator.member("buyer@acme.io")["status"] == "subscribed"


@pytest.mark.parametrize("status", ["unsubscribed", "cleaned"])
def test_opted_in_customer_never_resubscribes_an_unsubscribed_or_cleaned_member(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
    status: str,
) -> None:
    seed_members(
        mailchimp_emulator,
        {"email_address": "buyer@acme.io", "status": status},
        {"email_address": "later@acme.io", "status": status},
    )
    created = shop.put(
        f"{SHOP}/customers/c1",
        json={"id": "c1", "email_address": "buyer@acme.io", "opt_in_status": True},
    )
    assert created.status_code == 200
    assert created.json()["opt_in_status"] is True
    # An existing customer switching false -> true does not resubscribe either.
    url = f"{SHOP}/customers/c2"
    shop.put(url, json={"id": "c2", "email_address": "later@acme.io", "opt_in_status": False})
    assert shop.patch(url, json={"opt_in_status": True}).status_code == 200
    assert mailchimp_emulator.member("buyer@acme.io")["status"] == status
    assert mailchimp_emulator.member("later@acme.io")["status"] == status


def test_customer_with_a_permanently_deleted_address_gets_no_member(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    mailchimp_emulator.seed({"lists": [{"id": LIST, "forgotten": ["gone@acme.io"]}]})
    response = shop.put(
        f"{SHOP}/customers/c1",
        json={"id": "c1", "email_address": "gone@acme.io", "opt_in_status": True},
    )
    assert response.status_code == 200
    assert shop.get(f"{SHOP}/customers/c1").json()["email_address"] == "gone@acme.io"
    assert mailchimp_emulator.member("gone@acme.io") is None
    state = requests.get(mailchimp_emulator.base_url + "/_sandbox/state").json()
    assert state["lists"][0]["forgotten"] == ["gone@acme.io"]


def test_customer_counters_are_read_only(shop: requests.Session) -> None:
    response = shop.put(
        f"{SHOP}/customers/c1",
        json={
            "id": "c1",
            "email_address": "buyer@acme.io",
            "opt_in_status": False,
            "orders_count": 5,
        },
    )
    assert response.status_code == 200
    assert response.json()["orders_count"] == 0


def test_product_needs_a_variant_and_rejects_duplicates(shop: requests.Session) -> None:
    empty = shop.post(f"{SHOP}/products", json={"id": "p0", "title": "X", "variants": []})
    assert empty.status_code == 400
    assert _product(shop).status_code == 200
    duplicate = _product(shop)
    assert duplicate.status_code == 400
    body = problem(duplicate)
    assert body["title"] == "Bad Request"
    assert body["detail"].endswith("A product with the provided ID already exists in the account.")


def test_products_have_no_put(shop: requests.Session) -> None:
    response = shop.put(f"{SHOP}/products/p1", json={"id": "p1", "title": "Mug"})
    assert response.status_code == 405
    assert problem(response)["title"] == "Method Not Allowed"


def test_variant_put_upserts(shop: requests.Session) -> None:
    _product(shop)
    url = f"{SHOP}/products/p1/variants/p1-v2"
    created = shop.put(url, json={"id": "p1-v2", "title": "Red", "price": 10})
    assert created.status_code == 200
    updated = shop.put(url, json={"id": "p1-v2", "title": "Crimson"})
    assert updated.json()["title"] == "Crimson"
    assert updated.json()["price"] == 10
    variants = shop.get(f"{SHOP}/products/p1/variants").json()
    assert [v["id"] for v in variants["variants"]] == ["p1-v1", "p1-v2"]


def test_variant_post_and_patch(shop: requests.Session) -> None:
    _product(shop)
    url = f"{SHOP}/products/p1/variants"
    assert shop.post(url, json={"id": "p1-v3", "title": "Green"}).status_code == 200
    assert shop.post(url, json={"id": "p1-v3", "title": "Green"}).status_code == 400
    assert shop.patch(f"{url}/p1-v3", json={"sku": "G-1"}).json()["sku"] == "G-1"
    assert shop.patch(f"{url}/nope", json={"sku": "x"}).status_code == 404


def test_order_post_creates_customer_and_counts_spending(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    _product(shop)
    response = _order(shop)
    assert response.status_code == 200
    body = response.json()
    assert body["lines"][0]["product_title"] == "Mug"
    assert body["lines"][0]["product_variant_title"] == "Blue"
    customer = shop.get(f"{SHOP}/customers/c1").json()
    assert customer["orders_count"] == 1
    assert customer["total_spent"] == 19.0
    assert mailchimp_emulator.member("buyer@acme.io")["status"] == "transactional"


def test_duplicate_order_is_400(shop: requests.Session) -> None:
    _product(shop)
    _order(shop)
    response = _order(shop)
    assert response.status_code == 400
    assert problem(response)["detail"] == (
        "An order with the provided ID already exists in the account."
    )


def test_order_lines_must_reference_existing_product_and_variant(
    shop: requests.Session,
) -> None:
    missing_product = _order(shop)
    assert missing_product.status_code == 400
    assert problem(missing_product)["detail"] == (
        "A product with the provided ID does not exist in the account for this list."
    )
    _product(shop)
    missing_variant = _order(
        shop,
        lines=[
            {
                "id": "l1",
                "product_id": "p1",
                "product_variant_id": "nope",
                "quantity": 1,
                "price": 1,
            }
        ],
    )
    assert missing_variant.status_code == 400
    assert "variant ID does not exist" in problem(missing_variant)["detail"]


def test_order_patch_updates_and_cancelled_at_foreign_cancels(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    _product(shop)
    _order(shop)
    patched = shop.patch(f"{SHOP}/orders/o1", json={"fulfillment_status": "shipped"})
    assert patched.json()["fulfillment_status"] == "shipped"
    shop.patch(f"{SHOP}/orders/o1", json={"cancelled_at_foreign": "2026-01-02T03:04:05+00:00"})
    customer = shop.get(f"{SHOP}/customers/c1").json()
    assert customer["orders_count"] == 0
    triggers = [a["trigger"] for a in mailchimp_emulator.automations]
    assert triggers == ["product_added", "order_placed", "order_notification", "order_cancellation"]


NEW_LINE = {
    "id": "l2",
    "product_id": "p1",
    "product_variant_id": "p1-v1",
    "quantity": 1,
    "price": 5,
}


def test_order_patch_merges_lines_by_id_when_refunded(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    _product(shop)
    _order(shop)
    patched = shop.patch(
        f"{SHOP}/orders/o1",
        json={"financial_status": "refunded", "lines": [{"id": "l1", "quantity": 3}, NEW_LINE]},
    )
    assert patched.status_code == 200
    lines = {line["id"]: line for line in shop.get(f"{SHOP}/orders/o1").json()["lines"]}
    assert lines["l1"]["quantity"] == 3
    assert lines["l1"]["product_variant_id"] == "p1-v1"
    assert lines["l2"]["price"] == 5
    assert patched.json()["financial_status"] == "refunded"
    assert mailchimp_emulator.automations[-1]["financial_status"] == "refunded"
    shop.patch(f"{SHOP}/orders/o1", json={"lines": [{"id": "l2", "quantity": 2}]})
    kept = shop.get(f"{SHOP}/orders/o1").json()["lines"]
    assert [(line["id"], line["quantity"]) for line in kept] == [("l1", 3), ("l2", 2)]


def test_cancelled_order_keeps_its_lines(shop: requests.Session) -> None:
    _product(shop)
    _order(shop)
    cancelled = shop.patch(
        f"{SHOP}/orders/o1",
        json={"cancelled_at_foreign": "2026-01-02T03:04:05+00:00", "lines": [NEW_LINE]},
    )
    assert [line["id"] for line in cancelled.json()["lines"]] == ["l1", "l2"]
    assert shop.get(f"{SHOP}/customers/c1").json()["orders_count"] == 0


def test_order_patch_lines_need_an_id_and_new_lines_every_field(shop: requests.Session) -> None:
    _product(shop)
    _order(shop)
    without_id = shop.patch(f"{SHOP}/orders/o1", json={"lines": [{"quantity": 2}]})
    assert without_id.status_code == 400
    assert problem(without_id)["errors"] == [
        {"field": "lines.0.id", "message": "Required fields were not provided: id"}
    ]
    incomplete = shop.patch(
        f"{SHOP}/orders/o1", json={"lines": [{"id": "l9", "product_id": "p1", "quantity": 1}]}
    )
    assert incomplete.status_code == 400
    assert [e["field"] for e in problem(incomplete)["errors"]] == [
        "lines.0.product_variant_id",
        "lines.0.price",
    ]
    wrong_variant = shop.patch(
        f"{SHOP}/orders/o1", json={"lines": [{"id": "l1", "product_variant_id": "nope"}]}
    )
    assert problem(wrong_variant)["detail"].startswith("A product with the provided variant ID")
    assert [line["id"] for line in shop.get(f"{SHOP}/orders/o1").json()["lines"]] == ["l1"]


def _seed_catalog(emulator: MailchimpEmulator, count: int) -> None:
    """A store with ``count`` products (two variants each) and ``count`` orders."""
    products = [
        {"id": f"p{i:04d}", "variants": [{"id": f"p{i:04d}-a"}, {"id": f"p{i:04d}-b"}]}
        for i in range(count)
    ]
    orders = [
        {
            "id": f"o{i:04d}",
            "customer": {"id": "c1"},
            "lines": [{"id": "l1", "product_id": "p0000", "product_variant_id": "p0000-a"}],
        }
        for i in range(count)
    ]
    customers = [{"id": "c1", "email_address": "buyer@acme.io"}]
    shop = {"id": "big", "list_id": LIST, "products": products, "orders": orders}
    emulator.seed({"ecommerce": {"stores": [{**shop, "customers": customers}]}})


@pytest.mark.parametrize(
    ("collection", "fields"),
    [
        ("products", "products.id,products.variants.id,total_items"),
        ("orders", "orders.id,orders.lines.id,total_items"),
    ],
)
def test_listing_pages_up_to_1000_with_dotted_fields(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
    collection: str,
    fields: str,
) -> None:
    _seed_catalog(mailchimp_emulator, 1003)
    url = f"{STORES}/big/{collection}"
    first = mailchimp_api.get(url, params={"fields": fields, "count": 1000, "offset": 0}).json()
    rest = mailchimp_api.get(url, params={"fields": fields, "count": 1000, "offset": 1000}).json()
    assert set(first) == {collection, "total_items"}
    assert first["total_items"] == rest["total_items"] == 1003
    assert len(first[collection]) == 1000
    ids = [item["id"] for item in first[collection] + rest[collection]]
    assert len(ids) == len(set(ids)) == 1003
    nested = "variants" if collection == "products" else "lines"
    assert first[collection][0] == {"id": ids[0], nested: first[collection][0][nested]}
    assert all(set(child) == {"id"} for child in first[collection][0][nested])


def test_is_syncing_suppresses_automations(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    shop.patch(SHOP, json={"is_syncing": True})
    _product(shop)
    _order(shop, financial_status="paid")
    assert mailchimp_emulator.automations == []
    shop.patch(SHOP, json={"is_syncing": False})
    _order(shop, order_id="o2", financial_status="paid")
    assert [a["trigger"] for a in mailchimp_emulator.automations] == [
        "order_placed",
        "order_notification",
    ]


def test_order_lines_endpoints(shop: requests.Session) -> None:
    _product(shop)
    _order(shop)
    lines = f"{SHOP}/orders/o1/lines"
    added = shop.post(
        lines,
        json={
            "id": "l2",
            "product_id": "p1",
            "product_variant_id": "p1-v1",
            "quantity": 1,
            "price": 9.5,
        },
    )
    assert added.status_code == 200
    assert shop.patch(f"{lines}/l2", json={"quantity": 3}).json()["quantity"] == 3
    assert shop.get(lines).json()["total_items"] == 2
    bad = shop.patch(f"{lines}/l2", json={"product_variant_id": "nope"})
    assert bad.status_code == 400
    assert shop.delete(f"{lines}/l2").status_code == 204


def test_unknown_store_is_404(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.get(f"{STORES}/nope/orders")
    assert response.status_code == 404
    assert problem(response)["title"] == "Resource Not Found"


def test_state_and_summary_show_ecommerce(
    mailchimp_emulator: MailchimpEmulator,
    shop: requests.Session,
) -> None:
    _product(shop)
    _order(shop)
    state = requests.get(mailchimp_emulator.base_url + "/_sandbox/state").json()
    (store,) = state["ecommerce"]["stores"]
    assert [len(store[k]) for k in ("customers", "products", "orders")] == [1, 1, 1]


def test_ecommerce_can_be_seeded(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.seed(
        {
            "ecommerce": {
                "stores": [
                    {
                        "id": "seeded",
                        "list_id": LIST,
                        "name": "Seeded",
                        "currency_code": "EUR",
                        "products": [{"id": "p9", "title": "Tea"}],
                        "customers": [
                            {"id": "c9", "email_address": "c9@acme.io", "opt_in_status": True}
                        ],
                        "orders": [
                            {
                                "id": "o9",
                                "customer": {"id": "c9"},
                                "order_total": 4.0,
                                "lines": [
                                    {
                                        "id": "l9",
                                        "product_id": "p9",
                                        "product_variant_id": "p9",
                                        "quantity": 1,
                                        "price": 4.0,
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        }
    )
    order = mailchimp_api.get(f"{STORES}/seeded/orders/o9").json()
    assert order["lines"][0]["product_title"] == "Tea"
    assert order["customer"]["total_spent"] == 4.0
