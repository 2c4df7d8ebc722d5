"""E-commerce requests built from input records, free of I/O.

Only the fields of the input contract are ever copied into a request, so
whatever else a mapping sends (cost, margin, GL accounts…) never reaches Mailchimp.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
import typing as t
from dataclasses import dataclass, field

from target_mailchimp.members import EMAIL_PATTERN

if t.TYPE_CHECKING:
    from collections.abc import Iterable

CUSTOMER_ID_MAX_LENGTH = 50  # Mailchimp: customer `id` is at most 50 characters
CUSTOMER_FIELDS = ("first_name", "last_name", "company")
ADDRESS_FIELDS = (
    "address1",
    "address2",
    "city",
    "province",
    "province_code",
    "postal_code",
    "country",
    "country_code",
)
PRODUCT_FIELDS = ("description", "vendor", "type", "url")
VARIANT_FIELDS = ("sku", "price", "inventory_quantity")
ORDER_FIELDS = (
    "financial_status",
    "fulfillment_status",
    "tax_total",
    "shipping_total",
    "discount_total",
    "processed_at_foreign",
    "updated_at_foreign",
    "cancelled_at_foreign",
)
LINE_FIELDS = ("discount",)


# Streams that carry accounting, which has no place in a marketing tool.
ACCOUNTING_STREAM = re.compile(
    r"(^|_)(gl|general_ledger|ledger|journal(s|_entries)?|chart_of_accounts|"
    r"vendor_bills?|bills?|payables?|receivables?|ap|ar|budgets?|tax_codes?|"
    r"account_types|accounting)($|_)",
    re.IGNORECASE,
)


class InvalidRecordError(ValueError):
    """A record that cannot become the Mailchimp object it stands for."""


class UnknownCustomerError(InvalidRecordError):
    """An order whose customer Mailchimp does not know and cannot be created (no email)."""


@dataclass
class Operation:
    """One Mailchimp write for one record."""

    record_key: str
    method: str
    path: str
    body: dict[str, t.Any] | None = None
    # Run instead when Mailchimp says the object "already exists" (POST → PATCH).
    if_exists: Operation | None = None
    created: bool = False  # whether success means the object was created


@dataclass
class LineProduct:
    """A product known only from order lines, to create before the order."""

    product_id: str
    title: str
    variants: dict[str, dict[str, t.Any]] = field(default_factory=dict)


def plain(value: t.Any) -> t.Any:
    """JSON-ready values: Decimals as numbers, datetimes as ISO 8601 strings."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def content_hash(body: t.Any) -> str:
    """A stable hash of what would be sent."""
    canonical = json.dumps(plain(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _pick(record: dict[str, t.Any], names: Iterable[str]) -> dict[str, t.Any]:
    return {name: plain(record[name]) for name in names if record.get(name) is not None}


def _required_text(record: dict[str, t.Any], name: str, what: str) -> str:
    value = record.get(name)
    if value is None or not str(value).strip():
        msg = f"{what} has no {name}"
        raise InvalidRecordError(msg)
    return str(value).strip()


def _number(record: dict[str, t.Any], name: str, what: str) -> float | int:
    value = plain(record.get(name))
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{what} has no numeric {name}"
        raise InvalidRecordError(msg)
    return value


def customer_body(record: dict[str, t.Any], *, may_opt_in: bool) -> dict[str, t.Any]:
    """The body of `PUT …/customers/{id}`.

    `may_opt_in` is False when Mailchimp holds the address as unsubscribed, cleaned
    or deleted: then the customer is sent opted out, whatever the ERP says.
    """
    customer_id = _required_text(record, "id", "customer")
    if len(customer_id) > CUSTOMER_ID_MAX_LENGTH:
        msg = f"customer id {customer_id!r} is longer than Mailchimp's 50 characters"
        raise InvalidRecordError(msg)
    email = _required_text(record, "email_address", "customer")
    if not EMAIL_PATTERN.match(email):
        msg = "customer email_address is not a valid email address"
        raise InvalidRecordError(msg)
    body: dict[str, t.Any] = {
        "id": customer_id,
        "email_address": email,
        "opt_in_status": bool(record.get("opt_in_status")) and may_opt_in,
        **_pick(record, CUSTOMER_FIELDS),
    }
    address = record.get("address")
    if isinstance(address, dict) and _pick(address, ADDRESS_FIELDS):
        body["address"] = _pick(address, ADDRESS_FIELDS)
    return body


def product_body(record: dict[str, t.Any]) -> dict[str, t.Any]:
    """The body of `POST …/products`: at least one variant, as Mailchimp requires."""
    product_id = _required_text(record, "id", "product")
    title = _required_text(record, "title", "product")
    variants = [
        {
            "id": _required_text(variant, "id", f"variant of product {product_id}"),
            "title": str(variant.get("title") or title),
            **_pick(variant, VARIANT_FIELDS),
        }
        for variant in record.get("variants") or []
    ]
    if not variants:
        variants = [{"id": product_id, "title": title}]
    return {"id": product_id, "title": title, **_pick(record, PRODUCT_FIELDS), "variants": variants}


def order_body(
    record: dict[str, t.Any], *, currency_code: str, customer: dict[str, t.Any]
) -> dict[str, t.Any]:
    """The body of `POST …/orders`, with `customer` already decided by the caller."""
    order_id = _required_text(record, "id", "order")
    what = f"order {order_id}"
    lines = record.get("lines") or []
    if not lines:
        msg = f"{what} has no lines"
        raise InvalidRecordError(msg)
    body_lines = []
    for line in lines:
        product_id = _required_text(line, "product_id", f"a line of {what}")
        body_lines.append(
            {
                "id": _required_text(line, "id", f"a line of {what}"),
                "product_id": product_id,
                "product_variant_id": str(line.get("product_variant_id") or product_id),
                "quantity": int(_number(line, "quantity", f"a line of {what}")),
                "price": _number(line, "price", f"a line of {what}"),
                **_pick(line, LINE_FIELDS),
            }
        )
    return {
        "id": order_id,
        "customer": customer,
        "currency_code": str(record.get("currency_code") or currency_code).upper(),
        "order_total": _number(record, "order_total", what),
        **_pick(record, ORDER_FIELDS),
        "lines": body_lines,
    }


def order_customer(record: dict[str, t.Any], *, known: bool, may_opt_in: bool) -> dict[str, t.Any]:
    """The order's `customer`: only its id when Mailchimp knows it, else all of it."""
    customer = record.get("customer")
    if not isinstance(customer, dict):
        msg = "order has no customer"
        raise InvalidRecordError(msg)
    if known:
        return {"id": _required_text(customer, "id", "order customer")}
    if not customer.get("email_address"):
        msg = (
            f"customer {customer.get('id')!r} is unknown to Mailchimp and the order brings no "
            "email to create it (send it in the customers stream first)"
        )
        raise UnknownCustomerError(msg)
    return customer_body(customer, may_opt_in=may_opt_in)


def line_products(record: dict[str, t.Any]) -> list[LineProduct]:
    """The products and variants an order's lines refer to."""
    products: dict[str, LineProduct] = {}
    for line in record.get("lines") or []:
        if line.get("product_id") is None:
            continue
        product_id = str(line["product_id"])
        title = str(line.get("product_title") or product_id)
        product = products.setdefault(product_id, LineProduct(product_id, title))
        variant_id = str(line.get("product_variant_id") or product_id)
        variant = {"id": variant_id, "title": title}
        if line.get("price") is not None:
            variant["price"] = plain(line["price"])
        product.variants.setdefault(variant_id, variant)
    return list(products.values())


def without_id(body: dict[str, t.Any]) -> dict[str, t.Any]:
    """A create body turned into an update body (ids live in the path)."""
    update = {key: value for key, value in body.items() if key != "id"}
    if isinstance(update.get("customer"), dict):
        update["customer"] = {"id": update["customer"]["id"]}
    return update
