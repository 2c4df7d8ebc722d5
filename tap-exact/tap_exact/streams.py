"""Exact Online streams: declarations over the client (types from Exact's reference)."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tap_exact.client import ExactStream, SyncStream, typed

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

TIMESTAMP = th.Property("Timestamp", th.IntegerType, description="Sync API row version.")


def _fields(schema: th.PropertiesList) -> tuple[str, ...]:
    return tuple(schema.to_dict()["properties"])


ACCOUNT = th.PropertiesList(
    TIMESTAMP,
    th.Property("ID", th.UUIDType, required=True),
    th.Property("Code", th.StringType, description="Trimmed (Exact pads it to 18)."),
    th.Property("Name", th.StringType),
    th.Property("Email", th.StringType),
    th.Property("Status", th.StringType, description="A none, S suspect, P prospect, C customer."),
    th.Property("Blocked", th.BooleanType),
    th.Property("IsSales", th.BooleanType),
    th.Property("IsSupplier", th.BooleanType),
    th.Property("Type", th.StringType),
    th.Property("SearchCode", th.StringType),
    th.Property("Classification1", th.UUIDType),
    th.Property("MainContact", th.UUIDType),
    th.Property("Phone", th.StringType),
    th.Property("Website", th.StringType),
    th.Property("AddressLine1", th.StringType),
    th.Property("AddressLine2", th.StringType),
    th.Property("City", th.StringType),
    th.Property("Postcode", th.StringType),
    th.Property("State", th.StringType),
    th.Property("Country", th.StringType),
    th.Property("Modified", th.DateTimeType),
)


class AccountsStream(SyncStream):
    """Accounts (customers, prospects, suppliers) from the Sync API."""

    name = "accounts"
    endpoint = "sync/CRM/Accounts"
    primary_keys: t.ClassVar[list[str]] = ["ID"]
    schema = ACCOUNT.to_dict()
    select = _fields(ACCOUNT)


CONTACT = th.PropertiesList(
    TIMESTAMP,
    th.Property("ID", th.UUIDType, required=True),
    th.Property("Account", th.UUIDType),
    th.Property("FirstName", th.StringType),
    th.Property("LastName", th.StringType),
    th.Property("FullName", th.StringType),
    th.Property("Email", th.StringType),
    th.Property("BusinessEmail", th.StringType),
    th.Property("BusinessPhone", th.StringType),
    th.Property("Phone", th.StringType),
    th.Property("Mobile", th.StringType),
    th.Property("JobTitleDescription", th.StringType),
    th.Property("AccountName", th.StringType),
    th.Property("IsMainContact", th.BooleanType),
    th.Property("IsMailingExcluded", th.BooleanType, description="Excluded from mailings."),
    th.Property("Modified", th.DateTimeType),
)


class ContactsStream(SyncStream):
    """Contacts from the Sync API."""

    name = "contacts"
    endpoint = "sync/CRM/Contacts"
    primary_keys: t.ClassVar[list[str]] = ["ID"]
    schema = CONTACT.to_dict()
    select = _fields(CONTACT)


INVOICE_LINE = th.ObjectType(
    th.Property("ID", th.UUIDType),
    th.Property("LineNumber", th.IntegerType),
    th.Property("Item", th.UUIDType),
    th.Property("ItemCode", th.StringType),
    th.Property("ItemDescription", th.StringType),
    th.Property("Description", th.StringType),
    th.Property("Quantity", th.NumberType, description="Negative on credit notes."),
    th.Property("UnitPrice", th.NumberType),
    th.Property("NetPrice", th.NumberType),
    th.Property("AmountFC", th.NumberType),
    th.Property("CostCenter", th.StringType),
    th.Property("CostCenterDescription", th.StringType),
)
HEADER = th.PropertiesList(
    TIMESTAMP,
    th.Property("InvoiceID", th.UUIDType, required=True),
    th.Property("InvoiceNumber", th.IntegerType),
    th.Property("InvoiceTo", th.UUIDType),
    th.Property("InvoiceToName", th.StringType),
    th.Property("OrderedBy", th.UUIDType),
    th.Property("Currency", th.StringType),
    th.Property("AmountFC", th.NumberType, description="Total in the invoice currency."),
    th.Property("AmountDC", th.NumberType, description="Total in the company currency."),
    th.Property("VATAmountFC", th.NumberType),
    th.Property("Status", th.IntegerType, description="10 draft, 20 open, 50 processed."),
    th.Property("Type", th.IntegerType, description="8020 invoice, 8021 credit note."),
    th.Property("InvoiceDate", th.DateTimeType),
    th.Property("DueDate", th.DateTimeType),
    th.Property("PaymentCondition", th.StringType),
    th.Property("PaymentConditionDescription", th.StringType),
    th.Property("Description", th.StringType),
    th.Property("Modified", th.DateTimeType),
)


class SalesInvoicesStream(SyncStream):
    """Sales invoices with `lines`, regrouped from the Sync API's flattened rows.

    The Sync API returns one row per invoice line plus a header row (LineNumber 0);
    a change renumbers every row of the invoice, so its rows arrive together, though
    possibly split over two pages. An invoice is complete once a row of another one
    follows, or the stream ends; when the day's call budget cuts the stream short the
    last invoice may be incomplete, so it is left for the next run (the bookmark stays
    before it).
    """

    name = "sales_invoices"
    endpoint = "sync/SalesInvoice/SalesInvoices"
    primary_keys: t.ClassVar[list[str]] = ["InvoiceID"]
    schema = th.PropertiesList(
        *HEADER.wrapped.values(), th.Property("lines", th.ArrayType(INVOICE_LINE))
    ).to_dict()
    select = tuple(dict.fromkeys((*_fields(HEADER), *INVOICE_LINE.wrapped)))

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """One record per invoice: its header row plus its line rows."""
        rows: list[dict[str, t.Any]] = []
        for row in super().get_records(context):
            if rows and row.get("InvoiceID") != rows[0].get("InvoiceID"):
                yield self._invoice(rows)
                rows = []
            rows.append(row)
        if rows and not self.paginator.cut_short:
            yield self._invoice(rows)

    def _invoice(self, rows: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        line_properties = self.schema["properties"]["lines"]["items"]["properties"]
        lines = [row for row in rows if int(row.get("LineNumber") or 0) > 0]
        header = next((row for row in rows if not int(row.get("LineNumber") or 0)), rows[0])
        return {
            **header,
            "Timestamp": max(int(row.get("Timestamp") or 0) for row in rows),
            "lines": [
                typed(line, line_properties)
                for line in sorted(lines, key=lambda line: int(line["LineNumber"]))
            ],
        }


COST_CENTER = th.PropertiesList(
    th.Property("ID", th.UUIDType, required=True),
    th.Property("Code", th.StringType),
    th.Property("Description", th.StringType),
    th.Property("Active", th.BooleanType),
    th.Property("Modified", th.DateTimeType),
)


class CostCentersStream(ExactStream):
    """Cost centers (a small list, read whole each run from the regular endpoint)."""

    name = "cost_centers"
    endpoint = "hrm/Costcenters"
    primary_keys: t.ClassVar[list[str]] = ["ID"]
    schema = COST_CENTER.to_dict()
    select = _fields(COST_CENTER)


DELETED = th.PropertiesList(
    TIMESTAMP,
    th.Property("ID", th.UUIDType, required=True),
    th.Property("EntityKey", th.UUIDType),
    th.Property("EntityType", th.IntegerType, description="2 account, 5 contact, 13 invoice."),
    th.Property("DeletedDate", th.DateTimeType),
)


class DeletedStream(SyncStream):
    """Deletions from the Sync API (so deleted accounts can archive members)."""

    name = "deleted"
    endpoint = "sync/Deleted"
    primary_keys: t.ClassVar[list[str]] = ["ID"]
    schema = DELETED.to_dict()
    select = _fields(DELETED)


STREAM_TYPES = [
    AccountsStream,
    ContactsStream,
    SalesInvoicesStream,
    CostCentersStream,
    DeletedStream,
]
