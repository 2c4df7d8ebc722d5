"""A deterministic, realistic Exact Online administration (division): accounts,
contacts, cost centers, sales invoices with lines, and deletions already in
``sync/Deleted``.

Same :class:`SeedSize` → same records, GUIDs and ``Timestamp`` values included. Records
hold true instants (aware UTC datetimes) and dates; rendering turns them into Amsterdam
wall-clock values. Every row gets a rowversion ``Timestamp`` in the order of its last
change, across the whole division, with gaps (other tables share the counter at Exact).

Quirks on purpose:

* ``Code`` of accounts is 18 characters, left-padded with spaces;
* one e-mail address belongs to an account and to a contact of another account;
* some accounts and contacts have no e-mail address; some accounts are suppliers;
* a "mass update" gives one millisecond-identical ``Modified`` to a share of accounts and
  contacts, so paging with ``Modified gt`` alone loses rows;
* a few records change right around the daylight-saving switches (last Sunday of March
  and of October) of 2024, 2025 and 2026 — see :data:`DST_EDGES`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from erp_sandbox.netsuite.seed_data import (
    CITIES,
    COMPANY_KINDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    ITEM_COLOURS,
    ITEM_NOUNS,
    LAST_NAMES,
    MAILBOX_DOMAINS,
    STREETS,
)

Record = dict[str, Any]
# Names, companies, places and mailbox providers are NetSuite's seed vocabulary, shared by
# every ERP emulator; none of the e-mail domains is a fake or reserved one.

#: The first rowversion handed out; above 2**32 so clients must keep 64 bits.
FIRST_TIMESTAMP = 8_412_906_113
ZONE = ZoneInfo("Europe/Amsterdam")

#: The signed-in user (``/current/Me``) and colleagues who create and change records.
USERS = (
    ("3e1f7a52-8c4d-4b6e-a1f0-5d2c9e8b7a31", "Sanne de Vries"),
    ("9b0c4d21-6e5f-4a3b-8c7d-1e2f3a4b5c6d", "Joost Bakker"),
    ("c7d8e9f0-1a2b-4c3d-9e4f-5a6b7c8d9e0f", "Fatima El Amrani"),
    ("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0", "Pieter Jansen"),
)
ME_USER_NAME = "sanne.devries@noorderlichthandel.nl"
#: The customer that owns the division (``Me.DivisionCustomer``).
DIVISION_CUSTOMER = ("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "1", "Noorderlicht Handel B.V.")

#: Dutch and Belgian places next to NetSuite's (country, state, city, postcode).
LOCAL_CITIES = (
    ("NL", None, "Utrecht", "3511 AB"),
    ("NL", None, "Rotterdam", "3011 AA"),
    ("NL", None, "Groningen", "9711 AA"),
    ("NL", None, "Eindhoven", "5611 AA"),
    ("NL", None, "Den Haag", "2511 AA"),
    ("BE", None, "Antwerpen", "2000"),
    ("BE", None, "Gent", "9000"),
)
LOCAL_STREETS = ("Oudegracht", "Coolsingel", "Grote Markt", "Stationsplein", "Meir")
COUNTRY_NAMES = {
    "NL": "Netherlands",
    "BE": "Belgium",
    "DE": "Germany",
    "FR": "France",
    "GB": "United Kingdom",
    "US": "United States",
    "CA": "Canada",
    "AU": "Australia",
}
CALLING_CODES = {"NL": "31", "BE": "32", "DE": "49", "FR": "33", "GB": "44", "AU": "61"}
LOCAL_TLDS = ("nl", "nl", "nl", "be", "de", "eu", "com")
MIDDLE_NAMES = ("van", "de", "van der", "van den", "ter", "van de")
JOB_TITLES = (
    "Inkoper",
    "Office manager",
    "Financial controller",
    "Eigenaar",
    "Operations manager",
    "Accounts payable",
    "Directeur",
)
#: (Status, IsSales, IsSupplier, weight): Status A=None, S=Suspect, P=Prospect,
#: C=Customer (reference C3).
ACCOUNT_KINDS = (
    ("C", True, False, 52),
    ("C", True, True, 8),
    ("P", True, False, 14),
    ("S", True, False, 10),
    ("A", True, False, 6),
    ("A", False, True, 10),
)
CLASSIFICATIONS = (
    "2f8a6c1e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "7c6b5a49-3827-4f16-9e5d-4c3b2a190817",
    "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
)
COSTCENTERS = (
    ("100", "Sales Benelux", True),
    ("110", "Sales DACH", True),
    ("200", "Marketing", True),
    ("300", "Customer Service", True),
    ("400", "E-commerce", True),
    ("500", "Wholesale", True),
    ("600", "Projects", True),
    ("900", "General & Administration", False),
)
#: (code, description, percentage as a fraction, as Exact stores it)
VAT_CODES = (("2", "BTW 21%", 0.21), ("1", "BTW 9%", 0.09), ("0", "BTW 0% export", 0.0))
GL_ACCOUNTS = (
    ("8e7d6c5b-4a39-4281-9f0e-d1c2b3a49586", "8000", "Revenue high VAT"),
    ("1d2c3b4a-5968-4776-8594-a3b2c1d0e9f8", "8010", "Revenue low VAT"),
    ("6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918", "8100", "Revenue export"),
)
#: (code, description, days, weight)
PAYMENT_CONDITIONS = (("14", "14 days", 14, 50), ("30", "30 days", 30, 40), ("00", "Direct", 0, 10))
#: (code, rate to EUR, weight); (status, weight)
CURRENCIES = (("EUR", 1.0, 85), ("USD", 0.92, 8), ("GBP", 1.17, 7))
CURRENCY_RATES = {code: rate for code, rate, _ in CURRENCIES}
INVOICE_STATUSES = ((10, 10), (20, 30), (50, 60))
STATUS_DESCRIPTIONS = {10: "Draft", 20: "Open", 50: "Processed"}
TYPE_DESCRIPTIONS = {8020: "Sales invoice", 8021: "Sales credit note"}
#: Records changed right around a daylight-saving switch: (collection, index, instant).
#: The October pairs are one hour apart but read the same on the wall clock.
DST_EDGES = (
    ("Accounts", 3, "2025-03-30T00:59:59.250+00:00"),  # 01:59:59.250 CET
    ("Accounts", 4, "2025-03-30T01:00:00.750+00:00"),  # 03:00:00.750 CEST
    ("Accounts", 5, "2025-10-26T00:30:00.000+00:00"),  # 02:30 CEST (first pass)
    ("Accounts", 6, "2025-10-26T01:30:00.000+00:00"),  # 02:30 CET (second pass)
    ("Contacts", 3, "2024-03-31T00:59:00.000+00:00"),  # 01:59 CET
    ("Contacts", 4, "2024-03-31T01:01:00.000+00:00"),  # 03:01 CEST
    ("Contacts", 5, "2024-10-27T00:15:00.000+00:00"),  # 02:15 CEST
    ("Contacts", 6, "2024-10-27T01:15:00.000+00:00"),  # 02:15 CET
    ("SalesInvoices", 2, "2026-03-29T01:00:00.500+00:00"),  # 03:00:00.500 CEST
    ("SalesInvoices", 3, "2026-10-25T01:45:00.000+00:00"),  # 02:45 CET (second pass)
)
#: One account and a contact of another account share this address's owner's e-mail.
SHARED_EMAIL_ACCOUNT, SHARED_EMAIL_CONTACT = 7, 11


@dataclass(frozen=True)
class SeedSize:
    """How much data to generate, and from which seed."""

    accounts: int = 125
    contacts: int = 150
    costcenters: int = 8
    sales_invoices: int = 180
    #: Deletions already waiting in ``sync/Deleted``.
    deleted: int = 6
    #: Share of accounts and contacts whose last change is one shared moment.
    mass_update_share: float = 0.05
    seed: int = 31
    #: Local (Amsterdam) dates the data spans.
    start: str = "2024-01-01"
    end: str = "2026-10-31"

    def __post_init__(self) -> None:
        for name in ("accounts", "contacts", "costcenters", "sales_invoices", "deleted"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.accounts == 0 and (self.contacts or self.sales_invoices):
            raise ValueError("contacts and invoices need at least one account")
        if not 0 <= self.mass_update_share <= 1:
            raise ValueError("mass_update_share must be between 0 and 1")
        if date.fromisoformat(self.end) < date.fromisoformat(self.start):
            raise ValueError("end must not be before start")

    def to_json(self) -> dict[str, Any]:
        """The sizes as a JSON-ready dict."""
        return asdict(self)


def pad_code(code: str | int) -> str:
    """Exact's account code: 18 characters, right-aligned with leading spaces."""
    return str(code).strip().rjust(18)


