"""The NetSuite tables the emulator serves: columns, kinds, keys and display values.

Names follow the SuiteQL Records Catalog as used by public connectors (reference A1).
Kinds decide storage and rendering: ``integer`` and ``number`` come back as strings,
``boolean`` is stored and returned as ``T``/``F``, ``date`` and ``datetime`` are stored as
``YYYY-MM-DD HH:MM:SS`` text in the account time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["integer", "number", "text", "boolean", "date", "datetime"]
DATE_KINDS = ("date", "datetime")
SQLITE_TYPES: dict[str, str] = {
    "integer": "INTEGER",
    "number": "REAL",
    "text": "TEXT",
    "boolean": "TEXT",
    "date": "TEXT",
    "datetime": "TEXT",
}


@dataclass(frozen=True)
class Lookup:
    """BUILTIN.DF of a reference: ``expression`` over ``table`` (``{t}`` is its alias)."""

    table: str
    expression: str


@dataclass(frozen=True)
class Status:
    """BUILTIN.DF of a transaction status: depends on the row's ``type`` column too."""


@dataclass(frozen=True)
class Labels:
    """BUILTIN.DF of a coded list value: a fixed mapping."""

    labels: dict[str, str]


DisplayRule = Lookup | Status | Labels


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    kind: ColumnKind
    display: DisplayRule | None = None


@dataclass(frozen=True)
class Table:
    """One SuiteQL table.

    ``record`` is the record name NetSuite uses in error messages (``transactionLine``);
    ``key`` the column that identifies a row; ``modified`` the column bumped on change.
    """

    name: str
    record: str
    key: str
    columns: dict[str, Column]
    modified: str | None = None
    created: str | None = None
    #: NetSuite's record type id and type name, written to ``deletedrecord``.
    deleted_type: tuple[int, str] | None = None
    indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


ITEM_TYPES = {
    "InvtPart": "Inventory Item",
    "NonInvtPart": "Non-inventory Item",
    "Service": "Service",
    "Kit": "Kit/Package",
    "Discount": "Discount",
    "TaxItem": "Tax Code",
}
TRANSACTION_TYPES = {"SalesOrd": "Sales Order", "CustInvc": "Invoice"}
#: Status letters per transaction type and their display text.
TRANSACTION_STATUSES: dict[str, dict[str, str]] = {
    "SalesOrd": {
        "A": "Pending Approval",
        "B": "Pending Fulfillment",
        "C": "Cancelled",
        "D": "Partially Fulfilled",
        "E": "Pending Billing/Partially Fulfilled",
        "F": "Pending Billing",
        "G": "Billed",
        "H": "Closed",
    },
    "CustInvc": {"A": "Open", "B": "Paid In Full", "V": "Voided"},
}

CUSTOMER_NAME = Lookup("customer", "{t}.entityid")

