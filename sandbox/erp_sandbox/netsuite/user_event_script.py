"""The project's user-event script, deployed in the emulated account: a POST per change.

NetSuite has no native webhooks that the sources confirm (reference A5: the only page on
"Event Subscriptions" is an unverified third-party article). What exists is a SuiteScript
user event ``afterSubmit`` (create, edit, xedit, delete, …) that calls ``N/https.post``
(A5, ODoc ``section_4407992281.html``, ``section_4567628658.html``); authenticity is
whatever the script implements, e.g. ``N/crypto.createHmac`` with a stored secret (A5,
an inferred pattern). This project ships such a script (SuiteScript 2.1). Deploying it is
what :meth:`UserEventScript.deploy` emulates; each deployment names a URL, optionally the
record types it is deployed on (default: all) and optionally an HMAC secret.

What the script sends, exactly: a compact JSON body in this key order,
``{"recordType":"customer","id":"123","event":"edit","occurredAt":"2026-11-25T17:00:00Z",
"account":"1234567_SB1"}``, with ``Content-Type: application/json`` and, when the
deployment has a secret, ``X-Webhook-Signature: sha256=<lowercase hex HMAC-SHA256 of the
raw body bytes keyed with the secret's UTF-8 bytes>``. ``id`` is the internal id as a
string, ``occurredAt`` the emulator clock in UTC, ``account`` the account id (what
``runtime.accountId`` returns, e.g. ``1234567_SB1``). The User-Agent is urllib's, not
NetSuite's (not recorded).

When it fires: after a change made through the record API (``update_record``,
``insert_record``, ``delete_record``, in Python or under ``/_sandbox/records``) has been
made; a change that fails fires nothing, and seeding or a reset are not changes. Events
are ``create``, ``edit`` and ``delete`` (an inline ``xedit`` is not distinguished).
afterSubmit runs before the save returns, so the POST is synchronous; one attempt, within
``notification_timeout_seconds``. A failed POST is recorded, not raised: an afterSubmit
error does not undo the save.

Record types (inferred from the tables; NetSuite's ``record.Type`` ids): ``customer``;
``transaction`` rows by their ``recordtype`` column, else by ``type`` (``SalesOrd`` →
``salesorder``, ``CustInvc`` → ``invoice``, ``CustCred`` → ``creditmemo``, others
lower-cased); ``item`` rows by ``itemtype`` (``InvtPart`` → ``inventoryitem``,
``NonInvtPart`` → ``noninventoryitem``, ``Service`` → ``serviceitem``, ``Kit`` →
``kititem``, ``Discount`` → ``discountitem``, ``TaxItem`` → ``salestaxitem``);
``subsidiary``; ``currency``. Lines, addresses and subsidiary relationships are not
records of their own: they are saved with their transaction or customer, so changing one
is an ``edit`` of that record (inferred). ``deletedrecord`` changes fire nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import urlparse

from erp_sandbox import outbound_http
from erp_sandbox.netsuite.database import ChangeEvent, NetSuiteDatabase, RecordChange
from erp_sandbox.netsuite.settings import NetSuiteSettings

SIGNATURE_HEADER = "X-Webhook-Signature"
#: ``transaction.type`` → record type, where it is not simply the type lower-cased.
TRANSACTION_RECORD_TYPES = {
    "SalesOrd": "salesorder",
    "CustInvc": "invoice",
    "CustCred": "creditmemo",
    "CashSale": "cashsale",
    "CustPymt": "customerpayment",
    "Estimate": "estimate",
    "RtnAuth": "returnauthorization",
    "ItemShip": "itemfulfillment",
}
#: ``item.itemtype`` → record type.
ITEM_RECORD_TYPES = {
    "InvtPart": "inventoryitem",
    "NonInvtPart": "noninventoryitem",
    "Service": "serviceitem",
    "Kit": "kititem",
    "Discount": "discountitem",
    "TaxItem": "salestaxitem",
}
#: Tables that are records of their own, by the record type they always have.
PLAIN_RECORD_TYPES = {"customer": "customer", "subsidiary": "subsidiary", "currency": "currency"}
_RECORD_TYPE_ID = re.compile(r"^[a-z][a-z0-9_]*$")

#: ``(record type, internal id, event)``
RecordEvent = tuple[str, str, ChangeEvent]


def sign(secret: str, body: bytes) -> str:
    """``X-Webhook-Signature`` value: ``sha256=`` and the lowercase hex HMAC-SHA256."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def transaction_record_type(row: dict[str, Any]) -> str:
    """The record type of a ``transaction`` row."""
    if row.get("recordtype"):
        return str(row["recordtype"]).lower()
    kind = str(row.get("type") or "transaction")
    return TRANSACTION_RECORD_TYPES.get(kind, kind.lower())


