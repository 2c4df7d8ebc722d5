"""JSON shapes of Mailchimp resources, as the API returns them."""

from __future__ import annotations

from typing import Any

from erp_sandbox.mailchimp.clock import iso
from erp_sandbox.mailchimp.rules import ADDRESS_PARTS
from erp_sandbox.mailchimp.store import MailingList, Member, MergeField, Segment

SCHEMA_ROOT = "https://us21.api.mailchimp.com/schema/3.0/Definitions"


def link(rel: str, href: str, method: str = "GET", target: str | None = None) -> dict[str, str]:
    """One ``_links`` entry."""
    entry = {"rel": rel, "href": href, "method": method}
    if target:
        entry["targetSchema"] = f"{SCHEMA_ROOT}/{target}"
    return entry


def collection_links(href: str, *, can_create: bool = False) -> list[dict[str, str]]:
    """The links of a collection response."""
    links = [link("self", href)]
    if can_create:
        links.append(link("create", href, "POST"))
    return links


def merge_values(lst: MailingList, member: Member) -> dict[str, Any]:
    """Every list field, ``""`` when unset (recorded traffic, reference "VCR")."""
    values: dict[str, Any] = {}
    for merge_field in lst.ordered_merge_fields():
        value = member.merge_fields.get(merge_field.tag, "")
        if merge_field.type == "address" and isinstance(value, dict):
            value = {part: value.get(part, "") for part in ADDRESS_PARTS}
        values[merge_field.tag] = value
    return values


def member_json(lst: MailingList, member: Member, api_root: str) -> dict[str, Any]:
    """A list member as GET/PUT/PATCH/POST return it."""
    tags = lst.tags_of(member)
    href = f"{api_root}/lists/{lst.id}/members/{member.id}"
    location = {
        "latitude": 0,
        "longitude": 0,
        "gmtoff": 0,
        "dstoff": 0,
        "country_code": "",
        "timezone": "",
    }
    location.update(member.location)
    body: dict[str, Any] = {
        "id": member.id,
        "email_address": member.email_address,
        "unique_email_id": member.unique_email_id,
        "contact_id": member.contact_id,
        "email_type": member.email_type,
        "status": member.status,
        "merge_fields": merge_values(lst, member),
        "interests": dict(member.interests),
        "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
        "ip_signup": member.ip_signup,
        "timestamp_signup": member.timestamp_signup,
        "ip_opt": member.ip_opt,
        "timestamp_opt": member.timestamp_opt,
        "member_rating": member.member_rating,
        "last_changed": iso(member.last_changed),
        "language": member.language,
        "vip": member.vip,
        "email_client": "",
        "location": location,
        "tags_count": len(tags),
        "tags": [{"id": segment.id, "name": segment.name} for segment, _ in tags],
        "list_id": lst.id,
        "_links": [
            link("self", href, "GET", "Lists/Members/Response.json"),
            link(
                "parent",
                f"{api_root}/lists/{lst.id}/members",
                "GET",
                "Lists/Members/CollectionResponse.json",
            ),
            link("update", href, "PATCH", "Lists/Members/Response.json"),
            link("upsert", href, "PUT", "Lists/Members/Response.json"),
            link("delete", href, "DELETE"),
            link("delete_permanent", f"{href}/actions/delete-permanent", "POST"),
            link("tags", f"{href}/tags", "GET"),
        ],
    }
    if member.marketing_permissions:
        body["marketing_permissions"] = list(member.marketing_permissions)
    return body


def merge_field_json(lst: MailingList, merge_field: MergeField, api_root: str) -> dict[str, Any]:
    """A merge field."""
    href = f"{api_root}/lists/{lst.id}/merge-fields/{merge_field.merge_id}"
    return {
        "merge_id": merge_field.merge_id,
        "tag": merge_field.tag,
        "name": merge_field.name,
        "type": merge_field.type,
        "required": merge_field.required,
        "default_value": merge_field.default_value,
        "public": merge_field.public,
        "display_order": merge_field.display_order,
        "options": dict(merge_field.options),
        "help_text": merge_field.help_text,
        "list_id": lst.id,
        "_links": [
            link("self", href),
            link("update", href, "PATCH"),
            link("delete", href, "DELETE"),
        ],
    }


