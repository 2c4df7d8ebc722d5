"""List webhooks: what Mailchimp keeps per audience and the form posts it sends (reference
section 6).

A webhook is ``{"url", "events": {subscribe, unsubscribe, profile, cleaned, upemail,
campaign}, "sources": {user, admin, api}}`` (SPEC). Creating one makes Mailchimp GET the
URL with User-Agent ``MailChimp.com WebHook Validator``; anything but 200 refuses the
webhook with 400 "We couldn't verify the URL is working. Please double check and try
again. HTTP Code: N" (mailchimp/mailchimp-client-lib-codegen#11, PipedreamHQ/pipedream
#1289, veda-consulting uk.co.vedaconsulting.mailchimp#136). Events are form-encoded POSTs,
User-Agent ``MailChimp.com``, body ``type=…&fired_at=YYYY-MM-DD HH:MM:SS&data[…]=…``
(fired_at in UTC), sent only to the webhooks of the list whose ``events[type]`` and
``sources[source]`` are both on. Audience webhooks are not signed.

Events are built while the store lock is held (the member as it is right then) and put in
the *outbox* of the request or call that made them (:meth:`ListWebhooks.collecting`);
they are delivered after the lock is released (:meth:`ListWebhooks.deliver`), because a
receiver may call the emulator back. Delivery is synchronous, one attempt, within
``webhook_timeout_seconds``; Mailchimp retries "at increasing intervals over the course
of 75 minutes", which is not emulated. Every delivery is recorded.

Inferred: the defaults of a create that leaves ``events`` or ``sources`` out (every
event; sources ``user`` and ``admin`` but not ``api``, as API 2.0's ``lists/webhook-add``
documented), while an object that is sent is taken as complete; ``data[id]``
is the member's ``unique_email_id`` (ten hex digits, like the documented examples); the
order of the fields; an ADDRESS merge value as ``data[merges][ADDRESS][addr1]`` and so on;
"HTTP Code: 0" when the URL cannot be reached at all.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlparse

from erp_sandbox import outbound_http
from erp_sandbox.mailchimp import problems
from erp_sandbox.mailchimp.clock import Clock
from erp_sandbox.mailchimp.representations import link, merge_values
from erp_sandbox.mailchimp.settings import MailchimpSettings
from erp_sandbox.mailchimp.store import MailingList, Member

EVENT_TYPES = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
SOURCES = ("user", "admin", "api")
DEFAULT_EVENTS = dict.fromkeys(EVENT_TYPES, True)
DEFAULT_SOURCES = {"user": True, "admin": True, "api": False}
VALIDATOR_USER_AGENT = "MailChimp.com WebHook Validator"
EVENT_USER_AGENT = "MailChimp.com"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

_OUTBOX: ContextVar[list[AudienceEvent] | None] = ContextVar("list_webhook_outbox", default=None)


@dataclass
class ListWebhook:
    """One webhook of one list."""

    id: str
    list_id: str
    url: str
    events: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_EVENTS))
    sources: dict[str, bool] = field(default_factory=lambda: dict(DEFAULT_SOURCES))

    def wants(self, event: AudienceEvent) -> bool:
        """Whether this webhook is sent ``event``."""
        return self.events.get(event.type, False) and self.sources.get(event.source, False)


@dataclass(frozen=True)
class AudienceEvent:
    """Something that happened to a list member, with its form fields fixed when it
    happened."""

    list_id: str
    type: str
    source: str
    fired_at: str
    data: tuple[tuple[str, str], ...]

    def body(self) -> str:
        """The form-encoded body Mailchimp POSTs."""
        return urlencode([("type", self.type), ("fired_at", self.fired_at), *self.data])


@dataclass
class WebhookDelivery:
    """One event sent (or not) to one webhook, and what came back."""

    webhook_id: str
    list_id: str
    url: str
    type: str
    source: str
    fired_at: str
    body: str
    delivered: bool = False
    status: int | None = None
    error: str | None = None


@dataclass
class UrlValidation:
    """The GET Mailchimp makes to a new webhook's URL."""

    list_id: str
    url: str
    accepted: bool
    status: int | None = None
    error: str | None = None


# --- events ------------------------------------------------------------------------------


