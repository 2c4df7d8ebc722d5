"""E-commerce writes and their rules, apart from the HTTP routes.

Rules (reference section 3): PUT upserts exist only for customers and variants; products
and orders are created with POST and a duplicate id is a 400; an order line must name a
product and variant the store has; ``cancelled_at_foreign`` cancels an order; a store's
``list_id`` must exist and never changes; ``is_syncing`` turns automations off; a
customer creates or subscribes the list member by the docs/e-commerce rules.

Callers hold ``store.lock``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.clock import iso
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.ecommerce_store import (
    CUSTOMER_FIELDS,
    LINE_FIELDS,
    ORDER_FIELDS,
    PRODUCT_FIELDS,
    STORE_FIELDS,
    VARIANT_FIELDS,
    Customer,
    EcommerceStore,
    Order,
    OrderLine,
    Product,
    Variant,
    stores_of,
)
from erp_sandbox.mailchimp.rules import is_valid_email

#: mailchimp/mc-magento2#299 (the "We were unable…" prefix is Mailchimp's).
PRODUCT_EXISTS = (
    "We were unable to process the request. A product with the provided ID "
    "already exists in the account."
)
#: Reference section 3 ("Duplicate order").
ORDER_EXISTS = "An order with the provided ID already exists in the account."
#: ibericode/mailchimp-for-wordpress#754 and #571.
PRODUCT_MISSING = "A product with the provided ID does not exist in the account for this list."
VARIANT_MISSING = (
    "A product with the provided variant ID does not exist in the account for this list."
)
#: Statuses whose orders send notifications (mailchimp.com/help/test-or-troubleshoot-order-
#: notifications).
FINANCIAL_NOTIFICATIONS = frozenset({"pending", "paid", "cancelled", "refunded"})
FULFILLMENT_NOTIFICATIONS = frozenset({"pending", "shipped", "cancelled", "refunded"})
Created = TypeVar("Created", EcommerceStore, Customer, Product, Variant, Order)
#: What a new order line needs (the POST line schema's ``required``).
NEW_LINE_FIELDS = ("product_id", "product_variant_id", "quantity", "price")


def _pick(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: body[k] for k in names if k in body}


def _missing_fields(items: list[dict[str, Any]], field: str, names: tuple[str, ...]) -> None:
    """400 naming each ``<field>.<index>.<name>`` the items lack (wording as Mailchimp's
    schema errors)."""
    errors = [
        {
            "field": f"{field}.{index}.{name}",
            "message": f"Required fields were not provided: {name}",
        }
        for index, item in enumerate(items)
        for name in names
        if name not in item
    ]
    if errors:
        raise problems.schema_invalid(errors)


#: mailchimp/mc-magento#17; the exact detail text is not recorded (inferred).
CUSTOMER_EMAIL_IMMUTABLE = "An email address may not be changed once a customer is created."


class EcommerceWrites:
    """Creates and changes stores, customers, products, variants, orders and lines."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store

    def _new(self, kind: type[Created], **fields: Any) -> Created:
        """A new ``kind`` (store, customer, product, variant, order) created now."""
        now = self.store.now()
        return kind(**fields, created_at=now, updated_at=now)

    # --- side effects -------------------------------------------------------------------

    def automation(self, shop: EcommerceStore, trigger: str, **details: Any) -> None:
        """Record an automation unless the store is syncing."""
        if not shop.is_syncing:
            self.store.record_automation(trigger, store_id=shop.id, **details)

    def sync_member(
        self, shop: EcommerceStore, customer: Customer, *, was_opted_in: bool | None
    ) -> None:
        """docs/e-commerce: a new address becomes subscribed if opted in, else
        transactional; false -> true subscribes; an existing member keeps its status, so
        an unsubscribed or cleaned one stays so. A forgotten address gets no member."""
        lst = self.store.lists.get(shop.list_id)
        if lst is None or customer.email_address.lower() in lst.forgotten:
            return
        member = lst.find_member(customer.email_address)
        if member is None:
            status = "subscribed" if customer.opt_in_status else "transactional"
            member = self.store.new_member(lst, customer.email_address, status)
            if status == "subscribed":
                member.timestamp_opt = member.timestamp_opt or iso(self.store.now())
            return
        opted_in_now = customer.opt_in_status and was_opted_in is False
        if opted_in_now and member.status in ("transactional", "archived"):
            member.status = "subscribed"
            self.store.touch(member)

    def notify(self, shop: EcommerceStore, order: Order, changes: dict[str, Any]) -> None:
        """Order notifications and cancellation for the attributes that changed."""
        financial = changes.get("financial_status")
        fulfillment = changes.get("fulfillment_status")
        if financial in FINANCIAL_NOTIFICATIONS:
            self.automation(
                shop, "order_notification", order_id=order.id, financial_status=financial
            )
        if fulfillment in FULFILLMENT_NOTIFICATIONS:
            self.automation(
                shop, "order_notification", order_id=order.id, fulfillment_status=fulfillment
            )
        if changes.get("cancelled_at_foreign"):
            self.automation(shop, "order_cancellation", order_id=order.id)

    # --- stores -------------------------------------------------------------------------

    def create_store(self, body: dict[str, Any]) -> EcommerceStore:
        """POST /ecommerce/stores."""
        if body["id"] in stores_of(self.store):
            raise problems.bad_request("A store with the provided ID already exists.")
        if body["list_id"] not in self.store.lists:
            raise problems.bad_request("The list with the provided ID does not exist.")
        shop = self._new(
            EcommerceStore,
            id=body["id"],
            list_id=body["list_id"],
            name=body["name"],
            currency_code=body["currency_code"],
            is_syncing=bool(body.get("is_syncing", False)),
            attributes=_pick(body, STORE_FIELDS),
        )
        stores_of(self.store)[shop.id] = shop
        return shop

    def update_store(self, shop: EcommerceStore, body: dict[str, Any]) -> EcommerceStore:
        """PATCH a store; its ``list_id`` cannot change."""
        if "list_id" in body and body["list_id"] != shop.list_id:
            raise problems.bad_request("The list_id of a store cannot be changed.")
        for key in ("name", "currency_code"):
            if key in body:
                setattr(shop, key, body[key])
        if "is_syncing" in body:
            shop.is_syncing = bool(body["is_syncing"])
        shop.attributes.update(_pick(body, STORE_FIELDS))
        shop.updated_at = self.store.now()
        return shop

    # --- customers ----------------------------------------------------------------------

    def upsert_customer(
        self,
        shop: EcommerceStore,
        customer_id: str,
        body: dict[str, Any],
        *,
        create_only: bool = False,
    ) -> Customer:
        """POST (``create_only``), PUT or PATCH a customer, then sync its member."""
        existing = shop.customers.get(customer_id)
        if existing is not None and create_only:
            raise problems.bad_request(
                "A customer with the provided ID already exists in the account."
            )
        if existing is None:
            if "email_address" not in body or "opt_in_status" not in body:
                raise problems.bad_request(
                    "A new customer needs an email_address and an opt_in_status."
                )
            self._check_email(body["email_address"])
            customer = self._new(
                Customer,
                id=customer_id,
                email_address=body["email_address"],
                opt_in_status=bool(body["opt_in_status"]),
                attributes=_pick(body, CUSTOMER_FIELDS),
            )
            shop.customers[customer_id] = customer
            self.sync_member(shop, customer, was_opted_in=None)
            return customer
        new_email = body.get("email_address")
        if new_email and new_email.lower() != existing.email_address.lower():
            # mailchimp/mc-magento#17 (a Mailchimp developer): "An email address may not
            # be changed once a customer is created"; PUT with another address is refused.
            raise problems.bad_request(CUSTOMER_EMAIL_IMMUTABLE)
        was = existing.opt_in_status
        if "opt_in_status" in body:
            existing.opt_in_status = bool(body["opt_in_status"])
        existing.attributes.update(_pick(body, CUSTOMER_FIELDS))
        existing.updated_at = self.store.now()
        self.sync_member(shop, existing, was_opted_in=was)
        return existing

    def _check_email(self, email: str) -> None:
        if not is_valid_email(email):
            raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
        if self.ctx.settings.fake_emails.is_fake(email):
            raise problems.invalid_resource(problems.fake_email_detail(email))

    # --- products and variants ----------------------------------------------------------

    def create_product(self, shop: EcommerceStore, body: dict[str, Any]) -> Product:
        """POST a product with at least one variant."""
        if body["id"] in shop.products:
            raise problems.bad_request(PRODUCT_EXISTS)
        if not body["variants"]:
            # Required and "≥ 1" (reference section 3); wording inferred.
            raise problems.invalid_field("variants", "A product needs at least one variant.")
        product = self._new(
            Product,
            id=body["id"],
            title=body["title"],
            attributes=_pick(body, PRODUCT_FIELDS),
        )
        for raw in body["variants"]:
            self.upsert_variant(product, raw["id"], raw)
        shop.products[product.id] = product
        self.automation(shop, "product_added", product_id=product.id)
        return product

    def patch_product(self, product: Product, body: dict[str, Any]) -> Product:
        """PATCH a product; ``variants`` are upserted by id (others are kept)."""
        variants = body.get("variants", [])
        _missing_fields(variants, "variants", ("id",))
        if "title" in body:
            product.title = body["title"]
        product.attributes.update(_pick(body, PRODUCT_FIELDS))
        for raw in variants:
            # A variant new to the product takes the product's title unless given one.
            defaults = {} if raw["id"] in product.variants else {"title": product.title}
            self.upsert_variant(product, raw["id"], {**defaults, **raw})
        product.updated_at = self.store.now()
        return product

    def create_variant(self, product: Product, body: dict[str, Any]) -> Variant:
        """POST a variant; a duplicate id is a 400."""
        if body["id"] in product.variants:
            raise problems.bad_request(
                "A variant with the provided ID already exists in the account."
            )
        return self.upsert_variant(product, body["id"], body)

    def upsert_variant(self, product: Product, variant_id: str, body: dict[str, Any]) -> Variant:
        """PUT (create or update) or PATCH a variant."""
        variant = product.variants.get(variant_id)
        if variant is None:
            variant = self._new(Variant, id=variant_id, title=body["title"])
            product.variants[variant_id] = variant
        variant.title = body.get("title", variant.title)
        variant.attributes.update(_pick(body, VARIANT_FIELDS))
        variant.updated_at = self.store.now()
        return variant

    # --- orders and lines ---------------------------------------------------------------

    def create_order(self, shop: EcommerceStore, body: dict[str, Any]) -> Order:
        """POST an order; its customer is created from ``customer`` if new."""
        if body["id"] in shop.orders:
            raise problems.bad_request(ORDER_EXISTS)
        self._check_lines(shop, body["lines"])
        customer_body = body["customer"]
        if customer_body["id"] not in shop.customers:
            self.upsert_customer(shop, customer_body["id"], customer_body, create_only=True)
        order = self._new(
            Order,
            id=body["id"],
            customer_id=customer_body["id"],
            attributes=_pick(body, ORDER_FIELDS),
        )
        self._put_lines(order, body["lines"])
        shop.orders[order.id] = order
        self.automation(shop, "order_placed", order_id=order.id, customer_id=order.customer_id)
        self.notify(shop, order, order.attributes)
        return order

    def patch_order(self, shop: EcommerceStore, order: Order, body: dict[str, Any]) -> Order:
        """PATCH an order. ``lines`` are merged by id, never replaced: a known id updates
        that line, a new id adds a line (which needs every field a new line needs), lines
        not sent stay (inferred, see the README)."""
        lines = body.get("lines", [])
        _missing_fields(lines, "lines", ("id",))
        new = [line for line in lines if line["id"] not in order.lines]
        _missing_fields(new, "lines", NEW_LINE_FIELDS)
        self._check_lines(shop, [self._merged_line(order, line) for line in lines])
        changes = {
            k: v for k, v in _pick(body, ORDER_FIELDS).items() if order.attributes.get(k) != v
        }
        order.attributes.update(_pick(body, ORDER_FIELDS))
        self._put_lines(order, lines)
        order.updated_at = self.store.now()
        self.notify(shop, order, changes)
        return order

    def create_line(self, shop: EcommerceStore, order: Order, body: dict[str, Any]) -> OrderLine:
        """POST an order line."""
        if body["id"] in order.lines:
            raise problems.bad_request(
                "An order line with the provided ID already exists in the account."
            )
        self._check_lines(shop, [body])
        self._put_lines(order, [body])
        order.updated_at = self.store.now()
        return order.lines[body["id"]]

    def patch_line(
        self, shop: EcommerceStore, order: Order, line: OrderLine, body: dict[str, Any]
    ) -> OrderLine:
        """PATCH an order line."""
        self._check_lines(shop, [self._merged_line(order, {**body, "id": line.id})])
        self._put_lines(order, [{**_pick(body, LINE_FIELDS), "id": line.id}])
        order.updated_at = self.store.now()
        return line

    @staticmethod
    def _merged_line(order: Order, raw: dict[str, Any]) -> dict[str, Any]:
        """The line as it will be: the stored line's product and variant, then ``raw``."""
        line = order.lines.get(raw["id"])
        if line is None:
            return raw
        return {"product_id": line.product_id, "product_variant_id": line.product_variant_id, **raw}

    @staticmethod
    def _check_lines(shop: EcommerceStore, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            product = shop.products.get(str(line.get("product_id", "")))
            if product is None:
                raise problems.bad_request(PRODUCT_MISSING)
            if "product_variant_id" in line and (
                str(line["product_variant_id"]) not in product.variants
            ):
                raise problems.bad_request(VARIANT_MISSING)

    @staticmethod
    def _put_lines(order: Order, lines: list[dict[str, Any]]) -> None:
        for raw in lines:
            line = order.lines.get(raw["id"])
            if line is None:
                order.lines[raw["id"]] = OrderLine(
                    id=raw["id"],
                    product_id=raw["product_id"],
                    product_variant_id=raw["product_variant_id"],
                    quantity=int(raw["quantity"]),
                    price=float(raw["price"]),
                    discount=raw.get("discount"),
                )
            else:
                for key in LINE_FIELDS:
                    if key in raw:
                        setattr(line, key, raw[key])
