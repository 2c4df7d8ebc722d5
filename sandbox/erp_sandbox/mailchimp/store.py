"""In-memory state of the emulated Mailchimp account.

Tags are static segments in Mailchimp, so the store keeps one record of who carries
which tag: :class:`Segment` membership. A member's ``tags`` and the list's static
segments are two views of it and cannot disagree.

Every read or write of the state happens under ``store.lock`` (a re-entrant lock), so
concurrent requests and a test thread poking at the store stay consistent.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from erp_sandbox.mailchimp.clock import Clock, iso
from erp_sandbox.mailchimp.grouped import GroupedDict
from erp_sandbox.mailchimp.settings import DEFAULT_LIST_ID

if TYPE_CHECKING:
    from erp_sandbox.mailchimp.ecommerce_store import EcommerceStore

#: Statuses a member can have; ``archived`` only results from DELETE.
MEMBER_STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived")

#: Merge fields a new audience has (mailchimp.com/developer/marketing/docs/merge-fields/).
DEFAULT_MERGE_FIELDS = (
    ("FNAME", "First Name", "text"),
    ("LNAME", "Last Name", "text"),
    ("ADDRESS", "Address", "address"),
    ("PHONE", "Phone Number", "phone"),
)


def subscriber_hash(email: str) -> str:
    """``md5(lowercase(email))``, the member id Mailchimp uses in paths."""
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def _short_hex(*parts: str, length: int = 10) -> str:
    digest = hashlib.sha1(":".join(parts).encode(), usedforsecurity=False).hexdigest()
    return digest[:length]


@dataclass
class MergeField:
    """An audience field (merge field)."""

    merge_id: int
    tag: str
    name: str
    type: str
    required: bool = False
    default_value: str = ""
    public: bool = True
    display_order: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    help_text: str = ""


@dataclass
class Member:
    """A contact on one list; ``contact_id`` never changes, ``id`` follows the email."""

    list_id: str
    contact_id: str
    email_address: str
    status: str
    unique_email_id: str
    web_id: int
    last_changed: datetime
    email_type: str = "html"
    merge_fields: dict[str, Any] = field(default_factory=dict)
    interests: dict[str, bool] = field(default_factory=dict)
    language: str = ""
    vip: bool = False
    location: dict[str, float] = field(default_factory=dict)
    marketing_permissions: list[dict[str, Any]] = field(default_factory=list)
    ip_signup: str = ""
    timestamp_signup: str = ""
    ip_opt: str = ""
    timestamp_opt: str = ""
    member_rating: int = 2

    @property
    def id(self) -> str:
        """The subscriber hash."""
        return subscriber_hash(self.email_address)


@dataclass
class Segment:
    """A segment; static segments are the list's tags."""

    id: int
    name: str
    type: str
    created_at: datetime
    updated_at: datetime
    members: dict[str, datetime] = field(default_factory=dict)
    options: dict[str, Any] | None = None


def _contact_of(member: Member) -> str:
    return member.contact_id


@dataclass
class MailingList:
    """An audience with its fields, members, segments and forgotten addresses."""

    id: str
    name: str
    web_id: int
    date_created: datetime
    contact: dict[str, str] = field(default_factory=dict)
    permission_reminder: str = "You signed up on our website."
    campaign_defaults: dict[str, str] = field(default_factory=dict)
    email_type_option: bool = False
    double_optin: bool = False
    visibility: str = "pub"
    use_archive_bar: bool = False
    notify_on_subscribe: str = ""
    notify_on_unsubscribe: str = ""
    marketing_permissions: bool = False
    merge_fields: dict[int, MergeField] = field(default_factory=dict)
    # Grouped by `contact_id` (fixed for a member, unique in a list): tags hold contact ids.
    members: GroupedDict[Member] = field(default_factory=lambda: GroupedDict(_contact_of))
    segments: dict[int, Segment] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)

    def merge_field_by_tag(self, tag: str) -> MergeField | None:
        """The field with this tag (case-insensitive)."""
        wanted = tag.upper()
        return next((f for f in self.merge_fields.values() if f.tag == wanted), None)

    def ordered_merge_fields(self) -> list[MergeField]:
        """Fields in display order."""
        return sorted(self.merge_fields.values(), key=lambda f: (f.display_order, f.merge_id))

    def find_member(self, key: str) -> Member | None:
        """Look a member up by subscriber hash, email address or contact_id."""
        if "@" in key:
            return self.members.get(subscriber_hash(key))
        found = self.members.get(key.lower())
        if found is not None:
            return found
        return self.member_by_contact(key)

    def member_by_contact(self, contact_id: str) -> Member | None:
        """The member with this internal contact id."""
        return next(iter(self.members.group(contact_id)), None)

    def static_segment_by_name(self, name: str) -> Segment | None:
        """The tag (static segment) with this name."""
        return next(
            (s for s in self.segments.values() if s.type == "static" and s.name == name), None
        )

    def tags_of(self, member: Member) -> list[tuple[Segment, datetime]]:
        """The member's tags with the time each was added, oldest first."""
        tags = [
            (segment, segment.members[member.contact_id])
            for segment in self.segments.values()
            if segment.type == "static" and member.contact_id in segment.members
        ]
        return sorted(tags, key=lambda pair: (pair[1], pair[0].id))