def item_record_type(row: dict[str, Any]) -> str:
    """The record type of an ``item`` row (an unknown ``itemtype``: lower-cased + item)."""
    kind = row.get("itemtype")
    if not kind:
        return "inventoryitem"
    return ITEM_RECORD_TYPES.get(str(kind), f"{str(kind).lower()}item")


def record_events(db: NetSuiteDatabase, change: RecordChange) -> list[RecordEvent]:
    """The records a table change saves, as the user-event script sees them."""
    row, event = change.row, change.event
    if change.table in PLAIN_RECORD_TYPES:
        return [(PLAIN_RECORD_TYPES[change.table], str(change.key), event)]
    if change.table == "transaction":
        return [(transaction_record_type(row), str(change.key), event)]
    if change.table == "item":
        return [(item_record_type(row), str(change.key), event)]
    if change.table == "transactionline":
        parent = db.record("transaction", row.get("transaction"))
        if parent is None:
            return []
        return [(transaction_record_type(parent), str(parent["id"]), "edit")]
    if change.table == "customersubsidiaryrelationship":
        customer = db.record("customer", row.get("entity"))
        return [] if customer is None else [("customer", str(customer["id"]), "edit")]
    if change.table == "entityaddress":
        owners = db.fetch(
            'SELECT id FROM "customer" '
            "WHERE defaultbillingaddress = ? OR defaultshippingaddress = ? ORDER BY id",
            (change.key, change.key),
        )
        return [("customer", str(owner), "edit") for (owner,) in owners]
    return []