def invoice_totals(invoice: Record) -> None:
    """Recompute line amounts and the header totals from quantities and prices.

    ``AmountFC`` of a line excludes VAT; the header's ``AmountFC`` includes it, and
    ``AmountFCExclVat`` is the sum of the lines (SalesInvoices/SyncSalesInvoice docs).
    """
    rate = CURRENCY_RATES.get(str(invoice.get("Currency")), 1.0)
    excl = vat = discount = 0.0
    for line in invoice.get("SalesInvoiceLines", []):
        quantity = float(line.get("Quantity") or 0.0)
        unit = float(line.get("UnitPrice") or 0.0)
        line_discount = float(line.get("Discount") or 0.0)
        line["NetPrice"] = round(unit * (1 - line_discount), 2)
        line["AmountFC"] = round(quantity * line["NetPrice"], 2)
        line["AmountDC"] = round(line["AmountFC"] * rate, 2)
        line["VATAmountFC"] = round(line["AmountFC"] * float(line.get("VATPercentage") or 0), 2)
        line["VATAmountDC"] = round(line["VATAmountFC"] * rate, 2)
        excl += line["AmountFC"]
        vat += line["VATAmountFC"]
        discount += quantity * unit * line_discount
    invoice["AmountFCExclVat"] = round(excl, 2)
    invoice["VATAmountFC"] = round(vat, 2)
    invoice["AmountFC"] = round(excl + vat, 2)
    invoice["AmountDC"] = round(invoice["AmountFC"] * rate, 2)
    invoice["VATAmountDC"] = round(vat * rate, 2)
    invoice["AmountDiscountExclVat"] = round(discount * rate, 2)
    rates = [float(line.get("VATPercentage") or 0) for line in invoice["SalesInvoiceLines"]]
    average_vat = sum(rates) / len(rates) if rates else 0.0
    invoice["AmountDiscount"] = round(discount * rate * (1 + average_vat), 2)


