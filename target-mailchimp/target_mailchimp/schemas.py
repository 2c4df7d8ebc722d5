"""The input contract: the streams target-mailchimp accepts and their JSON Schemas.

Upstream taps know nothing of Mailchimp; a mapping (a Meltano stream-map
mapper) turns ERP records into these shapes.
"""

from __future__ import annotations

import json
import typing as t

ADDRESS_SCHEMA: dict[str, t.Any] = {
    "type": ["object", "null"],
    "description": "Postal address; dropped with a warning unless addr1, city, state and zip "
    "are all present.",
    "properties": {
        part: {"type": ["string", "null"]}
        for part in ("addr1", "addr2", "city", "state", "zip", "country")
    },
}

MEMBERS_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "description": "One audience member per email address.",
    "properties": {
        "email_address": {
            "type": ["string", "null"],
            "description": "The member's address (the key); required unless `deleted`.",
        },
        "source_id": {
            "type": ["string", "null"],
            "description": "Stable ERP key, used to follow email changes; records sharing an "
            "address each own their tags.",
        },
        "status": {
            "type": ["string", "null"],
            "enum": ["subscribed", "pending", "transactional", "unsubscribed", None],
            "description": "Requested status: applied to new addresses; for known members "
            "only `unsubscribed` is applied.",
        },
        "active": {
            "type": ["boolean", "null"],
            "description": "False: the ERP record is inactive (see `inactive_action`).",
        },
        "deleted": {
            "type": ["boolean", "null"],
            "description": "True: the ERP record was deleted. Treated as `active: false`; "
            "without `email_address` the address last written for `source_id` is used.",
        },
        "merge_fields": {
            "type": ["object", "null"],
            "description": "FNAME, LNAME, PHONE, ADDRESS and any custom merge tag (≤10 chars).",
            "properties": {
                "FNAME": {"type": ["string", "null"]},
                "LNAME": {"type": ["string", "null"]},
                "PHONE": {"type": ["string", "null"]},
                "ADDRESS": ADDRESS_SCHEMA,
            },
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
        "tags": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": "Tags to apply. Records sharing an address add their tags up (per "
            "`source_id`); a tag the target applied is removed once no record at the address "
            "sends it, tags added in Mailchimp are kept.",
        },
        "updated_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When the ERP record last changed: the latest wins among duplicates.",
        },
    },
}


def _text(description: str = "") -> dict[str, t.Any]:
    return {"type": ["string", "null"], "description": description}


def _money(description: str) -> dict[str, t.Any]:
    return {"type": ["number", "null"], "description": description}


CUSTOMER_ADDRESS_SCHEMA: dict[str, t.Any] = {
    "type": ["object", "null"],
    "description": "Postal address.",
    "properties": {
        part: {"type": ["string", "null"]}
        for part in (
            "address1",
            "address2",
            "city",
            "province",
            "province_code",
            "postal_code",
            "country",
            "country_code",
        )
    },
}

CUSTOMERS_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "description": "E-commerce customers of the store (upserted with PUT).",
    "required": ["id", "email_address"],
    "properties": {
        "id": {"type": "string", "description": "Stable ERP key (at most 50 characters)."},
        "email_address": {"type": "string", "description": "The customer's address."},
        "opt_in_status": {
            "type": ["boolean", "null"],
            "description": "True subscribes an address Mailchimp does not hold yet; never "
            "resubscribes anyone who left. Default false (transactional).",
        },
        "first_name": _text(),
        "last_name": _text(),
        "company": _text(),
        "address": CUSTOMER_ADDRESS_SCHEMA,
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

VARIANT_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "title": _text("Defaults to the product's title."),
        "sku": _text(),
        "price": _money("Unit price."),
        "inventory_quantity": {"type": ["integer", "null"]},
    },
}

PRODUCTS_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "description": "Products; without variants, one variant with the product's id and title.",
    "required": ["id", "title"],
    "properties": {
        "id": {"type": "string", "description": "Stable ERP key of the item."},
        "title": {"type": "string"},
        "description": _text(),
        "vendor": _text(),
        "type": _text(),
        "url": _text(),
        "variants": {"type": ["array", "null"], "items": VARIANT_SCHEMA},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

ORDER_LINE_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "required": ["id", "product_id", "quantity", "price"],
    "properties": {
        "id": {"type": "string"},
        "product_id": {"type": "string"},
        "product_variant_id": _text("Defaults to product_id."),
        "product_title": _text("Used when the product must be created from this line."),
        "quantity": {"type": "integer"},
        "price": {"type": "number"},
        "discount": _money("Discount on the line."),
    },
}

ORDERS_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "description": "Sales orders or posted invoices, with lines.",
    "required": ["id", "customer", "order_total", "lines"],
    "properties": {
        "id": {"type": "string", "description": "Stable ERP key of the order or invoice."},
        "customer": {
            "type": "object",
            "required": ["id"],
            "description": "The buyer; email_address is needed when the customer is new.",
            "properties": {
                "id": {"type": "string"},
                "email_address": _text(),
                "opt_in_status": {"type": ["boolean", "null"]},
                "first_name": _text(),
                "last_name": _text(),
                "company": _text(),
            },
        },
        "currency_code": _text("ISO 4217; defaults to `store_currency_code`."),
        "order_total": {"type": "number"},
        "tax_total": _money("Tax."),
        "shipping_total": _money("Shipping."),
        "discount_total": _money("Discounts."),
        "financial_status": _text("paid, pending, refunded or cancelled."),
        "fulfillment_status": _text("e.g. shipped."),
        "processed_at_foreign": {"type": ["string", "null"], "format": "date-time"},
        "updated_at_foreign": {"type": ["string", "null"], "format": "date-time"},
        "cancelled_at_foreign": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Setting it cancels the order.",
        },
        "lines": {"type": "array", "items": ORDER_LINE_SCHEMA},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

MEMBER_TAGS_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "description": "Tags for a member found by its ERP key (the `source_id` of its `members` "
    "record), e.g. the cost centers a customer bought under. They only accumulate.",
    "required": ["source_id", "tags"],
    "properties": {
        "source_id": {"type": "string", "description": "The member's ERP key."},
        "tags": {"type": "array", "items": {"type": "string"}},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

INPUT_SCHEMAS: dict[str, dict[str, t.Any]] = {
    "members": MEMBERS_SCHEMA,
    "customers": CUSTOMERS_SCHEMA,
    "products": PRODUCTS_SCHEMA,
    "orders": ORDERS_SCHEMA,
    "member_tags": MEMBER_TAGS_SCHEMA,
}


def contract_markdown() -> str:
    """The input contract as a Markdown section, for `--about --format=markdown`."""
    lines = [
        "## Input contract",
        "",
        "Streams are routed by name (use stream maps to rename upstream streams).",
        "",
    ]
    for stream, schema in INPUT_SCHEMAS.items():
        lines += [f"### `{stream}`", "", schema["description"], ""]
        lines += ["| Field | Required | Description |", "|:--|:--:|:--|"]
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            mark = "✅" if name in required else ""
            lines.append(f"| `{name}` | {mark} | {prop.get('description', '')} |")
        lines += ["", "```json", json.dumps(schema, indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(lines)
