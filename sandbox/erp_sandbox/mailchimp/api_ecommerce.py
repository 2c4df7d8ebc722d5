"""E-commerce routes: stores, customers, products, variants, orders and order lines.

Every resource is declared once (:class:`Resource`: its URL segment, path parameter,
where its objects live and how they render) and three handler shapes serve them all:
list; answer (parse and validate the body, find what the path names, apply one rule of
:mod:`~erp_sandbox.mailchimp.ecommerce_writes` or just read, answer the object); delete.
The table at the end says which write each method does: POST creates in the collection,
PUT upserts one object, PATCH changes an existing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.ecommerce_store import (
    customer_json,
    line_json,
    order_json,
    product_json,
    store_json,
    variant_json,
)
from erp_sandbox.mailchimp.ecommerce_writes import EcommerceWrites
from erp_sandbox.mailchimp.request_parsing import api_root, validated_body
from erp_sandbox.mailchimp.responding import (
    Handler,
    collection_body,
    guarded,
    no_content,
    respond,
)

API_ROOT_PATH = "/3.0"


@dataclass(frozen=True)
class Resource:
    """A kind of e-commerce object and where it sits in the URL tree."""

    #: URL segment and key of the collection response, e.g. ``customers``.
    plural: str
    #: Path parameter naming one object, e.g. ``customer_id`` (also the key under which
    #: collections of child objects repeat this object's id).
    param: str
    #: The parent object (the account for stores) -> its objects of this kind by id.
    members: Callable[[Any], dict[str, Any]]
    #: ``render(*ancestors, obj, api_root)`` -> the object's JSON.
    render: Callable[..., dict[str, Any]]
    parent: Resource | None = None

    @property
    def lineage(self) -> list[Resource]:
        """The resources from the outermost (stores) down to this one."""
        return [*(self.parent.lineage if self.parent else []), self]

    @property
    def collection_path(self) -> str:
        """The collection's route template, e.g. ``/3.0/ecommerce/stores/{store_id}/customers``."""
        parent = self.parent.item_path if self.parent else API_ROOT_PATH + "/ecommerce"
        return f"{parent}/{self.plural}"

    @property
    def item_path(self) -> str:
        """One object's route template."""
        return f"{self.collection_path}/{{{self.param}}}"


STORES = Resource("stores", "store_id", lambda account: account.ecommerce, store_json)
CUSTOMERS = Resource("customers", "customer_id", lambda s: s.customers, customer_json, STORES)
PRODUCTS = Resource("products", "product_id", lambda s: s.products, product_json, STORES)
VARIANTS = Resource("variants", "variant_id", lambda p: p.variants, variant_json, PRODUCTS)
ORDERS = Resource("orders", "order_id", lambda s: s.orders, order_json, STORES)
LINES = Resource("lines", "line_id", lambda o: o.lines, line_json, ORDERS)


@dataclass
class Located:
    """What a request's path names: the parents found, and the object if it names one."""

    ancestors: list[Any]
    owner: Any
    item_id: str | None
    item: Any | None


#: ``keep(request)`` -> a predicate over a collection's objects (query filters).
Filter = Callable[[Request], Callable[[Any], bool]]
#: A write: ``(located, body)`` -> the object to answer with.
Write = Callable[[Located, dict[str, Any]], Any]


def _by_email(request: Request) -> Callable[[Any], bool]:
    """``GET …/customers?email_address=`` (case-insensitive)."""
    email = request.query_params.get("email_address")
    return lambda c: email is None or c.email_address.lower() == email.lower()


