"""A deterministic, realistic NetSuite account: customers, addresses, subsidiaries,
items, sales orders with lines, invoices and deleted records.

Same :class:`SeedSize` → same rows. Timestamps are drawn from a pool smaller than the
number of rows, so many rows share a ``lastmodifieddate`` second, and a "mass update"
gives one second to a share of every table (a client ordering by date alone, or paging
with ``>`` on the date alone, loses or repeats rows).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from erp_sandbox.netsuite.date_formats import stored
from erp_sandbox.netsuite.schema import TABLES, TRANSACTION_STATUSES

FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Oliver",
    "Sophia",
    "Elijah",
    "Isabella",
    "Lucas",
    "Mia",
    "Mateo",
    "Amelia",
    "Levi",
    "Harper",
    "Ethan",
    "Evelyn",
    "James",
    "Abigail",
    "Benjamin",
    "Emily",
    "Henry",
    "Ella",
    "Sebastian",
    "Chloe",
    "Jack",
    "Lena",
    "Jonas",
    "Clara",
    "Paul",
    "Marie",
    "Felix",
    "Chiara",
    "Luca",
    "Sofia",
    "Hugo",
    "Ines",
    "Lea",
    "Theo",
    "Nora",
    "Aarav",
    "Priya",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Omar",
    "Layla",
    "Kofi",
    "Amara",
    "Diego",
    "Lucia",
    "Mateus",
    "Ana",
    "Pierre",
    "Camille",
    "Sven",
    "Freya",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mueller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Dubois",
    "Lefevre",
    "Moreau",
    "Rossi",
    "Bianchi",
    "Tanaka",
    "Sato",
    "Okafor",
    "Mensah",
    "Patel",
    "Sharma",
    "Kowalski",
    "Nowak",
    "Jensen",
    "Nielsen",
    "Silva",
    "Santos",
    "O'Brien",
    "Murphy",
]
COMPANY_WORDS = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Wingtip",
    "Litware",
    "Adatum",
    "Proseware",
    "Lucerne",
    "Coho",
    "Alpine",
    "Summit",
    "Harbor",
    "Cedar",
    "Granite",
    "Redwood",
    "Bluebird",
    "Ironbridge",
    "Silverline",
    "Brightpath",
    "Keystone",
    "Meridian",
    "Oakridge",
    "Pioneer",
    "Riverbend",
    "Sterling",
    "Trident",
    "Vantage",
    "Westfield",
    "Zephyr",
]
COMPANY_KINDS = [
    "Traders",
    "Supply",
    "Outfitters",
    "Logistics",
    "Foods",
    "Textiles",
    "Hardware",
    "Labs",
    "Studios",
    "Partners",
    "Electric",
    "Interiors",
    "Bikes",
    "Coffee",
    "Roasters",
    "Garden",
    "Tools",
    "Optics",
    "Marine",
    "Pharma",
]
COMPANY_SUFFIXES = ("Inc.", "LLC", "Ltd", "GmbH", "SARL", "Co.", "Corp.", "", "", "")
MAILBOX_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
    "proton.me",
    "gmx.de",
    "web.de",
    "orange.fr",
    "fastmail.com",
)
COMPANY_TLDS = ("com", "com", "io", "co.uk", "de", "fr", "net", "co")
CITIES = (
    ("US", "CA", "San Francisco", "94107"),
    ("US", "CA", "Los Angeles", "90012"),
    ("US", "NY", "New York", "10001"),
    ("US", "TX", "Austin", "78701"),
    ("US", "WA", "Seattle", "98101"),
    ("US", "IL", "Chicago", "60601"),
    ("US", "MA", "Boston", "02110"),
    ("CA", "ON", "Toronto", "M5V 2T6"),
    ("CA", "BC", "Vancouver", "V6B 1A1"),
    ("GB", None, "London", "EC1A 1BB"),
    ("GB", None, "Manchester", "M1 1AE"),
    ("DE", None, "Berlin", "10115"),
    ("DE", None, "Munich", "80331"),
    ("FR", None, "Paris", "75002"),
    ("NL", None, "Amsterdam", "1012 JS"),
    ("AU", "NSW", "Sydney", "2000"),
)
STREETS = (
    "Market St",
    "Main St",
    "Oak Ave",
    "Elm St",
    "Harbor Blvd",
    "High Street",
    "King's Road",
    "Hauptstrasse",
    "Rue de Rivoli",
    "Keizersgracht",
    "George St",
    "Mission St",
)
ITEM_NOUNS = [
    "Widget",
    "Gadget",
    "Bracket",
    "Cable",
    "Adapter",
    "Lamp",
    "Chair",
    "Desk",
    "Mug",
    "Bottle",
    "Backpack",
    "Jacket",
    "Notebook",
    "Pen",
    "Headset",
    "Charger",
    "Tripod",
    "Blanket",
    "Kettle",
    "Toolkit",
]
ITEM_COLOURS = ("Black", "White", "Blue", "Red", "Green", "Grey", "Oak", "Steel")
CURRENCIES = (  # id, code, rate to USD
    (1, "USD", 1.0),
    (2, "GBP", 1.27),
    (3, "CAD", 0.73),
    (4, "EUR", 1.08),
    (5, "AUD", 0.66),
)
SUBSIDIARIES = (  # id, name, country, currency id
    (1, "Sandbox Parent Inc.", "US", 1),
    (2, "Sandbox UK Ltd", "GB", 2),
    (3, "Sandbox GmbH", "DE", 4),
    (4, "Sandbox Canada Ltd", "CA", 3),
)
SALES_ORDER_STATUS_WEIGHTS = {"A": 5, "B": 30, "C": 5, "D": 8, "E": 7, "F": 10, "G": 30, "H": 5}


@dataclass(frozen=True)
class SeedSize:
    """How big the seeded account is, and its random seed."""

    customers: int = 300
    items: int = 50
    sales_orders: int = 300
    #: Customer ids skipped and recorded in ``deletedrecord``.
    deleted_customers: int = 10
    subsidiaries: int = 3
    #: Share of rows per table that carry the same "mass update" ``lastmodifieddate``.
    mass_update_share: float = 0.05
    #: Rows per distinct ``lastmodifieddate`` second, on average.
    rows_per_timestamp: int = 3
    seed: int = 7
    #: Seeded timestamps lie in this window (account time zone).
    start: str = "2024-01-01 00:00:00"
    end: str = "2026-10-31 23:59:59"

    def to_json(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)


def on_the_wall_clock(local: datetime, zone: ZoneInfo) -> datetime:
    """A naive account-local time as a clock in `zone` shows it: a time in a spring-forward
    gap (02:30 on the day clocks jump from 02:00 to 03:00) never exists there; the moment
    it stands for reads an hour later (03:30). NetSuite keeps instants, so it never shows one."""
    return local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)


class _Timestamps:
    """Timestamps drawn from a shared pool, plus one mass-update moment (naive times in the
    account time zone, as stored, each one a wall-clock time that exists there)."""

    def __init__(self, rng: random.Random, size: SeedSize, rows: int, zone: ZoneInfo) -> None:
        self.rng = rng
        self.zone = zone
        self.start = datetime.fromisoformat(size.start)
        self.end = datetime.fromisoformat(size.end)
        span = int((self.end - self.start).total_seconds())
        pool_size = max(1, rows // max(1, size.rows_per_timestamp))
        self.pool = sorted(
            {
                on_the_wall_clock(self.start + timedelta(seconds=rng.randrange(span)), zone)
                for _ in range(pool_size)
            }
        )
        self.mass_update = on_the_wall_clock(self.start + timedelta(seconds=int(span * 0.8)), zone)
        self.mass_share = size.mass_update_share
        self.span = span

    def created(self) -> datetime:
        """A creation moment in the window's first 90%."""
        moment = self.start + timedelta(seconds=self.rng.randrange(int(self.span * 0.9)))
        return on_the_wall_clock(moment, self.zone)

    def modified_after(self, created: datetime) -> datetime:
        """A pooled moment at or after ``created`` (or the mass update)."""
        if created <= self.mass_update and self.rng.random() < self.mass_share:
            return self.mass_update
        index = bisect.bisect_left(self.pool, created)
        if index >= len(self.pool):
            return created
        return self.pool[self.rng.randrange(index, len(self.pool))]


