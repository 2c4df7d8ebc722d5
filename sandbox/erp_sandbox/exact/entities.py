"""The entity sets the emulator serves: where they live, what they hold, how they are keyed.

Every served field must exist in the spec (``spec.py``) of its endpoint, which also gives
its Edm type; ``test_exact_spec_conformance.py`` checks the responses against the files.
A served set shows a realistic subset of the fields the reference declares; a client may
``$select`` or ``$filter`` any declared field, and one the emulator holds no data for
reads as null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from erp_sandbox.exact.spec import EndpointSpec, endpoint_spec

ACCOUNT_FIELDS = (
    "ID",
    "AddressLine1",
    "AddressLine2",
    "Blocked",
    "ChamberOfCommerce",
    "City",
    *(f"Classification{n}" for n in range(1, 9)),
    "Code",
    "Country",
    "CountryName",
    "Created",
    "Creator",
    "CreatorFullName",
    "Division",
    "Email",
    "IsSales",
    "IsSupplier",
    "Language",
    "MainContact",
    "Modified",
    "Modifier",
    "ModifierFullName",
    "Name",
    "Phone",
    "Postcode",
    "SearchCode",
    "State",
    "Status",
    "Type",
    "VATNumber",
    "Website",
)
CONTACT_FIELDS = (
    "ID",
    "Account",
    "AccountIsCustomer",
    "AccountIsSupplier",
    "AccountMainContact",
    "AccountName",
    "BusinessEmail",
    "BusinessMobile",
    "BusinessPhone",
    "City",
    "Code",
    "Country",
    "Created",
    "Creator",
    "CreatorFullName",
    "Division",
    "Email",
    "FirstName",
    "FullName",
    "HID",
    "Initials",
    "IsMailingExcluded",
    "IsMainContact",
    "JobTitleDescription",
    "Language",
    "LastName",
    "MiddleName",
    "Mobile",
    "Modified",
    "Modifier",
    "ModifierFullName",
    "Phone",
    "Postcode",
)
COSTCENTER_FIELDS = (
    "ID",
    "Active",
    "Code",
    "Created",
    "Creator",
    "CreatorFullName",
    "Description",
    "Division",
    "EndDate",
    "Modified",
    "Modifier",
    "ModifierFullName",
)
#: Invoice header fields (``SalesInvoiceLines`` is the navigation to the lines).
INVOICE_FIELDS = (
    "InvoiceID",
    "AmountDC",
    "AmountDiscount",
    "AmountDiscountExclVat",
    "AmountFC",
    "AmountFCExclVat",
    "Created",
    "Creator",
    "CreatorFullName",
    "Currency",
    "DeliverTo",
    "DeliverToName",
    "Description",
    "Discount",
    "Division",
    "DueDate",
    "InvoiceDate",
    "InvoiceNumber",
    "InvoiceTo",
    "InvoiceToContactPerson",
    "InvoiceToContactPersonFullName",
    "InvoiceToName",
    "Journal",
    "JournalDescription",
    "Modified",
    "Modifier",
    "ModifierFullName",
    "OrderDate",
    "OrderedBy",
    "OrderedByName",
    "OrderNumber",
    "PaymentCondition",
    "PaymentConditionDescription",
    "PaymentReference",
    "Remarks",
    "SalesInvoiceLines",
    "Status",
    "StatusDescription",
    "Type",
    "TypeDescription",
    "VATAmountDC",
    "VATAmountFC",
    "YourRef",
)
LINE_FIELDS = (
    "ID",
    "AmountDC",
    "AmountFC",
    "CostCenter",
    "CostCenterDescription",
    "Description",
    "Discount",
    "Division",
    "GLAccount",
    "GLAccountDescription",
    "InvoiceID",
    "Item",
    "ItemCode",
    "ItemDescription",
    "LineNumber",
    "NetPrice",
    "Quantity",
    "UnitCode",
    "UnitDescription",
    "UnitPrice",
    "VATAmountDC",
    "VATAmountFC",
    "VATCode",
    "VATCodeDescription",
    "VATPercentage",
)
#: Flattened sync rows: fields only the header row (``LineNumber`` 0) carries ("Only
#: supported for header", SyncSalesInvoice docs); the line rows hold null.
SYNC_HEADER_ONLY = ("AmountDiscount", "AmountDiscountExclVat", "AmountFCExclVat")
#: Fields only line rows carry; the header row holds null.
SYNC_LINE_ONLY = tuple(
    name
    for name in LINE_FIELDS
    if name not in INVOICE_FIELDS and name not in ("ID", "LineNumber", "InvoiceID")
)
#: Fields both kinds of row carry with their own value (header totals vs line amounts,
#: header vs line description); every other header field repeats on the line rows.
SYNC_OWN_VALUE = ("ID", "LineNumber", *(f for f in LINE_FIELDS if f in INVOICE_FIELDS))
SYNC_INVOICE_FIELDS = (
    "Timestamp",
    *dict.fromkeys([*(f for f in INVOICE_FIELDS if f != "SalesInvoiceLines"), *LINE_FIELDS]),
)
DELETED_FIELDS = (
    "Timestamp",
    "DeletedBy",
    "DeletedDate",
    "Division",
    "EntityKey",
    "EntityType",
    "ID",
)
WEBHOOK_FIELDS = (
    "ID",
    "CallbackURL",
    "ClientID",
    "Created",
    "Creator",
    "CreatorFullName",
    "Description",
    "Division",
    "IsInstant",
    "Topic",
    "UserID",
)
ME_FIELDS = (
    "UserID",
    "CurrentDivision",
    "DivisionCustomer",
    "DivisionCustomerCode",
    "DivisionCustomerName",
    "Email",
    "FirstName",
    "FullName",
    "Initials",
    "Language",
    "LanguageCode",
    "LastName",
    "Legislation",
    "MiddleName",
    "UserName",
)
#: ``EntityType`` of ``sync/Deleted`` rows (reference C4).
DELETED_ENTITY_TYPES = {"Accounts": 2, "Contacts": 5, "SalesInvoices": 13}
#: Topics a webhook subscription may name (reference C6; Exact's entity pages list more).
WEBHOOK_TOPICS = (
    "Accounts",
    "BankAccounts",
    "Contacts",
    "Opportunities",
    "Quotations",
    "QuotationLines",
    "SalesInvoices",
    "SalesInvoiceLines",
    "SalesOrders",
    "Documents",
    "DocumentAttachments",
    "BankEntries",
    "FinancialTransactions",
    "GeneralJournalEntries",
    "GLAccounts",
    "Items",
    "StockPositions",
)


@dataclass(frozen=True)
class EntitySet:
    """One served URL: ``/api/v1/{division}/<path>``."""

    #: Path after the division, as Exact documents it (matched case-insensitively).
    path: str
    #: Name of its entry in the spec files.
    spec_name: str
    #: ``regular``, ``sync`` (``Timestamp`` paging, ``$select`` required), ``webhooks``
    #: or ``me``.
    kind: str
    #: Where its rows come from in the store.
    source: str
    #: OData type name in ``__metadata`` and Atom ``category`` (inferred names).
    type_name: str
    fields: tuple[str, ...]
    #: Navigation field → the entity set it leads to.
    navigation: dict[str, str] = field(default_factory=dict)

    @cached_property
    def spec(self) -> EndpointSpec:
        """The endpoint's contract."""
        return endpoint_spec(self.spec_name)

    @property
    def key(self) -> str:
        """The key field (``ID``, ``InvoiceID``, ``Timestamp``)."""
        return self.spec.key or "ID"

    @property
    def entity_set_name(self) -> str:
        """The last path segment (``Accounts``)."""
        return self.path.rsplit("/", 1)[-1]

    def edm_type(self, name: str) -> str:
        """The Edm type of a declared field."""
        return self.spec.fields[name]

    def declares(self, name: str) -> bool:
        """Whether the reference declares the field for this endpoint."""
        return name in self.spec.fields