def fired_at(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def member_data(lst: MailingList, member: Member) -> list[tuple[str, str]]:
    """The ``data[…]`` fields describing a member (subscribe, profile, unsubscribe)."""
    data = [
        ("data[id]", member.unique_email_id),
        ("data[email]", member.email_address),
        ("data[email_type]", member.email_type),
        ("data[ip_opt]", member.ip_opt),
        ("data[ip_signup]", member.ip_signup),
        ("data[web_id]", str(member.web_id)),
        ("data[list_id]", lst.id),
        ("data[merges][EMAIL]", member.email_address),
    ]
    for tag, value in merge_values(lst, member).items():
        if isinstance(value, dict):
            data.extend((f"data[merges][{tag}][{part}]", _text(v)) for part, v in value.items())
        else:
            data.append((f"data[merges][{tag}]", _text(value)))
    return data


def subscribe_event(
    lst: MailingList, member: Member, *, source: str, at: datetime
) -> AudienceEvent:
    """A member became subscribed."""
    return AudienceEvent(lst.id, "subscribe", source, fired_at(at), tuple(member_data(lst, member)))


def profile_event(lst: MailingList, member: Member, *, source: str, at: datetime) -> AudienceEvent:
    """A member's profile (merge fields, email type) changed."""
    return AudienceEvent(lst.id, "profile", source, fired_at(at), tuple(member_data(lst, member)))


def unsubscribe_event(
    lst: MailingList,
    member: Member,
    *,
    source: str,
    at: datetime,
    action: str = "unsub",
    reason: str = "manual",
    campaign_id: str = "",
) -> AudienceEvent:
    """A member unsubscribed (``action`` ``unsub``) or was deleted (``delete``)."""
    data = [
        ("data[action]", action),
        ("data[reason]", reason),
        *member_data(lst, member),
        ("data[campaign_id]", campaign_id),
    ]
    return AudienceEvent(lst.id, "unsubscribe", source, fired_at(at), tuple(data))


def cleaned_event(
    lst: MailingList,
    member: Member,
    *,
    source: str,
    at: datetime,
    reason: str = "hard",
    campaign_id: str = "",
) -> AudienceEvent:
    """An address was cleaned (``reason`` ``hard`` bounce or ``abuse`` complaint)."""
    data = (
        ("data[list_id]", lst.id),
        ("data[campaign_id]", campaign_id),
        ("data[reason]", reason),
        ("data[email]", member.email_address),
    )
    return AudienceEvent(lst.id, "cleaned", source, fired_at(at), data)


def upemail_event(
    lst: MailingList, member: Member, old_email: str, *, source: str, at: datetime
) -> AudienceEvent:
    """A member's address changed (``member`` already carries the new one)."""
    data = (
        ("data[list_id]", lst.id),
        ("data[new_id]", member.unique_email_id),
        ("data[new_email]", member.email_address),
        ("data[old_email]", old_email),
    )
    return AudienceEvent(lst.id, "upemail", source, fired_at(at), data)


# --- webhooks and deliveries --------------------------------------------------------------


def webhook_json(hook: ListWebhook, api_root: str) -> dict[str, Any]:
    """A webhook as the API returns it."""
    collection = f"{api_root}/lists/{hook.list_id}/webhooks"
    href = f"{collection}/{hook.id}"
    return {
        "id": hook.id,
        "url": hook.url,
        "events": {name: hook.events[name] for name in EVENT_TYPES},
        "sources": {name: hook.sources[name] for name in SOURCES},
        "list_id": hook.list_id,
        "_links": [
            link("self", href, "GET", "Lists/Webhooks/Response.json"),
            link("parent", collection, "GET", "Lists/Webhooks/CollectionResponse.json"),
            link("update", href, "PATCH", "Lists/Webhooks/Response.json"),
            link("delete", href, "DELETE"),
        ],
    }


def _flags(
    given: Any, names: tuple[str, ...], current: dict[str, bool], *, complete: bool = False
) -> dict[str, bool]:
    """``current`` with the booleans of ``given`` applied (the contract checks already
    refused other types). ``complete``: an object that is sent says every flag, so the
    flags it leaves out are off (a create); otherwise they stay as they are (a PATCH)."""
    if not isinstance(given, dict):
        return dict(current)
    flags = dict.fromkeys(names, False) if complete else dict(current)
    for name in names:
        if isinstance(given.get(name), bool):
            flags[name] = given[name]
    return flags


def _checked_url(url: Any) -> str:
    if url is None:
        raise problems.schema_invalid(
            [{"field": "", "message": "Required fields were not provided: url"}]
        )
    parsed = urlparse(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        # "lists/…/webhooks : url : Invalid URL" (mailchimp/mc-magento#320).
        raise problems.schema_invalid([{"field": "url", "message": "Invalid URL"}])
    return url


class ListWebhooks:
    """The webhooks of every list of one emulator, and what was sent; thread-safe."""

    def __init__(self, settings: MailchimpSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._hooks: list[ListWebhook] = []
        self.deliveries: list[WebhookDelivery] = []
        self.validations: list[UrlValidation] = []

    def clear(self) -> None:
        """No webhooks, deliveries or validations."""
        with self._lock:
            self._hooks.clear()
            self.deliveries.clear()
            self.validations.clear()

    def all(self) -> list[ListWebhook]:
        """Every webhook, oldest first."""
        with self._lock:
            return list(self._hooks)

    def for_list(self, list_id: str) -> list[ListWebhook]:
        """The list's webhooks, oldest first."""
        with self._lock:
            return [h for h in self._hooks if h.list_id == list_id]

    def find(self, list_id: str, webhook_id: str) -> ListWebhook:
        """One webhook of the list, or 404."""
        with self._lock:
            found = next(
                (h for h in self._hooks if h.list_id == list_id and h.id == webhook_id), None
            )
        if found is None:
            raise problems.resource_not_found()
        return found

    def create(self, list_id: str, body: dict[str, Any]) -> ListWebhook:
        """``POST /lists/{list_id}/webhooks``; GETs the URL first (blocking: never call
        it holding the store lock)."""
        url = _checked_url(body.get("url"))
        hook = ListWebhook(
            id=uuid.uuid4().hex[:10],
            list_id=list_id,
            url=url,
            events=_flags(body.get("events"), EVENT_TYPES, DEFAULT_EVENTS, complete=True),
            sources=_flags(body.get("sources"), SOURCES, DEFAULT_SOURCES, complete=True),
        )
        if self.settings.deliver_webhooks:
            self._validate(list_id, url)
        with self._lock:
            self._hooks.append(hook)
        return hook

    def _validate(self, list_id: str, url: str) -> None:
        status, error = outbound_http.send(
            url,
            method="GET",
            headers={"User-Agent": VALIDATOR_USER_AGENT},
            timeout=self.settings.webhook_timeout_seconds,
        )
        accepted = status == 200
        with self._lock:
            self.validations.append(UrlValidation(list_id, url, accepted, status, error))
        if not accepted:
            raise problems.invalid_resource(
                "We couldn't verify the URL is working. Please double check and try again. "
                f"HTTP Code: {status or 0}"
            )

    def update(self, list_id: str, webhook_id: str, body: dict[str, Any]) -> ListWebhook:
        """``PATCH …/webhooks/{webhook_id}``: the fields sent change; no validation GET
        (the reference describes it on create only)."""
        hook = self.find(list_id, webhook_id)
        url = _checked_url(body["url"]) if "url" in body else hook.url
        with self._lock:
            hook.url = url
            hook.events = _flags(body.get("events"), EVENT_TYPES, hook.events)
            hook.sources = _flags(body.get("sources"), SOURCES, hook.sources)
        return hook

    def delete(self, list_id: str, webhook_id: str) -> None:
        """``DELETE …/webhooks/{webhook_id}``."""
        hook = self.find(list_id, webhook_id)
        with self._lock:
            self._hooks.remove(hook)

    # --- events -------------------------------------------------------------------------

    @contextmanager
    def collecting(self) -> Iterator[list[AudienceEvent]]:
        """Collect the events emitted inside the block (in this thread or task) into the
        list it yields; deliver them after the block with :meth:`deliver`."""
        outbox: list[AudienceEvent] = []
        token = _OUTBOX.set(outbox)
        try:
            yield outbox
        finally:
            _OUTBOX.reset(token)

    def emit(self, event: AudienceEvent) -> None:
        """Put an event in the current outbox."""
        outbox = _OUTBOX.get()
        if outbox is None:
            raise RuntimeError("list webhook events must be emitted inside collecting()")
        outbox.append(event)

    def now(self) -> datetime:
        """The emulator clock, for ``fired_at``."""
        return self.clock.now()

    def deliver(self, events: list[AudienceEvent]) -> list[WebhookDelivery]:
        """POST each event to every webhook of its list that wants it (one attempt each);
        returns the deliveries made. Never call it holding the store lock."""
        made: list[WebhookDelivery] = []
        for event in events:
            body = event.body()
            for hook in self.for_list(event.list_id):
                if not hook.wants(event):
                    continue
                delivery = WebhookDelivery(
                    webhook_id=hook.id,
                    list_id=hook.list_id,
                    url=hook.url,
                    type=event.type,
                    source=event.source,
                    fired_at=event.fired_at,
                    body=body,
                )
                if self.settings.deliver_webhooks:
                    delivery.status, delivery.error = outbound_http.send(
                        hook.url,
                        body=body.encode("ascii"),
                        headers={"Content-Type": FORM_CONTENT_TYPE, "User-Agent": EVENT_USER_AGENT},
                        timeout=self.settings.webhook_timeout_seconds,
                    )
                    delivery.delivered = delivery.error is None
                else:
                    delivery.error = "not sent: deliver_webhooks is off"
                with self._lock:
                    self.deliveries.append(delivery)
                made.append(delivery)
        return made

    def to_json(self, api_root: str) -> dict[str, Any]:
        """Settings, webhooks, validations and deliveries, oldest first."""
        with self._lock:
            return {
                "deliver_webhooks": self.settings.deliver_webhooks,
                "webhooks": [webhook_json(h, api_root) for h in self._hooks],
                "validations": [asdict(v) for v in self.validations],
                "deliveries": [asdict(d) for d in self.deliveries],
            }
