"""List members: single writes, batch subscribe, tags, listing with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.clock import iso, parse_iso
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.member_writes import MemberWrites
from erp_sandbox.mailchimp.representations import collection_links, link, member_json
from erp_sandbox.mailchimp.request_parsing import (
    api_root,
    page,
    query_flag,
    validated_body,
)
from erp_sandbox.mailchimp.responding import get_list, guarded, no_content, respond
from erp_sandbox.mailchimp.store import Member

SORT_FIELDS = ("timestamp_opt", "timestamp_signup", "last_changed")


def _timestamp(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_iso(raw)
    except ValueError as exc:
        raise problems.invalid_resource(
            "The resource submitted could not be validated.",
            [{"field": name, "message": "Please provide a valid ISO 8601 date and time."}],
        ) from exc


def _member_filter(request: Request) -> Any:
    """A predicate for GET …/members query parameters."""
    status = request.query_params.get("status")
    email_type = request.query_params.get("email_type")
    unique_email_id = request.query_params.get("unique_email_id")
    vip_only = query_flag(request, "vip_only")
    since_changed = _timestamp(request, "since_last_changed")
    before_changed = _timestamp(request, "before_last_changed")
    since_opt = _timestamp(request, "since_timestamp_opt")
    before_opt = _timestamp(request, "before_timestamp_opt")

    def opted(member: Member) -> datetime | None:
        return parse_iso(member.timestamp_opt) if member.timestamp_opt else None

    def keep(member: Member) -> bool:
        # since_* is inclusive and before_* exclusive (inferred), so consecutive windows
        # neither skip nor repeat a member.
        checks = (
            status is None or member.status == status,
            email_type is None or member.email_type == email_type,
            unique_email_id is None or member.unique_email_id == unique_email_id,
            not vip_only or member.vip,
            since_changed is None or member.last_changed >= since_changed,
            before_changed is None or member.last_changed < before_changed,
            since_opt is None or ((o := opted(member)) is not None and o >= since_opt),
            before_opt is None or ((o := opted(member)) is not None and o < before_opt),
        )
        return all(checks)

    return keep


def _sort_key(field: str) -> Any:
    def key(member: Member) -> Any:
        if field == "last_changed":
            return member.last_changed.timestamp()
        value = getattr(member, field)
        return parse_iso(value).timestamp() if value else 0.0

    return key


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    store = ctx.store
    writes = MemberWrites(ctx)

    async def list_members(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/members."""
        count, offset = page(request)
        keep = _member_filter(request)
        sort_field = request.query_params.get("sort_field")
        descending = request.query_params.get("sort_dir", "ASC").upper() == "DESC"
        root = api_root(request)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            members = [m for m in lst.members.values() if keep(m)]
            if sort_field in SORT_FIELDS:
                members.sort(key=_sort_key(sort_field), reverse=descending)
            elif descending:
                members.reverse()
            items = [member_json(lst, m, root) for m in members[offset : offset + count]]
        return respond(
            request,
            {
                "members": items,
                "list_id": lst.id,
                "total_items": len(members),
                "_links": collection_links(f"{root}/lists/{lst.id}/members", can_create=True),
            },
        )

    async def add_member(request: Request) -> Response:
        """POST /3.0/lists/{list_id}/members."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = writes.create(
                lst, body, skip_merge_validation=query_flag(request, "skip_merge_validation")
            )
            return respond(request, member_json(lst, member, api_root(request)))

    async def get_member(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/members/{subscriber_hash}."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = lst.find_member(request.path_params["subscriber_hash"])
            if member is None:
                raise problems.resource_not_found()
            return respond(request, member_json(lst, member, api_root(request)))

    async def put_member(request: Request) -> Response:
        """PUT /3.0/lists/{list_id}/members/{subscriber_hash}."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = writes.upsert(
                lst,
                request.path_params["subscriber_hash"],
                body,
                skip_merge_validation=query_flag(request, "skip_merge_validation"),
            )
            return respond(request, member_json(lst, member, api_root(request)))

    async def patch_member(request: Request) -> Response:
        """PATCH /3.0/lists/{list_id}/members/{subscriber_hash}."""
        body = await validated_body(request, ctx) or {}
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = writes.update(
                lst,
                request.path_params["subscriber_hash"],
                body,
                skip_merge_validation=query_flag(request, "skip_merge_validation"),
            )
            return respond(request, member_json(lst, member, api_root(request)))

    async def archive_member(request: Request) -> Response:
        """DELETE /3.0/lists/{list_id}/members/{subscriber_hash}."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            writes.archive(lst, request.path_params["subscriber_hash"])
        return no_content()

    async def delete_permanently(request: Request) -> Response:
        """POST …/members/{subscriber_hash}/actions/delete-permanent."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            writes.delete_permanently(lst, request.path_params["subscriber_hash"])
        return no_content()

    async def get_tags(request: Request) -> Response:
        """GET …/members/{subscriber_hash}/tags."""
        count, offset = page(request)
        root = api_root(request)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = lst.find_member(request.path_params["subscriber_hash"])
            if member is None:
                raise problems.resource_not_found()
            tags = lst.tags_of(member)
            items = [
                {"id": s.id, "name": s.name, "date_added": iso(added)}
                for s, added in tags[offset : offset + count]
            ]
            href = f"{root}/lists/{lst.id}/members/{member.id}/tags"
        return respond(
            request, {"tags": items, "total_items": len(tags), "_links": collection_links(href)}
        )

    async def post_tags(request: Request) -> Response:
        """POST …/members/{subscriber_hash}/tags: 204."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            writes.set_tags(
                lst,
                request.path_params["subscriber_hash"],
                body["tags"],
                is_syncing=bool(body.get("is_syncing")),
            )
        return no_content()

    async def batch_subscribe(request: Request) -> Response:
        """POST /3.0/lists/{list_id}: always 200, per-member errors in ``errors``."""
        body = await validated_body(request, ctx)
        root = api_root(request)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            result = writes.batch(
                lst,
                body,
                skip_merge_validation=query_flag(request, "skip_merge_validation"),
                skip_duplicate_check=query_flag(request, "skip_duplicate_check"),
            )
            new = [member_json(lst, m, root) for m in result["new_members"]]
            updated = [member_json(lst, m, root) for m in result["updated_members"]]
        return respond(
            request,
            {
                "new_members": new,
                "updated_members": updated,
                "errors": result["errors"],
                "total_created": len(new),
                "total_updated": len(updated),
                "error_count": len(result["errors"]),
                "_links": [
                    link("self", f"{root}/lists/{lst.id}"),
                    link("members", f"{root}/lists/{lst.id}/members"),
                ],
            },
        )

    member = "/3.0/lists/{list_id}/members/{subscriber_hash}"
    return [
        Route("/3.0/lists/{list_id}", guarded(ctx, batch_subscribe), methods=["POST"]),
        Route("/3.0/lists/{list_id}/members", guarded(ctx, list_members), methods=["GET"]),
        Route("/3.0/lists/{list_id}/members", guarded(ctx, add_member), methods=["POST"]),
        Route(member, guarded(ctx, get_member), methods=["GET"]),
        Route(member, guarded(ctx, put_member), methods=["PUT"]),
        Route(member, guarded(ctx, patch_member), methods=["PATCH"]),
        Route(member, guarded(ctx, archive_member), methods=["DELETE"]),
        Route(
            member + "/actions/delete-permanent", guarded(ctx, delete_permanently), methods=["POST"]
        ),
        Route(member + "/tags", guarded(ctx, get_tags), methods=["GET"]),
        Route(member + "/tags", guarded(ctx, post_tags), methods=["POST"]),
    ]