def list_json(lst: MailingList, api_root: str) -> dict[str, Any]:
    """An audience with its statistics."""
    counts = {status: 0 for status in ("subscribed", "unsubscribed", "cleaned")}
    for member in lst.members.values():
        if member.status in counts:
            counts[member.status] += 1
    href = f"{api_root}/lists/{lst.id}"
    return {
        "id": lst.id,
        "web_id": lst.web_id,
        "name": lst.name,
        "contact": dict(lst.contact),
        "permission_reminder": lst.permission_reminder,
        "use_archive_bar": lst.use_archive_bar,
        "campaign_defaults": dict(lst.campaign_defaults),
        "notify_on_subscribe": lst.notify_on_subscribe,
        "notify_on_unsubscribe": lst.notify_on_unsubscribe,
        "date_created": iso(lst.date_created),
        "list_rating": 0,
        "email_type_option": lst.email_type_option,
        "subscribe_url_short": f"https://eepurl.com/{lst.id}",
        "subscribe_url_long": f"https://erp-sandbox.us21.list-manage.com/subscribe?id={lst.id}",
        "beamer_address": f"{lst.id}@inbound.mailchimp.com",
        "visibility": lst.visibility,
        "double_optin": lst.double_optin,
        "has_welcome": False,
        "marketing_permissions": lst.marketing_permissions,
        "modules": [],
        "stats": {
            "member_count": counts["subscribed"],
            "total_contacts": len(lst.members),
            "unsubscribe_count": counts["unsubscribed"],
            "cleaned_count": counts["cleaned"],
            "member_count_since_send": counts["subscribed"],
            "unsubscribe_count_since_send": counts["unsubscribed"],
            "cleaned_count_since_send": counts["cleaned"],
            "campaign_count": 0,
            "campaign_last_sent": "",
            "merge_field_count": len(lst.merge_fields),
            "avg_sub_rate": 0,
            "avg_unsub_rate": 0,
            "target_sub_rate": 0,
            "open_rate": 0,
            "click_rate": 0,
            "last_sub_date": "",
            "last_unsub_date": "",
        },
        "_links": [
            link("self", href),
            link("members", f"{href}/members"),
            link("merge-fields", f"{href}/merge-fields"),
            link("segments", f"{href}/segments"),
        ],
    }


#: Statuses counted in a segment's ``member_count`` unless asked otherwise (inferred from
#: the ``include_cleaned``/``include_unsubscribed``/``include_transactional`` parameters).
COUNTED_BY_DEFAULT = frozenset({"subscribed"})


def segment_member_count(
    lst: MailingList, segment: Segment, counted: frozenset[str] = COUNTED_BY_DEFAULT
) -> int:
    """Members of the segment whose status is counted."""
    total = 0
    for contact_id in segment.members:
        member = lst.member_by_contact(contact_id)
        if member is not None and member.status in counted:
            total += 1
    return total


def segment_json(
    lst: MailingList, segment: Segment, api_root: str, counted: frozenset[str] = COUNTED_BY_DEFAULT
) -> dict[str, Any]:
    """A segment (a tag when static)."""
    href = f"{api_root}/lists/{lst.id}/segments/{segment.id}"
    body: dict[str, Any] = {
        "id": segment.id,
        "name": segment.name,
        "member_count": segment_member_count(lst, segment, counted),
        "type": segment.type,
        "created_at": iso(segment.created_at),
        "updated_at": iso(segment.updated_at),
        "list_id": lst.id,
        "_links": [link("self", href), link("members", f"{href}/members")],
    }
    if segment.options is not None:
        body["options"] = segment.options
    return body


def select_fields(data: Any, fields: list[str] | None, exclude: list[str] | None) -> Any:
    """Apply Mailchimp's ``fields``/``exclude_fields`` (dotted paths; arrays are walked)."""
    if fields:
        data = _keep(data, _tree(fields))
    if exclude:
        data = _drop(data, _tree(exclude))
    return data


def _tree(paths: list[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in path.strip().split("."):
            if part:
                node = node.setdefault(part, {})
    return tree


def _keep(data: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return data
    if isinstance(data, list):
        return [_keep(item, tree) for item in data]
    if isinstance(data, dict):
        return {key: _keep(data[key], sub) for key, sub in tree.items() if key in data}
    return data


def _drop(data: Any, tree: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_drop(item, tree) for item in data]
    if not isinstance(data, dict):
        return data
    result = {}
    for key, value in data.items():
        if key not in tree:
            result[key] = value
        elif tree[key]:
            result[key] = _drop(value, tree[key])
    return result
