"""The REST resources: ``/{crmRestApi|fscmRestApi}/resources/11.13.18.05/<resource>``,
its items, child collections and ``/describe``; and each pillar's context root, which
advertises the framework versions. The emulator's resources are read-only: other
methods answer 405 "Invalid operation … for the specified resource."."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.fusion.collection_query import (
    ListParameters,
    parse_item_parameters,
    parse_list_parameters,
    select_page,
)
from erp_sandbox.fusion.context import Context
from erp_sandbox.fusion.describe import describe_document
from erp_sandbox.fusion.errors import (
    bad_parameter,
    framework_version,
    method_not_allowed,
    not_found,
)
from erp_sandbox.fusion.predicates import QueryError
from erp_sandbox.fusion.representation import (
    COLLECTION_MEDIA_TYPE,
    DESCRIBE_MEDIA_TYPE,
    ITEM_MEDIA_TYPE,
    Renderer,
    collection_link,
)
from erp_sandbox.fusion.request_auth import authenticate
from erp_sandbox.fusion.resources import RESOURCES, Resource, Shape
from erp_sandbox.fusion.settings import API_VERSION, PILLARS

ALL_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
Row = dict[str, Any]
#: A handler run in a worker thread: ``(request, framework version) -> Response``.
Handler = Callable[[Request, int], Response]


def _json(body: Any, media_type: str) -> Response:
    return Response(json.dumps(body), media_type=media_type)


def routes(ctx: Context) -> list[Route]:
    """Routes of this module (one set per resource and child, for a readable call log)."""
    store, settings = ctx.store, ctx.settings

    def api(handler: Handler, *, versioned: bool = True) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            authenticate(request, ctx)
            version = framework_version(request, settings)
            if versioned and request.path_params.get("version") != API_VERSION:
                raise not_found()
            if request.method not in ("GET", "HEAD"):
                raise method_not_allowed(request.method)
            try:
                return await run_in_threadpool(handler, request, version)
            except QueryError as exc:
                raise bad_parameter(exc.message) from None

        return endpoint

    def base(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def collection_href(request: Request, resource: Resource) -> str:
        return f"{base(request)}/{resource.pillar}/resources/{API_VERSION}/{resource.name}"

    def item_url(request: Request, resource: Resource) -> str:
        """The item URL as the client named it (an order by ``OrderKey`` or by
        ``HeaderId``: Oracle's links follow the form used)."""
        key = request.path_params[resource.shape.key]
        return f"{collection_href(request, resource)}/{key}"

    def renderer(version: int, parameters: Any) -> Renderer:
        return Renderer(
            version=version,
            parameters=parameters,
            children_of=store.children_of,
            child_page_size=settings.default_page_size,
        )

    def page_of(
        shape: Shape, rows: list[Row], href: str, request: Request, version: int, **extra: Any
    ) -> dict[str, Any]:
        params: ListParameters = parse_list_parameters(
            request.query_params,
            shape,
            version=version,
            settings=settings,
            children_of=store.children_of,
        )
        page, total, _ = select_page(
            rows, params, key=shape.key, shuffle_ties=settings.shuffle_ties_per_page
        )
        fields = params.fields
        return renderer(version, params).envelope(
            shape,
            page,
            href,
            attributes=None if fields is None else fields.attributes,
            limit=params.limit,
            offset=params.offset,
            total=total,
            include_total=params.total_results,
            children=params.children(),
            **extra,
        )

    def item_body(
        shape: Shape, row: Row, href: str, request: Request, version: int, **extra: Any
    ) -> dict[str, Any]:
        params = parse_item_parameters(request.query_params, shape)
        fields = params.fields
        return renderer(version, params).item(
            shape,
            row,
            href,
            attributes=None if fields is None else fields.attributes,
            children=params.children(),
            **extra,
        )

    def row_of(request: Request, resource: Resource) -> Row:
        """The top-level row the URL names; 404 when there is none."""
        row = store.find(resource.name, request.path_params[resource.shape.key])
        if row is None:
            raise not_found()
        return row

    made: list[Route] = []
    for resource in RESOURCES.values():
        shape = resource.shape
        root = f"/{resource.pillar}/resources/{{version}}/{resource.name}"
        item_path = f"{root}/{{{shape.key}}}"

        def list_items(request: Request, version: int, resource: Resource = resource) -> Response:
            with store.reading():
                body = page_of(
                    resource.shape,
                    store.rows(resource.name),
                    collection_href(request, resource),
                    request,
                    version,
                )
            return _json(body, COLLECTION_MEDIA_TYPE)

        def describe(request: Request, version: int, resource: Resource = resource) -> Response:
            body = describe_document(
                resource.shape, collection_href(request, resource), settings.default_page_size
            )
            return _json(body, DESCRIBE_MEDIA_TYPE)

        def get_item(request: Request, version: int, resource: Resource = resource) -> Response:
            with store.reading():
                row = row_of(request, resource)
                href = item_url(request, resource)
                body = item_body(resource.shape, row, href, request, version)
            return _json(body, ITEM_MEDIA_TYPE)

        made += [
            Route(f"{root}/describe", api(describe), methods=ALL_METHODS),
            Route(root, api(list_items), methods=ALL_METHODS),
            Route(item_path, api(get_item), methods=ALL_METHODS),
        ]
        for child in shape.children:
            child_root = f"{item_path}/child/{child.name}"

            def list_children(
                request: Request,
                version: int,
                resource: Resource = resource,
                child: Shape = child,
            ) -> Response:
                with store.reading():
                    parent = row_of(request, resource)
                    parent_href = item_url(request, resource)
                    body = page_of(
                        child,
                        store.children_of(parent, child.name),
                        f"{parent_href}/child/{child.name}",
                        request,
                        version,
                        parent=(parent_href, resource.name),
                    )
                return _json(body, COLLECTION_MEDIA_TYPE)

            def get_child(
                request: Request,
                version: int,
                resource: Resource = resource,
                child: Shape = child,
            ) -> Response:
                with store.reading():
                    parent = row_of(request, resource)
                    row = store.find_child(parent, child.name, request.path_params[child.key])
                    if row is None:
                        raise not_found()
                    parent_href = item_url(request, resource)
                    href = f"{parent_href}/child/{child.name}/{request.path_params[child.key]}"
                    body = item_body(
                        child, row, href, request, version, parent=(parent_href, resource.name)
                    )
                return _json(body, ITEM_MEDIA_TYPE)

            made += [
                Route(child_root, api(list_children), methods=ALL_METHODS),
                Route(f"{child_root}/{{{child.key}}}", api(get_child), methods=ALL_METHODS),
            ]

    def context_root(request: Request, version: int) -> Response:
        pillar = request.url.path.strip("/").split("/")[0]
        href = f"{base(request)}/{pillar}/resources/{API_VERSION}"
        body = {
            "items": [
                {
                    "version": API_VERSION,
                    "isLatest": True,
                    "adf:extension": {
                        "defaultFrameworkVersion": str(settings.default_framework_version),
                        "allowedFrameworkVersions": [str(v) for v in settings.framework_versions],
                    },
                    "links": [collection_link(href, API_VERSION)],
                }
            ]
        }
        return _json(body, COLLECTION_MEDIA_TYPE)

    for pillar in PILLARS:
        made.append(
            Route(f"/{pillar}/resources", api(context_root, versioned=False), methods=["GET"])
        )
    return made
