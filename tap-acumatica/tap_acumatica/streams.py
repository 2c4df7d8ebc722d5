"""Acumatica streams: declarations over the contract-based client."""

from __future__ import annotations

import typing as t

from tap_acumatica.client import AcumaticaStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class CustomersStream(AcumaticaStream):
    """Customers with their main and billing contacts and addresses."""

    name = "customers"
    entity = "Customer"
    primary_keys: t.ClassVar[list[str]] = ["CustomerID"]
    replication_key = "LastModifiedDateTime"
    # Acumatica expands nothing by default and nested links must be named explicitly.
    expand = ("MainContact", "MainContact/Address", "BillingContact", "BillingContact/Address")


class ContactsStream(AcumaticaStream):
    """Contacts, with their marketing flags (DoNotEmail, NoMarketing, NoMassMail)."""

    name = "contacts"
    entity = "Contact"
    primary_keys: t.ClassVar[list[str]] = ["ContactID"]
    replication_key = "LastModifiedDateTime"
    expand = ("Address",)


class SalesInvoicesStream(AcumaticaStream):
    """Released sales invoices (statuses in `invoice_statuses`) with their detail lines."""

    name = "sales_invoices"
    entity = "SalesInvoice"
    primary_keys: t.ClassVar[list[str]] = ["Type", "ReferenceNbr"]
    replication_key = "LastModifiedDateTime"
    expand = ("Details",)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # SalesInvoice.LastModifiedDateTime exists from endpoint 23.200.001 on: older
        # endpoints read the stream whole on every run.
        if "LastModifiedDateTime" not in self.schema["properties"]:
            self.replication_key = None  # type: ignore[assignment]

    def filters(self, context: Context | None) -> list[str]:
        """Released documents only (Open and Closed by default)."""
        statuses = self.config.get("invoice_statuses") or ["Open", "Closed"]
        return ["(" + " or ".join(f"Status eq '{status}'" for status in statuses) + ")"]


class StockItemsStream(AcumaticaStream):
    """Stock items with their default price."""

    name = "stock_items"
    entity = "StockItem"
    primary_keys: t.ClassVar[list[str]] = ["InventoryID"]
    replication_key = "LastModified"


STREAM_TYPES = [CustomersStream, ContactsStream, SalesInvoicesStream, StockItemsStream]
