"""``/entity/``: endpoint discovery, the definitions, and reading records.

* ``GET /entity/`` → ``{"version": {…}, "endpoints": [{"name", "version", "href"}]}``
  (shape of the C# client's ``VersionAndEndpoints``; reference A1);
* ``GET /entity/Default/<v>/swagger.json`` → the vendor's definition of that version;
* ``GET /entity/Default/<v>/<Entity>`` → a bare JSON array: no count, no next link, a
  short page is the last; ``$skip`` applies before ``$top`` (reference A2). Rows come
  in key order (the order of the form's primary key), never by last-modified time;
  ``$orderby`` is not part of the contract and is ignored (inferred);
* ``GET /entity/Default/<v>/<Entity>/<keys…>`` or ``…/<Entity>/<id>`` → one record.

Anything under an endpoint or version the instance does not offer, or an entity the
version does not define, is a bare 404 (no body).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.acumatica.context import Context
from erp_sandbox.acumatica.entities import ENTITIES, EntityDef
from erp_sandbox.acumatica.errors import JSON_CONTENT_TYPE, bad_request, no_entity
from erp_sandbox.acumatica.odata_filter import FilterError, Predicate, compile_filter
from erp_sandbox.acumatica.representation import QueryOptions, Renderer, parse_options
from erp_sandbox.acumatica.request_auth import authenticate
from erp_sandbox.acumatica.settings import ENDPOINT_NAME
from erp_sandbox.acumatica.spec import EndpointSpec, endpoint_spec, spec_bytes

#: Why a 404 was answered (Acumatica sends no body).
REASON_HEADER = "X-Erp-Sandbox-Reason"


class NotFoundError(Exception):
    """A bare 404."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def not_found_response(reason: str) -> Response:
    """404 without a body."""
    return Response(status_code=404, headers={REASON_HEADER: reason})


def json_response(data: Any, status: int = 200) -> Response:
    """Compact JSON, as ASP.NET Web API writes it."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(body, status, media_type=JSON_CONTENT_TYPE)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""

    def version_spec(request: Request) -> EndpointSpec:
        endpoint = request.path_params["endpoint"]
        version = request.path_params["version"]
        if endpoint != ENDPOINT_NAME or version not in ctx.settings.endpoint_versions:
            raise NotFoundError(f"this instance has no endpoint {endpoint}/{version}")
        return endpoint_spec(version)

    def entity_of(request: Request, spec: EndpointSpec) -> EntityDef:
        name = request.path_params["entity"]
        if not spec.has_entity(name):
            raise NotFoundError(f"{ENDPOINT_NAME}/{spec.version} defines no entity {name}")
        definition = ENTITIES.get(name)
        if definition is None:
            raise NotFoundError(f"the emulator does not serve {name} (known: {sorted(ENTITIES)})")
        return definition

    def renderer(spec: EndpointSpec, entity: EntityDef, options: QueryOptions) -> Renderer:
        links_base = f"{ctx.settings.site_path}/entity/{ENDPOINT_NAME}/{spec.version}"
        return Renderer(spec, entity, options, ctx.settings.zone, links_base)

    def matcher(spec: EndpointSpec, entity: EntityDef, options: QueryOptions) -> Predicate:
        try:
            return compile_filter(
                options.filter, entity.name, spec, ctx.settings.zone, entity.custom_fields
            )
        except FilterError as exc:
            raise bad_request(str(exc)) from None

    async def discovery(request: Request) -> Response:
        site = ctx.settings.site_path
        return json_response(
            {
                "version": {
                    "acumaticaBuildVersion": ctx.settings.build_version,
                    "databaseVersion": ctx.settings.build_version,
                },
                "endpoints": [
                    {
                        "name": ENDPOINT_NAME,
                        "version": version,
                        "href": f"{site}/entity/{ENDPOINT_NAME}/{version}/",
                    }
                    for version in ctx.settings.endpoint_versions
                ],
            }
        )

    async def definition(request: Request) -> Response:
        try:
            spec = version_spec(request)
        except NotFoundError as exc:
            return not_found_response(exc.reason)
        authenticate(request, ctx)
        body = await run_in_threadpool(spec_bytes, spec.version)
        return Response(body, media_type=JSON_CONTENT_TYPE)

    async def get_list(request: Request) -> Response:
        try:
            spec = version_spec(request)
            entity = entity_of(request, spec)
        except NotFoundError as exc:
            return not_found_response(exc.reason)
        authenticate(request, ctx)
        options = parse_options(dict(request.query_params), entity, spec)
        matches = matcher(spec, entity, options)
        render = renderer(spec, entity, options)

        def page() -> list[dict[str, Any]]:
            with ctx.store.reading():
                rows = [r for r in ctx.store.rows(entity.name) if matches(r)]
                end = None if options.top is None else options.skip + options.top
                chosen = rows[options.skip : end]
                return [render.top_level(r, n) for n, r in enumerate(chosen, start=1)]

        return json_response(await run_in_threadpool(page))

    async def get_one(request: Request) -> Response:
        try:
            spec = version_spec(request)
            entity = entity_of(request, spec)
        except NotFoundError as exc:
            return not_found_response(exc.reason)
        authenticate(request, ctx)
        options = parse_options(dict(request.query_params), entity, spec)
        matches = matcher(spec, entity, options)
        render = renderer(spec, entity, options)
        ids = request.path_params["ids"].strip("/")

        def one() -> dict[str, Any] | None:
            with ctx.store.reading():
                record = None
                if "/" not in ids and _is_guid(ids):
                    record = ctx.store.find_by_id(entity.name, ids)
                if record is None:
                    try:
                        record = ctx.store.find(entity.name, ids)
                    except ValueError:
                        record = None
                if record is None or not matches(record):
                    return None
                return render.top_level(record, 1)

        found = await run_in_threadpool(one)
        if found is None:
            raise no_entity()
        return json_response(found)

    return [
        Route("/entity", discovery, methods=["GET"]),
        Route("/entity/", discovery, methods=["GET"]),
        Route("/entity/{endpoint}/{version}/swagger.json", definition, methods=["GET"]),
        Route("/entity/{endpoint}/{version}/{entity}", get_list, methods=["GET"]),
        Route("/entity/{endpoint}/{version}/{entity}/{ids:path}", get_one, methods=["GET"]),
    ]


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
