"""List members: single writes, batch subscribe, tags, listing with filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.clock import iso, parse_iso
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.member_writes import MemberWrites
from erp_sandbox.mailchimp.representations import link, member_json
from erp_sandbox.mailchimp.request_parsing import (
    api_root,
    query_flag,
    query_value,
    validated_body,
)
from erp_sandbox.mailchimp.responding import (
    Handler,
    collection_body,
    get_list,
    guarded,
    no_content,
    respond,
)
from erp_sandbox.mailchimp.store import Member

SORT_FIELDS = ("timestamp_opt", "timestamp_signup", "last_changed")

#: ``write(list, subscriber_hash, body, *, skip_merge_validation)`` -> the member.
MemberWrite = Callable[..., Member]


def _timestamp(request: Request, name: str) -> datetime | None:
    return query_value(request, name, parse_iso, "Please provide a valid ISO 8601 date and time.")


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
            body = collection_body(
                request,
                "members",
                members,
                lambda m: member_json(lst, m, root),
                f"{root}/lists/{lst.id}/members",
                list_id=lst.id,
            )
        return respond(request, body)

    def member_write(write: MemberWrite, doc: str) -> Handler:
        """A handler that applies ``write(list, subscriber_hash, body, skip_merge_validation=…)``
        and answers the member."""

        async def handler(request: Request) -> Response:
            body = await validated_body(request, ctx) or {}
            with store.lock:
                lst = get_list(ctx, request.path_params["list_id"])
                member = write(
                    lst,
                    request.path_params.get("subscriber_hash"),
                    body,
                    skip_merge_validation=query_flag(request, "skip_merge_validation"),
                )
                return respond(request, member_json(lst, member, api_root(request)))

        handler.__doc__ = doc
        return handler

    add_member = member_write(
        lambda lst, _hash, body, **flags: writes.create(lst, body, **flags),
        "POST /3.0/lists/{list_id}/members.",
    )
    put_member = member_write(writes.upsert, "PUT /3.0/lists/{list_id}/members/{subscriber_hash}.")
    patch_member = member_write(
        writes.update, "PATCH /3.0/lists/{list_id}/members/{subscriber_hash}."
    )

    async def get_member(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/members/{subscriber_hash}."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = lst.find_member(request.path_params["subscriber_hash"])
            if member is None:
                raise problems.resource_not_found()
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
        root = api_root(request)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            member = lst.find_member(request.path_params["subscriber_hash"])
            if member is None:
                raise problems.resource_not_found()
            body = collection_body(
                request,
                "tags",
                lst.tags_of(member),
                lambda tag: {"id": tag[0].id, "name": tag[0].name, "date_added": iso(tag[1])},
                f"{root}/lists/{lst.id}/members/{member.id}/tags",
                can_create=False,
            )
        return respond(request, body)

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
