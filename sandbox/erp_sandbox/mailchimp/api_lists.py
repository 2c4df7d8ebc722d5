"""Lists (audiences) and their merge fields."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.representations import (
    list_json,
    merge_field_json,
)
from erp_sandbox.mailchimp.request_parsing import api_root, validated_body
from erp_sandbox.mailchimp.responding import collection_body, get_list, guarded, no_content, respond
from erp_sandbox.mailchimp.store import MailingList, MergeField

MAX_TAG_LENGTH = 10
#: EMAIL is merge field 0 on every list, so no field may take its tag (inferred).
RESERVED_TAGS = frozenset({"EMAIL"})
_TAG_CHARACTERS = re.compile(r"^[A-Z0-9_]+$")


def duplicate_tag(tag: str) -> problems.ProblemError:
    """hotglue target-mailchimp-v2 CustomFieldsSink (commit c1e1f67)."""
    return problems.invalid_resource(
        f'A Merge Field with the tag "{tag}" already exists for this list.'
    )


def routes(ctx: Context) -> list[Route]:
    """Routes of this module."""
    store = ctx.store

    async def get_lists(request: Request) -> Response:
        """GET /3.0/lists."""
        root = api_root(request)
        with store.lock:
            lists = list(store.lists.values())
            body = collection_body(
                request,
                "lists",
                lists,
                lambda lst: list_json(lst, root),
                root + "/lists",
                constraints={
                    "may_create": True,
                    "max_instances": 100,
                    "current_total_instances": len(lists),
                },
            )
        return respond(request, body)

    async def create_list(request: Request) -> Response:
        """POST /3.0/lists."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = store.create_list(
                None,
                body["name"],
                contact=body["contact"],
                campaign_defaults=body["campaign_defaults"],
                permission_reminder=body["permission_reminder"],
                email_type_option=body["email_type_option"],
                double_optin=bool(body.get("double_optin", False)),
                marketing_permissions=bool(body.get("marketing_permissions", False)),
                use_archive_bar=bool(body.get("use_archive_bar", False)),
            )
            return respond(request, list_json(lst, api_root(request)))

    async def get_one_list(request: Request) -> Response:
        """GET /3.0/lists/{list_id}."""
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            return respond(request, list_json(lst, api_root(request)))

    async def get_merge_fields(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/merge-fields."""
        root = api_root(request)
        wanted_type = request.query_params.get("type")
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            fields = [
                f
                for f in lst.ordered_merge_fields()
                if wanted_type is None or f.type == wanted_type
            ]
            body = collection_body(
                request,
                "merge_fields",
                fields,
                lambda f: merge_field_json(lst, f, root),
                f"{root}/lists/{lst.id}/merge-fields",
                list_id=lst.id,
            )
        return respond(request, body)

    async def create_merge_field(request: Request) -> Response:
        """POST /3.0/lists/{list_id}/merge-fields."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst = get_list(ctx, request.path_params["list_id"])
            tag = _checked_tag(body.get("tag")) if body.get("tag") else store.next_merge_tag(lst)
            if tag in RESERVED_TAGS or lst.merge_field_by_tag(tag) is not None:
                raise duplicate_tag(tag)
            extra = {
                k: body[k]
                for k in ("required", "default_value", "public", "help_text", "display_order")
                if k in body
            }
            options = dict(body.get("options") or {})
            merge_field = store.add_merge_field(
                lst, tag, body["name"], body["type"], **extra, options=options
            )
            return respond(request, merge_field_json(lst, merge_field, api_root(request)))

    def _merge_field_of(request: Request) -> tuple[MailingList, MergeField]:
        lst = get_list(ctx, request.path_params["list_id"])
        try:
            merge_id = int(request.path_params["merge_id"])
        except ValueError as exc:
            raise problems.resource_not_found() from exc
        merge_field = lst.merge_fields.get(merge_id)
        if merge_field is None:
            raise problems.resource_not_found()
        return lst, merge_field

    async def get_merge_field(request: Request) -> Response:
        """GET /3.0/lists/{list_id}/merge-fields/{merge_id}."""
        with store.lock:
            lst, merge_field = _merge_field_of(request)
            return respond(request, merge_field_json(lst, merge_field, api_root(request)))

    async def update_merge_field(request: Request) -> Response:
        """PATCH /3.0/lists/{list_id}/merge-fields/{merge_id} (the type cannot change)."""
        body = await validated_body(request, ctx)
        with store.lock:
            lst, merge_field = _merge_field_of(request)
            if body.get("tag"):
                tag = _checked_tag(body["tag"])
                other = lst.merge_field_by_tag(tag)
                if tag in RESERVED_TAGS or (other is not None and other is not merge_field):
                    raise duplicate_tag(tag)
                if tag != merge_field.tag:
                    for member in lst.members.values():
                        if merge_field.tag in member.merge_fields:
                            member.merge_fields[tag] = member.merge_fields.pop(merge_field.tag)
                    merge_field.tag = tag
            for key in (
                "name",
                "required",
                "default_value",
                "public",
                "display_order",
                "help_text",
            ):
                if key in body:
                    setattr(merge_field, key, body[key])
            if "options" in body:
                merge_field.options = {**merge_field.options, **body["options"]}
            return respond(request, merge_field_json(lst, merge_field, api_root(request)))

    async def delete_merge_field(request: Request) -> Response:
        """DELETE /3.0/lists/{list_id}/merge-fields/{merge_id}: values go with it."""
        with store.lock:
            lst, merge_field = _merge_field_of(request)
            del lst.merge_fields[merge_field.merge_id]
            for member in lst.members.values():
                member.merge_fields.pop(merge_field.tag, None)
        return no_content()

    base = "/3.0/lists/{list_id}/merge-fields"
    return [
        Route("/3.0/lists", guarded(ctx, get_lists), methods=["GET"]),
        Route("/3.0/lists", guarded(ctx, create_list), methods=["POST"]),
        Route("/3.0/lists/{list_id}", guarded(ctx, get_one_list), methods=["GET"]),
        Route(base, guarded(ctx, get_merge_fields), methods=["GET"]),
        Route(base, guarded(ctx, create_merge_field), methods=["POST"]),
        Route(base + "/{merge_id}", guarded(ctx, get_merge_field), methods=["GET"]),
        Route(base + "/{merge_id}", guarded(ctx, update_merge_field), methods=["PATCH"]),
        Route(base + "/{merge_id}", guarded(ctx, delete_merge_field), methods=["DELETE"]),
    ]


def _checked_tag(raw: str) -> str:
    """Upper-case the tag (Mailchimp changes tag case: grouparoo updateProfile.ts) and
    enforce the 10-character limit; the error wordings are inferred."""
    tag = raw.strip().upper()
    if len(tag) > MAX_TAG_LENGTH:
        raise problems.invalid_field(
            "tag", f"Merge tags may be at most {MAX_TAG_LENGTH} characters long."
        )
    if not _TAG_CHARACTERS.match(tag):
        raise problems.invalid_field(
            "tag", "Merge tags may contain only letters, numbers and underscores."
        )
    return tag