_COLUMNS = {name: tuple(table.columns) for name, table in TABLES.items()}


def _row(table: str, values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(map(values.get, _COLUMNS[table]))


def _company_name(rng: random.Random) -> str:
    suffix = rng.choice(COMPANY_SUFFIXES)
    name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
    return f"{name} {suffix}".strip()


def _slug(text: str) -> str:
    kept = "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ")
    return "-".join(kept.split()[:2])


def _phone(rng: random.Random, country: str) -> str:
    if country in ("US", "CA"):
        return f"+1 {rng.randint(201, 989)}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"
    prefix = {"GB": "+44 20", "DE": "+49 30", "FR": "+33 1", "NL": "+31 20", "AU": "+61 2"}
    return f"{prefix.get(country, '+44 20')} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


class _Generator:
    """Builds the rows table by table, sharing ids between tables."""

    def __init__(self, size: SeedSize, zone: ZoneInfo) -> None:
        self.size = size
        self.zone = zone
        self.rng = random.Random(size.seed)  # noqa: S311 - test data, not crypto
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        self.customers: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.next_nkey = 1
        self.next_line_key = 10001

    def build(self) -> dict[str, list[tuple[Any, ...]]]:
        self._currencies_and_subsidiaries()
        self._customers()
        self._items()
        self._transactions()
        return self.rows

    def _currencies_and_subsidiaries(self) -> None:
        for currency_id, code, _ in CURRENCIES:
            self.rows["currency"].append(
                _row(
                    "currency",
                    {
                        "id": currency_id,
                        "name": code,
                        "symbol": code,
                        "isbasecurrency": "T" if currency_id == 1 else "F",
                        "isinactive": "F",
                    },
                )
            )
        count = max(1, min(self.size.subsidiaries, len(SUBSIDIARIES)))
        for subsidiary_id, name, country, currency in SUBSIDIARIES[:count]:
            self.rows["subsidiary"].append(
                _row(
                    "subsidiary",
                    {
                        "id": subsidiary_id,
                        "name": name,
                        "country": country,
                        "currency": currency,
                        "isinactive": "F",
                    },
                )
            )

    def _address(self, addressee: str) -> int:
        rng = self.rng
        country, state, city, zip_code = rng.choice(CITIES)
        values = {
            "nkey": self.next_nkey,
            "addressee": addressee,
            "addr1": f"{rng.randint(1, 2400)} {rng.choice(STREETS)}",
            "addr2": f"Suite {rng.randint(100, 990)}" if rng.random() < 0.4 else None,
            "city": city if rng.random() > 0.05 else None,
            "state": state,
            "zip": zip_code if rng.random() > 0.15 else None,
            "country": country,
        }
        parts = [values[k] for k in ("addressee", "addr1", "addr2", "city", "state", "zip")]
        values["addrtext"] = "\n".join(p for p in [*parts, country] if p)
        self.rows["entityaddress"].append(_row("entityaddress", values))
        self.next_nkey += 1
        return values["nkey"]

    def _customer_ids(self) -> Iterator[tuple[int, bool]]:
        """Customer ids with a few gaps; ``True`` marks a deleted one."""
        total = self.size.customers + self.size.deleted_customers
        deleted = set(self.rng.sample(range(total), self.size.deleted_customers))
        for offset in range(total):
            yield 1001 + offset, offset in deleted

    def _customers(self) -> None:
        rng, size = self.rng, self.size
        clock = _Timestamps(rng, size, size.customers, self.zone)
        subsidiaries = [row[0] for row in self.rows["subsidiary"]]
        used_names: set[str] = set()
        relationship_id = 1
        for customer_id, deleted in self._customer_ids():
            created = clock.created()
            is_person = rng.random() < 0.55
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company = None if is_person else _company_name(rng)
            name = f"{first} {last}" if is_person else str(company)
            if deleted:
                when = clock.modified_after(created)
                self.rows["deletedrecord"].append(
                    _row(
                        "deletedrecord",
                        {
                            "recordid": customer_id,
                            "recordtypeid": -2,
                            "type": "customer",
                            "name": name,
                            "context": "UI",
                            "iscustomrecord": "F",
                            "deleteddate": stored(when),
                        },
                    )
                )
                continue
            entity_id = name if name not in used_names else f"{name} ({customer_id})"
            used_names.add(entity_id)
            subsidiary = rng.choice(subsidiaries)
            country = SUBSIDIARIES[subsidiary - 1][2]
            email = self._email(first, last, company)
            billing = self._address(name) if rng.random() < 0.85 else None
            shipping = billing
            if billing is not None and rng.random() < 0.3:
                shipping = self._address(name)
            elif billing is not None and rng.random() < 0.1:
                shipping = None
            values = {
                "id": customer_id,
                "entityid": entity_id,
                "altname": name,
                "companyname": company,
                "firstname": first if is_person else None,
                "lastname": last if is_person else None,
                "email": email,
                "phone": _phone(rng, country) if rng.random() < 0.7 else None,
                "isperson": "T" if is_person else "F",
                "isinactive": "T" if rng.random() < 0.08 else "F",
                "datecreated": stored(created),
                "lastmodifieddate": stored(clock.modified_after(created)),
                "defaultbillingaddress": billing,
                "defaultshippingaddress": shipping,
                "subsidiary": subsidiary,
                "currency": SUBSIDIARIES[subsidiary - 1][3],
                "externalid": f"CRM-{customer_id * 7 + 13}" if rng.random() < 0.3 else None,
            }
            self.customers.append(values)
            self.rows["customer"].append(_row("customer", values))
            others = [s for s in subsidiaries if s != subsidiary]
            extra = [rng.choice(others)] if others and rng.random() < 0.2 else []
            for number, related in enumerate([subsidiary, *extra]):
                self.rows["customersubsidiaryrelationship"].append(
                    _row(
                        "customersubsidiaryrelationship",
                        {
                            "id": relationship_id,
                            "entity": customer_id,
                            "subsidiary": related,
                            "isprimarysub": "T" if number == 0 else "F",
                        },
                    )
                )
                relationship_id += 1

    def _email(self, first: str, last: str, company: str | None) -> str | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None
        local_first = "".join(ch for ch in first.lower() if ch.isalpha())
        local_last = "".join(ch for ch in last.lower() if ch.isalpha())
        if company:
            domain = f"{_slug(company)}.{rng.choice(COMPANY_TLDS)}"
            local = rng.choice(("info", "sales", "accounts", "orders", local_first))
            return f"{local}@{domain}"
        style = rng.randrange(3)
        local = (
            f"{local_first}.{local_last}",
            f"{local_first[0]}{local_last}",
            f"{local_first}{local_last}{rng.randint(1, 99)}",
        )[style]
        return f"{local}@{rng.choice(MAILBOX_DOMAINS)}"

    def _items(self) -> None:
        rng, size = self.rng, self.size
        clock = _Timestamps(rng, size, size.items, self.zone)
        for number in range(size.items + 1):
            item_id = 201 + number
            created = clock.created()
            if number == size.items:
                noun, colour, item_type, price = "Sales Tax", "", "TaxItem", 0.0
                item_code = "SALES-TAX"
            else:
                noun, colour = rng.choice(ITEM_NOUNS), rng.choice(ITEM_COLOURS)
                item_type = rng.choices(("InvtPart", "NonInvtPart", "Service"), (80, 10, 10))[0]
                price = round(rng.uniform(2, 400), 2)
                item_code = f"{noun[:4].upper()}-{colour[:3].upper()}-{1000 + number}"
            display = f"{colour} {noun}".strip()
            values = {
                "id": item_id,
                "itemid": item_code,
                "displayname": display,
                "fullname": item_code,
                "description": f"{display}, sold by the sandbox" if rng.random() < 0.7 else None,
                "itemtype": item_type,
                "baseprice": price if item_type != "TaxItem" else None,
                "isinactive": "T" if rng.random() < 0.05 and item_type != "TaxItem" else "F",
                "createddate": stored(created),
                "lastmodifieddate": stored(clock.modified_after(created)),
                "externalid": f"ERP-{item_id}" if rng.random() < 0.5 else None,
            }
            self.items.append(values)
            self.rows["item"].append(_row("item", values))

    def _transactions(self) -> None:
        rng, size = self.rng, self.size
        orders = size.sales_orders
        if not self.customers or orders == 0:
            return
        clock = _Timestamps(rng, size, orders * 2, self.zone)
        sellable = [i for i in self.items if i["itemtype"] != "TaxItem" and i["isinactive"] == "F"]
        sellable = sellable or [i for i in self.items if i["itemtype"] != "TaxItem"]
        tax_item = self.items[-1]
        statuses = list(SALES_ORDER_STATUS_WEIGHTS)
        weights = list(SALES_ORDER_STATUS_WEIGHTS.values())
        transaction_id = 5001
        for number in range(orders):
            customer = rng.choice(self.customers)
            status = rng.choices(statuses, weights)[0]
            created = clock.created()
            lines = [
                (rng.choice(sellable), rng.randint(1, 10), rng.random() < 0.2)
                for _ in range(rng.randint(1, 5))
            ]
            order = {
                "id": transaction_id,
                "tranid": f"SO{10001 + number}",
                "type": "SalesOrd",
                "recordtype": "salesorder",
                "status": status,
                "customer": customer,
                "created": created,
                "modified": clock.modified_after(created),
                "tax_rate": rng.choice((0.0, 0.0725, 0.0825, 0.2, 0.19)),
            }
            self._transaction(order, lines, tax_item)
            transaction_id += 1
            if status in ("G", "H") and sellable:
                invoice_created = min(clock.end, created + timedelta(days=rng.randint(1, 20)))
                invoice = {
                    **order,
                    "id": transaction_id,
                    "tranid": f"INV{10001 + number}",
                    "type": "CustInvc",
                    "recordtype": "invoice",
                    "status": rng.choice(("A", "B", "B")),
                    "created": invoice_created,
                    "modified": clock.modified_after(invoice_created),
                }
                self._transaction(invoice, lines, tax_item)
                transaction_id += 1

    def _transaction(
        self,
        order: dict[str, Any],
        lines: list[tuple[dict[str, Any], int, bool]],
        tax_item: dict[str, Any],
    ) -> None:
        customer = order["customer"]
        currency = customer["currency"]
        rate_to_usd = CURRENCIES[currency - 1][2]
        line_rows = []
        subtotal = 0.0
        for sequence, (item, quantity, discounted) in enumerate(lines, start=1):
            base = float(item["baseprice"] or 0)
            rate = round(base * (0.9 if discounted else 1.0) / rate_to_usd, 2)
            amount = round(quantity * rate, 2)
            subtotal += amount
            line_rows.append(
                {
                    "id": sequence,
                    "linesequencenumber": sequence,
                    "item": item["id"],
                    "itemtype": item["itemtype"],
                    "quantity": -quantity,
                    "rate": rate,
                    "netamount": -amount,
                    "mainline": "F",
                    "taxline": "F",
                }
            )
        tax = round(subtotal * order["tax_rate"], 2)
        line_rows.append(
            {
                "id": len(lines) + 1,
                "linesequencenumber": len(lines) + 1,
                "item": tax_item["id"],
                "itemtype": "TaxItem",
                "rate": round(order["tax_rate"] * 100, 4),
                "netamount": -tax,
                "mainline": "F",
                "taxline": "T",
            }
        )
        total = round(subtotal + tax, 2)
        created, modified = order["created"], order["modified"]
        trandate = created.replace(hour=0, minute=0, second=0)
        status_labels = TRANSACTION_STATUSES[order["type"]]
        self.rows["transaction"].append(
            _row(
                "transaction",
                {
                    "id": order["id"],
                    "tranid": order["tranid"],
                    "trandate": stored(trandate),
                    "type": order["type"],
                    "recordtype": order["recordtype"],
                    "entity": customer["id"],
                    "email": customer["email"],
                    "status": order["status"] if order["status"] in status_labels else "A",
                    "currency": currency,
                    "foreigntotal": total,
                    "exchangerate": rate_to_usd,
                    "memo": "Web order" if self.rng.random() < 0.3 else None,
                    "otherrefnum": f"PO-{order['id'] * 3}" if self.rng.random() < 0.4 else None,
                    "shipdate": stored(trandate + timedelta(days=3))
                    if order["type"] == "SalesOrd"
                    else None,
                    "createddate": stored(created),
                    "lastmodifieddate": stored(modified),
                },
            )
        )
        mainline = {
            "id": 0,
            "linesequencenumber": 0,
            "netamount": total,
            "mainline": "T",
            "taxline": "F",
        }
        for values in (mainline, *line_rows):
            values["transaction"] = order["id"]
            values["uniquekey"] = self.next_line_key
            values["linelastmodifieddate"] = stored(modified)
            self.next_line_key += 1
            self.rows["transactionline"].append(_row("transactionline", values))


def generate(size: SeedSize, time_zone: str) -> dict[str, list[tuple[Any, ...]]]:
    """Rows per table, each a tuple in the column order of :data:`TABLES`, with timestamps
    in the account's `time_zone`."""
    return _Generator(size, ZoneInfo(time_zone)).build()