def notification_body(record_type: str, record_id: str, event: str, at: str, account: str) -> bytes:
    """The exact bytes the script POSTs."""
    document = {
        "recordType": record_type,
        "id": record_id,
        "event": event,
        "occurredAt": at,
        "account": account,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class Deployment:
    """One deployment of the script: where it posts, on which record types, signed or not."""

    id: str
    url: str
    #: Record types it is deployed on; None means every record type.
    record_types: list[str] | None = None
    hmac_secret: str | None = field(default=None, repr=False)

    def covers(self, record_type: str) -> bool:
        """Whether a change of this record type runs the script."""
        return self.record_types is None or record_type in self.record_types

    def to_json(self) -> dict[str, Any]:
        """The deployment without its secret (``signed`` says whether it has one)."""
        return {
            "id": self.id,
            "url": self.url,
            "record_types": None if self.record_types is None else list(self.record_types),
            "signed": self.hmac_secret is not None,
        }


@dataclass
class Notification:
    """One POST the script made (or tried to make), and what came back."""

    deployment_id: str
    url: str
    record_type: str
    record_id: str
    event: str
    body: str
    occurred_at: str
    signature: str | None = None
    delivered: bool = False
    status: int | None = None
    error: str | None = None


class UserEventScript:
    """The script's deployments in one emulated account, and what they sent; thread-safe."""

    def __init__(self, settings: NetSuiteSettings, db: NetSuiteDatabase) -> None:
        self.settings = settings
        self.db = db
        self._lock = threading.Lock()
        self._deployments: list[Deployment] = []
        self._next_number = 1
        self.notifications: list[Notification] = []

    def clear(self) -> None:
        """No deployments, no notifications."""
        with self._lock:
            self._deployments.clear()
            self.notifications.clear()
            self._next_number = 1

    def deployments(self) -> list[Deployment]:
        """The deployments, oldest first."""
        with self._lock:
            return list(self._deployments)

    def deploy(
        self,
        url: str,
        record_types: list[str] | None = None,
        hmac_secret: str | None = None,
    ) -> Deployment:
        """Deploy the script: POST to ``url`` on changes of ``record_types`` (all if
        None), signed with ``hmac_secret`` if given. ValueError for a bad argument."""
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"url must be an absolute http(s) URL, not {url!r}")
        types = None if record_types is None else _record_types(record_types)
        if hmac_secret is not None and (not isinstance(hmac_secret, str) or not hmac_secret):
            raise ValueError("hmac_secret must be a non-empty string")
        with self._lock:
            # NetSuite numbers deployments created without a script id customdeploy1,
            # customdeploy2, … (inferred for this emulator's ids).
            deployment = Deployment(f"customdeploy{self._next_number}", url, types, hmac_secret)
            self._next_number += 1
            self._deployments.append(deployment)
        return deployment

    def deploy_json(self, body: Any) -> Deployment:
        """Deploy from a ``POST /_sandbox/notifications`` body."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        unknown = set(body) - {"url", "record_types", "hmac_secret"}
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        return self.deploy(body.get("url"), body.get("record_types"), body.get("hmac_secret"))

    def remove_all(self) -> int:
        """Remove every deployment and forget the notifications; returns how many
        deployments there were."""
        with self._lock:
            count = len(self._deployments)
        self.clear()
        return count

    # --- notifications ------------------------------------------------------------------

    def on_change(self, change: RecordChange) -> None:
        """Database listener: run the script of every deployment that covers the record."""
        deployments = self.deployments()
        if not deployments:
            return
        at = change.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for record_type, record_id, event in record_events(self.db, change):
            body = notification_body(record_type, record_id, event, at, self.settings.account_id)
            for deployment in deployments:
                if deployment.covers(record_type):
                    self._send(deployment, record_type, record_id, event, body, at)

    def _send(
        self,
        deployment: Deployment,
        record_type: str,
        record_id: str,
        event: str,
        body: bytes,
        at: str,
    ) -> None:
        headers = {"Content-Type": "application/json"}
        signature = None
        if deployment.hmac_secret is not None:
            signature = sign(deployment.hmac_secret, body)
            headers[SIGNATURE_HEADER] = signature
        status, error = outbound_http.send(
            deployment.url,
            body=body,
            headers=headers,
            timeout=self.settings.notification_timeout_seconds,
        )
        notification = Notification(
            deployment_id=deployment.id,
            url=deployment.url,
            record_type=record_type,
            record_id=record_id,
            event=event,
            body=body.decode("utf-8"),
            occurred_at=at,
            signature=signature,
            delivered=error is None,
            status=status,
            error=error,
        )
        with self._lock:
            self.notifications.append(notification)

    def to_json(self) -> dict[str, Any]:
        """Deployments and notifications, oldest first."""
        with self._lock:
            return {
                "deployments": [d.to_json() for d in self._deployments],
                "notifications": [asdict(n) for n in self.notifications],
            }


def _record_types(given: Any) -> list[str]:
    if not isinstance(given, list) or not given:
        raise ValueError("record_types must be a non-empty list of record type ids")
    types: list[str] = []
    for value in given:
        if not isinstance(value, str) or not _RECORD_TYPE_ID.match(value.lower()):
            raise ValueError(f"not a record type id: {value!r}")
        if value.lower() not in types:
            types.append(value.lower())
    return types
