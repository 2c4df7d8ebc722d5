"""E-commerce state: stores with their customers, products (variants) and orders (lines),
and their JSON shapes.

Kept in ``MailchimpStore.ecommerce`` (store id -> :class:`EcommerceStore`) so one lock
covers members and e-commerce, which interact through customers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from erp_sandbox.mailchimp.clock import iso
from erp_sandbox.mailchimp.grouped import GroupedDict
from erp_sandbox.mailchimp.representations import link
from erp_sandbox.mailchimp.store import MailchimpStore

STORE_FIELDS = (
    "platform",
    "domain",
    "email_address",
    "money_format",
    "primary_locale",
    "timezone",
    "phone",
    "address",
)
CUSTOMER_FIELDS = ("company", "first_name", "last_name", "address")
PRODUCT_FIELDS = (
    "handle",
    "url",
    "description",
    "type",
    "vendor",
    "image_url",
    "images",
    "published_at_foreign",
)
VARIANT_FIELDS = (
    "url",
    "sku",
    "price",
    "inventory_quantity",
    "image_url",
    "backorders",
    "visibility",
)
ORDER_FIELDS = (
    "campaign_id",
    "landing_site",
    "financial_status",
    "fulfillment_status",
    "currency_code",
    "order_total",
    "order_url",
    "discount_total",
    "tax_total",
    "shipping_total",
    "tracking_code",
    "processed_at_foreign",
    "cancelled_at_foreign",
    "updated_at_foreign",
    "shipping_address",
    "billing_address",
    "promos",
    "outreach",
    "tracking_number",
    "tracking_carrier",
    "tracking_url",
)
LINE_FIELDS = ("product_id", "product_variant_id", "quantity", "price", "discount")


@dataclass
class Variant:
    """A product variant."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Product:
    """A product with at least one variant."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)


@dataclass
class Customer:
    """A store customer; Mailchimp links it to the list member with the same email."""

    id: str
    email_address: str
    opt_in_status: bool
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class OrderLine:
    """One line of an order."""

    id: str
    product_id: str
    product_variant_id: str
    quantity: int
    price: float
    discount: float | None = None


@dataclass
class Order:
    """An order of one customer."""

    id: str
    customer_id: str
    created_at: datetime
    updated_at: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, OrderLine] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        """Setting ``cancelled_at_foreign`` cancels an order (reference section 3)."""
        return bool(self.attributes.get("cancelled_at_foreign"))


def _customer_of(order: Order) -> str:
    return order.customer_id


@dataclass
class EcommerceStore:
    """A connected store, tied for good to one list."""

    id: str
    list_id: str
    name: str
    currency_code: str
    created_at: datetime
    updated_at: datetime
    is_syncing: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    # Grouped by customer for `orders_count` and `total_spent` (an order's customer is fixed).
    orders: GroupedDict[Order] = field(default_factory=lambda: GroupedDict(_customer_of))


def stores_of(store: MailchimpStore) -> dict[str, EcommerceStore]:
    """The account's e-commerce stores by id."""
    return store.ecommerce


# --- JSON shapes -----------------------------------------------------------------------


def store_json(shop: EcommerceStore, api_root: str) -> dict[str, Any]:
    """A store as the API returns it."""
    href = f"{api_root}/ecommerce/stores/{shop.id}"
    return {
        "id": shop.id,
        "list_id": shop.list_id,
        "name": shop.name,
        "currency_code": shop.currency_code,
        "is_syncing": shop.is_syncing,
        **{k: v for k, v in shop.attributes.items() if k in STORE_FIELDS},
        "list_is_active": True,
        "created_at": iso(shop.created_at),
        "updated_at": iso(shop.updated_at),
        "_links": [link("self", href), link("parent", f"{api_root}/ecommerce/stores")],
    }


def customer_json(shop: EcommerceStore, customer: Customer, api_root: str) -> dict[str, Any]:
    """A customer, with ``orders_count`` and ``total_spent`` worked out from its orders."""
    orders = [o for o in shop.orders.group(customer.id) if not o.cancelled]
    href = f"{api_root}/ecommerce/stores/{shop.id}/customers/{customer.id}"
    return {
        "id": customer.id,
        "email_address": customer.email_address,
        "opt_in_status": customer.opt_in_status,
        **{k: v for k, v in customer.attributes.items() if k in CUSTOMER_FIELDS},
        "orders_count": len(orders),
        "total_spent": round(sum(float(o.attributes.get("order_total", 0)) for o in orders), 2),
        "created_at": iso(customer.created_at),
        "updated_at": iso(customer.updated_at),
        "_links": [link("self", href)],
    }


def variant_json(
    shop: EcommerceStore, product: Product, variant: Variant, api_root: str
) -> dict[str, Any]:
    """A product variant."""
    href = f"{api_root}/ecommerce/stores/{shop.id}/products/{product.id}/variants/{variant.id}"
    return {
        "id": variant.id,
        "title": variant.title,
        **variant.attributes,
        "created_at": iso(variant.created_at),
        "updated_at": iso(variant.updated_at),
        "_links": [link("self", href)],
    }


