"""Segments; static segments are tags, so these routes and member tags share storage."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.representations import (
    COUNTED_BY_DEFAULT,
    link,
    member_json,
    segment_json,
)
from erp_sandbox.mailchimp.request_parsing import api_root, query_flag, validated_body
from erp_sandbox.mailchimp.responding import collection_body, get_list, guarded, no_content, respond
from erp_sandbox.mailchimp.store import MailingList, Member, Segment

MAX_SEGMENT_BATCH = 500
#: Wording inferred; the spec says emails not on the list "will be ignored".
NOT_ON_LIST_ERROR = "Email addresses not found on this list."


def _counted(request: Request) -> frozenset[str]:
    counted = set(COUNTED_BY_DEFAULT)
    for status in ("cleaned", "transactional", "unsubscribed"):
        if query_flag(request, f"include_{status}"):
            counted.add(status)
    return frozenset(counted)


def _segment(lst: MailingList, raw_id: str, *, static: bool = False) -> Segment:
    try:
        segment = lst.segments.get(int(raw_id))
    except ValueError:
        segment = None
    if segment is None or (static and segment.type != "static"):
        if static:
            # MailChimp.Net#377: the answer for a missing or non-static segment.
            raise problems.ProblemError(
                404,
                "Resource Not Found",
                f"A Static Segment with an id of {raw_id} does not exist for this list.",
            )
        raise problems.resource_not_found()
    return segment


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    store = ctx.store

    def _check_name_free(lst: MailingList, name: str, allowed: Segment | None = None) -> None:
        # Tag names are unique per audience; wording inferred.
        clash = next((s for s in lst.segments.values() if s.name == name), None)
        if clash is not None and clash is not allowed:
            raise problems.invalid_resource(f'A segment or tag named "{name}" already exists.')

    def _fill(lst: MailingList, segment: Segment, emails: list[str]) -> None:
        for email in emails:
            member = lst.find_member(email)
            if member is not None:
                store.add_to_segment(segment, member)

    async def list_segments(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/segments (``type`` filters)."""
        wanted = request.query_params.get("type")
        root = api_root(request)
        counted = _counted(request)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segments = [s for s in lst.segments.values() if wanted in (None, s.type)]
            body = collection_body(
                request,
                "segments",
                segments,
                lambda s: segment_json(lst, s, root, counted),
                f"{root}/lists/{lst.id}/segments",
                list_id=lst.id,
            )
        return respond(request, body)

    async def create_segment(request: Request) -> Response:
        """POST /3.0/lists/{list_id}/segments: ``static_segment`` makes a tag."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            has_static = "static_segment" in body
            has_options = "options" in body
            if has_static == has_options:
                detail = (
                    'Must provide either an "options" field or a "static_segment" field'
                    if not has_static
                    else 'The "static_segment" field cannot be provided with the "options" field'
                )
                raise problems.invalid_resource(detail)
            _check_name_free(lst, body["name"])
            if has_static:
                segment = store.create_segment(lst, body["name"])
                _fill(lst, segment, body["static_segment"])
            else:
                segment = store.create_segment(lst, body["name"], "saved", body["options"])
            return respond(request, segment_json(lst, segment, api_root(request)))

    async def get_segment(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/segments/{segment_id}."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"])
            return respond(
                request, segment_json(lst, segment, api_root(request), _counted(request))
            )

    async def update_segment(request: Request) -> Response:
        """PATCH …/segments/{segment_id}: rename; ``static_segment`` replaces members."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"])
            if "name" in body:
                _check_name_free(lst, body["name"], allowed=segment)
                segment.name = body["name"]
            if "static_segment" in body and segment.type == "static":
                segment.members.clear()
                _fill(lst, segment, body["static_segment"])
            if "options" in body and segment.type == "saved":
                segment.options = body["options"]
            segment.updated_at = store.now()
            return respond(request, segment_json(lst, segment, api_root(request)))

    async def delete_segment(request: Request) -> Response:
        """DELETE …/segments/{segment_id}: the tag disappears from every member."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"])
            del lst.segments[segment.id]
        return no_content()

    async def batch_segment(request: Request) -> Response:
        """POST …/segments/{segment_id}: add and remove up to 500 addresses each."""
        body = await validated_body(request, ctx)
        to_add: list[str] = body.get("members_to_add", [])
        to_remove: list[str] = body.get("members_to_remove", [])
        if len(to_add) > MAX_SEGMENT_BATCH or len(to_remove) > MAX_SEGMENT_BATCH:
            raise problems.invalid_field(
                "members_to_add" if len(to_add) > MAX_SEGMENT_BATCH else "members_to_remove",
                f"A maximum of {MAX_SEGMENT_BATCH} members can be sent.",
            )
        root = api_root(request)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"], static=True)
            added: list[dict[str, Any]] = []
            removed: list[dict[str, Any]] = []
            unknown: list[str] = []
            for emails, change, changed in (
                (to_add, store.add_to_segment, added),
                (to_remove, store.remove_from_segment, removed),
            ):
                for email in emails:
                    member = lst.find_member(email)
                    if member is None:
                        unknown.append(email)
                    elif change(segment, member):
                        changed.append(member_json(lst, member, root))
        errors: list[dict[str, Any]] = []
        if unknown:
            errors.append({"email_addresses": unknown, "error": NOT_ON_LIST_ERROR})
        return respond(
            request,
            {
                "members_added": added,
                "members_removed": removed,
                "errors": errors,
                "total_added": len(added),
                "total_removed": len(removed),
                "error_count": len(unknown),
                "_links": [link("self", f"{root}/lists/{lst.id}/segments/{segment.id}")],
            },
        )

    async def segment_members(request: Request) -> Response:
        """GET …/segments/{segment_id}/members."""
        counted = _counted(request)
        root = api_root(request)

        def render(member: Member) -> dict[str, Any]:
            # Segment member listings carry no tags (SPEC's segment member schema).
            item = member_json(lst, member, root)
            item.pop("tags", None)
            item.pop("tags_count", None)
            return item

        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"])
            members = [
                m
                for m in (lst.member_by_contact(c) for c in segment.members)
                if m is not None and m.status in counted
            ]
            body = collection_body(
                request,
                "members",
                members,
                render,
                f"{root}/lists/{lst.id}/segments/{segment.id}/members",
                can_create=False,
            )
        return respond(request, body)

    async def add_segment_member(request: Request) -> Response:
        """POST …/segments/{segment_id}/members: one address; 404 if not on the list."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"], static=True)
            member = lst.find_member(body["email_address"])
            if member is None:
                raise problems.resource_not_found()
            store.add_to_segment(segment, member)
            item = member_json(lst, member, api_root(request))
            item.pop("tags", None)
            item.pop("tags_count", None)
            return respond(request, item)

    async def remove_segment_member(request: Request) -> Response:
        """DELETE …/segments/{segment_id}/members/{subscriber_hash}."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            segment = _segment(lst, request.path_params["segment_id"], static=True)
            member = lst.find_member(request.path_params["subscriber_hash"])
            if member is None or not store.remove_from_segment(segment, member):
                raise problems.resource_not_found()
        return no_content()

    base = "/3.0/lists/{list_id}/segments"
    one = base + "/{segment_id}"
    return [
        Route(base, guarded(ctx, list_segments), methods=["GET"]),
        Route(base, guarded(ctx, create_segment), methods=["POST"]),
        Route(one, guarded(ctx, get_segment), methods=["GET"]),
        Route(one, guarded(ctx, update_segment), methods=["PATCH"]),
        Route(one, guarded(ctx, delete_segment), methods=["DELETE"]),
        Route(one, guarded(ctx, batch_segment), methods=["POST"]),
        Route(one + "/members", guarded(ctx, segment_members), methods=["GET"]),
        Route(one + "/members", guarded(ctx, add_segment_member), methods=["POST"]),
        Route(
            one + "/members/{subscriber_hash}",
            guarded(ctx, remove_segment_member),
            methods=["DELETE"],
        ),
    ]
