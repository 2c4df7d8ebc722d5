"""The division's records: seeded, served, changeable between runs.

Records are dicts keyed by the reference's field names: ``Edm.DateTime`` values are aware
UTC datetimes (true instants), date-only values (``InvoiceDate`` …) are ``date`` objects,
and every row carries its rowversion as ``Timestamp``. Invoices hold their lines in
``SalesInvoiceLines``. A reset restores a deep copy of the last seed.

Every change takes a new ``Timestamp`` from one counter for the whole division, so the
sync endpoints see it; an invoice change renumbers the header **and** all its lines
("Any change in the header or the line of the SalesInvoices will lead to a new timestamp
value in both the header and the line", SyncSalesInvoiceSalesInvoices docs). Deleting an
account, contact or invoice adds a ``sync/Deleted`` row. Listeners (webhooks) hear of
each change after the store lock is released.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from erp_sandbox.exact import seed_data
from erp_sandbox.exact.clock import Clock
from erp_sandbox.exact.entities import (
    COLLECTIONS,
    DELETED_ENTITY_TYPES,
    INVOICE_FIELDS,
    LINES,
    SYNC_HEADER_ONLY,
    SYNC_LINE_ONLY,
    EntitySet,
)
from erp_sandbox.exact.settings import ExactSettings
from erp_sandbox.exact.wallclock import from_wall_clock

Record = dict[str, Any]
#: ``listener(collection, action, key)`` with action ``Create``, ``Update`` or ``Delete``.
ChangeListener = Callable[[str, str, str], None]
#: Fields that hold a date without a time of day (shown as local midnight).
DATE_ONLY_FIELDS = frozenset(
    {"InvoiceDate", "DueDate", "OrderDate", "EndDate", "StartDate", "BirthDate", "DeliveryDate"}
)
#: Alternative keys tests may use: account/cost center ``Code``, contact ``HID``, invoice
#: ``InvoiceNumber``.
ALTERNATIVE_KEYS = {
    "Accounts": "Code",
    "Contacts": "HID",
    "Costcenters": "Code",
    "SalesInvoices": "InvoiceNumber",
}


class RecordError(ValueError):
    """A record change the store cannot make (unknown entity or field, bad value)."""


class RecordNotFoundError(RecordError):
    """No record with that key."""


def json_ready(value: Any) -> Any:
    """A stored value with datetimes and dates as ISO strings (UTC for instants)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