def _by_customer(request: Request) -> Callable[[Any], bool]:
    """``GET …/orders?customer_id=``."""
    customer_id = request.query_params.get("customer_id")
    return lambda o: customer_id is None or o.customer_id == customer_id


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    store = ctx.store
    writes = EcommerceWrites(ctx)

    def locate(resource: Resource, request: Request, *, existing: bool = False) -> Located:
        """Find the parents named in the path (404 if one is missing) and the object,
        which must exist when ``existing``."""
        owner: Any = store
        ancestors: list[Any] = []
        for kind in resource.lineage[:-1]:
            owner = kind.members(owner).get(request.path_params[kind.param])
            if owner is None:
                raise problems.resource_not_found()
            ancestors.append(owner)
        item_id = request.path_params.get(resource.param)
        item = resource.members(owner).get(item_id) if item_id is not None else None
        if existing and item is None:
            raise problems.resource_not_found()
        return Located(ancestors, owner, item_id, item)

    def listing(resource: Resource, keep: Filter | None = None) -> Handler:
        async def handler(request: Request) -> Response:
            root = api_root(request)
            wanted = keep(request) if keep else None
            with store.lock:
                at = locate(resource, request)
                found = [o for o in resource.members(at.owner).values() if not wanted or wanted(o)]
                parents = zip(resource.lineage[:-1], at.ancestors, strict=True)
                ids = {kind.param: parent.id for kind, parent in parents}
                href = resource.collection_path.format(**ids).removeprefix(API_ROOT_PATH)
                body = collection_body(
                    request,
                    resource.plural,
                    found,
                    lambda o: resource.render(*at.ancestors, o, root),
                    root + href,
                    **ids,
                )
            return respond(request, body)

        return handler

    def answering(
        resource: Resource, act: Write, *, existing: bool, reads_body: bool = True
    ) -> Handler:
        """Parse and validate the body, find what the path names, ``act`` on it and answer
        the object ``act`` returns."""

        async def handler(request: Request) -> Response:
            body = (await validated_body(request, ctx) or {}) if reads_body else {}
            with store.lock:
                at = locate(resource, request, existing=existing)
                answer = act(at, body)
                return respond(request, resource.render(*at.ancestors, answer, api_root(request)))

        return handler

    def deleting(resource: Resource) -> Handler:
        async def handler(request: Request) -> Response:
            with store.lock:
                at = locate(resource, request, existing=True)
                del resource.members(at.owner)[at.item_id]
            return no_content()

        return handler

    def upsert_customer(at: Located, body: dict[str, Any]) -> Any:
        return writes.upsert_customer(at.owner, str(at.item_id), body)

    def upsert_variant(at: Located, body: dict[str, Any]) -> Any:
        return writes.upsert_variant(at.owner, str(at.item_id), body)

    # POST creates in the collection, PUT upserts one object, PATCH changes an existing one.
    write_table: list[tuple[Resource, str, Write]] = [
        (STORES, "POST", lambda _, body: writes.create_store(body)),
        (STORES, "PATCH", lambda at, body: writes.update_store(at.item, body)),
        (
            CUSTOMERS,
            "POST",
            lambda at, body: writes.upsert_customer(at.owner, body["id"], body, create_only=True),
        ),
        (CUSTOMERS, "PUT", upsert_customer),
        (CUSTOMERS, "PATCH", upsert_customer),
        (PRODUCTS, "POST", lambda at, body: writes.create_product(at.owner, body)),
        (PRODUCTS, "PATCH", lambda at, body: writes.patch_product(at.item, body)),
        (VARIANTS, "POST", lambda at, body: writes.create_variant(at.owner, body)),
        (VARIANTS, "PUT", upsert_variant),
        (VARIANTS, "PATCH", upsert_variant),
        (ORDERS, "POST", lambda at, body: writes.create_order(at.owner, body)),
        (ORDERS, "PATCH", lambda at, body: writes.patch_order(at.owner, at.item, body)),
        (LINES, "POST", lambda at, body: writes.create_line(*at.ancestors, body)),
        (LINES, "PATCH", lambda at, body: writes.patch_line(*at.ancestors, at.item, body)),
    ]
    filters: dict[Resource, Filter] = {CUSTOMERS: _by_email, ORDERS: _by_customer}
    table: list[tuple[str, str, Handler]] = []
    for resource in (STORES, CUSTOMERS, PRODUCTS, VARIANTS, ORDERS, LINES):
        table += [
            (resource.collection_path, "GET", listing(resource, filters.get(resource))),
            (
                resource.item_path,
                "GET",
                answering(resource, lambda at, _: at.item, existing=True, reads_body=False),
            ),
            (resource.item_path, "DELETE", deleting(resource)),
        ]
    for resource, method, write in write_table:
        path = resource.collection_path if method == "POST" else resource.item_path
        table.append((path, method, answering(resource, write, existing=method == "PATCH")))
    return [Route(path, guarded(ctx, handler), methods=[method]) for path, method, handler in table]