T, N, S, B = Column("integer"), Column("number"), Column("text"), Column("boolean")
DATE, DATETIME = Column("date"), Column("datetime")

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        Table(
            name="customer",
            record="customer",
            key="id",
            modified="lastmodifieddate",
            created="datecreated",
            deleted_type=(-2, "customer"),
            columns={
                "id": T,
                "entityid": S,
                "altname": S,
                "companyname": S,
                "firstname": S,
                "lastname": S,
                "email": S,
                "phone": S,
                "isperson": B,
                "isinactive": B,
                "datecreated": DATETIME,
                "lastmodifieddate": DATETIME,
                "defaultbillingaddress": Column("integer", Lookup("entityaddress", "{t}.addrtext")),
                "defaultshippingaddress": Column(
                    "integer", Lookup("entityaddress", "{t}.addrtext")
                ),
                "parent": Column("integer", CUSTOMER_NAME),
                "subsidiary": Column("integer", Lookup("subsidiary", "{t}.name")),
                "currency": Column("integer", Lookup("currency", "{t}.name")),
                "externalid": S,
            },
            indexes=(("lastmodifieddate", "id"), ("datecreated", "id")),
        ),
        Table(
            name="entityaddress",
            record="entityAddress",
            key="nkey",
            columns={
                "nkey": T,
                "addressee": S,
                "addr1": S,
                "addr2": S,
                "addr3": S,
                "city": S,
                "state": S,
                "zip": S,
                "country": S,
                "addrtext": S,
            },
        ),
        Table(
            name="customersubsidiaryrelationship",
            record="customerSubsidiaryRelationship",
            key="id",
            columns={
                "id": T,
                "entity": Column("integer", CUSTOMER_NAME),
                "subsidiary": Column("integer", Lookup("subsidiary", "{t}.name")),
                "isprimarysub": B,
            },
            indexes=(("entity",),),
        ),
        Table(
            name="subsidiary",
            record="subsidiary",
            key="id",
            columns={
                "id": T,
                "name": S,
                "country": S,
                "currency": Column("integer", Lookup("currency", "{t}.name")),
                "isinactive": B,
            },
        ),
        Table(
            name="currency",
            record="currency",
            key="id",
            columns={"id": T, "name": S, "symbol": S, "isbasecurrency": B, "isinactive": B},
        ),
        Table(
            name="item",
            record="item",
            key="id",
            modified="lastmodifieddate",
            created="createddate",
            deleted_type=(-10, "inventoryitem"),
            columns={
                "id": T,
                "itemid": S,
                "displayname": S,
                "fullname": S,
                "description": S,
                "itemtype": Column("text", Labels(ITEM_TYPES)),
                "baseprice": N,
                "isinactive": B,
                "createddate": DATETIME,
                "lastmodifieddate": DATETIME,
                "externalid": S,
            },
            indexes=(("lastmodifieddate", "id"),),
        ),
        Table(
            name="transaction",
            record="transaction",
            key="id",
            modified="lastmodifieddate",
            created="createddate",
            deleted_type=(-30, "salesorder"),
            columns={
                "id": T,
                "tranid": S,
                "trandate": DATE,
                "type": Column("text", Labels(TRANSACTION_TYPES)),
                "recordtype": S,
                "entity": Column("integer", CUSTOMER_NAME),
                "email": S,
                "status": Column("text", Status()),
                "currency": Column("integer", Lookup("currency", "{t}.name")),
                "foreigntotal": N,
                "exchangerate": N,
                "memo": S,
                "otherrefnum": S,
                "shipdate": DATE,
                "createddate": DATETIME,
                "lastmodifieddate": DATETIME,
            },
            indexes=(("lastmodifieddate", "id"), ("type", "lastmodifieddate", "id")),
        ),
        Table(
            name="transactionline",
            record="transactionLine",
            key="uniquekey",
            modified="linelastmodifieddate",
            columns={
                "transaction": Column(
                    "integer",
                    Lookup("transaction", "ns_transaction_name({t}.type, {t}.tranid)"),
                ),
                "id": T,
                "uniquekey": T,
                "linesequencenumber": T,
                "item": Column("integer", Lookup("item", "{t}.itemid")),
                "itemtype": Column("text", Labels(ITEM_TYPES)),
                "quantity": N,
                "rate": N,
                "netamount": N,
                "mainline": B,
                "taxline": B,
                "memo": S,
                "linelastmodifieddate": DATETIME,
            },
            indexes=(("transaction", "linesequencenumber"),),
        ),
        Table(
            name="deletedrecord",
            record="deletedRecord",
            key="recordid",
            columns={
                "recordid": T,
                "recordtypeid": T,
                "type": S,
                "name": S,
                "context": S,
                "iscustomrecord": B,
                "deleteddate": DATETIME,
            },
            indexes=(("deleteddate", "recordid"),),
        ),
    )
}


def create_statements() -> list[str]:
    """``CREATE TABLE``/``CREATE INDEX`` statements for every table."""
    statements = []
    for table in TABLES.values():
        columns = []
        for name, column in table.columns.items():
            definition = f'"{name}" {SQLITE_TYPES[column.kind]}'
            if name == table.key and table.name != "deletedrecord":
                definition += " PRIMARY KEY"
            columns.append(definition)
        statements.append(f'CREATE TABLE "{table.name}" ({", ".join(columns)})')
        for number, index in enumerate(table.indexes):
            quoted = ", ".join(f'"{c}"' for c in index)
            statements.append(f'CREATE INDEX "{table.name}_{number}" ON "{table.name}" ({quoted})')
    return statements