def product_json(shop: EcommerceStore, product: Product, api_root: str) -> dict[str, Any]:
    """A product with its variants."""
    href = f"{api_root}/ecommerce/stores/{shop.id}/products/{product.id}"
    return {
        "id": product.id,
        "currency_code": shop.currency_code,
        "title": product.title,
        **product.attributes,
        "variants": [variant_json(shop, product, v, api_root) for v in product.variants.values()],
        "_links": [link("self", href)],
    }


def line_json(shop: EcommerceStore, order: Order, line: OrderLine, api_root: str) -> dict[str, Any]:
    """An order line, with the product and variant titles filled in."""
    product = shop.products.get(line.product_id)
    variant = product.variants.get(line.product_variant_id) if product else None
    body: dict[str, Any] = {
        "id": line.id,
        "product_id": line.product_id,
        "product_title": product.title if product else "",
        "product_variant_id": line.product_variant_id,
        "product_variant_title": variant.title if variant else "",
        "image_url": (variant.attributes.get("image_url") if variant else None) or "",
        "quantity": line.quantity,
        "price": line.price,
        "_links": [
            link("self", f"{api_root}/ecommerce/stores/{shop.id}/orders/{order.id}/lines/{line.id}")
        ],
    }
    if line.discount is not None:
        body["discount"] = line.discount
    return body


def order_json(shop: EcommerceStore, order: Order, api_root: str) -> dict[str, Any]:
    """An order with its customer and lines."""
    customer = shop.customers.get(order.customer_id)
    href = f"{api_root}/ecommerce/stores/{shop.id}/orders/{order.id}"
    return {
        "id": order.id,
        "customer": customer_json(shop, customer, api_root)
        if customer
        else {"id": order.customer_id},
        "store_id": shop.id,
        **order.attributes,
        "lines": [line_json(shop, order, line, api_root) for line in order.lines.values()],
        "_links": [link("self", href)],
    }


def ecommerce_snapshot(store: MailchimpStore, api_root: str) -> dict[str, Any]:
    """Every store with everything in it, for ``/_sandbox/state``."""
    return {
        "stores": [
            {
                **store_json(shop, api_root),
                "customers": [customer_json(shop, c, api_root) for c in shop.customers.values()],
                "products": [product_json(shop, p, api_root) for p in shop.products.values()],
                "orders": [order_json(shop, o, api_root) for o in shop.orders.values()],
            }
            for shop in stores_of(store).values()
        ]
    }


# --- seeding ---------------------------------------------------------------------------


def seed_ecommerce(store: MailchimpStore, document: dict[str, Any]) -> dict[str, int]:
    """Insert stores, customers, products and orders as given (no rules, no members)."""
    counts = {"stores": 0, "customers": 0, "products": 0, "orders": 0}
    now = store.now()
    for spec in document.get("stores", []):
        if spec["list_id"] not in store.lists:
            raise ValueError(f"store {spec['id']}: list {spec['list_id']} does not exist")
        shop = EcommerceStore(
            id=spec["id"],
            list_id=spec["list_id"],
            name=spec.get("name", spec["id"]),
            currency_code=spec.get("currency_code", "USD"),
            created_at=now,
            updated_at=now,
            is_syncing=bool(spec.get("is_syncing", False)),
            attributes={k: spec[k] for k in STORE_FIELDS if k in spec},
        )
        stores_of(store)[shop.id] = shop
        counts["stores"] += 1
        for c in spec.get("customers", []):
            shop.customers[c["id"]] = Customer(
                id=c["id"],
                email_address=c["email_address"],
                opt_in_status=bool(c.get("opt_in_status", False)),
                created_at=now,
                updated_at=now,
                attributes={k: c[k] for k in CUSTOMER_FIELDS if k in c},
            )
            counts["customers"] += 1
        for p in spec.get("products", []):
            product = Product(
                id=p["id"],
                title=p.get("title", p["id"]),
                created_at=now,
                updated_at=now,
                attributes={k: p[k] for k in PRODUCT_FIELDS if k in p},
            )
            for v in p.get("variants", [{"id": p["id"], "title": p.get("title", p["id"])}]):
                product.variants[v["id"]] = Variant(
                    id=v["id"],
                    title=v.get("title", v["id"]),
                    created_at=now,
                    updated_at=now,
                    attributes={k: v[k] for k in VARIANT_FIELDS if k in v},
                )
            shop.products[product.id] = product
            counts["products"] += 1
        for o in spec.get("orders", []):
            order = Order(
                id=o["id"],
                customer_id=o["customer"]["id"],
                created_at=now,
                updated_at=now,
                attributes={k: o[k] for k in ORDER_FIELDS if k in o},
            )
            for line in o.get("lines", []):
                order.lines[line["id"]] = OrderLine(
                    id=line["id"],
                    product_id=line["product_id"],
                    product_variant_id=line["product_variant_id"],
                    quantity=int(line.get("quantity", 1)),
                    price=float(line.get("price", 0)),
                    discount=line.get("discount"),
                )
            shop.orders[order.id] = order
            counts["orders"] += 1
    return counts