ENTITY_SETS: dict[str, EntitySet] = {
    s.path.lower(): s
    for s in (
        EntitySet(
            "crm/Accounts",
            "Accounts",
            "regular",
            "Accounts",
            "Exact.Web.Api.Models.Account",
            ACCOUNT_FIELDS,
        ),
        EntitySet(
            "crm/Contacts",
            "Contacts",
            "regular",
            "Contacts",
            "Exact.Web.Api.Models.Contact",
            CONTACT_FIELDS,
        ),
        EntitySet(
            "hrm/Costcenters",
            "Costcenters",
            "regular",
            "Costcenters",
            "Exact.Web.Api.Models.HRM.Costcenter",
            COSTCENTER_FIELDS,
        ),
        EntitySet(
            "salesinvoice/SalesInvoices",
            "SalesInvoices",
            "regular",
            "SalesInvoices",
            "Exact.Web.Api.Models.SalesInvoice.SalesInvoice",
            INVOICE_FIELDS,
            navigation={"SalesInvoiceLines": "salesinvoice/SalesInvoiceLines"},
        ),
        EntitySet(
            "salesinvoice/SalesInvoiceLines",
            "SalesInvoiceLines",
            "regular",
            "SalesInvoiceLines",
            "Exact.Web.Api.Models.SalesInvoice.SalesInvoiceLine",
            LINE_FIELDS,
        ),
        EntitySet(
            "sync/CRM/Accounts",
            "sync/CRM/Accounts",
            "sync",
            "Accounts",
            "Exact.Web.Api.Models.Sync.CRM.Account",
            ("Timestamp", *ACCOUNT_FIELDS),
        ),
        EntitySet(
            "sync/CRM/Contacts",
            "sync/CRM/Contacts",
            "sync",
            "Contacts",
            "Exact.Web.Api.Models.Sync.CRM.Contact",
            ("Timestamp", *CONTACT_FIELDS),
        ),
        EntitySet(
            "sync/SalesInvoice/SalesInvoices",
            "sync/SalesInvoice/SalesInvoices",
            "sync",
            "SyncSalesInvoiceRows",
            "Exact.Web.Api.Models.Sync.SalesInvoice.SalesInvoice",
            SYNC_INVOICE_FIELDS,
        ),
        EntitySet(
            "sync/Deleted",
            "sync/Deleted",
            "sync",
            "Deleted",
            "Exact.Web.Api.Models.Sync.Deleted",
            DELETED_FIELDS,
        ),
        EntitySet(
            "webhooks/WebhookSubscriptions",
            "WebhookSubscriptions",
            "webhooks",
            "WebhookSubscriptions",
            "Exact.Web.Api.Models.Webhooks.WebhookSubscription",
            WEBHOOK_FIELDS,
        ),
    )
}
ME = EntitySet("current/Me", "Me", "me", "Me", "Exact.Web.Api.System.Me", ME_FIELDS)
#: Store collections that ``update_record``/``insert_record``/``delete_record`` change, and
#: the entity set whose fields they hold.
COLLECTIONS = {
    "Accounts": ENTITY_SETS["crm/accounts"],
    "Contacts": ENTITY_SETS["crm/contacts"],
    "Costcenters": ENTITY_SETS["hrm/costcenters"],
    "SalesInvoices": ENTITY_SETS["salesinvoice/salesinvoices"],
}
LINES = ENTITY_SETS["salesinvoice/salesinvoicelines"]


