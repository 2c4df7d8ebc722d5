"""E-commerce: stores, customers, products, variants, orders and order lines.

Rules (reference section 3): PUT upserts exist only for customers and variants; products
and orders are created with POST and a duplicate id is a 400; an order line must name a
product and variant the store has; ``cancelled_at_foreign`` cancels an order; a store's
``list_id`` must exist and never changes; ``is_syncing`` turns automations off.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
    customer_json,
    line_json,
    order_json,
    product_json,
    store_json,
    stores_of,
    variant_json,
)
from erp_sandbox.mailchimp.representations import collection_links
from erp_sandbox.mailchimp.request_parsing import api_root, page, validated_body
from erp_sandbox.mailchimp.responding import guarded, no_content, respond
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


def _pick(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {k: body[k] for k in names if k in body}


def _paged(request: Request, items: list[Any]) -> tuple[list[Any], int]:
    count, offset = page(request)
    return items[offset : offset + count], len(items)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    store = ctx.store

    # --- lookups ------------------------------------------------------------------------

    def shop_of(request: Request) -> EcommerceStore:
        shop = stores_of(store).get(request.path_params["store_id"])
        if shop is None:
            raise problems.resource_not_found()
        return shop

    def product_of(shop: EcommerceStore, request: Request) -> Product:
        product = shop.products.get(request.path_params["product_id"])
        if product is None:
            raise problems.resource_not_found()
        return product

    def order_of(shop: EcommerceStore, request: Request) -> Order:
        order = shop.orders.get(request.path_params["order_id"])
        if order is None:
            raise problems.resource_not_found()
        return order

    # --- side effects -------------------------------------------------------------------

    def automation(shop: EcommerceStore, trigger: str, **details: Any) -> None:
        if not shop.is_syncing:
            store.record_automation(trigger, store_id=shop.id, **details)

    def sync_member(
        shop: EcommerceStore,
        customer: Customer,
        *,
        was_opted_in: bool | None,
    ) -> None:
        """docs/e-commerce: a new address becomes subscribed if opted in, else
        transactional; false -> true subscribes; an existing member keeps its status."""
        lst = store.lists.get(shop.list_id)
        if lst is None or customer.email_address.lower() in lst.forgotten:
            return
        member = lst.find_member(customer.email_address)
        if member is None:
            status = "subscribed" if customer.opt_in_status else "transactional"
            member = store.new_member(lst, customer.email_address, status)
            if status == "subscribed":
                member.timestamp_opt = member.timestamp_opt or iso(store.now())
            return
        opted_in_now = customer.opt_in_status and was_opted_in is False
        if opted_in_now and member.status in ("transactional", "archived"):
            member.status = "subscribed"
            store.touch(member)

    def check_customer_email(email: str) -> None:
        if not is_valid_email(email):
            raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
        if ctx.settings.fake_emails.is_fake(email):
            raise problems.invalid_resource(problems.fake_email_detail(email))

    def upsert_customer(
        shop: EcommerceStore, customer_id: str, body: dict[str, Any], *, create_only: bool
    ) -> Customer:
        existing = shop.customers.get(customer_id)
        if existing is not None and create_only:
            raise problems.bad_request(
                "A customer with the provided ID already exists in the account."
            )
        now = store.now()
        if existing is None:
            if "email_address" not in body or "opt_in_status" not in body:
                raise problems.bad_request(
                    "A new customer needs an email_address and an opt_in_status."
                )
            check_customer_email(body["email_address"])
            customer = Customer(
                id=customer_id,
                email_address=body["email_address"],
                opt_in_status=bool(body["opt_in_status"]),
                created_at=now,
                updated_at=now,
                attributes=_pick(body, CUSTOMER_FIELDS),
            )
            shop.customers[customer_id] = customer
            sync_member(shop, customer, was_opted_in=None)
            return customer
        was = existing.opt_in_status
        if "opt_in_status" in body:
            existing.opt_in_status = bool(body["opt_in_status"])
        existing.attributes.update(_pick(body, CUSTOMER_FIELDS))
        existing.updated_at = now
        sync_member(shop, existing, was_opted_in=was)
        return existing

    def check_lines(shop: EcommerceStore, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            product = shop.products.get(str(line.get("product_id", "")))
            if product is None:
                raise problems.bad_request(PRODUCT_MISSING)
            if "product_variant_id" in line and (
                str(line["product_variant_id"]) not in product.variants
            ):
                raise problems.bad_request(VARIANT_MISSING)

    def put_lines(order: Order, lines: list[dict[str, Any]]) -> None:
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

    def notify(shop: EcommerceStore, order: Order, changes: dict[str, Any]) -> None:
        financial = changes.get("financial_status")
        fulfillment = changes.get("fulfillment_status")
        if financial in FINANCIAL_NOTIFICATIONS:
            automation(shop, "order_notification", order_id=order.id, financial_status=financial)
        if fulfillment in FULFILLMENT_NOTIFICATIONS:
            automation(
                shop, "order_notification", order_id=order.id, fulfillment_status=fulfillment
            )
        if changes.get("cancelled_at_foreign"):
            automation(shop, "order_cancellation", order_id=order.id)

    # --- stores -------------------------------------------------------------------------

    async def list_stores(request: Request) -> Response:
        root = api_root(request)
        with store.lock:
            items, total = _paged(request, list(stores_of(store).values()))
            body = [store_json(s, root) for s in items]
        return respond(
            request,
            {
                "stores": body,
                "total_items": total,
                "_links": collection_links(root + "/ecommerce/stores", can_create=True),
            },
        )

    async def create_store(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            if body["id"] in stores_of(store):
                raise problems.bad_request("A store with the provided ID already exists.")
            if body["list_id"] not in store.lists:
                raise problems.bad_request("The list with the provided ID does not exist.")
            now = store.now()
            shop = EcommerceStore(
                id=body["id"],
                list_id=body["list_id"],
                name=body["name"],
                currency_code=body["currency_code"],
                created_at=now,
                updated_at=now,
                is_syncing=bool(body.get("is_syncing", False)),
                attributes=_pick(body, STORE_FIELDS),
            )
            stores_of(store)[shop.id] = shop
            return respond(request, store_json(shop, api_root(request)))

    async def get_store(request: Request) -> Response:
        with store.lock:
            return respond(request, store_json(shop_of(request), api_root(request)))

    async def update_store(request: Request) -> Response:
        body = await validated_body(request, ctx) or {}
        with store.lock:
            shop = shop_of(request)
            if "list_id" in body and body["list_id"] != shop.list_id:
                raise problems.bad_request("The list_id of a store cannot be changed.")
            for key in ("name", "currency_code"):
                if key in body:
                    setattr(shop, key, body[key])
            if "is_syncing" in body:
                shop.is_syncing = bool(body["is_syncing"])
            shop.attributes.update(_pick(body, STORE_FIELDS))
            shop.updated_at = store.now()
            return respond(request, store_json(shop, api_root(request)))

    async def delete_store(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            del stores_of(store)[shop.id]
        return no_content()

    # --- customers ----------------------------------------------------------------------

    async def list_customers(request: Request) -> Response:
        root = api_root(request)
        email = request.query_params.get("email_address")
        with store.lock:
            shop = shop_of(request)
            customers = [
                c
                for c in shop.customers.values()
                if email is None or c.email_address.lower() == email.lower()
            ]
            items, total = _paged(request, customers)
            body = [customer_json(shop, c, root) for c in items]
        return respond(
            request,
            {
                "store_id": shop.id,
                "customers": body,
                "total_items": total,
                "_links": collection_links(
                    f"{root}/ecommerce/stores/{shop.id}/customers", can_create=True
                ),
            },
        )

    async def create_customer(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            shop = shop_of(request)
            customer = upsert_customer(shop, body["id"], body, create_only=True)
            return respond(request, customer_json(shop, customer, api_root(request)))

    async def put_customer(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            shop = shop_of(request)
            customer = upsert_customer(
                shop, request.path_params["customer_id"], body, create_only=False
            )
            return respond(request, customer_json(shop, customer, api_root(request)))

    async def get_customer(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            customer = shop.customers.get(request.path_params["customer_id"])
            if customer is None:
                raise problems.resource_not_found()
            return respond(request, customer_json(shop, customer, api_root(request)))

    async def patch_customer(request: Request) -> Response:
        body = await validated_body(request, ctx) or {}
        with store.lock:
            shop = shop_of(request)
            if request.path_params["customer_id"] not in shop.customers:
                raise problems.resource_not_found()
            customer = upsert_customer(
                shop, request.path_params["customer_id"], body, create_only=False
            )
            return respond(request, customer_json(shop, customer, api_root(request)))

    async def delete_customer(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            if shop.customers.pop(request.path_params["customer_id"], None) is None:
                raise problems.resource_not_found()
        return no_content()

    # --- products and variants ----------------------------------------------------------

    async def list_products(request: Request) -> Response:
        root = api_root(request)
        with store.lock:
            shop = shop_of(request)
            items, total = _paged(request, list(shop.products.values()))
            body = [product_json(shop, p, root) for p in items]
        return respond(
            request,
            {
                "store_id": shop.id,
                "products": body,
                "total_items": total,
                "_links": collection_links(
                    f"{root}/ecommerce/stores/{shop.id}/products", can_create=True
                ),
            },
        )

    async def create_product(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            shop = shop_of(request)
            if body["id"] in shop.products:
                raise problems.bad_request(PRODUCT_EXISTS)
            if not body["variants"]:
                # Required and "≥ 1" (reference section 3); wording inferred.
                raise problems.invalid_resource(
                    "The resource submitted could not be validated.",
                    [{"field": "variants", "message": "A product needs at least one variant."}],
                )
            now = store.now()
            product = Product(
                id=body["id"],
                title=body["title"],
                created_at=now,
                updated_at=now,
                attributes=_pick(body, PRODUCT_FIELDS),
            )
            for raw in body["variants"]:
                product.variants[raw["id"]] = Variant(
                    id=raw["id"],
                    title=raw["title"],
                    created_at=now,
                    updated_at=now,
                    attributes=_pick(raw, VARIANT_FIELDS),
                )
            shop.products[product.id] = product
            automation(shop, "product_added", product_id=product.id)
            return respond(request, product_json(shop, product, api_root(request)))

    async def get_product(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            return respond(
                request, product_json(shop, product_of(shop, request), api_root(request))
            )

    async def patch_product(request: Request) -> Response:
        body = await validated_body(request, ctx) or {}
        with store.lock:
            shop = shop_of(request)
            product = product_of(shop, request)
            now = store.now()
            if "title" in body:
                product.title = body["title"]
            product.attributes.update(_pick(body, PRODUCT_FIELDS))
            for raw in body.get("variants", []):
                if "id" not in raw:
                    continue
                variant = product.variants.get(raw["id"])
                if variant is None:
                    product.variants[raw["id"]] = Variant(
                        id=raw["id"],
                        title=raw.get("title", product.title),
                        created_at=now,
                        updated_at=now,
                        attributes=_pick(raw, VARIANT_FIELDS),
                    )
                else:
                    variant.title = raw.get("title", variant.title)
                    variant.attributes.update(_pick(raw, VARIANT_FIELDS))
                    variant.updated_at = now
            product.updated_at = now
            return respond(request, product_json(shop, product, api_root(request)))

    async def delete_product(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            del shop.products[product_of(shop, request).id]
        return no_content()

    async def list_variants(request: Request) -> Response:
        root = api_root(request)
        with store.lock:
            shop = shop_of(request)
            product = product_of(shop, request)
            items, total = _paged(request, list(product.variants.values()))
            body = [variant_json(shop, product, v, root) for v in items]
        return respond(
            request,
            {
                "store_id": shop.id,
                "product_id": product.id,
                "variants": body,
                "total_items": total,
                "_links": collection_links(
                    f"{root}/ecommerce/stores/{shop.id}/products/{product.id}/variants",
                    can_create=True,
                ),
            },
        )

    def write_variant(
        request: Request, body: dict[str, Any], variant_id: str, *, mode: str
    ) -> Response:
        shop = shop_of(request)
        product = product_of(shop, request)
        variant = product.variants.get(variant_id)
        now = store.now()
        if variant is not None and mode == "create":
            raise problems.bad_request(
                "A variant with the provided ID already exists in the account."
            )
        if variant is None and mode == "update":
            raise problems.resource_not_found()
        if variant is None:
            variant = Variant(id=variant_id, title=body["title"], created_at=now, updated_at=now)
            product.variants[variant_id] = variant
        variant.title = body.get("title", variant.title)
        variant.attributes.update(_pick(body, VARIANT_FIELDS))
        variant.updated_at = now
        return respond(request, variant_json(shop, product, variant, api_root(request)))

    async def create_variant(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            return write_variant(request, body, body["id"], mode="create")

    async def put_variant(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            return write_variant(request, body, request.path_params["variant_id"], mode="upsert")

    async def patch_variant(request: Request) -> Response:
        body = await validated_body(request, ctx) or {}
        with store.lock:
            return write_variant(request, body, request.path_params["variant_id"], mode="update")

    async def get_variant(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            product = product_of(shop, request)
            variant = product.variants.get(request.path_params["variant_id"])
            if variant is None:
                raise problems.resource_not_found()
            return respond(request, variant_json(shop, product, variant, api_root(request)))

    async def delete_variant(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            product = product_of(shop, request)
            if product.variants.pop(request.path_params["variant_id"], None) is None:
                raise problems.resource_not_found()
        return no_content()

    # --- orders and lines ---------------------------------------------------------------

    async def list_orders(request: Request) -> Response:
        root = api_root(request)
        customer_id = request.query_params.get("customer_id")
        with store.lock:
            shop = shop_of(request)
            orders = [
                o
                for o in shop.orders.values()
                if customer_id is None or o.customer_id == customer_id
            ]
            items, total = _paged(request, orders)
            body = [order_json(shop, o, root) for o in items]
        return respond(
            request,
            {
                "store_id": shop.id,
                "orders": body,
                "total_items": total,
                "_links": collection_links(
                    f"{root}/ecommerce/stores/{shop.id}/orders", can_create=True
                ),
            },
        )

    async def create_order(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            shop = shop_of(request)
            if body["id"] in shop.orders:
                raise problems.bad_request(ORDER_EXISTS)
            check_lines(shop, body["lines"])
            customer_body = body["customer"]
            if customer_body["id"] not in shop.customers:
                upsert_customer(shop, customer_body["id"], customer_body, create_only=True)
            now = store.now()
            order = Order(
                id=body["id"],
                customer_id=customer_body["id"],
                created_at=now,
                updated_at=now,
                attributes=_pick(body, ORDER_FIELDS),
            )
            put_lines(order, body["lines"])
            shop.orders[order.id] = order
            automation(shop, "order_placed", order_id=order.id, customer_id=order.customer_id)
            notify(shop, order, order.attributes)
            return respond(request, order_json(shop, order, api_root(request)))

    async def get_order(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            return respond(request, order_json(shop, order_of(shop, request), api_root(request)))

    async def patch_order(request: Request) -> Response:
        body = await validated_body(request, ctx) or {}
        with store.lock:
            shop = shop_of(request)
            order = order_of(shop, request)
            lines = body.get("lines", [])
            check_lines(shop, [line for line in lines if "product_id" in line])
            changes = {
                k: v for k, v in _pick(body, ORDER_FIELDS).items() if order.attributes.get(k) != v
            }
            order.attributes.update(_pick(body, ORDER_FIELDS))
            put_lines(order, [line for line in lines if "id" in line])
            order.updated_at = store.now()
            notify(shop, order, changes)
            return respond(request, order_json(shop, order, api_root(request)))

    async def delete_order(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            del shop.orders[order_of(shop, request).id]
        return no_content()

    async def list_lines(request: Request) -> Response:
        root = api_root(request)
        with store.lock:
            shop = shop_of(request)
            order = order_of(shop, request)
            items, total = _paged(request, list(order.lines.values()))
            body = [line_json(shop, order, line, root) for line in items]
        return respond(
            request,
            {
                "store_id": shop.id,
                "order_id": order.id,
                "lines": body,
                "total_items": total,
                "_links": collection_links(
                    f"{root}/ecommerce/stores/{shop.id}/orders/{order.id}/lines", can_create=True
                ),
            },
        )

    async def create_line(request: Request) -> Response:
        body = await validated_body(request, ctx)
        with store.lock:
            shop = shop_of(request)
            order = order_of(shop, request)
            if body["id"] in order.lines:
                raise problems.bad_request(
                    "An order line with the provided ID already exists in the account."
                )
            check_lines(shop, [body])
            put_lines(order, [body])
            order.updated_at = store.now()
            return respond(
                request, line_json(shop, order, order.lines[body["id"]], api_root(request))
            )

    def line_of(order: Order, request: Request) -> OrderLine:
        line = order.lines.get(request.path_params["line_id"])
        if line is None:
            raise problems.resource_not_found()
        return line

    async def get_line(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            order = order_of(shop, request)
            return respond(
                request, line_json(shop, order, line_of(order, request), api_root(request))
            )

    async def patch_line(request: Request) -> Response:
        body = await validated_body(request, ctx) or {}
        with store.lock:
            shop = shop_of(request)
            order = order_of(shop, request)
            line = line_of(order, request)
            merged = {
                "product_id": line.product_id,
                "product_variant_id": line.product_variant_id,
                **body,
            }
            check_lines(shop, [merged])
            put_lines(order, [{**_pick(body, LINE_FIELDS), "id": line.id}])
            order.updated_at = store.now()
            return respond(request, line_json(shop, order, line, api_root(request)))

    async def delete_line(request: Request) -> Response:
        with store.lock:
            shop = shop_of(request)
            order = order_of(shop, request)
            del order.lines[line_of(order, request).id]
        return no_content()

    stores = "/3.0/ecommerce/stores"
    shop = stores + "/{store_id}"
    customer = shop + "/customers/{customer_id}"
    product = shop + "/products/{product_id}"
    variant = product + "/variants/{variant_id}"
    order = shop + "/orders/{order_id}"
    line = order + "/lines/{line_id}"
    table: list[tuple[str, str, Any]] = [
        (stores, "GET", list_stores),
        (stores, "POST", create_store),
        (shop, "GET", get_store),
        (shop, "PATCH", update_store),
        (shop, "DELETE", delete_store),
        (shop + "/customers", "GET", list_customers),
        (shop + "/customers", "POST", create_customer),
        (customer, "GET", get_customer),
        (customer, "PUT", put_customer),
        (customer, "PATCH", patch_customer),
        (customer, "DELETE", delete_customer),
        (shop + "/products", "GET", list_products),
        (shop + "/products", "POST", create_product),
        (product, "GET", get_product),
        (product, "PATCH", patch_product),
        (product, "DELETE", delete_product),
        (product + "/variants", "GET", list_variants),
        (product + "/variants", "POST", create_variant),
        (variant, "GET", get_variant),
        (variant, "PUT", put_variant),
        (variant, "PATCH", patch_variant),
        (variant, "DELETE", delete_variant),
        (shop + "/orders", "GET", list_orders),
        (shop + "/orders", "POST", create_order),
        (order, "GET", get_order),
        (order, "PATCH", patch_order),
        (order, "DELETE", delete_order),
        (order + "/lines", "GET", list_lines),
        (order + "/lines", "POST", create_line),
        (line, "GET", get_line),
        (line, "PATCH", patch_line),
        (line, "DELETE", delete_line),
    ]
    return [Route(path, guarded(ctx, handler), methods=[method]) for path, method, handler in table]