class ExactStore:
    """Every collection's records, with the change API tests use between runs."""

    def __init__(self, settings: ExactSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.size = seed_data.SeedSize()
        self.listeners: list[ChangeListener] = []
        self._data: dict[str, list[Record]] = {name: [] for name in (*COLLECTIONS, "Deleted")}
        self._rowversion = seed_data.FIRST_TIMESTAMP
        # Bumped by every change, so views of the rows (the sorted pages) know to rebuild.
        self.generation = 0
        self._pristine: tuple[dict[str, list[Record]], int] = (copy.deepcopy(self._data), 0)

    # --- seeding and reset ------------------------------------------------------------

    def seed(self, size: seed_data.SeedSize) -> dict[str, int]:
        """Replace all records with a generated division; it becomes the reset state."""
        generated = seed_data.generate(size, self.settings.division)
        data = {name: generated[name] for name in (*COLLECTIONS, "Deleted")}
        with self.lock:
            self._data = data
            self._rowversion = generated["rowversion"]
            self._pristine = (copy.deepcopy(data), self._rowversion)
            self.size = size
            self.generation += 1
        return self.counts()

    def reset(self) -> None:
        """Back to the state of the last seed."""
        with self.lock:
            data, rowversion = self._pristine
            self._data = copy.deepcopy(data)
            self._rowversion = rowversion
            self.generation += 1

    def counts(self) -> dict[str, int]:
        """Records per collection, plus invoice lines."""
        with self.lock:
            counts = {name: len(records) for name, records in self._data.items()}
            counts["SalesInvoiceLines"] = sum(
                len(i["SalesInvoiceLines"]) for i in self._data["SalesInvoices"]
            )
            return counts

    @property
    def rowversion(self) -> int:
        """The last ``Timestamp`` handed out."""
        with self.lock:
            return self._rowversion

    # --- reading ----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the store still while rows are selected and rendered."""
        with self.lock:
            yield

    def rows(self, source: str) -> list[Record]:
        """The rows of one source (hold :meth:`reading`; do not change them):
        a collection, ``SalesInvoiceLines``, or ``SyncSalesInvoiceRows`` (headers and lines
        flattened, see :func:`flatten_invoice`)."""
        if source == "SalesInvoiceLines":
            return [line for i in self._data["SalesInvoices"] for line in i["SalesInvoiceLines"]]
        if source == "SyncSalesInvoiceRows":
            return [row for i in self._data["SalesInvoices"] for row in flatten_invoice(i)]
        return self._data[source]

    def find(self, collection: str, key: Any) -> Record | None:
        """The stored record with that key (its GUID, or the alternative key), or None."""
        self._entity(collection)
        records = self._data[collection]
        key_field = COLLECTIONS[collection].key
        text = str(key).strip().lower()
        found = next((r for r in records if str(r[key_field]).lower() == text), None)
        if found is not None:
            return found
        alternative = ALTERNATIVE_KEYS[collection]
        return next((r for r in records if str(r.get(alternative)).strip().lower() == text), None)

    def record(self, collection: str, key: Any) -> Record | None:
        """A JSON-ready copy of one record, or None."""
        with self.lock:
            found = self.find(collection, key)
            return json_ready(found) if found is not None else None

    # --- changes ----------------------------------------------------------------------

    def update_record(self, collection: str, key: Any, **fields: Any) -> Record:
        """Change fields of a record; ``Modified`` moves to the clock (or to the value
        given) and the record gets a new ``Timestamp``. For invoices,
        ``SalesInvoiceLines={1: {"Quantity": 5}}`` changes lines by ``LineNumber`` (a list
        replaces them) and the totals are recomputed."""
        entity = self._entity(collection)
        with self.lock:
            record = self.find(collection, key)
            if record is None:
                raise RecordNotFoundError(f"no {collection} record with key {key!r}")
            if entity.key in fields and str(fields[entity.key]).lower() != record[entity.key]:
                raise RecordError(f"{entity.key} cannot change")
            lines = fields.pop("SalesInvoiceLines", None)
            self._merge(entity, record, fields)
            if collection == "SalesInvoices":
                if lines is not None:
                    self._change_lines(record, lines)
                seed_data.invoice_totals(record)
            elif collection == "Contacts" and "FullName" not in fields:
                record["FullName"] = _full_name(record)
            record["Modified"] = self._stamp(fields)
            self._renumber(record)
            self.generation += 1
            result = json_ready(record)
        self._notify(collection, "Update", result[entity.key])
        return result

    def insert_record(self, collection: str, **fields: Any) -> Record:
        """Add a record: a new GUID, ``Created``/``Modified`` from the clock, defaults as
        Exact fills them, the next ``Code``/``HID``/``InvoiceNumber``."""
        entity = self._entity(collection)
        with self.lock:
            now = self.clock.now()
            user_id, user_name = seed_data.USERS[0]
            record: Record = {
                entity.key: str(uuid.uuid4()),
                "Created": now,
                "Creator": user_id,
                "CreatorFullName": user_name,
                "Modified": now,
                "Modifier": user_id,
                "ModifierFullName": user_name,
                "Division": self.settings.division,
            }
            lines = fields.pop("SalesInvoiceLines", [])
            record.update(self._defaults(collection, fields))
            self._merge(entity, record, fields)
            if collection == "SalesInvoices":
                record["SalesInvoiceLines"] = []
                self._change_lines(record, list(lines))
                seed_data.invoice_totals(record)
            if collection == "Contacts":
                self._link_contact(record)
            if "Modified" in fields:
                record["Modified"] = self._stamp(fields)
            key = str(record[entity.key]).lower()
            if any(str(r[entity.key]).lower() == key for r in self._data[collection]):
                raise RecordError(f"{collection} {key} already exists")
            self._renumber(record)
            self._data[collection].append(record)
            self.generation += 1
            result = json_ready(record)
        self._notify(collection, "Create", result[entity.key])
        return result

    def delete_record(self, collection: str, key: Any) -> Record:
        """Remove a record; accounts, contacts and invoices appear in ``sync/Deleted``."""
        entity = self._entity(collection)
        with self.lock:
            record = self.find(collection, key)
            if record is None:
                raise RecordNotFoundError(f"no {collection} record with key {key!r}")
            self._data[collection].remove(record)
            entity_type = DELETED_ENTITY_TYPES.get(collection)
            if entity_type is not None:
                self._data["Deleted"].append(
                    {
                        "ID": str(uuid.uuid4()),
                        "EntityKey": record[entity.key],
                        "EntityType": entity_type,
                        "DeletedBy": seed_data.USERS[0][0],
                        "DeletedDate": self.clock.now(),
                        "Division": self.settings.division,
                        "Timestamp": self._next_timestamp(),
                    }
                )
            self.generation += 1
            result = json_ready(record)
        self._notify(collection, "Delete", result[entity.key])
        return result

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def _entity(collection: str) -> EntitySet:
        entity = COLLECTIONS.get(collection)
        if entity is None:
            raise RecordError(f"unknown entity {collection!r}; known: {sorted(COLLECTIONS)}")
        return entity

    def _next_timestamp(self) -> int:
        # Other tables of the database share the rowversion counter, so values have gaps.
        self._rowversion += 1 + self._rowversion % 3
        return self._rowversion

    def _renumber(self, record: Record) -> None:
        for row in [record, *record.get("SalesInvoiceLines", [])]:
            row["Timestamp"] = self._next_timestamp()

    def _stamp(self, fields: dict[str, Any]) -> datetime:
        given = fields.get("Modified")
        return self._coerce("Edm.DateTime", given, "Modified") if given else self.clock.now()

    def _notify(self, collection: str, action: str, key: str) -> None:
        for listener in list(self.listeners):
            listener(collection, action, key)

    def _merge(self, entity: EntitySet, record: Record, fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            if name in ("Timestamp", "SalesInvoiceLines") or not entity.declares(name):
                raise RecordError(f"{entity.spec_name} has no field {name!r} that can be set")
            if entity.spec.is_navigation(name):
                raise RecordError(f"{name} is a navigation property")
            coerced = self._coerce(entity.edm_type(name), value, name)
            if name == "Code" and entity.spec_name == "Accounts" and coerced is not None:
                coerced = seed_data.pad_code(coerced)
            record[name] = coerced
        if entity.spec_name == "Accounts" and "Country" in fields:
            country = record.get("Country")
            record["CountryName"] = seed_data.COUNTRY_NAMES.get(str(country), country)
        if entity.spec_name == "SalesInvoices":
            record["StatusDescription"] = seed_data.STATUS_DESCRIPTIONS.get(record.get("Status"))
            record["TypeDescription"] = seed_data.TYPE_DESCRIPTIONS.get(record.get("Type"))

    def _change_lines(self, invoice: Record, lines: Any) -> None:
        current: list[Record] = invoice["SalesInvoiceLines"]
        if isinstance(lines, dict):
            changes = {int(number): dict(values) for number, values in lines.items()}
        else:
            current.clear()
            changes = {number: dict(values) for number, values in enumerate(lines, start=1)}
        for number, values in changes.items():
            line = next((x for x in current if x["LineNumber"] == number), None)
            if line is None:
                line = self._new_line(invoice, number)
                current.append(line)
            self._merge(LINES, line, values)
        current.sort(key=lambda x: x["LineNumber"])

    def _new_line(self, invoice: Record, number: int) -> Record:
        code, description, percentage = seed_data.VAT_CODES[0]
        return {
            "ID": str(uuid.uuid4()),
            "InvoiceID": invoice["InvoiceID"],
            "LineNumber": number,
            "Division": self.settings.division,
            "Quantity": 1.0,
            "UnitPrice": 0.0,
            "Discount": 0.0,
            "UnitCode": "pc",
            "UnitDescription": "Piece",
            "VATCode": code,
            "VATCodeDescription": description,
            "VATPercentage": percentage,
        }

    def _defaults(self, collection: str, fields: dict[str, Any]) -> Record:
        records = self._data[collection]
        if collection == "Accounts":
            codes = [int(r["Code"]) for r in records if str(r.get("Code", "")).strip().isdigit()]
            return {
                "Code": seed_data.pad_code(max(codes, default=1000) + 1),
                "Status": None,
                "IsSales": True,
                "IsSupplier": False,
                "Blocked": False,
                "Type": "A",
                "MainContact": None,
                **{f"Classification{n}": None for n in range(1, 9)},
            }
        if collection == "Contacts":
            if not fields.get("Account"):
                raise RecordError("a new contact needs Account (the ID of its account)")
            return {
                "HID": max((int(r["HID"]) for r in records), default=0) + 1,
                "IsMainContact": False,
                "IsMailingExcluded": False,
            }
        if collection == "Costcenters":
            if not fields.get("Code"):
                raise RecordError("a new cost center needs Code")
            return {"Active": True, "EndDate": None}
        return self._invoice_defaults(fields)

    def _invoice_defaults(self, fields: dict[str, Any]) -> Record:
        customer = self.find("Accounts", fields.get("InvoiceTo", "")) if fields else None
        if customer is None:
            raise RecordError("a new sales invoice needs InvoiceTo (the ID of an account)")
        today = self.clock.now().astimezone(self.settings.zone).date()
        number = max((int(r["InvoiceNumber"]) for r in self._data["SalesInvoices"]), default=0)
        names = {c["ID"]: c.get("FullName") for c in self._data["Contacts"]}
        condition = seed_data.PAYMENT_CONDITIONS[0]
        return {
            "InvoiceNumber": number + 1,
            "Type": 8020,
            "Status": 20,
            "InvoiceToName": customer["Name"],
            "InvoiceToContactPerson": customer.get("MainContact"),
            "InvoiceToContactPersonFullName": names.get(customer.get("MainContact")),
            "OrderedBy": customer["ID"],
            "OrderedByName": customer["Name"],
            "DeliverTo": customer["ID"],
            "DeliverToName": customer["Name"],
            "Currency": "EUR",
            "InvoiceDate": today,
            "DueDate": date.fromordinal(today.toordinal() + condition[2]),
            "PaymentCondition": condition[0],
            "PaymentConditionDescription": condition[1],
            "Journal": "70",
            "JournalDescription": "Sales journal",
            "Discount": 0.0,
            **{name: None for name in ("OrderNumber", "OrderDate", "YourRef", "Remarks")},
            "Description": None,
            "PaymentReference": None,
        }

    def _link_contact(self, contact: Record) -> None:
        account = self.find("Accounts", contact["Account"])
        if account is None:
            raise RecordError(f"no account {contact['Account']!r} for the contact")
        contact.update(
            Account=account["ID"],
            AccountName=account["Name"],
            AccountIsCustomer=account.get("Status") == "C",
            AccountIsSupplier=bool(account.get("IsSupplier")),
            AccountMainContact=account.get("MainContact"),
            Code=account["Code"],
        )
        contact.setdefault("FullName", None)
        if not contact["FullName"]:
            contact["FullName"] = _full_name(contact)

    def _coerce(self, edm: str, value: Any, name: str) -> Any:
        if value is None:
            return None
        try:
            if edm == "Edm.DateTime":
                return self._moment(value, name)
            if edm == "Edm.Guid":
                return str(uuid.UUID(str(value)))
            if edm == "Edm.Boolean":
                if not isinstance(value, bool):
                    raise TypeError("not a boolean")
                return value
            if edm in ("Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte"):
                if isinstance(value, bool):
                    raise TypeError("not a number")
                return int(value)
            if edm in ("Edm.Double", "Edm.Decimal"):
                return float(value)
            return str(value)
        except (TypeError, ValueError) as exc:
            raise RecordError(f"{name}: {value!r} is not a valid {edm}") from exc

    def _moment(self, value: Any, name: str) -> datetime | date:
        if name in DATE_ONLY_FIELDS:
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value)[:10])
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        # A naive value is an Amsterdam wall-clock reading, as Exact's own are.
        return from_wall_clock(moment, self.settings.zone)


def _full_name(contact: Record) -> str:
    parts = (contact.get("FirstName"), contact.get("MiddleName"), contact.get("LastName"))
    return " ".join(str(part) for part in parts if part)


def flatten_invoice(invoice: Record) -> list[Record]:
    """An invoice as the sync endpoint shows it: one header row (``LineNumber`` 0, ``ID`` =
    ``InvoiceID``, line-only fields null) and one row per line (header fields repeated, the
    header-only totals null, the line's own ``ID``, amounts and description).

    "If the line number is 0 it is the sales invoice header, if the line number is 1 or
    higher it is a sales invoice line" (SyncSalesInvoiceSalesInvoices docs).
    """
    header = {name: invoice.get(name) for name in INVOICE_FIELDS if name != "SalesInvoiceLines"}
    rows = [
        {
            **header,
            **dict.fromkeys(SYNC_LINE_ONLY),
            "ID": invoice["InvoiceID"],
            "LineNumber": 0,
            "Timestamp": invoice["Timestamp"],
        }
    ]
    rows.extend(
        {**header, **dict.fromkeys(SYNC_HEADER_ONLY), **line}
        for line in invoice["SalesInvoiceLines"]
    )
    return rows
