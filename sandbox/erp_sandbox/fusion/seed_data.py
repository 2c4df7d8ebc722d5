"""A deterministic, realistic Fusion pod: customer accounts (TCA parties), Order Hub
sales orders with lines, and receivables invoices with lines.

Same :class:`SeedSize` → same rows. ``LastUpdateDate`` values are drawn from a pool
smaller than the number of rows, and a "mass update" gives one moment to a share of
every resource, so ordering by ``LastUpdateDate`` alone has ties (a client paging on
it without a tiebreaker repeats or loses rows).
"""

from __future__ import annotations

import bisect
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from erp_sandbox.fusion.timestamps import parse_datetime
from erp_sandbox.netsuite.seed_data import (
    CITIES,
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_TLDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    ITEM_COLOURS,
    ITEM_NOUNS,
    LAST_NAMES,
    MAILBOX_DOMAINS,
    STREETS,
)

#: Units of each currency per US dollar, and the business unit selling in it.
CURRENCIES = {
    "USD": (1.0, "US1 Business Unit"),
    "GBP": (0.79, "UK1 Business Unit"),
    "EUR": (0.92, "EU1 Business Unit"),
    "CAD": (1.36, "CA1 Business Unit"),
    "AUD": (1.52, "AU1 Business Unit"),
}
COUNTRY_CURRENCY = {
    "US": "USD",
    "CA": "CAD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "AU": "AUD",
}
#: Order header status codes (DOO_HEADERS_ALL) and their display values.
ORDER_STATUSES = {
    "OPEN": ("Processing", 30),
    "CLOSED": ("Closed", 35),
    "PARTIAL_CLOSE": ("Partially Closed", 10),
    "CANCELED": ("Canceled", 8),
    "DOO_DRAFT": ("Draft", 5),
}
#: Fulfillment line status codes (DOO_FULFILL_LINES_ALL) and their display values.
LINE_STATUSES = {
    "NOT_STARTED": "Not Started",
    "AWAITING_SHIPPING": "Awaiting Shipping",
    "SHIPPED": "Shipped",
    "AWAITING_BILLING": "Awaiting Billing",
    "CLOSED": "Closed",
    "CANCELED": "Canceled",
}
USERS = ("sales.admin", "om.specialist", "ar.manager", "integration.user", "casey.brown")
PAYMENT_TERMS = ("30 Net", "30 Net", "45 Net", "Immediate")
NON_ITEM_LINES = ("Freight", "Installation services", "Extended warranty, 12 months")


