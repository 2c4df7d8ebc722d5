"""The resources the emulator serves: attributes with ADF types, keys, children, finders.

ADF types in ``/describe``: ``string``, ``integer``, ``number``, ``date`` (a day,
``2024-05-01``) and ``datetime`` (``2024-05-01T08:15:30.120+00:00``). Attribute names
follow Oracle's REST guides and the singer-io ``receivables_invoices.json`` schema
(reference B1); names the sources do not give are listed in the README's inferences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STRING, INTEGER, NUMBER, DATE, DATETIME = "string", "integer", "number", "date", "datetime"


@dataclass(frozen=True)
class Attribute:
    """One attribute of a resource as ``/describe`` shows it."""

    name: str
    type: str
    title: str
    length: int | None = None
    mandatory: bool = False
    updatable: bool = True
    queryable: bool = True


@dataclass(frozen=True)
class Finder:
    """A predefined query, ``finder=<name>;<variable>=<value>,…``; each variable
    filters the attribute of the same name by equality."""

    name: str
    title: str
    variables: tuple[str, ...]


@dataclass(frozen=True)
class Shape:
    """What a resource or child resource holds: attributes, key, finders, children."""

    name: str
    title: str
    title_plural: str
    key: str
    attributes: tuple[Attribute, ...]
    finders: tuple[Finder, ...]
    children: tuple[Shape, ...] = ()
    #: Another attribute an item URL may name instead of the key (``HeaderId`` for
    #: ``OrderKey``).
    alternate_key: str | None = None
    by_name: dict[str, Attribute] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {a.name: a for a in self.attributes})

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called ``name`` (exact case), or None."""
        return self.by_name.get(name)

    def child(self, name: str) -> Shape | None:
        """The child resource called ``name``, or None."""
        return next((c for c in self.children if c.name == name), None)

    def finder(self, name: str) -> Finder | None:
        """The finder called ``name``, or None."""
        return next((f for f in self.finders if f.name == name), None)

    def key_value(self, raw: str, attribute: str | None = None) -> Any:
        """A key as typed in a URL, converted to the key attribute's type."""
        spec = self.by_name[attribute or self.key]
        return int(raw) if spec.type == INTEGER else raw


@dataclass(frozen=True)
class Resource:
    """A top-level resource under ``/<pillar>/resources/11.13.18.05/``."""

    pillar: str
    shape: Shape

    @property
    def name(self) -> str:
        """The resource name in URLs."""
        return self.shape.name


def _string(name: str, title: str, length: int, **flags: Any) -> Attribute:
    return Attribute(name, STRING, title, length, **flags)


def _integer(name: str, title: str, **flags: Any) -> Attribute:
    return Attribute(name, INTEGER, title, **flags)


def _number(name: str, title: str, **flags: Any) -> Attribute:
    return Attribute(name, NUMBER, title, **flags)


def _datetime(name: str, title: str, **flags: Any) -> Attribute:
    return Attribute(name, DATETIME, title, **flags)


def _date(name: str, title: str, **flags: Any) -> Attribute:
    return Attribute(name, DATE, title, **flags)


def _who_columns() -> tuple[Attribute, ...]:
    """The "who" columns every Fusion object carries (read-only)."""
    return (
        _string("CreatedBy", "Created By", 64, updatable=False),
        _datetime("CreationDate", "Creation Date", updatable=False),
        _string("LastUpdatedBy", "Last Updated By", 64, updatable=False),
        _datetime("LastUpdateDate", "Last Update Date", updatable=False),
    )


ACCOUNTS = Shape(
    name="accounts",
    title="Account",
    title_plural="Accounts",
    key="PartyNumber",
    attributes=(
        _integer("PartyId", "Party ID", mandatory=True, updatable=False),
        _string("PartyNumber", "Registry ID", 30, mandatory=True, updatable=False),
        _string("PartyName", "Name", 360, mandatory=True),
        _string("PartyType", "Party Type", 30, updatable=False),
        _string("AccountNumber", "Account Number", 30),
        _string("EmailAddress", "Email", 320),
        _string("PhoneNumber", "Phone", 40),
        _string("AddressLine1", "Address Line 1", 240),
        _string("AddressLine2", "Address Line 2", 240),
        _string("City", "City", 60),
        _string("State", "State", 60),
        _string("PostalCode", "Postal Code", 60),
        _string("Country", "Country", 2),
        _string("Status", "Status", 1, mandatory=True),
        *_who_columns(),
    ),
    finders=(Finder("PrimaryKey", "Finds an account by its registry ID.", ("PartyNumber",)),),
)

SALES_ORDER_LINES = Shape(
    name="lines",
    title="Order Line",
    title_plural="Order Lines",
    key="FulfillLineId",
    attributes=(
        _integer("FulfillLineId", "Fulfillment Line ID", mandatory=True, updatable=False),
        _integer("LineId", "Line ID", mandatory=True, updatable=False),
        _integer("HeaderId", "Order ID", mandatory=True, updatable=False),
        _integer("LineNumber", "Line", mandatory=True),
        _integer("ProductId", "Product ID"),
        _string("ProductNumber", "Item", 300),
        _string("ProductDescription", "Description", 240),
        _number("OrderedQuantity", "Quantity", mandatory=True),
        _string("OrderedUOMCode", "UOM Code", 3),
        _number("UnitSellingPrice", "Your Price"),
        _number("ExtendedAmount", "Extended Amount"),
        _string("StatusCode", "Status Code", 30),
        _string("Status", "Status", 80),
        _datetime("RequestedShipDate", "Requested Ship Date"),
        *_who_columns(),
    ),
    finders=(Finder("PrimaryKey", "Finds a line by its fulfillment line ID.", ("FulfillLineId",)),),
)

