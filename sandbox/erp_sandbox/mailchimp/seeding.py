"""Putting state straight into the store, bypassing Mailchimp's rules.

Tests use it for situations the API would refuse to create, such as unsubscribed,
cleaned or archived members and permanently deleted ("forgotten") addresses. The same
document shape is accepted by ``POST /_sandbox/seed``, ``emu.seed()`` and
``erp-sandbox serve --seed-file``.
"""

from __future__ import annotations

from typing import Any

from erp_sandbox.mailchimp.clock import iso, parse_iso
from erp_sandbox.mailchimp.store import MEMBER_STATUSES, MailchimpStore, MailingList

LIST_ATTRIBUTES = (
    "contact",
    "permission_reminder",
    "campaign_defaults",
    "email_type_option",
    "double_optin",
    "visibility",
    "use_archive_bar",
    "marketing_permissions",
)
MEMBER_ATTRIBUTES = (
    "email_type",
    "interests",
    "language",
    "vip",
    "location",
    "ip_signup",
    "timestamp_signup",
    "ip_opt",
    "timestamp_opt",
    "member_rating",
)
MERGE_FIELD_ATTRIBUTES = (
    "required",
    "default_value",
    "public",
    "display_order",
    "options",
    "help_text",
)


def apply_seed(store: MailchimpStore, document: dict[str, Any]) -> dict[str, Any]:
    """Apply a seed document; returns what it created.

    ``{"lists": [{"id", "name", "merge_fields": [{tag, name, type, …}], "tags": [name],
    "members": [{"email_address", "status", "merge_fields", "tags", "last_changed", …}],
    "forgotten": [email]}], "ecommerce": {…}}``. A list whose id exists is extended.
    Member ``status`` may be any Mailchimp status or ``forgotten``.
    """
    summary: dict[str, Any] = {"lists": [], "members": 0, "forgotten": 0}
    with store.lock:
        if document.get("reset"):
            store.reset(default_list=document.get("keep_default_list", True))
        for spec in document.get("lists", []):
            lst = _list(store, spec)
            summary["lists"].append(lst.id)
            for merge_spec in spec.get("merge_fields", []):
                _merge_field(store, lst, merge_spec)
            for name in spec.get("tags", []):
                if lst.static_segment_by_name(name) is None:
                    store.create_segment(lst, name)
            for member_spec in spec.get("members", []):
                if member_spec.get("status") == "forgotten":
                    lst.forgotten.add(member_spec["email_address"].lower())
                    summary["forgotten"] += 1
                else:
                    _member(store, lst, member_spec)
                    summary["members"] += 1
            for email in spec.get("forgotten", []):
                lst.forgotten.add(email.lower())
                summary["forgotten"] += 1
        if document.get("ecommerce"):
            from erp_sandbox.mailchimp.ecommerce_store import seed_ecommerce

            summary["ecommerce"] = seed_ecommerce(store, document["ecommerce"])
    return summary


def _list(store: MailchimpStore, spec: dict[str, Any]) -> MailingList:
    existing = store.lists.get(spec.get("id", ""))
    if existing is not None:
        lst = existing
        if "name" in spec:
            lst.name = spec["name"]
    else:
        lst = store.create_list(spec.get("id"), spec.get("name", "Seeded Audience"))
    for key in LIST_ATTRIBUTES:
        if key in spec:
            setattr(lst, key, spec[key])
    return lst


def _merge_field(store: MailchimpStore, lst: MailingList, spec: dict[str, Any]) -> None:
    tag = str(spec["tag"]).upper()
    attributes = {k: spec[k] for k in MERGE_FIELD_ATTRIBUTES if k in spec}
    existing = lst.merge_field_by_tag(tag)
    if existing is not None:
        existing.name = spec.get("name", existing.name)
        existing.type = spec.get("type", existing.type)
        for key, value in attributes.items():
            setattr(existing, key, value)
        return
    store.add_merge_field(
        lst, tag, spec.get("name", tag.title()), spec.get("type", "text"), **attributes
    )


def _member(store: MailchimpStore, lst: MailingList, spec: dict[str, Any]) -> None:
    email = spec["email_address"]
    status = spec.get("status", "subscribed")
    if status not in MEMBER_STATUSES:
        raise ValueError(f"unknown member status {status!r} for {email}")
    member = lst.find_member(email) or store.new_member(lst, email, status)
    member.status = status
    for key in MEMBER_ATTRIBUTES:
        if key in spec:
            setattr(member, key, spec[key])
    if status == "subscribed" and not member.timestamp_opt:
        member.timestamp_opt = iso(store.now())
    member.merge_fields.update(
        {str(tag).upper(): value for tag, value in spec.get("merge_fields", {}).items()}
    )
    for name in spec.get("tags", []):
        store.add_tag(lst, member, name)
    member.last_changed = parse_iso(spec["last_changed"]) if "last_changed" in spec else store.now()