def entity_set(path: str) -> EntitySet | None:
    """The served set at ``crm/Accounts`` (any case), or None."""
    return ENTITY_SETS.get(path.strip("/").lower())


def api_route(path: str) -> str | None:
    """The route template of a request path, for the call log and the per-endpoint error
    count: ``/api/v1/{division}/crm/Accounts``, ``…/crm/Accounts({key})``,
    ``…/salesinvoice/SalesInvoices({key})/SalesInvoiceLines``, ``/api/oauth2/token``."""
    if path.lower() in ("/api/oauth2/token", "/api/oauth2/auth", "/api/v1/current/me"):
        return {"/api/v1/current/me": "/api/v1/current/Me"}.get(path.lower(), path.lower())
    parts = path.split("/", 4)
    if len(parts) < 5 or parts[1] != "api" or parts[2] != "v1":
        return None
    rest = parts[4]
    lowered = rest.lower()
    for key, entity in sorted(ENTITY_SETS.items(), key=lambda kv: -len(kv[0])):
        if lowered == key:
            return f"/api/v1/{{division}}/{entity.path}"
        if lowered.startswith(key + "("):
            tail = rest[rest.find(")", len(key)) + 1 :] if ")" in rest[len(key) :] else ""
            return f"/api/v1/{{division}}/{entity.path}({{key}}){tail}"
        if lowered.startswith(key + "/"):
            return f"/api/v1/{{division}}/{entity.path}{rest[len(key) :]}"
    return None
