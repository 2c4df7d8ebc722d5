"""Webhook subscriptions and the notifications Exact Online sends (reference C6).

A notification is ``{"Content": {"Topic", "ClientId", "Division", "Action", "Key",
"ExactOnlineEndpoint", "EventCreatedOn"}, "HashCode": "…"}`` (leapforce
go_exactonline_new ``WebhookResponse.go``), written compactly in that key order, as in
recorded payloads such as ``{"Content":{"Topic":"SalesOrders","ClientId":"6382…",
"Division":441609,"Action":"Update","Key":"19ce…","ExactOnlineEndpoint":"https://start.
exactonline.be/api/v1/441609/salesorder/SalesOrders(guid'19ce…')","EventCreatedOn":
"2020-01-06T16:26:08.587"},"HashCode":"3ACB…"}``. ``HashCode`` is the uppercase hex
HMAC-SHA256 of the raw bytes of the ``Content`` object, keyed with the app's webhook
secret (picqer ``Webhook/Authenticatable.php``). It carries no record data: the receiver
GETs ``ExactOnlineEndpoint``.

Notifications are built for every change of a subscribed topic and POSTed only while
``deliver_webhooks`` is on, synchronously and best-effort (one attempt; Exact retries up
to 10 times, which is not emulated). Each one is kept in :attr:`WebhookHub.notifications`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlparse

from erp_sandbox import outbound_http
from erp_sandbox.exact.clock import Clock
from erp_sandbox.exact.entities import COLLECTIONS, WEBHOOK_TOPICS
from erp_sandbox.exact.errors import ExactError, bad_request, not_found
from erp_sandbox.exact.settings import ExactSettings
from erp_sandbox.exact.wallclock import iso_wall_clock

Record = dict[str, Any]
#: Store collection → webhook topic.
TOPICS = {"Accounts": "Accounts", "Contacts": "Contacts", "SalesInvoices": "SalesInvoices"}


def sign(secret: str, content: bytes) -> str:
    """``HashCode``: uppercase hex HMAC-SHA256 of the raw ``Content`` bytes."""
    return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest().upper()


def notification_body(content: Record, secret: str) -> tuple[bytes, str]:
    """The exact bytes POSTed, and their ``HashCode``."""
    raw = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hash_code = sign(secret, raw)
    return b'{"Content":' + raw + b',"HashCode":"' + hash_code.encode() + b'"}', hash_code


@dataclass
class Notification:
    """One notification: what was (or would have been) POSTed, and what came back."""

    subscription_id: str
    callback_url: str
    topic: str
    action: str
    key: str
    body: str
    hash_code: str
    created_on: str
    delivered: bool = False
    status: int | None = None
    error: str | None = None


class WebhookHub:
    """Subscriptions and notifications of one emulator; thread-safe."""

    def __init__(self, settings: ExactSettings, clock: Clock, user: tuple[str, str]) -> None:
        self.settings = settings
        self.clock = clock
        self.user = user
        self._lock = threading.Lock()
        self._subscriptions: list[Record] = []
        self.notifications: list[Notification] = []

    def clear(self) -> None:
        """No subscriptions, no notifications."""
        with self._lock:
            self._subscriptions.clear()
            self.notifications.clear()

    # --- subscriptions ------------------------------------------------------------------

    def rows(self) -> list[Record]:
        """The subscriptions (stored records; do not change them)."""
        with self._lock:
            return list(self._subscriptions)

    def find(self, subscription_id: str) -> Record | None:
        """One subscription by ``ID``."""
        wanted = subscription_id.lower()
        with self._lock:
            return next((s for s in self._subscriptions if s["ID"] == wanted), None)

    def subscribe(self, body: Any, client_id: str) -> Record:
        """``POST webhooks/WebhookSubscriptions``: ``CallbackURL`` and ``Topic`` required;
        ``Description`` and ``IsInstant`` optional."""
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        callback = body.get("CallbackURL")
        topic = body.get("Topic")
        if not callback or not isinstance(callback, str):
            raise bad_request("CallbackURL is mandatory.")
        if not topic or not isinstance(topic, str):
            raise bad_request("Topic is mandatory.")
        parsed = urlparse(callback)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise bad_request(f"CallbackURL '{callback}' is not a valid absolute URL.")
        canonical = next((t for t in WEBHOOK_TOPICS if t.lower() == topic.lower()), None)
        if canonical is None:
            raise bad_request(f"Topic '{topic}' is not a valid webhook topic.")
        unknown = set(body) - {"CallbackURL", "Topic", "Description", "IsInstant"}
        if unknown:
            raise bad_request(f"Property '{sorted(unknown)[0]}' cannot be set.")
        with self._lock:
            duplicate = any(
                s["Topic"] == canonical and s["ClientID"] == client_id for s in self._subscriptions
            )
        if duplicate:
            # One subscription per topic per division and app (3rd-party observation).
            raise ExactError(500, "Data already exists.")
        if self.settings.validate_webhook_callbacks:
            self._validate(callback)
        record = {
            "ID": str(uuid.uuid4()),
            "CallbackURL": callback,
            "ClientID": client_id,
            "Created": self.clock.now(),
            "Creator": self.user[0],
            "CreatorFullName": self.user[1],
            "Description": body.get("Description"),
            "Division": self.settings.division,
            "IsInstant": bool(body.get("IsInstant", False)),
            "Topic": canonical,
            "UserID": self.user[0],
        }
        with self._lock:
            self._subscriptions.append(record)
        return record

    def delete(self, subscription_id: str) -> None:
        """``DELETE webhooks/WebhookSubscriptions(guid'…')``."""
        with self._lock:
            found = next(
                (s for s in self._subscriptions if s["ID"] == subscription_id.lower()), None
            )
            if found is None:
                raise not_found("WebhookSubscriptions")
            self._subscriptions.remove(found)

    def _validate(self, callback: str) -> None:
        """POST an empty body to the callback URL; anything but 2xx refuses the
        subscription (3rd-party: "direct na create POST't Exact een lege body")."""
        status, error = self._post(callback, b"")
        if error is not None or status is None or not 200 <= status < 300:
            reason = error or f"status {status}"
            raise bad_request(f"The callback URL '{callback}' could not be validated: {reason}.")

    # --- notifications ------------------------------------------------------------------

    def on_change(self, collection: str, action: str, key: str) -> None:
        """Store listener: notify every subscription of the collection's topic."""
        topic = TOPICS.get(collection)
        if topic is None:
            return
        with self._lock:
            targets = [s for s in self._subscriptions if s["Topic"] == topic]
        entity = COLLECTIONS[collection]
        base = self.settings.public_base_url.rstrip("/")
        created_on = iso_wall_clock(self.clock.now(), self.settings.zone, always_ms=True)
        for subscription in targets:
            content = {
                "Topic": topic,
                "ClientId": subscription["ClientID"],
                "Division": self.settings.division,
                "Action": action,
                "Key": key,
                "ExactOnlineEndpoint": f"{base}/api/v1/{self.settings.division}/"
                f"{entity.path}(guid'{key}')",
                "EventCreatedOn": created_on,
            }
            body, hash_code = notification_body(content, self.settings.webhook_secret)
            notification = Notification(
                subscription_id=subscription["ID"],
                callback_url=subscription["CallbackURL"],
                topic=topic,
                action=action,
                key=key,
                body=body.decode("utf-8"),
                hash_code=hash_code,
                created_on=created_on,
            )
            if self.settings.deliver_webhooks:
                notification.status, notification.error = self._post(
                    subscription["CallbackURL"], body
                )
                notification.delivered = notification.error is None
            else:
                notification.error = "not sent: deliver_webhooks is off"
            with self._lock:
                self.notifications.append(notification)

    def _post(self, url: str, body: bytes) -> tuple[int | None, str | None]:
        return outbound_http.send(
            url,
            body=body,
            headers={"Content-Type": "application/json"},
            timeout=self.settings.webhook_timeout_seconds,
        )

    def to_json(self) -> dict[str, Any]:
        """Subscriptions and notifications."""
        with self._lock:
            return {
                "subscriptions": [
                    {**s, "Created": s["Created"].isoformat(timespec="milliseconds")}
                    for s in self._subscriptions
                ],
                "notifications": [asdict(n) for n in self.notifications],
            }