class MailchimpStore:
    """All lists, members and e-commerce data of the emulated account."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.lists: dict[str, MailingList] = {}
        #: Double opt-in confirmation emails Mailchimp would have sent.
        self.opt_in_emails: list[dict[str, str]] = []
        #: Automations (tag, e-commerce) Mailchimp would have triggered.
        self.automations: list[dict[str, Any]] = []
        #: E-commerce stores by id (see ecommerce_store.py).
        self.ecommerce: dict[str, EcommerceStore] = {}
        self._counter = itertools.count(1)
        self.reset()

    def reset(self, *, default_list: bool = True) -> None:
        """Forget everything; recreate the default list unless told not to."""
        with self.lock:
            self.lists.clear()
            self.opt_in_emails.clear()
            self.automations.clear()
            self.ecommerce.clear()
            self._counter = itertools.count(1)
            if default_list:
                self.create_list(DEFAULT_LIST_ID, "Sandbox Audience")

    def next_id(self) -> int:
        """A fresh positive integer (web ids, segment ids)."""
        with self.lock:
            return next(self._counter)

    def now(self) -> datetime:
        """The store clock's current time."""
        return self.clock.now()

    # --- lists and merge fields ---------------------------------------------------------

    def create_list(self, list_id: str | None, name: str, **attributes: Any) -> MailingList:
        """Add a list with the default merge fields."""
        with self.lock:
            list_id = list_id or _short_hex("list", name, str(self.next_id()))
            if list_id in self.lists:
                raise ValueError(f"list {list_id} already exists")
            lst = MailingList(
                id=list_id,
                name=name,
                web_id=self.next_id(),
                date_created=self.now(),
                contact=attributes.pop("contact", None)
                or {
                    "company": "ERP Sandbox",
                    "address1": "1 Sandbox Way",
                    "address2": "",
                    "city": "Atlanta",
                    "state": "GA",
                    "zip": "30308",
                    "country": "US",
                    "phone": "",
                },
                campaign_defaults=attributes.pop("campaign_defaults", None)
                or {
                    "from_name": "ERP Sandbox",
                    "from_email": "owner@erp-sandbox.dev",
                    "subject": "",
                    "language": "en",
                },
            )
            for key, value in attributes.items():
                if not hasattr(lst, key):
                    raise ValueError(f"unknown list attribute {key!r}")
                setattr(lst, key, value)
            for order, (tag, label, kind) in enumerate(DEFAULT_MERGE_FIELDS, start=1):
                options: dict[str, Any] = {}
                if kind == "address":
                    options = {"default_country": 164}
                elif kind == "phone":
                    options = {"phone_format": "none"}
                lst.merge_fields[order] = MergeField(
                    merge_id=order,
                    tag=tag,
                    name=label,
                    type=kind,
                    display_order=order,
                    options=options,
                )
            self.lists[list_id] = lst
            return lst

    def add_merge_field(
        self, lst: MailingList, tag: str, name: str, kind: str, **attributes: Any
    ) -> MergeField:
        """Add a merge field with the next free merge id."""
        with self.lock:
            merge_id = max(lst.merge_fields, default=0) + 1
            display_order = max((f.display_order for f in lst.merge_fields.values()), default=0) + 1
            merge_field = MergeField(
                merge_id=merge_id,
                tag=tag.upper(),
                name=name,
                type=kind,
                display_order=display_order,
            )
            for key, value in attributes.items():
                setattr(merge_field, key, value)
            lst.merge_fields[merge_id] = merge_field
            return merge_field

    @staticmethod
    def next_merge_tag(lst: MailingList) -> str:
        """Mailchimp's automatic tag for a field created without one: ``MMERGE<n>``."""
        return f"MMERGE{max(lst.merge_fields, default=0) + 1}"

    # --- members ------------------------------------------------------------------------

    def new_member(self, lst: MailingList, email: str, status: str) -> Member:
        """Create and store a member (no rules applied; callers check them)."""
        with self.lock:
            contact_id = _short_hex("contact", lst.id, email.lower(), length=32)
            member = Member(
                list_id=lst.id,
                contact_id=contact_id,
                email_address=email,
                status=status,
                unique_email_id=_short_hex("unique", lst.id, email.lower()),
                web_id=self.next_id(),
                last_changed=self.now(),
            )
            lst.members[member.id] = member
            return member

    def rekey_member(self, lst: MailingList, member: Member, new_email: str) -> None:
        """Change a member's address; its subscriber hash and ``unique_email_id`` ("an
        identifier for the address", SPEC) change with it, its ``contact_id`` stays."""
        with self.lock:
            del lst.members[member.id]
            member.email_address = new_email
            member.unique_email_id = _short_hex("unique", lst.id, new_email.lower())
            lst.members[member.id] = member

    def forget_member(self, lst: MailingList, member: Member) -> None:
        """Permanently delete: drop the member and its tags, remember the address."""
        with self.lock:
            del lst.members[member.id]
            for segment in lst.segments.values():
                segment.members.pop(member.contact_id, None)
            lst.forgotten.add(member.email_address.lower())

    def touch(self, member: Member) -> None:
        """Record a change to the member now."""
        member.last_changed = self.now()

    # --- tags and segments --------------------------------------------------------------

    def create_segment(
        self,
        lst: MailingList,
        name: str,
        kind: str = "static",
        options: dict[str, Any] | None = None,
    ) -> Segment:
        """Add a segment (a tag when static)."""
        with self.lock:
            now = self.now()
            segment = Segment(
                id=self.next_id() + 1000,
                name=name,
                type=kind,
                created_at=now,
                updated_at=now,
                options=options,
            )
            lst.segments[segment.id] = segment
            return segment

    def add_tag(self, lst: MailingList, member: Member, name: str) -> bool:
        """Give the member the tag, creating it if needed; False if it already had it."""
        with self.lock:
            segment = lst.static_segment_by_name(name) or self.create_segment(lst, name)
            return self.add_to_segment(segment, member)

    def add_to_segment(self, segment: Segment, member: Member) -> bool:
        """Put the member in a static segment; False if already there."""
        with self.lock:
            if member.contact_id in segment.members:
                return False
            segment.members[member.contact_id] = self.now()
            segment.updated_at = self.now()
            return True

    def remove_from_segment(self, segment: Segment, member: Member) -> bool:
        """Take the member out of a static segment; False if it was not there."""
        with self.lock:
            if segment.members.pop(member.contact_id, None) is None:
                return False
            segment.updated_at = self.now()
            return True

    def remove_tag(self, lst: MailingList, member: Member, name: str) -> bool:
        """Take the tag off the member; False if it did not carry it."""
        with self.lock:
            segment = lst.static_segment_by_name(name)
            return segment is not None and self.remove_from_segment(segment, member)

    # --- side effects -------------------------------------------------------------------

    def record_opt_in_email(self, lst: MailingList, member: Member) -> None:
        """Note the confirmation email Mailchimp sends when a member becomes pending."""
        self.opt_in_emails.append(
            {"list_id": lst.id, "email_address": member.email_address, "at": iso(self.now())}
        )

    def record_automation(self, trigger: str, **details: Any) -> None:
        """Note an automation Mailchimp would have fired."""
        self.automations.append({"trigger": trigger, **details, "at": iso(self.now())})