class _Generator:
    """Draws every record from one seeded RNG, in a fixed order."""

    def __init__(self, size: SeedSize, division: int) -> None:
        self.size = size
        self.division = division
        self.rng = random.Random(size.seed)  # noqa: S311 - test data, not crypto
        self.start = datetime.fromisoformat(size.start).replace(tzinfo=ZONE).astimezone(UTC)
        self.end = (
            datetime.fromisoformat(size.end).replace(tzinfo=ZONE) + timedelta(days=1)
        ).astimezone(UTC) - timedelta(milliseconds=1)
        span = self.end - self.start
        #: One moment, late in the range at 02:00 local, when a batch job touched records.
        self.mass_update = (
            (self.start + span * 0.9)
            .astimezone(ZONE)
            .replace(hour=2, minute=0, second=0, microsecond=0)
            .astimezone(UTC)
        )

    # --- primitives ---------------------------------------------------------------------

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def weighted(self, choices: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
        """One of ``choices``, each a tuple whose last element is its weight."""
        return self.rng.choices(choices, [c[-1] for c in choices])[0]

    def moment(self, after: datetime | None = None, within_days: float | None = None) -> datetime:
        """A random instant (ms precision) after ``after``, at most ``within_days`` later
        and never past the end."""
        low = after or self.start
        high = self.end if within_days is None else min(self.end, low + timedelta(within_days))
        if high <= low:
            return low
        offset = self.rng.uniform(0, (high - low).total_seconds())
        moment = low + timedelta(seconds=offset)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def modified(self, created: datetime, *, mass: bool = True) -> datetime:
        if mass and self.chance(self.size.mass_update_share) and created < self.mass_update:
            return self.mass_update
        return self.moment(created, within_days=self.rng.choice((1, 20, 90, 300, 900)))

    def user(self) -> tuple[str, str]:
        return self.rng.choice(USERS)

    def stamps(self, created: datetime, modified: datetime) -> Record:
        creator, modifier = self.user(), self.user()
        return {
            "Created": created,
            "Creator": creator[0],
            "CreatorFullName": creator[1],
            "Modified": modified,
            "Modifier": modifier[0],
            "ModifierFullName": modifier[1],
            "Division": self.division,
        }

    def place(self) -> tuple[str, str | None, str, str]:
        if self.chance(0.6):
            return self.rng.choice(LOCAL_CITIES)
        return self.rng.choice(CITIES)

    def phone(self, country: str) -> str:
        code = CALLING_CODES.get(country)
        if code is None:
            area, exchange = self.rng.randint(201, 989), self.rng.randint(200, 999)
            return f"+1 {area}-{exchange}-{self.rng.randint(1000, 9999)}"
        return f"+{code} {self.rng.randint(10, 79)} {self.rng.randint(1000000, 9999999)}"

    # --- entities -----------------------------------------------------------------------

    def accounts(self) -> list[Record]:
        used: set[str] = set()
        accounts = []
        for index in range(self.size.accounts):
            status, is_sales, is_supplier, _ = self.weighted(ACCOUNT_KINDS)
            attempt = 0
            while True:
                word, kind = self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_KINDS)
                suffix = self.rng.choice(("B.V.", "B.V.", "N.V.", "BV", "GmbH", "Ltd", ""))
                # Once the word lists run short (large seeds), a branch number keeps
                # names apart: "Noord Techniek 12 B.V.".
                stem = f"{word} {kind}" + (f" {len(used)}" if attempt >= 20 else "")
                name = stem + (f" {suffix}" if suffix else "")
                attempt += 1
                if name not in used:
                    used.add(name)
                    break
            domain = "".join(stem.split()).lower() + "." + self.rng.choice(LOCAL_TLDS)
            country, state, city, postcode = self.place()
            created = self.moment()
            email = None
            if index == SHARED_EMAIL_ACCOUNT or not self.chance(0.09):
                email = f"{self.rng.choice(('info', 'sales', 'administratie', 'finance'))}@{domain}"
            streets = LOCAL_STREETS if country in ("NL", "BE") else STREETS
            record = {
                "ID": self.guid(),
                "Code": pad_code(1001 + index),
                "Name": name,
                "SearchCode": word.upper()[:10],
                "Status": status,
                "IsSales": is_sales,
                "IsSupplier": is_supplier,
                "Blocked": self.chance(0.03),
                "Type": "A",
                "Email": email,
                "Phone": self.phone(country) if self.chance(0.85) else None,
                "Website": f"www.{domain}" if self.chance(0.6) else None,
                "AddressLine1": f"{self.rng.choice(streets)} {self.rng.randint(1, 250)}",
                "AddressLine2": f"Unit {self.rng.randint(1, 40)}" if self.chance(0.15) else None,
                "Postcode": postcode,
                "City": city,
                "State": state,
                "Country": country,
                "CountryName": COUNTRY_NAMES.get(country, country),
                "Language": "NL" if country in ("NL", "BE") else "EN",
                "VATNumber": f"NL{self.rng.randint(100000000, 999999999)}B01"
                if country == "NL" and self.chance(0.7)
                else None,
                "ChamberOfCommerce": str(self.rng.randint(10000000, 99999999))
                if country == "NL"
                else None,
                "MainContact": None,
                **{f"Classification{n}": None for n in range(1, 9)},
                **self.stamps(created, self.modified(created)),
                "_domain": domain,
            }
            if self.chance(0.6):
                record["Classification1"] = self.rng.choice(CLASSIFICATIONS)
            accounts.append(record)
        return accounts

    def contacts(self, accounts: list[Record]) -> list[Record]:
        contacts = []
        # Cumulative weights once: `choices(weights=…)` sums them on every call.
        weights = list(accumulate(3 if a["Status"] == "C" else 1 for a in accounts))
        for index in range(self.size.contacts):
            account = self.rng.choices(accounts, cum_weights=weights)[0]
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            middle = self.rng.choice(MIDDLE_NAMES) if self.chance(0.2) else None
            full = " ".join(part for part in (first, middle, last) if part)
            local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
            domain = account["_domain"]
            if self.chance(0.25):
                domain = self.rng.choice(MAILBOX_DOMAINS)
                local += str(self.rng.randint(1, 99)) if self.chance(0.5) else ""
            email = None if self.chance(0.06) else f"{local}@{domain}"
            created = self.moment()
            is_main = account["MainContact"] is None
            record = {
                "ID": self.guid(),
                "HID": index + 1,
                "Account": account["ID"],
                "AccountName": account["Name"],
                "AccountIsCustomer": account["Status"] == "C",
                "AccountIsSupplier": account["IsSupplier"],
                "AccountMainContact": None,
                "Code": account["Code"],
                "FirstName": first,
                "MiddleName": middle,
                "LastName": last,
                "FullName": full,
                "Initials": f"{first[0]}.",
                "Email": email,
                "BusinessEmail": email if self.chance(0.5) else None,
                "BusinessPhone": self.phone(account["Country"]) if self.chance(0.7) else None,
                "BusinessMobile": None,
                "Mobile": self.phone(account["Country"]) if self.chance(0.4) else None,
                "Phone": None,
                "JobTitleDescription": self.rng.choice(JOB_TITLES) if self.chance(0.6) else None,
                "IsMainContact": is_main,
                "IsMailingExcluded": self.chance(0.1),
                "Language": account["Language"],
                "City": account["City"],
                "Postcode": account["Postcode"],
                "Country": account["Country"],
                **self.stamps(created, self.modified(created)),
            }
            if is_main:
                account["MainContact"] = record["ID"]
            contacts.append(record)
        by_id = {a["ID"]: a for a in accounts}
        for contact in contacts:
            contact["AccountMainContact"] = by_id[contact["Account"]]["MainContact"]
        if len(accounts) > SHARED_EMAIL_ACCOUNT and len(contacts) > SHARED_EMAIL_CONTACT:
            shared = accounts[SHARED_EMAIL_ACCOUNT]
            duplicate = contacts[SHARED_EMAIL_CONTACT]
            if duplicate["Account"] == shared["ID"]:  # keep them in different accounts
                other = next(a for a in accounts if a["ID"] != shared["ID"])
                duplicate.update(Account=other["ID"], AccountName=other["Name"], Code=other["Code"])
            duplicate["Email"] = shared["Email"]
        return contacts

    def costcenters(self) -> list[Record]:
        centers = []
        for index in range(self.size.costcenters):
            code, description, active = COSTCENTERS[index % len(COSTCENTERS)]
            if index >= len(COSTCENTERS):
                code = f"{code}{index // len(COSTCENTERS)}"
            created = self.moment(within_days=30)
            modified = self.modified(created, mass=False)
            centers.append(
                {
                    "ID": self.guid(),
                    "Code": code,
                    "Description": description,
                    "Active": active,
                    "EndDate": None if active else modified.astimezone(ZONE).date(),
                    **self.stamps(created, modified),
                }
            )
        return centers

    def sales_invoices(self, accounts: list[Record], centers: list[Record]) -> list[Record]:
        customers = [a for a in accounts if a["IsSales"]] or accounts
        active = [c for c in centers if c["Active"]]
        weights = list(accumulate(4 if a["Status"] == "C" else 1 for a in customers))
        items = [
            (
                self.guid(),
                f"{noun[:4].upper()}-{colour[:3].upper()}",
                f"{noun} {colour.lower()}",
                round(self.rng.uniform(4, 400), 2),
            )
            for noun in ITEM_NOUNS[:10]
            for colour in ITEM_COLOURS[:3]
        ]
        created_moments = sorted(self.moment() for _ in range(self.size.sales_invoices))
        per_year: dict[int, int] = {}
        invoices = []
        for created in created_moments:
            customer = self.rng.choices(customers, cum_weights=weights)[0]
            local_day = created.astimezone(ZONE).date()
            per_year[local_day.year] = per_year.get(local_day.year, 0) + 1
            number = int(f"{local_day.year % 100}70{per_year[local_day.year]:04d}")
            status = self.weighted(INVOICE_STATUSES)[0]
            credit = self.chance(0.08)
            currency = self.weighted(CURRENCIES)[0]
            condition = self.weighted(PAYMENT_CONDITIONS)
            export = customer["Country"] not in ("NL",)
            invoice_id = self.guid()
            lines = []
            for line_number in range(1, self.rng.randint(1, 4) + 1):
                item_id, item_code, item_description, price = self.rng.choice(items)
                vat_code, vat_description, vat = (
                    VAT_CODES[2] if export else VAT_CODES[0 if self.chance(0.8) else 1]
                )
                gl = GL_ACCOUNTS[2] if export else GL_ACCOUNTS[0 if vat_code == "2" else 1]
                center = self.rng.choice(active) if active and self.chance(0.7) else None
                quantity = float(self.rng.choice((1, 1, 2, 3, 5, 10, 24)))
                lines.append(
                    {
                        "ID": self.guid(),
                        "InvoiceID": invoice_id,
                        "LineNumber": line_number,
                        "Item": item_id,
                        "ItemCode": item_code,
                        "ItemDescription": item_description,
                        "Description": item_description,
                        "Quantity": -quantity if credit else quantity,
                        "UnitPrice": price,
                        "Discount": self.rng.choice((0.05, 0.1)) if self.chance(0.2) else 0.0,
                        "UnitCode": "pc",
                        "UnitDescription": "Piece",
                        "VATCode": vat_code,
                        "VATCodeDescription": vat_description,
                        "VATPercentage": vat,
                        "GLAccount": gl[0],
                        "GLAccountDescription": f"{gl[1]} {gl[2]}",
                        "CostCenter": center["Code"] if center else None,
                        "CostCenterDescription": center["Description"] if center else None,
                        "Division": self.division,
                    }
                )
            invoice_type = 8021 if credit else 8020
            ordered = self.chance(0.4)
            invoice = {
                "InvoiceID": invoice_id,
                "InvoiceNumber": number,
                "Type": invoice_type,
                "TypeDescription": TYPE_DESCRIPTIONS[invoice_type],
                "Status": status,
                "StatusDescription": STATUS_DESCRIPTIONS[status],
                "InvoiceTo": customer["ID"],
                "InvoiceToName": customer["Name"],
                "InvoiceToContactPerson": customer["MainContact"],
                "InvoiceToContactPersonFullName": None,
                "OrderedBy": customer["ID"],
                "OrderedByName": customer["Name"],
                "DeliverTo": customer["ID"],
                "DeliverToName": customer["Name"],
                "Currency": currency,
                "InvoiceDate": local_day,
                "DueDate": local_day + timedelta(days=condition[2]),
                "PaymentCondition": condition[0],
                "PaymentConditionDescription": condition[1],
                "PaymentReference": f"{number:016d}",
                "Journal": "70",
                "JournalDescription": "Sales journal",
                "Description": ("Credit " if credit else "")
                + f"{customer['Name']} {local_day:%b %Y}",
                "Discount": 0.0,
                "OrderNumber": self.rng.randint(1000, 9999) if ordered else None,
                "OrderDate": local_day - timedelta(days=self.rng.randint(0, 10))
                if ordered
                else None,
                "YourRef": f"PO-{self.rng.randint(10000, 99999)}" if self.chance(0.3) else None,
                "Remarks": None,
                "SalesInvoiceLines": lines,
                **self.stamps(created, self.modified(created, mass=False)),
            }
            invoice_totals(invoice)
            invoices.append(invoice)
        return invoices

    def deleted(self) -> list[Record]:
        types = (2, 5, 13, 5, 2, 5)
        return [
            {
                "ID": self.guid(),
                "EntityKey": self.guid(),
                "EntityType": types[index % len(types)],
                "DeletedBy": self.user()[0],
                "DeletedDate": self.moment(self.start + (self.end - self.start) * 0.5),
                "Division": self.division,
            }
            for index in range(self.size.deleted)
        ]

    def apply_dst_edges(self, collections: dict[str, list[Record]]) -> None:
        for collection, index, instant in DST_EDGES:
            records = collections.get(collection, [])
            if index >= len(records):
                continue
            moment = datetime.fromisoformat(instant)
            record = records[index]
            record["Modified"] = moment
            if record["Created"] > moment:
                record["Created"] = max(self.start, moment - timedelta(days=40))

    def timestamps(self, collections: dict[str, list[Record]]) -> int:
        """Give every row a rowversion in the order of its last change; returns the last."""
        events: list[tuple[datetime, int, Record]] = []
        order = 0
        for name in ("Costcenters", "Accounts", "Contacts", "SalesInvoices"):
            for record in collections[name]:
                events.append((record["Modified"], order, record))
                order += 1
        for record in collections["Deleted"]:
            events.append((record["DeletedDate"], order, record))
            order += 1
        events.sort(key=lambda event: (event[0], event[1]))
        value = FIRST_TIMESTAMP
        for _, _, record in events:
            rows = [record, *record.get("SalesInvoiceLines", [])]
            for row in rows:
                value += self.rng.randint(1, 5)
                row["Timestamp"] = value
        return value


def generate(size: SeedSize, division: int) -> dict[str, Any]:
    """A generated division: ``{"Accounts": [...], "Contacts": [...], "Costcenters":
    [...], "SalesInvoices": [...], "Deleted": [...], "rowversion": <last Timestamp>}``."""
    generator = _Generator(size, division)
    accounts = generator.accounts()
    contacts = generator.contacts(accounts)
    centers = generator.costcenters()
    invoices = generator.sales_invoices(accounts, centers)
    names = {c["ID"]: c["FullName"] for c in contacts}
    for invoice in invoices:
        invoice["InvoiceToContactPersonFullName"] = names.get(invoice["InvoiceToContactPerson"])
    collections: dict[str, list[Record]] = {
        "Accounts": accounts,
        "Contacts": contacts,
        "Costcenters": centers,
        "SalesInvoices": invoices,
        "Deleted": generator.deleted(),
    }
    generator.apply_dst_edges(collections)
    last = generator.timestamps(collections)
    for account in accounts:
        del account["_domain"]
    return {**collections, "rowversion": last}