@dataclass(frozen=True)
class SeedSize:
    """How big the seeded pod is, and its random seed."""

    accounts: int = 200
    sales_orders: int = 250
    invoices: int = 200
    products: int = 40
    #: Share of rows per resource that carry the same "mass update" ``LastUpdateDate``.
    mass_update_share: float = 0.05
    #: Rows per distinct ``LastUpdateDate`` moment, on average.
    rows_per_timestamp: int = 3
    seed: int = 11
    #: Seeded timestamps lie in this window.
    start: str = "2024-01-01T00:00:00+00:00"
    end: str = "2026-06-30T23:59:59+00:00"

    def to_json(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return asdict(self)


@dataclass
class Dataset:
    """Rows of every resource. ``children[child][parent key]`` holds a parent's child
    rows (child names are unique across resources)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    children: dict[str, dict[Any, list[dict[str, Any]]]] = field(default_factory=dict)


class _Timestamps:
    """Millisecond timestamps drawn from a shared pool, plus one mass-update moment."""

    def __init__(self, rng: random.Random, size: SeedSize, rows: int) -> None:
        self.rng = rng
        self.start = parse_datetime(size.start)
        self.end = parse_datetime(size.end)
        self.span_ms = int((self.end - self.start).total_seconds() * 1000)
        pool_size = max(1, rows // max(1, size.rows_per_timestamp))
        self.pool = sorted({self._at(rng.randrange(self.span_ms)) for _ in range(pool_size)})
        self.mass_update = self._at(int(self.span_ms * 0.8) + 74)
        self.mass_share = size.mass_update_share

    def _at(self, offset_ms: int) -> datetime:
        return self.start + timedelta(milliseconds=offset_ms)

    def created(self) -> datetime:
        """A creation moment in the window's first 90%."""
        return self._at(self.rng.randrange(int(self.span_ms * 0.9)))

    def modified_after(self, created: datetime) -> datetime:
        """A pooled moment at or after ``created`` (or the mass update)."""
        if created <= self.mass_update and self.rng.random() < self.mass_share:
            return self.mass_update
        index = bisect.bisect_left(self.pool, created)
        if index >= len(self.pool):
            return created
        return self.pool[self.rng.randrange(index, len(self.pool))]


def _slug(text: str) -> str:
    kept = "".join(ch for ch in text.lower() if ch.isalnum() or ch == " ")
    return "-".join(kept.split()[:2])


class _Generator:
    """Builds the resources in dependency order, sharing ids between them."""

    def __init__(self, size: SeedSize) -> None:
        self.size = size
        self.rng = random.Random(size.seed)  # noqa: S311 - test data, not crypto
        self.data = Dataset(
            rows={"accounts": [], "salesOrdersForOrderHub": [], "receivablesInvoices": []},
            children={"lines": {}, "receivablesInvoiceLines": {}},
        )
        self.products: list[dict[str, Any]] = []

    def build(self) -> Dataset:
        self._accounts()
        self._products()
        customers = [a for a in self.data.rows["accounts"] if a["AccountNumber"]]
        if customers and self.products:
            self._sales_orders(customers)
            self._invoices(customers)
        return self.data

    def _who(self, created: datetime, modified: datetime) -> dict[str, Any]:
        return {
            "CreatedBy": self.rng.choice(USERS),
            "CreationDate": created,
            "LastUpdatedBy": self.rng.choice(USERS),
            "LastUpdateDate": modified,
        }

    def _reference(self, share: float) -> str | None:
        """A customer purchase-order number for ``share`` of the rows, else None."""
        return f"PO-{self.rng.randint(10000, 99999)}" if self.rng.random() < share else None

    def _email(self, first: str, last: str, company: str | None) -> str | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None
        local_first = "".join(ch for ch in first.lower() if ch.isalpha())
        local_last = "".join(ch for ch in last.lower() if ch.isalpha())
        if company:
            local = rng.choice(("info", "sales", "accounts", "orders", local_first))
            return f"{local}@{_slug(company)}.{rng.choice(COMPANY_TLDS)}"
        local = rng.choice(
            (
                f"{local_first}.{local_last}",
                f"{local_first[0]}{local_last}",
                f"{local_first}.{last[0].lower()}",
            )
        )
        return f"{local}@{rng.choice(MAILBOX_DOMAINS)}"

    def _phone(self, country: str) -> str:
        rng = self.rng
        if country in ("US", "CA"):
            return f"+1 {rng.randint(201, 989)}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"
        prefix = {"GB": "+44 20", "DE": "+49 30", "FR": "+33 1", "NL": "+31 20", "AU": "+61 2"}
        return (
            f"{prefix.get(country, '+44 20')} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
        )

    def _accounts(self) -> None:
        rng, size = self.rng, self.size
        clock = _Timestamps(rng, size, size.accounts)
        for number in range(size.accounts):
            created = clock.created()
            is_person = rng.random() < 0.4
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            company = None
            if not is_person:
                words = (rng.choice(COMPANY_WORDS), rng.choice(COMPANY_KINDS))
                company = " ".join((*words, rng.choice(COMPANY_SUFFIXES))).strip()
            country, state, city, postal_code = rng.choice(CITIES)
            has_address = rng.random() < 0.85
            row = {
                "PartyId": 300000001000001 + number,
                "PartyNumber": str(100001 + number),
                "PartyName": f"{first} {last}" if is_person else company,
                "PartyType": "PERSON" if is_person else "ORGANIZATION",
                # Prospects have a party but no customer account yet.
                "AccountNumber": str(20001 + number) if rng.random() < 0.9 else None,
                "EmailAddress": self._email(first, last, company),
                "PhoneNumber": self._phone(country) if rng.random() < 0.7 else None,
                "AddressLine1": None,
                "AddressLine2": None,
                "City": None,
                "State": None,
                "PostalCode": None,
                "Country": None,
                "Status": "I" if rng.random() < 0.08 else "A",
                **self._who(created, clock.modified_after(created)),
            }
            if has_address:
                row.update(
                    AddressLine1=f"{rng.randint(1, 2400)} {rng.choice(STREETS)}",
                    AddressLine2=f"Suite {rng.randint(100, 990)}" if rng.random() < 0.4 else None,
                    City=city if rng.random() > 0.05 else None,
                    State=state,
                    PostalCode=postal_code if rng.random() > 0.15 else None,
                    Country=country,
                )
            self.data.rows["accounts"].append(row)

    def _products(self) -> None:
        rng = self.rng
        for number in range(self.size.products):
            noun, colour = rng.choice(ITEM_NOUNS), rng.choice(ITEM_COLOURS)
            self.products.append(
                {
                    "ProductId": 300000002000001 + number,
                    "ProductNumber": f"{noun[:4].upper()}-{colour[:3].upper()}-{1001 + number}",
                    "ProductDescription": f"{colour} {noun}",
                    "price": round(rng.uniform(4, 450), 2),
                }
            )

    def _currency(self, account: dict[str, Any]) -> str:
        return COUNTRY_CURRENCY.get(account["Country"] or "US", "USD")

    def _sales_orders(self, customers: list[dict[str, Any]]) -> None:
        rng, size = self.rng, self.size
        clock = _Timestamps(rng, size, size.sales_orders)
        codes = list(ORDER_STATUSES)
        weights = [weight for _, weight in ORDER_STATUSES.values()]
        next_line_id = 300000011000001
        for number in range(size.sales_orders):
            account = rng.choice(customers)
            header_id = 300000010000001 + number
            order_number = str(500001 + number)
            if rng.random() < 0.6:  # entered in the Order Management work area
                system, source_id, source_number = "OPS", str(header_id), order_number
            else:  # imported from an order capture system
                system = rng.choice(("LEG", "WEB"))
                source_number = f"{system}-{70001 + number}"
                source_id = f"{source_number}-R1"
            currency = self._currency(account)
            rate, business_unit = CURRENCIES[currency]
            created = clock.created()
            modified = clock.modified_after(created)
            ordered_on = created - timedelta(minutes=rng.randint(0, 600))
            ship_on = ordered_on + timedelta(days=rng.randint(1, 14))
            status = rng.choices(codes, weights)[0]
            header = {
                "HeaderId": header_id,
                "OrderKey": f"{system}:{source_id}",
                "OrderNumber": order_number,
                "SourceTransactionNumber": source_number,
                "SourceTransactionId": source_id,
                "SourceTransactionSystem": system,
                "BusinessUnitName": business_unit,
                "BuyingPartyId": account["PartyId"],
                "BuyingPartyName": account["PartyName"],
                "BuyingPartyNumber": account["PartyNumber"],
                "CustomerPONumber": self._reference(0.5),
                "TransactionalCurrencyCode": currency,
                "TransactionOn": ordered_on,
                "RequestedShipDate": ship_on,
                "StatusCode": status,
                "Status": ORDER_STATUSES[status][0],
                **self._who(created, modified),
            }
            lines = []
            for line_number in range(1, rng.randint(1, 4) + 1):
                product = rng.choice(self.products)
                quantity = rng.randint(1, 10)
                price = round(product["price"] * rate * (0.9 if rng.random() < 0.2 else 1.0), 2)
                line_status = self._line_status(status)
                lines.append(
                    {
                        "FulfillLineId": next_line_id,
                        "LineId": next_line_id + 500000,
                        "HeaderId": header_id,
                        "LineNumber": line_number,
                        "ProductId": product["ProductId"],
                        "ProductNumber": product["ProductNumber"],
                        "ProductDescription": product["ProductDescription"],
                        "OrderedQuantity": quantity,
                        "OrderedUOMCode": "Ea",
                        "UnitSellingPrice": price,
                        "ExtendedAmount": round(quantity * price, 2),
                        "StatusCode": line_status,
                        "Status": LINE_STATUSES[line_status],
                        "RequestedShipDate": ship_on,
                        **self._who(created, rng.choice((created, modified))),
                    }
                )
                next_line_id += 1
            self.data.rows["salesOrdersForOrderHub"].append(header)
            self.data.children["lines"][header["OrderKey"]] = lines

    def _line_status(self, header_status: str) -> str:
        if header_status in ("CLOSED", "CANCELED"):
            return header_status
        if header_status == "DOO_DRAFT":
            return "NOT_STARTED"
        if header_status == "PARTIAL_CLOSE":
            return self.rng.choice(("CLOSED", "AWAITING_SHIPPING"))
        return self.rng.choice(("AWAITING_SHIPPING", "SHIPPED", "AWAITING_BILLING"))

    def _invoices(self, customers: list[dict[str, Any]]) -> None:
        rng, size = self.rng, self.size
        clock = _Timestamps(rng, size, size.invoices)
        next_line_id = 300000021000001
        for number in range(size.invoices):
            account = rng.choice(customers)
            transaction_id = 300000020000001 + number
            currency = self._currency(account)
            rate, business_unit = CURRENCIES[currency]
            created = clock.created()
            modified = clock.modified_after(created)
            lines = []
            for line_number in range(1, rng.randint(1, 3) + 1):
                if rng.random() < 0.8:
                    product = rng.choice(self.products)
                    item, description = product["ProductNumber"], product["ProductDescription"]
                    quantity, price = rng.randint(1, 12), round(product["price"] * rate, 2)
                else:
                    item, description = None, rng.choice(NON_ITEM_LINES)
                    quantity, price = 1, round(rng.uniform(15, 300) * rate, 2)
                lines.append(
                    {
                        "CustomerTransactionLineId": next_line_id,
                        "LineNumber": line_number,
                        "ItemNumber": item,
                        "Description": description,
                        "Quantity": quantity,
                        "UnitOfMeasure": "Each",
                        "UnitSellingPrice": price,
                        "LineAmount": round(quantity * price, 2),
                        **self._who(created, rng.choice((created, modified))),
                    }
                )
                next_line_id += 1
            entered = round(sum(line["LineAmount"] for line in lines), 2)
            complete = rng.random() < 0.88
            balance = entered
            if complete:
                balance = rng.choice((0.0, 0.0, entered, round(entered * rng.uniform(0.2, 0.8), 2)))
            terms = rng.choice(PAYMENT_TERMS)
            due_days = {"30 Net": 30, "45 Net": 45, "Immediate": 0}[terms]
            header = {
                "CustomerTransactionId": transaction_id,
                "TransactionNumber": str(80001 + number),
                "TransactionDate": created.date(),
                "TransactionType": "Invoice",
                "TransactionSource": rng.choice(("Distributed Order Orchestration", "Manual")),
                "BusinessUnit": business_unit,
                "BillToPartyId": account["PartyId"],
                "BillToCustomerName": account["PartyName"],
                "BillToCustomerNumber": account["AccountNumber"],
                "PaymentTerms": terms,
                "DueDate": created.date() + timedelta(days=due_days),
                "InvoiceCurrencyCode": currency,
                "EnteredAmount": entered,
                "InvoiceBalanceAmount": balance,
                "InvoiceStatus": "Complete" if complete else "Incomplete",
                "PurchaseOrder": self._reference(0.4),
                "Email": account["EmailAddress"],
                **self._who(created, modified),
            }
            self.data.rows["receivablesInvoices"].append(header)
            self.data.children["receivablesInvoiceLines"][transaction_id] = lines


def generate(size: SeedSize) -> Dataset:
    """The rows of a seeded pod. Values are Python types (aware UTC datetimes, dates,
    ints, floats, strings, None); the API renders them."""
    return _Generator(size).build()
