"""Oracle Fusion streams: declarations over the ADF client."""

from __future__ import annotations

import typing as t

from tap_oracle_fusion.client import FusionStream


class CustomersStream(FusionStream):
    """Customer accounts (party name, number, email, phone, billing address, status)."""

    name = "customers"
    path_setting = "customers_path"
    default_path = "/crmRestApi/resources/{rest_version}/accounts"
    primary_keys: t.ClassVar[list[str]] = ["PartyId"]


class SalesOrdersStream(FusionStream):
    """Sales orders from the Order Hub, with their lines."""

    name = "sales_orders"
    path_setting = "sales_orders_path"
    default_path = "/fscmRestApi/resources/{rest_version}/salesOrdersForOrderHub"
    primary_keys: t.ClassVar[list[str]] = ["HeaderId"]
    item_key = "OrderKey"  # Order Hub items are addressed by a server hash (reference B1)
    child = "lines"


class ReceivablesInvoicesStream(FusionStream):
    """Receivables invoices, with their lines."""

    name = "receivables_invoices"
    path_setting = "receivables_invoices_path"
    default_path = "/fscmRestApi/resources/{rest_version}/receivablesInvoices"
    primary_keys: t.ClassVar[list[str]] = ["CustomerTransactionId"]
    child = "receivablesInvoiceLines"


STREAM_TYPES = [CustomersStream, SalesOrdersStream, ReceivablesInvoicesStream]
