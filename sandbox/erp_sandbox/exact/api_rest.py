"""The REST API under ``/api/v1/`` (reference C2 to C7).

* ``GET /api/v1/current/Me`` → ``{"d": {"results": [{"CurrentDivision": …, …}]}}``;
* ``GET /api/v1/{division}/<set>`` → a page of 60 rows (1000 on ``sync/…``) with
  ``__next``; ``/<set>(guid'…')`` → one entity; ``/<set>/$count`` → a plain number;
  ``salesinvoice/SalesInvoices(guid'…')/SalesInvoiceLines`` → the invoice's lines;
* ``POST``/``GET``/``DELETE`` ``webhooks/WebhookSubscriptions``.

Every call needs ``Authorization: Bearer <access token>``; a division other than the
user's is 403. JSON only with ``Accept: application/json``; Atom XML otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from erp_sandbox.exact.context import Context
from erp_sandbox.exact.entities import ENTITY_SETS, ME, EntitySet
from erp_sandbox.exact.errors import (
    ExactError,
    bad_request,
    forbidden_division,
    method_not_allowed,
    not_found,
    unauthorized,
)
from erp_sandbox.exact.oauth import AccessToken
from erp_sandbox.exact.odata import Query, literal, next_link, parse_query
from erp_sandbox.exact.paging import Sorted, SortedRows, SortKeys, page, sort_keys, sort_rows
from erp_sandbox.exact.representation import (
    ATOM_ENTRY_CONTENT_TYPE,
    ATOM_FEED_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    Renderer,
    wants_json,
)
from erp_sandbox.exact.seed_data import DIVISION_CUSTOMER, ME_USER_NAME, USERS

Row = dict[str, Any]
_KEY = re.compile(r"^\((?:guid)?'([0-9A-Fa-f-]{36})'\)|^\(([0-9A-Fa-f-]{36})\)")


class Target:
    """What a path after the division names."""

    def __init__(
        self, entity: EntitySet, key: str | None, navigation: str | None, count: bool
    ) -> None:
        self.entity = entity
        self.key = key
        self.navigation = navigation
        self.count = count


def resolve(path: str) -> Target:
    """``crm/Accounts``, ``crm/Accounts(guid'…')``, ``…/$count``,
    ``salesinvoice/SalesInvoices(guid'…')/SalesInvoiceLines``."""
    lowered = path.lower()
    for name, entity in sorted(ENTITY_SETS.items(), key=lambda kv: -len(kv[0])):
        if not lowered.startswith(name) or lowered[len(name) : len(name) + 1] not in ("", "(", "/"):
            continue
        rest = path[len(name) :]
        if rest in ("", "/"):
            return Target(entity, None, None, count=False)
        if rest.lower() == "/$count":
            return Target(entity, None, None, count=True)
        match = _KEY.match(rest)
        if match is None:
            raise bad_request("Bad Request - Error in query syntax.")
        key = (match.group(1) or match.group(2)).lower()
        tail = rest[match.end() :].strip("/")
        if not tail:
            return Target(entity, key, None, count=False)
        navigation = next((n for n in entity.navigation if n.lower() == tail.lower()), None)
        if navigation is None:
            raise not_found(tail)
        return Target(entity, key, navigation, count=False)
    raise not_found(path.split("/")[-1].split("(")[0] or path)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    sorted_rows = SortedRows()

    def authenticate(request: Request) -> AccessToken:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        access = ctx.oauth.live_token(token.strip()) if scheme.lower() == "bearer" else None
        if access is None:
            raise unauthorized()
        return access

    def service_base(request: Request, division: str) -> str:
        return f"{request.url.scheme}://{request.url.netloc}/api/v1/{division}/"

    def rows_of(entity: EntitySet) -> list[Row]:
        if entity.kind == "webhooks":
            return ctx.webhooks.rows()
        return ctx.store.rows(entity.source)

    def respond(body: bytes, content_type: str, status: int = 200, **headers: str) -> Response:
        return Response(body, status, headers=headers or None, media_type=content_type)

    def sorted_rows_of(entity: EntitySet, keys: SortKeys) -> Sorted:
        zone = ctx.settings.zone
        if entity.kind == "webhooks":
            return sort_rows(ctx.webhooks.rows(), entity, keys, zone)
        return sorted_rows.get(
            entity.source,
            ctx.store.generation,
            lambda: ctx.store.rows(entity.source),
            entity,
            keys,
            zone,
        )

    def collection(
        request: Request,
        entity: EntitySet,
        query: Query,
        base: str,
        source: Callable[[SortKeys], Sorted],
    ) -> Response:
        zone = ctx.settings.zone
        as_json = wants_json(request.headers.get("accept", ""), query)
        renderer = Renderer(entity, query, zone, base, ctx.settings.int64_as_string)
        size = ctx.settings.sync_page_size if entity.kind == "sync" else ctx.settings.page_size
        keys = sort_keys(entity, query)
        with ctx.store.reading():
            ordered = source(keys)
            count = None
            if query.inlinecount:
                matches = query.predicate or (lambda _: True)
                count = sum(1 for _, row in ordered if matches(row))
            take = size if query.top is None else min(query.top, size)
            rows = page(ordered, entity, query, keys, zone, limit=take + 1)
            shown = rows[:take]
            next_url = None
            if len(rows) > take and (query.top is None or query.top > take):
                token = ",".join(
                    literal(entity.edm_type(name), shown[-1].get(name), zone) for name, _ in keys
                )
                url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
                next_top = None if query.top is None else query.top - take
                next_url = next_link(url, query, token, next_top)
            if as_json:
                return respond(renderer.json_collection(shown, next_url, count), JSON_CONTENT_TYPE)
            return respond(renderer.xml_collection(shown, next_url, count), ATOM_FEED_CONTENT_TYPE)

    def single(request: Request, entity: EntitySet, query: Query, base: str, row: Row) -> Response:
        renderer = Renderer(entity, query, ctx.settings.zone, base, ctx.settings.int64_as_string)
        if wants_json(request.headers.get("accept", ""), query):
            return respond(renderer.json_single(row), JSON_CONTENT_TYPE)
        return respond(renderer.xml_single(row), ATOM_ENTRY_CONTENT_TYPE)

    def find(entity: EntitySet, key: str) -> Row:
        row = next((r for r in rows_of(entity) if str(r.get(entity.key)).lower() == key), None)
        if row is None:
            raise not_found(entity.entity_set_name)
        return row

    def read(request: Request, target: Target, division: str) -> Response:
        entity = target.entity
        base = service_base(request, division)
        if target.count:
            query = parse_query(request.url.query, entity, ctx.settings.zone)
            with ctx.store.reading():
                rows = rows_of(entity)
                matched = [r for r in rows if query.predicate is None or query.predicate(r)]
                return PlainTextResponse(str(len(matched)))
        if target.key is None:
            query = parse_query(
                request.url.query, entity, ctx.settings.zone, sync=entity.kind == "sync"
            )
            return collection(
                request, entity, query, base, lambda keys: sorted_rows_of(entity, keys)
            )
        if entity.kind == "sync":
            raise not_found(entity.entity_set_name)
        if target.navigation is not None:
            lines = ENTITY_SETS[entity.navigation[target.navigation].lower()]
            query = parse_query(request.url.query, lines, ctx.settings.zone)
            key = target.key
            with ctx.store.reading():
                invoice = find(entity, key)
            return collection(
                request,
                lines,
                query,
                base,
                lambda keys: sort_rows(invoice[target.navigation], lines, keys, ctx.settings.zone),
            )
        query = parse_query(request.url.query, entity, ctx.settings.zone)
        with ctx.store.reading():
            row = find(entity, target.key)
            if query.predicate is not None and not query.predicate(row):
                raise not_found(entity.entity_set_name)
            return single(request, entity, query, base, row)

    async def webhook_write(
        request: Request, target: Target, access: AccessToken, division: str
    ) -> Response:
        entity = target.entity
        if request.method == "DELETE" and target.key is not None:
            ctx.webhooks.delete(target.key)
            return Response(status_code=204)
        if request.method != "POST" or target.key is not None:
            raise method_not_allowed(request.method)
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise bad_request("The request body is not valid JSON.") from None
        record = await run_in_threadpool(ctx.webhooks.subscribe, body, access.client_id)
        base = service_base(request, division)
        query = Query()
        renderer = Renderer(entity, query, ctx.settings.zone, base, ctx.settings.int64_as_string)
        location = renderer.entity_uri(entity, record)
        if wants_json(request.headers.get("accept", ""), query):
            return respond(renderer.json_single(record), JSON_CONTENT_TYPE, 201, Location=location)
        return respond(renderer.xml_single(record), ATOM_ENTRY_CONTENT_TYPE, 201, Location=location)

    def me(request: Request) -> Response:
        settings = ctx.settings
        user_id, full_name = USERS[0]
        first, _, last = full_name.partition(" ")
        middle, _, last_name = last.rpartition(" ")
        row = {
            "UserID": user_id,
            "CurrentDivision": settings.division,
            "DivisionCustomer": DIVISION_CUSTOMER[0],
            "DivisionCustomerCode": DIVISION_CUSTOMER[1],
            "DivisionCustomerName": DIVISION_CUSTOMER[2],
            "Email": ME_USER_NAME,
            "FirstName": first,
            "FullName": full_name,
            "Initials": f"{first[0]}.",
            "Language": "NL",
            "LanguageCode": "nl-NL",
            "LastName": last_name,
            "Legislation": 1,
            "MiddleName": middle or None,
            "UserName": ME_USER_NAME,
        }
        query = parse_query(request.url.query, ME, settings.zone)
        base = f"{request.url.scheme}://{request.url.netloc}/api/v1/"
        return collection(
            request, ME, query, base, lambda keys: sort_rows([row], ME, keys, settings.zone)
        )

    async def api(request: Request) -> Response:
        as_json = "application/json" in request.headers.get("accept", "").lower()
        try:
            access = authenticate(request)
            first, _, path = request.path_params["rest"].partition("/")
            if first.lower() == "current":
                if path.lower().strip("/") != "me":
                    raise not_found(path or first)
                if request.method != "GET":
                    raise method_not_allowed(request.method)
                return await run_in_threadpool(me, request)
            if not first.isdigit():
                raise not_found(first)
            if int(first) != ctx.settings.division:
                raise forbidden_division(first)
            target = resolve(path)
            if target.entity.kind == "webhooks" and request.method != "GET":
                return await webhook_write(request, target, access, first)
            if request.method != "GET":
                raise method_not_allowed(request.method)
            return await run_in_threadpool(read, request, target, first)
        except ExactError as exc:
            as_json = as_json or "$format=json" in request.url.query.lower()
            body, content_type = exc.render(as_json=as_json)
            return Response(body, exc.status, headers=exc.headers, media_type=content_type)

    return [
        Route(
            "/api/v1/{rest:path}", api, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "MERGE"]
        )
    ]