SALES_ORDERS = Shape(
    name="salesOrdersForOrderHub",
    title="Sales Order",
    title_plural="Sales Orders",
    key="OrderKey",
    alternate_key="HeaderId",
    attributes=(
        _integer("HeaderId", "Order ID", mandatory=True, updatable=False),
        _string("OrderKey", "Order Key", 100, updatable=False),
        _string("OrderNumber", "Order", 50, updatable=False),
        _string("SourceTransactionNumber", "Source Order", 50, mandatory=True),
        _string("SourceTransactionId", "Source Order ID", 50, mandatory=True),
        _string("SourceTransactionSystem", "Source Order System", 30, mandatory=True),
        _string("BusinessUnitName", "Business Unit", 240),
        _integer("BuyingPartyId", "Customer ID"),
        _string("BuyingPartyName", "Customer", 360),
        _string("BuyingPartyNumber", "Customer Registry ID", 30),
        _string("CustomerPONumber", "Purchase Order", 50),
        _string("TransactionalCurrencyCode", "Currency Code", 15),
        _datetime("TransactionOn", "Order Date"),
        _datetime("RequestedShipDate", "Requested Ship Date"),
        _string("StatusCode", "Status Code", 30, updatable=False),
        _string("Status", "Status", 80, updatable=False),
        *_who_columns(),
    ),
    finders=(
        Finder("PrimaryKey", "Finds a sales order by its order ID.", ("HeaderId",)),
        Finder(
            "findBySourceOrderNumberAndSystem",
            "Finds a sales order by its source order number and system.",
            ("SourceTransactionNumber", "SourceTransactionSystem"),
        ),
    ),
    children=(SALES_ORDER_LINES,),
)

INVOICE_LINES = Shape(
    name="receivablesInvoiceLines",
    title="Receivables Invoice Line",
    title_plural="Receivables Invoice Lines",
    key="CustomerTransactionLineId",
    attributes=(
        _integer("CustomerTransactionLineId", "Line ID", mandatory=True, updatable=False),
        _integer("LineNumber", "Line Number", mandatory=True),
        _string("ItemNumber", "Item", 300),
        _string("Description", "Description", 240, mandatory=True),
        _number("Quantity", "Quantity"),
        _string("UnitOfMeasure", "UOM", 25),
        _number("UnitSellingPrice", "Unit Price"),
        _number("LineAmount", "Amount"),
        *_who_columns(),
    ),
    finders=(
        Finder("PrimaryKey", "Finds an invoice line by its ID.", ("CustomerTransactionLineId",)),
    ),
)

RECEIVABLES_INVOICES = Shape(
    name="receivablesInvoices",
    title="Receivables Invoice",
    title_plural="Receivables Invoices",
    key="CustomerTransactionId",
    attributes=(
        _integer("CustomerTransactionId", "Transaction ID", mandatory=True, updatable=False),
        _string("TransactionNumber", "Transaction Number", 20, mandatory=True),
        _date("TransactionDate", "Transaction Date", mandatory=True),
        _string("TransactionType", "Transaction Type", 20, mandatory=True),
        _string("TransactionSource", "Transaction Source", 50, mandatory=True),
        _string("BusinessUnit", "Business Unit", 240, mandatory=True),
        _integer("BillToPartyId", "Bill-to Party ID", updatable=False),
        _string("BillToCustomerName", "Bill-to Name", 360),
        _string("BillToCustomerNumber", "Bill-to Account", 30, mandatory=True),
        _string("PaymentTerms", "Payment Terms", 15),
        _date("DueDate", "Due Date"),
        _string("InvoiceCurrencyCode", "Currency", 15, mandatory=True),
        _number("EnteredAmount", "Entered Amount", updatable=False),
        _number("InvoiceBalanceAmount", "Balance Due", updatable=False),
        _string("InvoiceStatus", "Status", 30),
        _string("PurchaseOrder", "Purchase Order", 50),
        _string("Email", "Email", 240),
        *_who_columns(),
    ),
    finders=(
        Finder("PrimaryKey", "Finds an invoice by its transaction ID.", ("CustomerTransactionId",)),
    ),
    children=(INVOICE_LINES,),
)

RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource("crmRestApi", ACCOUNTS),
        Resource("fscmRestApi", SALES_ORDERS),
        Resource("fscmRestApi", RECEIVABLES_INVOICES),
    )
}

#: Child shapes by name (child names are unique across resources), with their parent.
CHILDREN: dict[str, tuple[Shape, Resource]] = {
    child.name: (child, resource)
    for resource in RESOURCES.values()
    for child in resource.shape.children
}


def shape_named(name: str) -> Shape:
    """The shape of a resource or child resource; KeyError if unknown."""
    if name in RESOURCES:
        return RESOURCES[name].shape
    return CHILDREN[name][0]
