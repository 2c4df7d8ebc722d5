"""The sequential baseline: what most tools do, one upsert call per member and per order,
one after the other, against a Mailchimp emulator of its own with the same latency.

It loads the same data the pipeline left in Mailchimp (its members, products and orders).
Sequential calls at a fixed latency take time linear in their number, so for large N it
times the first `limit` members and orders and extrapolates to all of them; the results
say so.
"""

from __future__ import annotations

import hashlib
import time
import typing as t
from dataclasses import dataclass

import requests

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator

STORE = "erp-sandbox-store"  # the sandbox environment's store_id


@dataclass
class BaselineResult:
    """Timed sequential upserts, extrapolated to every record."""

    members: int
    orders: int
    products: int
    members_timed: int
    orders_timed: int
    seconds_per_member: float
    seconds_per_order: float
    product_seconds: float
    calls: int

    @property
    def seconds(self) -> float:
        """Time to upsert every member, product and order one call at a time."""
        return (
            self.product_seconds
            + self.seconds_per_member * self.members
            + self.seconds_per_order * self.orders
        )

    @property
    def extrapolated(self) -> bool:
        """True when only part of the records was sent and timed."""
        return self.members_timed < self.members or self.orders_timed < self.orders


def _plain(value: t.Any) -> t.Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshot(mailchimp: MailchimpEmulator) -> dict[str, t.Any]:
    """What the pipeline left in Mailchimp, as request bodies of single upserts."""
    with mailchimp.store.lock:
        audience = mailchimp.store.lists[mailchimp.default_list_id]
        members = [
            {
                "email_address": member.email_address,
                "status_if_new": member.status,
                "merge_fields": _plain(member.merge_fields),
            }
            for member in audience.members.values()
            if member.status in {"subscribed", "unsubscribed", "transactional", "pending"}
        ]
        merge_fields = [
            {"tag": field.tag, "name": field.name, "type": field.type}
            for field in audience.merge_fields.values()
        ]
        shop = mailchimp.store.ecommerce.get(STORE)
        products: list[dict[str, t.Any]] = []
        orders: list[dict[str, t.Any]] = []
        if shop is not None:
            products.extend(
                {
                    "id": product.id,
                    "title": product.title,
                    "variants": [
                        {"id": variant.id, "title": variant.title, **_plain(variant.attributes)}
                        for variant in product.variants.values()
                    ],
                }
                for product in shop.products.values()
            )
            for order in shop.orders.values():
                customer = shop.customers.get(order.customer_id)
                orders.append(
                    {
                        "id": order.id,
                        "customer": {
                            "id": order.customer_id,
                            **(
                                {
                                    "email_address": customer.email_address,
                                    "opt_in_status": customer.opt_in_status,
                                }
                                if customer
                                else {}
                            ),
                        },
                        **_plain(order.attributes),
                        "lines": [
                            {
                                "id": line.id,
                                "product_id": line.product_id,
                                "product_variant_id": line.product_variant_id,
                                "quantity": line.quantity,
                                "price": line.price,
                            }
                            for line in order.lines.values()
                        ],
                    }
                )
        currency = shop.currency_code if shop else "EUR"
    return {
        "members": members,
        "merge_fields": merge_fields,
        "products": products,
        "orders": orders,
        "currency": currency,
    }


def _timed(session: requests.Session, method: str, url: str, body: dict[str, t.Any]) -> float:
    started = time.perf_counter()
    response = session.request(method, url, json=body, timeout=60)
    elapsed = time.perf_counter() - started
    if response.status_code >= 400:
        msg = f"baseline {method} {url}: {response.status_code} {response.text[:300]}"
        raise RuntimeError(msg)
    return elapsed


def run_baseline(
    data: dict[str, t.Any], latency_ms: float, limit: int | None = None
) -> BaselineResult:
    """Upsert `limit` (all when None) members and orders, every product, one call each, in
    sequence, against a fresh Mailchimp emulator with `latency_ms` per call."""
    from erp_sandbox.mailchimp import MailchimpEmulator

    members = data["members"][:limit] if limit else data["members"]
    orders = data["orders"][:limit] if limit else data["orders"]
    emulator = MailchimpEmulator(port=0, contract_checks=False)
    emulator.start()
    try:
        # Setup the pipeline also did before its writes: merge fields and the store.
        emulator.seed(
            {
                "lists": [{"id": emulator.default_list_id, "merge_fields": data["merge_fields"]}],
                "ecommerce": {
                    "stores": [
                        {
                            "id": STORE,
                            "list_id": emulator.default_list_id,
                            "name": STORE,
                            "currency_code": data["currency"],
                        }
                    ]
                },
            }
        )
        emulator.faults.configure(latency_ms=latency_ms)
        root = emulator.api_root
        list_id = emulator.default_list_id
        with requests.Session() as session:
            session.auth = emulator.auth
            product_seconds = sum(
                _timed(session, "POST", f"{root}/ecommerce/stores/{STORE}/products", p)
                for p in data["products"]
            )
            member_seconds = 0.0
            for member in members:
                subscriber_hash = hashlib.md5(  # noqa: S324 - Mailchimp's subscriber hash
                    member["email_address"].lower().encode()
                ).hexdigest()
                url = f"{root}/lists/{list_id}/members/{subscriber_hash}"
                member_seconds += _timed(session, "PUT", url, member)
            order_seconds = sum(
                _timed(session, "POST", f"{root}/ecommerce/stores/{STORE}/orders", order)
                for order in orders
            )
        calls = emulator.calls.count()
    finally:
        emulator.stop()
    return BaselineResult(
        members=len(data["members"]),
        orders=len(data["orders"]),
        products=len(data["products"]),
        members_timed=len(members),
        orders_timed=len(orders),
        seconds_per_member=member_seconds / len(members) if members else 0.0,
        seconds_per_order=order_seconds / len(orders) if orders else 0.0,
        product_seconds=product_seconds,
        calls=calls,
    )
