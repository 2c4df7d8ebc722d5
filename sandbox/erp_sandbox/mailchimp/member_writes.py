"""Creating, updating, archiving and deleting list members under Mailchimp's rules.

Single-member endpoints raise :class:`~erp_sandbox.mailchimp.problems.ProblemError`; batch
subscribe turns the same problems into entries of its ``errors`` array.

Writes emit list-webhook events with source ``api`` (delivered after the request by
:func:`~erp_sandbox.mailchimp.responding.guarded`): ``subscribe`` when a member becomes
subscribed (new, archived, pending or transactional before), ``unsubscribe`` (action
``unsub``, reason ``manual``) when an existing member becomes unsubscribed, ``upemail``
when PATCH changes the address, ``profile`` when an existing member's merge fields or
email type change without it becoming subscribed. Archiving (DELETE) or permanently
deleting a member that was not archived emits ``unsubscribe`` with action ``delete``
(inferred: Mailchimp documents the ``delete`` action, not what triggers it).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.clock import iso
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.list_webhooks import (
    profile_event,
    subscribe_event,
    unsubscribe_event,
    upemail_event,
)
from erp_sandbox.mailchimp.problems import ProblemError
from erp_sandbox.mailchimp.rules import blocks_subscribe, check_merge_fields, is_valid_email
from erp_sandbox.mailchimp.store import MailingList, Member, subscriber_hash

#: Member attributes a request may set directly.
PLAIN_ATTRIBUTES = (
    "email_type",
    "language",
    "vip",
    "ip_signup",
    "timestamp_signup",
    "ip_opt",
    "timestamp_opt",
    "marketing_permissions",
)
MAX_BATCH_MEMBERS = 500
CONTACT_EXISTS = "ERROR_CONTACT_EXISTS"
GENERIC = "ERROR_GENERIC"


def contact_exists_message(email: str) -> str:
    """The batch error for an existing member without ``update_existing``."""
    return (
        f"{email} is already a list member, do you want to update? "
        "please provide update_existing:true in the request body"
    )


def _profile(member: Member) -> tuple[Any, ...]:
    """What a ``profile`` webhook event reports a change of."""
    return (repr(sorted(member.merge_fields.items())), member.email_type)


def _fingerprint(lst: MailingList, member: Member) -> tuple[Any, ...]:
    state = asdict(member)
    state.pop("last_changed")
    tags = tuple(segment.id for segment, _ in lst.tags_of(member))
    return (repr(sorted(state.items())), tags)


class MemberWrites:
    """The member operations of one emulator."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.hooks = ctx.list_webhooks

    def _announce(
        self,
        lst: MailingList,
        member: Member,
        previous_status: str | None,
        previous_profile: tuple[Any, ...] | None,
    ) -> None:
        """Emit the list-webhook events of an API write; ``previous_status`` is None for
        a member that is new (or was archived)."""
        now = self.store.now()
        if member.status == "subscribed" and previous_status != "subscribed":
            self.hooks.emit(subscribe_event(lst, member, source="api", at=now))
            return
        if member.status == "unsubscribed" and previous_status not in (None, "unsubscribed"):
            self.hooks.emit(unsubscribe_event(lst, member, source="api", at=now))
        if previous_profile is not None and _profile(member) != previous_profile:
            self.hooks.emit(profile_event(lst, member, source="api", at=now))

    # --- shared checks ------------------------------------------------------------------

    def _check_address_for_new_member(self, lst: MailingList, email: str) -> None:
        """Syntax, forgotten (permanently deleted) and fake-looking addresses."""
        if not is_valid_email(email):
            raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
        if email.lower() in lst.forgotten:
            raise problems.forgotten_email(email)
        if self.ctx.settings.fake_emails.is_fake(email):
            raise problems.invalid_resource(problems.fake_email_detail(email))

    def _merge_fields(
        self, lst: MailingList, member_values: dict[str, Any], given: Any, scope: str
    ) -> dict[str, Any]:
        check = check_merge_fields(
            lst,
            given,
            current=member_values,
            required_scope=scope,
            unknown_policy=self.ctx.settings.unknown_merge_fields,
        )
        if check.schema_errors:
            raise problems.schema_invalid(check.schema_errors)
        if check.field_errors:
            raise problems.invalid_resource(
                problems.MERGE_FIELDS_INVALID_DETAIL, check.field_errors
            )
        return check.values

    @staticmethod
    def _check_interests(given: Any) -> None:
        # The emulator has no interest categories, so every interest id is unknown
        # (message inferred).
        for interest_id in given or {}:
            raise problems.invalid_resource(f"Invalid interest ID: '{interest_id}'.")

    def _set_status(self, lst: MailingList, member: Member, status: str, *, is_new: bool) -> None:
        """Apply a status under the compliance rule; pending sends an opt-in email."""
        previous = None if is_new else member.status
        if previous is not None and blocks_subscribe(previous, status):
            raise problems.compliance_state(member.email_address)
        if status == previous:
            return
        member.status = status
        if status == "subscribed" and not member.timestamp_opt:
            member.timestamp_opt = iso(self.store.now())
        if status == "pending":
            self.store.record_opt_in_email(lst, member)

    def _apply_attributes(self, member: Member, body: dict[str, Any]) -> None:
        for name in PLAIN_ATTRIBUTES:
            if name in body:
                setattr(member, name, body[name])
        if "location" in body and isinstance(body["location"], dict):
            member.location = {
                k: body["location"][k] for k in ("latitude", "longitude") if k in body["location"]
            }

    def _add_tags(
        self, lst: MailingList, member: Member, names: Any, *, is_syncing: bool = False
    ) -> None:
        for name in names or []:
            if self.store.add_tag(lst, member, str(name)) and not is_syncing:
                self.store.record_automation(
                    "tag_added", list_id=lst.id, email_address=member.email_address, tag=name
                )

    def _write(
        self,
        lst: MailingList,
        member: Member | None,
        body: dict[str, Any],
        *,
        email: str,
        status: str | None,
        scope: str,
        tags: Any = None,
        is_syncing: bool = False,
        announce: bool = True,
    ) -> Member:
        """Validate everything, then change state; nothing changes if a check fails.
        ``announce`` emits the webhook events (callers that change more announce later)."""
        is_new = member is None or member.status == "archived"
        current_values = dict(member.merge_fields) if member is not None else {}
        values = self._merge_fields(lst, current_values, body.get("merge_fields"), scope)
        self._check_interests(body.get("interests"))
        if (
            member is not None
            and status is not None
            and not is_new
            and blocks_subscribe(member.status, status)
        ):
            raise problems.compliance_state(member.email_address)
        with self.store.lock:
            before = _fingerprint(lst, member) if member is not None else None
            previous_status = None if is_new or member is None else member.status
            previous_profile = (
                None if previous_status is None or member is None else _profile(member)
            )
            if member is None:
                assert status is not None  # noqa: S101 - callers require a status for new
                member = self.store.new_member(lst, email, status)
                self._set_status(lst, member, status, is_new=True)
            elif status is not None:
                self._set_status(lst, member, status, is_new=is_new)
            member.merge_fields = values
            self._apply_attributes(member, body)
            self._add_tags(lst, member, tags, is_syncing=is_syncing)
            if before is None or _fingerprint(lst, member) != before:
                self.store.touch(member)
            if announce:
                self._announce(lst, member, previous_status, previous_profile)
            return member

    def _update(
        self,
        lst: MailingList,
        member: Member,
        body: dict[str, Any],
        *,
        scope: str,
        announce: bool = True,
    ) -> Member:
        """Write ``body`` onto an existing member: its address stays, its status changes
        only if ``status`` is sent."""
        return self._write(
            lst,
            member,
            body,
            email=member.email_address,
            status=body.get("status"),
            scope=scope,
            announce=announce,
        )

    # --- single-member endpoints --------------------------------------------------------

    def create(
        self, lst: MailingList, body: dict[str, Any], *, skip_merge_validation: bool
    ) -> Member:
        """POST /lists/{id}/members: add a new member; 400 Member Exists otherwise."""
        email = body["email_address"]
        if not is_valid_email(email):
            raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
        existing = lst.find_member(email)
        if existing is not None and existing.status != "archived":
            raise problems.member_exists(email)
        self._check_address_for_new_member(lst, email)
        return self._write(
            lst,
            existing,
            body,
            email=email,
            status=body["status"],
            scope="none" if skip_merge_validation else "all",
            tags=body.get("tags"),
        )

    def upsert(
        self, lst: MailingList, key: str, body: dict[str, Any], *, skip_merge_validation: bool
    ) -> Member:
        """PUT /lists/{id}/members/{hash}: ``status_if_new`` on create, ``status`` always."""
        member = lst.find_member(key)
        email = body.get("email_address")
        scope = "none" if skip_merge_validation else "all"
        if email is not None and not is_valid_email(email):
            raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
        if member is None or member.status == "archived":
            if email is None:
                raise problems.schema_invalid(
                    [{"field": "", "message": "Required fields were not provided: email_address"}]
                )
            self._check_key_matches(key, email)
            status = body.get("status") or body.get("status_if_new")
            if status is None:
                raise problems.schema_invalid(
                    [{"field": "", "message": "Required fields were not provided: status_if_new"}]
                )
            self._check_address_for_new_member(lst, email)
            return self._write(lst, member, body, email=email, status=status, scope=scope)
        if email is not None:
            self._check_key_matches(member.id, email)
        return self._update(lst, member, body, scope=scope)

    @staticmethod
    def _check_key_matches(key: str, email: str) -> None:
        # A subscriber hash for one address with a body for another would store the member
        # under a hash nobody asked for; Mailchimp's wording is not recorded (inferred).
        if "@" in key:
            matches = key.lower() == email.lower()
        else:
            matches = key.lower() == subscriber_hash(email) or len(key) != 32
        if not matches:
            raise problems.invalid_field(
                "email_address", "The email address does not match the subscriber hash."
            )

    def update(
        self, lst: MailingList, key: str, body: dict[str, Any], *, skip_merge_validation: bool
    ) -> Member:
        """PATCH /lists/{id}/members/{hash}; a new ``email_address`` re-keys the member,
        which Mailchimp allows only for subscribed members."""
        member = lst.find_member(key)
        if member is None:
            raise problems.resource_not_found()
        new_email = body.get("email_address")
        if new_email is not None and new_email.lower() != member.email_address.lower():
            if member.status != "subscribed":
                raise problems.email_change_refused(member.status)
            if not is_valid_email(new_email):
                raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
            if lst.find_member(new_email) is not None:
                raise problems.member_exists(new_email)
            self._check_address_for_new_member(lst, new_email)
        scope = "none" if skip_merge_validation else "given"
        with self.store.lock:
            previous_status = None if member.status == "archived" else member.status
            previous_profile = None if previous_status is None else _profile(member)
            updated = self._update(lst, member, body, scope=scope, announce=False)
            if new_email is not None and new_email != updated.email_address:
                old_email = updated.email_address
                self.store.rekey_member(lst, updated, new_email)
                self.store.touch(updated)
                if old_email.lower() != new_email.lower():
                    self.hooks.emit(
                        upemail_event(lst, updated, old_email, source="api", at=self.store.now())
                    )
            self._announce(lst, updated, previous_status, previous_profile)
            return updated

    def archive(self, lst: MailingList, key: str) -> None:
        """DELETE /lists/{id}/members/{hash}: the member becomes ``archived``."""
        member = lst.find_member(key)
        if member is None:
            raise problems.resource_not_found()
        with self.store.lock:
            if member.status != "archived":
                member.status = "archived"
                self.store.touch(member)
                self._announce_deletion(lst, member)

    def _announce_deletion(self, lst: MailingList, member: Member) -> None:
        self.hooks.emit(
            unsubscribe_event(lst, member, source="api", at=self.store.now(), action="delete")
        )

    def delete_permanently(self, lst: MailingList, key: str) -> None:
        """POST …/actions/delete-permanent: forget the member and its address."""
        member = lst.find_member(key)
        if member is None:
            raise problems.resource_not_found()
        with self.store.lock:
            if member.status != "archived":
                self._announce_deletion(lst, member)
            self.store.forget_member(lst, member)

    def set_tags(
        self, lst: MailingList, key: str, tags: list[dict[str, Any]], *, is_syncing: bool
    ) -> None:
        """POST …/members/{hash}/tags: add active tags (creating them), drop inactive ones."""
        member = lst.find_member(key)
        if member is None:
            raise problems.resource_not_found()
        with self.store.lock:
            before = _fingerprint(lst, member)
            for tag in tags:
                name = str(tag["name"])
                if tag["status"] == "active":
                    self._add_tags(lst, member, [name], is_syncing=is_syncing)
                else:
                    self.store.remove_tag(lst, member, name)
            if _fingerprint(lst, member) != before:
                self.store.touch(member)

    # --- batch subscribe ----------------------------------------------------------------

    def batch(
        self,
        lst: MailingList,
        body: dict[str, Any],
        *,
        skip_merge_validation: bool,
        skip_duplicate_check: bool,
    ) -> dict[str, list[Any]]:
        """POST /lists/{id}: per-member results; a bad member never fails the batch."""
        members = body["members"]
        if len(members) > MAX_BATCH_MEMBERS:
            raise problems.schema_invalid(
                [
                    {
                        "field": "members",
                        "message": f"You may only add or update up to {MAX_BATCH_MEMBERS} "
                        "members per request.",
                    }
                ]
            )
        update_existing = bool(body.get("update_existing"))
        sync_tags = bool(body.get("sync_tags")) and update_existing
        result: dict[str, list[Any]] = {"new_members": [], "updated_members": [], "errors": []}
        seen: set[str] = set()
        scope = "none" if skip_merge_validation else "all"
        for item in members:
            email = str(item.get("email_address", ""))
            if email.lower() in seen:
                if not skip_duplicate_check:
                    result["errors"].append(
                        _batch_error(email, f"{email} is a duplicate in this request.", GENERIC)
                    )
                continue
            seen.add(email.lower())
            try:
                self._batch_one(
                    lst,
                    item,
                    email,
                    result,
                    update_existing=update_existing,
                    sync_tags=sync_tags,
                    scope=scope,
                )
            except ProblemError as problem:
                result["errors"].append(_batch_error_from(email, problem))
        return result

    def _batch_one(
        self,
        lst: MailingList,
        item: dict[str, Any],
        email: str,
        result: dict[str, list[Any]],
        *,
        update_existing: bool,
        sync_tags: bool,
        scope: str,
    ) -> None:
        if not is_valid_email(email):
            raise problems.invalid_resource(problems.INVALID_EMAIL_DETAIL)
        existing = lst.find_member(email)
        if existing is not None and existing.status != "archived":
            if not update_existing:
                result["errors"].append(
                    _batch_error(email, contact_exists_message(email), CONTACT_EXISTS)
                )
                return
            with self.store.lock:
                member = self._update(lst, existing, item, scope=scope)
                self._apply_batch_tags(lst, member, item, sync_tags=sync_tags)
            result["updated_members"].append(member)
            return
        status = item.get("status") or item.get("status_if_new")
        if status is None:
            raise problems.schema_invalid(
                [{"field": "status", "message": "Required fields were not provided: status"}]
            )
        self._check_address_for_new_member(lst, email)
        member = self._write(
            lst, existing, item, email=email, status=status, scope=scope, tags=item.get("tags")
        )
        result["new_members"].append(member)

    def _apply_batch_tags(
        self, lst: MailingList, member: Member, item: dict[str, Any], *, sync_tags: bool
    ) -> None:
        wanted = [str(name) for name in item.get("tags") or []]
        before = _fingerprint(lst, member)
        if sync_tags:
            # "replace all existing tags with tags in request"; a member sent without
            # tags ends with none (inferred).
            for segment, _ in lst.tags_of(member):
                if segment.name not in wanted:
                    self.store.remove_from_segment(segment, member)
        self._add_tags(lst, member, wanted)
        if _fingerprint(lst, member) != before:
            self.store.touch(member)


def _batch_error(
    email: str, message: str, code: str, field: str = "", field_message: str = ""
) -> dict[str, str]:
    return {
        "email_address": email,
        "error": message,
        "error_code": code,
        "field": field,
        "field_message": field_message,
    }


def _batch_error_from(email: str, problem: ProblemError) -> dict[str, str]:
    first = (problem.errors or [{}])[0]
    return _batch_error(
        email, problem.detail, GENERIC, first.get("field", ""), first.get("message", "")
    )
