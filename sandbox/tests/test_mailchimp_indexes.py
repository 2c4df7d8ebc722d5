"""The emulator's indexes: orders by customer, members by contact id."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from erp_sandbox.mailchimp.ecommerce_store import EcommerceStore, Order

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def order(order_id: str, customer_id: str) -> Order:
    return Order(order_id, customer_id, NOW, NOW)


def test_a_customers_orders_follow_every_change_of_the_store() -> None:
    orders = EcommerceStore("shop", "list", "Shop", "EUR", NOW, NOW).orders
    orders["1"], orders["2"], orders["3"] = order("1", "ada"), order("2", "ada"), order("3", "bo")
    orders["2"] = order("2", "ada")  # replaced, not counted twice
    del orders["1"]
    assert [o.id for o in orders.group("ada")] == ["2"]
    assert [o.id for o in orders.group("bo")] == ["3"]
    assert orders.group("nobody") == []


def test_a_copy_of_the_store_keeps_its_index() -> None:
    orders = EcommerceStore("shop", "list", "Shop", "EUR", NOW, NOW).orders
    orders["1"] = order("1", "ada")
    copied = copy.deepcopy(orders)
    assert copied.group("ada") == [copied["1"]]
    assert copied.group("ada")[0] is not orders["1"]


def test_a_member_is_found_by_contact_id_through_every_change_of_address() -> None:
    from erp_sandbox.mailchimp.store import MailchimpStore

    store = MailchimpStore()
    audience = next(iter(store.lists.values()))
    member = store.new_member(audience, "ada@harborsupply.com", "subscribed")
    store.rekey_member(audience, member, "ada.lovelace@harborsupply.com")
    assert audience.member_by_contact(member.contact_id) is member
    assert audience.find_member(member.contact_id) is member
    store.forget_member(audience, member)
    assert audience.member_by_contact(member.contact_id) is None
