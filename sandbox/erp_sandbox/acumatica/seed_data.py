"""A deterministic, realistic Acumatica tenant: customers with main and billing contacts,
contacts, stock items, sales orders and sales invoices with detail lines.

Same :class:`SeedSize` → same records (GUIDs included). Records hold every field any
supported version returns; the version's endpoint definition picks what is shown.
Timestamps are spread over ``start`` to ``end`` (2024 to 2026); a "mass update" gives one
millisecond-identical ``LastModifiedDateTime`` to a share of every entity, so a client
paging with ``gt`` on the timestamp alone, or ordering by it, meets ties.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from erp_sandbox.netsuite.seed_data import (
    CITIES,
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_TLDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    MAILBOX_DOMAINS,
    STREETS,
)

Record = dict[str, Any]
# Names, companies, places and mailbox providers are NetSuite's seed vocabulary, shared by
# every ERP emulator; none of the email domains is a fake or reserved one.

#: Calling codes for the countries in ``CITIES``.
CALLING_CODES = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "NL": "31", "AU": "61"}
#: (inventory id stem, description, base price)
PRODUCTS = (
    ("DESK-OAK", "Oak standing desk", 649.0),
    ("CHAIR-ERG", "Ergonomic office chair", 389.0),
    ("LAMP-LED", "LED desk lamp", 59.5),
    ("MON-27", "27-inch 4K monitor", 329.99),
    ("KB-MECH", "Mechanical keyboard", 119.0),
    ("MOUSE-WL", "Wireless mouse", 34.99),
    ("CABLE-USBC", "USB-C cable 2 m", 12.5),
    ("DOCK-TB4", "Thunderbolt 4 dock", 249.0),
    ("HEADSET-BT", "Bluetooth headset", 149.0),
    ("CAM-HD", "HD web camera", 79.0),
    ("SHELF-WAL", "Walnut wall shelf", 89.0),
    ("BIN-STEEL", "Steel storage bin", 24.75),
    ("COFFEE-1KG", "Espresso beans 1 kg", 27.9),
    ("MUG-CER", "Ceramic mug", 9.95),
    ("BATT-AA24", "AA batteries, pack of 24", 18.4),
    ("PRINTER-LS", "Laser printer", 279.0),
    ("TONER-BK", "Black toner cartridge", 69.0),
    ("PAPER-A4", "A4 copy paper, 5 reams", 32.0),
    ("ROUTER-WF6", "Wi-Fi 6 router", 189.0),
    ("SSD-1TB", "1 TB NVMe SSD", 99.0),
)
VARIANTS = ("01", "02", "BLK", "WHT", "XL")
CUSTOMER_STATUSES = (
    ("Active", 80),
    ("On Hold", 6),
    ("Credit Hold", 4),
    ("Inactive", 7),
    ("One-Time", 3),
)
INVOICE_STATUSES = (("Balanced", 15), ("Open", 35), ("Closed", 40), ("On Hold", 10))
ORDER_STATUSES = (
    ("Open", 30),
    ("Completed", 35),
    ("On Hold", 8),
    ("Back Order", 7),
    ("Shipping", 10),
    ("Cancelled", 10),
)
ITEM_STATUSES = (("Active", 85), ("Inactive", 7), ("No Sales", 5), ("No Purchases", 3))
CURRENCIES = (("USD", 70), ("EUR", 12), ("GBP", 8), ("CAD", 10))
TERMS = (("30D", 15, 60), ("NET15", 15, 25), ("COD", 0, 15))  # (id, days, weight)
TAX_RATES = (0.0, 0.05, 0.0725, 0.08875)
LOYALTY_TIERS = ("Bronze", "Silver", "Gold", "Platinum")
REPAIR_TYPES = ("Battery", "Screen", "Mechanical", "Electrical")
CHANNELS = ("Email", "Phone", "SMS", "Mail")
JOB_TITLES = (
    "Accounts Payable Clerk",
    "Office Manager",
    "Purchasing Manager",
    "Owner",
    "Controller",
    "Operations Lead",
    "Buyer",
    "CFO",
)
NOTES = (
    "Prefers invoices by email.",
    "Call before delivery.",
    "Net terms approved by finance.",
    "Key account; quarterly review.",
    "Ships to loading dock B.",
)


@dataclass(frozen=True)
class SeedSize:
    """How much data to generate, and from which seed."""

    customers: int = 150
    contacts: int = 200
    stock_items: int = 40
    sales_orders: int = 100
    sales_invoices: int = 200
    #: Share of each entity whose last change is one shared "mass update" moment.
    mass_update_share: float = 0.05
    seed: int = 11
    #: Local dates (instance time zone) the data spans.
    start: str = "2024-01-01"
    end: str = "2026-10-31"
    #: Zone of ``start``/``end`` and of local dates; "" = the instance's time zone.
    time_zone: str = ""

    def __post_init__(self) -> None:
        for name in ("customers", "contacts", "stock_items", "sales_orders", "sales_invoices"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.stock_items == 0 and (self.sales_orders or self.sales_invoices):
            raise ValueError("orders and invoices need at least one stock item")
        if self.customers == 0 and (self.sales_orders or self.sales_invoices):
            raise ValueError("orders and invoices need at least one customer")
        if not 0 <= self.mass_update_share <= 1:
            raise ValueError("mass_update_share must be between 0 and 1")

    def to_json(self) -> dict[str, Any]:
        """The sizes as a JSON-ready dict."""
        return asdict(self)


class _Generator:
    """Draws every record from one seeded RNG, in a fixed order."""

    def __init__(self, size: SeedSize, zone_name: str) -> None:
        self.size = size
        self.rng = random.Random(size.seed)  # noqa: S311 - test data, not crypto
        zone = ZoneInfo(size.time_zone or zone_name)
        self.start = datetime.fromisoformat(size.start).replace(tzinfo=zone).astimezone(UTC)
        self.end = (
            datetime.fromisoformat(size.end).replace(tzinfo=zone) + timedelta(days=1)
        ).astimezone(UTC) - timedelta(milliseconds=1)
        self.zone = zone
        span = self.end - self.start
        #: One moment, late in the range at 02:00 local, when a batch job touched records.
        self.mass_update = (
            (self.start + span * 0.9)
            .astimezone(zone)
            .replace(hour=2, minute=0, second=0, microsecond=0)
            .astimezone(UTC)
        )

    # --- primitives ---------------------------------------------------------------------

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def weighted(self, choices: tuple[tuple[str, int], ...]) -> str:
        values, weights = zip(*choices, strict=True)
        return self.rng.choices(values, weights)[0]

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def moment(self, after: datetime | None = None, within_days: float | None = None) -> datetime:
        """A random instant (ms precision) after ``after`` (default: start), at most
        ``within_days`` later and never past ``end``."""
        low = after or self.start
        high = self.end
        if within_days is not None:
            high = min(high, low + timedelta(days=within_days))
        if high <= low:
            return low
        offset = self.rng.uniform(0, (high - low).total_seconds())
        moment = low + timedelta(seconds=offset)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

    def modified(self, created: datetime) -> datetime:
        """The last change after ``created``; a share of records get the mass update."""
        if self.chance(self.size.mass_update_share) and created < self.mass_update:
            return self.mass_update
        # Most records change within a few months of creation; some much later.
        return self.moment(created, within_days=self.rng.choice((2, 30, 120, 365, 1000)))

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def phone(self, country: str) -> str:
        code = CALLING_CODES.get(country, "1")
        if code == "1":
            area, exchange = self.rng.randint(201, 989), self.rng.randint(200, 999)
            return f"+1 {area}-{exchange}-{self.rng.randint(1000, 9999)}"
        return f"+{code} {self.rng.randint(20, 89)} {self.rng.randint(1000000, 9999999)}"

    def address(self) -> Record:
        country, state, city, postal = self.rng.choice(CITIES)
        return {
            "id": self.guid(),
            "AddressLine1": f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}",
            "AddressLine2": f"Suite {self.rng.randint(100, 900)}" if self.chance(0.25) else None,
            "City": city,
            "State": state or None,
            "PostalCode": None if self.chance(0.03) else postal,
            "Country": country,
        }

    def company(self, used: set[str]) -> tuple[str, str]:
        """A company name and its domain, unique. Once the word lists run short (large
        seeds), a branch number keeps names apart: ``Harbor Tools 12 LLC``."""
        attempt = 0
        while True:
            first, second = self.rng.choice(COMPANY_WORDS), self.rng.choice(COMPANY_KINDS)
            suffix = self.rng.choice(COMPANY_SUFFIXES)
            stem = f"{first} {second}" + (f" {len(used)}" if attempt >= 20 else "")
            name = stem + (f" {suffix}" if suffix else "")
            attempt += 1
            if name not in used:
                used.add(name)
                domain = "".join(stem.split()).lower()
                return name, f"{domain}.{self.rng.choice(COMPANY_TLDS)}"

    def email(self, first: str, last: str, domain: str | None) -> str:
        first, last = _letters(first), _letters(last)
        local = self.rng.choice(
            (f"{first}.{last}", f"{first[0]}{last}", f"{first}", f"{first}{last[0]}")
        )
        if domain is None:
            domain = self.rng.choice(MAILBOX_DOMAINS)
            local += str(self.rng.randint(1, 99)) if self.chance(0.5) else ""
        return f"{local}@{domain}"

    # --- entities -----------------------------------------------------------------------

    def customers(self) -> list[Record]:
        used: set[str] = set()
        customers = []
        for index in range(self.size.customers):
            is_company = self.chance(0.7)
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if is_company:
                name, domain = self.company(used)
                email_domain: str | None = domain
            else:
                name, email_domain = f"{first} {last}", None
            created = self.moment(within_days=None)
            main_address = self.address()
            main = {
                "id": self.guid(),
                "DisplayName": name,
                "CompanyName": name if is_company else None,
                "FirstName": first,
                "LastName": last,
                "Attention": f"{first} {last}" if is_company else None,
                "Email": None if self.chance(0.08) else self.email(first, last, email_domain),
                "Phone1": None if self.chance(0.1) else self.phone(main_address["Country"]),
                "Address": main_address,
            }
            override = self.chance(0.2)
            billing = {**main, "id": self.guid(), "Address": {**main_address, "id": self.guid()}}
            if override:
                billing["Attention"] = "Accounts Payable"
                billing["Email"] = f"ap@{email_domain or self.rng.choice(MAILBOX_DOMAINS)}"
                billing["Address"] = self.address()
            terms = self.rng.choices(TERMS, [t[2] for t in TERMS])[0][0]
            record_id = self.guid()
            customers.append(
                {
                    "id": record_id,
                    "note": self.rng.choice(NOTES) if self.chance(0.15) else "",
                    "NoteID": record_id,
                    "BAccountID": 7000 + index,
                    "CustomerID": f"C{index + 1:06d}",
                    "CustomerName": name,
                    "Status": self.weighted(CUSTOMER_STATUSES),
                    "CustomerClass": self.rng.choice(("DEFAULT", "WHOLESALE", "RETAIL", "INTL")),
                    "CustomerCategory": "Organization" if is_company else "Individual",
                    "CurrencyID": self.weighted(CURRENCIES),
                    "Email": main["Email"],
                    "PrimaryContactID": None,
                    "Terms": terms,
                    "CreditLimit": float(self.rng.choice((0, 5000, 10000, 25000, 50000))),
                    "BillingContactOverride": override,
                    "BillingAddressOverride": override,
                    "CreatedDateTime": created,
                    "LastModifiedDateTime": self.modified(created),
                    "MainContact": main,
                    "BillingContact": billing,
                    "custom": {
                        "CurrentCustomer": {
                            "UsrLoyaltyTier": self.rng.choice(LOYALTY_TIERS)
                            if self.chance(0.6)
                            else None
                        },
                        "DefContact": {"UsrMarketingOptIn": self.chance(0.55)},
                    },
                }
            )
        return customers

    def contacts(self, customers: list[Record]) -> list[Record]:
        contacts = []
        for index in range(self.size.contacts):
            account = self.rng.choice(customers) if customers and self.chance(0.75) else None
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            domain = None
            if account is not None and account["CustomerCategory"] == "Organization":
                domain = (account["MainContact"]["Email"] or "@").split("@", 1)[1] or None
            active = not self.chance(0.1)
            contact_id = 100001 + index
            record_id = self.guid()
            modified = self.modified(self.moment())
            contacts.append(
                {
                    "id": record_id,
                    "note": self.rng.choice(NOTES) if self.chance(0.1) else "",
                    "NoteID": record_id,
                    "ContactID": contact_id,
                    "Title": self.rng.choice(("Mr.", "Ms.", "Dr.", None, None)),
                    "FirstName": first,
                    "LastName": last,
                    "DisplayName": f"{first} {last}",
                    "JobTitle": self.rng.choice(JOB_TITLES) if account else None,
                    "CompanyName": account["CustomerName"] if account else None,
                    "BusinessAccount": account["CustomerID"] if account else None,
                    "Email": None if self.chance(0.05) else self.email(first, last, domain),
                    "Phone1": self.phone("US") if self.chance(0.8) else None,
                    "Phone1Type": "Business 1",
                    "Active": active,
                    "Status": "Active" if active else "Inactive",
                    "Type": "Contact",
                    "ContactClass": self.rng.choice(("DEFCONTACT", "PARTNER", "BILLING")),
                    "DoNotEmail": self.chance(0.08),
                    "NoMarketing": self.chance(0.12),
                    "NoMassMail": self.chance(0.1),
                    "DoNotCall": self.chance(0.05),
                    "OverrideSalesTerritory": False,
                    "ExtRefNbr": f"CRM-{contact_id}" if self.chance(0.3) else None,
                    "LastModifiedDateTime": modified,
                    "Address": self.address(),
                    "custom": {
                        "ContactCurrent": {
                            "UsrPreferredChannel": self.rng.choice(CHANNELS)
                            if self.chance(0.5)
                            else None
                        }
                    },
                }
            )
            if account is not None and account["PrimaryContactID"] is None:
                account["PrimaryContactID"] = contact_id
        return contacts

    def stock_items(self) -> list[Record]:
        items = []
        for index in range(self.size.stock_items):
            stem, description, price = PRODUCTS[index % len(PRODUCTS)]
            variant = VARIANTS[(index // len(PRODUCTS)) % len(VARIANTS)]
            round_ = index // (len(PRODUCTS) * len(VARIANTS))
            inventory_id = f"{stem}-{variant}" + (f"{round_}" if round_ else "")
            default_price = round(price * self.rng.uniform(0.9, 1.15), 2)
            modified = self.modified(self.moment())
            record_id = self.guid()
            items.append(
                {
                    "id": record_id,
                    "note": "",
                    "NoteID": record_id,
                    "InventoryID": inventory_id,
                    "Description": description + ("" if variant in ("01",) else f" ({variant})"),
                    "ItemStatus": self.weighted(ITEM_STATUSES),
                    "ItemClass": stem.split("-")[0],
                    "ItemType": "Finished Good",
                    "BaseUOM": "EA",
                    "SalesUOM": "EA",
                    "PurchaseUOM": "EA",
                    "DefaultPrice": default_price,
                    "MSRP": round(default_price * 1.2, 2),
                    "AverageCost": round(default_price * 0.6, 2),
                    "DefaultWarehouseID": "WHOLESALE",
                    "TaxCategory": "TAXABLE",
                    "ValuationMethod": "Average",
                    "LastModified": modified,
                    "LastModifiedDateTime": modified,
                    "custom": {
                        "ItemSettings": {
                            "UsrRepairItemType": self.rng.choice(REPAIR_TYPES)
                            if self.chance(0.4)
                            else None
                        }
                    },
                }
            )
        return items

    def lines(
        self, items: list[Record], quantity_field: str, description_field: str, price_field: str
    ) -> list[Record]:
        lines = []
        for number in range(1, self.rng.randint(1, 4) + 1):
            item = self.rng.choice(items)
            quantity = float(self.rng.choice((1, 1, 2, 3, 5, 10, 12)))
            unit_price = item["DefaultPrice"]
            line = {
                "id": self.guid(),
                "LineNbr": number,
                "InventoryID": item["InventoryID"],
                description_field: item["Description"],
                quantity_field: quantity,
                "UnitPrice": unit_price,
                price_field: round(quantity * unit_price, 2),
                "UOM": "EA",
                "WarehouseID": "WHOLESALE",
            }
            lines.append(line)
        return lines

    def sales_orders(self, customers: list[Record], items: list[Record]) -> list[Record]:
        orders = []
        for index in range(self.size.sales_orders):
            customer = self.rng.choice(customers)
            created = self.moment(customer["CreatedDateTime"])
            details = self.lines(items, "OrderQty", "LineDescription", "ExtendedPrice")
            for line in details:
                line["Amount"] = line["ExtendedPrice"]
            subtotal = round(sum(line["ExtendedPrice"] for line in details), 2)
            tax = round(subtotal * self.rng.choice(TAX_RATES), 2)
            status = self.weighted(ORDER_STATUSES)
            record_id = self.guid()
            orders.append(
                {
                    "id": record_id,
                    "note": "",
                    "NoteID": record_id,
                    "OrderType": "SO",
                    "OrderNbr": f"SO{index + 1:06d}",
                    "Status": status,
                    "Hold": status == "On Hold",
                    "CustomerID": customer["CustomerID"],
                    "CurrencyID": customer["CurrencyID"],
                    "Date": self.local_date(created),
                    "RequestedOn": self.local_date(created + timedelta(days=7)),
                    "Description": f"Order for {customer['CustomerName']}",
                    "CustomerOrder": f"PO-{self.rng.randint(10000, 99999)}"
                    if self.chance(0.6)
                    else None,
                    "OrderedQty": sum(line["OrderQty"] for line in details),
                    "TaxTotal": tax,
                    "OrderTotal": round(subtotal + tax, 2),
                    "CreatedDate": created,
                    "LastModified": self.modified(created),
                    "Details": details,
                }
            )
        return orders

    def sales_invoices(self, customers: list[Record], items: list[Record]) -> list[Record]:
        invoices = []
        numbers = {"Invoice": 0, "Credit Memo": 0}
        for _ in range(self.size.sales_invoices):
            customer = self.rng.choice(customers)
            kind = "Credit Memo" if self.chance(0.08) else "Invoice"
            numbers[kind] += 1
            prefix = "CRM" if kind == "Credit Memo" else "INV"
            created = self.moment(customer["CreatedDateTime"])
            details = self.lines(items, "Qty", "TransactionDescr", "Amount")
            for line in details:
                line["TaxCategory"] = "TAXABLE"
                line["DiscountAmount"] = 0.0
                line["NoteID"] = line["id"]
                line["Account"] = "40000"
            status = self.weighted(INVOICE_STATUSES)
            if kind == "Credit Memo" and status == "On Hold":
                status = "Balanced"
            terms_days = {t[0]: t[1] for t in TERMS}[customer["Terms"]]
            invoice_date = self.local_date(created)
            modified = self.modified(created)
            record_id = self.guid()
            invoice = {
                "id": record_id,
                "note": self.rng.choice(NOTES) if self.chance(0.05) else "",
                "Type": kind,
                "ReferenceNbr": f"{prefix}{numbers[kind]:06d}",
                "Status": status,
                "Hold": status == "On Hold",
                "CreditHold": False,
                "CustomerID": customer["CustomerID"],
                "Currency": customer["CurrencyID"],
                "Date": invoice_date,
                "DueDate": invoice_date + timedelta(days=terms_days),
                "Description": f"{kind} for {customer['CustomerName']}",
                "CustomerOrder": f"PO-{self.rng.randint(10000, 99999)}"
                if self.chance(0.6)
                else None,
                "DiscountTotal": 0.0,
                "CreatedDate": created,
                "LastModifiedDateTime": modified,
                "LastModifiedDate": modified,
                "Details": details,
                "custom": {
                    "Document": {
                        "UsrExternalOrderRef": f"SHOP-{self.rng.randint(10000, 99999)}"
                        if self.chance(0.3)
                        else None
                    }
                },
            }
            invoice["_tax_rate"] = self.rng.choice(TAX_RATES)
            apply_invoice_totals(invoice)
            if status == "Open" and self.chance(0.3):
                invoice["Balance"] = round(invoice["Amount"] * self.rng.uniform(0.2, 0.8), 2)
            invoices.append(invoice)
        return invoices


def _letters(name: str) -> str:
    """A name as it appears in an email address (``O'Brien`` → ``obrien``)."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def apply_invoice_totals(invoice: Record) -> None:
    """Recompute ``DetailTotal``, ``TaxTotal``, ``Amount`` and ``Balance`` from the lines
    (line ``Amount`` = ``Qty`` * ``UnitPrice``). ``_tax_rate`` is internal, never rendered."""
    for line in invoice.get("Details", []):
        line["Amount"] = round(float(line.get("Qty") or 0) * float(line.get("UnitPrice") or 0), 2)
    detail_total = round(sum(line["Amount"] for line in invoice.get("Details", [])), 2)
    tax = round(detail_total * float(invoice.get("_tax_rate", 0.0)), 2)
    invoice["DetailTotal"] = detail_total
    invoice["TaxTotal"] = tax
    invoice["Amount"] = round(detail_total + tax, 2)
    invoice["Balance"] = 0.0 if invoice.get("Status") == "Closed" else invoice["Amount"]


def apply_order_totals(order: Record) -> None:
    """Recompute line ``ExtendedPrice``/``Amount`` and the order's ``OrderedQty``,
    ``OrderTotal`` (tax kept as a share of the old subtotal)."""
    old_subtotal = round(float(order.get("OrderTotal", 0)) - float(order.get("TaxTotal", 0)), 2)
    rate = float(order.get("TaxTotal", 0)) / old_subtotal if old_subtotal else 0.0
    for line in order.get("Details", []):
        line["ExtendedPrice"] = round(
            float(line.get("OrderQty") or 0) * float(line.get("UnitPrice") or 0), 2
        )
        line["Amount"] = line["ExtendedPrice"]
    subtotal = round(sum(line["ExtendedPrice"] for line in order.get("Details", [])), 2)
    order["OrderedQty"] = sum(float(line.get("OrderQty") or 0) for line in order["Details"])
    order["TaxTotal"] = round(subtotal * rate, 2)
    order["OrderTotal"] = round(subtotal + order["TaxTotal"], 2)


def generate(size: SeedSize, zone_name: str = "America/New_York") -> dict[str, list[Record]]:
    """Every entity's records, in key order; ``zone_name`` is the instance's time zone."""
    generator = _Generator(size, zone_name)
    customers = generator.customers()
    contacts = generator.contacts(customers)
    items = generator.stock_items()
    orders = generator.sales_orders(customers, items) if customers and items else []
    invoices = generator.sales_invoices(customers, items) if customers and items else []
    return {
        "Customer": customers,
        "Contact": contacts,
        "StockItem": items,
        "SalesOrder": orders,
        "SalesInvoice": invoices,
    }
