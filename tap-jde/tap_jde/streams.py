"""JD Edwards streams: raw address book tables, and customers and vendors assembled.

Every stream is incremental on `last_changed_at`, the row's `UPMJ` + `UPMT` (server
wall time) in UTC. An entity stream re-emits an address number when any of its rows in
any of the tables it draws on changed; see README "How incremental works".
"""

from __future__ import annotations

import typing as t

from tap_jde.client import JdeStream
from tap_jde.dataservice import TableQuery, condition
from tap_jde.dates import changed_at, hhmmss_to_time
from tap_jde.entities import AddressBookEntityStream, AddressBookEntry, of_numbers, text
from tap_jde.schemas import CUSTOMER_SCHEMA, REPLICATION_KEY, VENDOR_SCHEMA, table_schema
from tap_jde.tables import DATE, F0101, F0115, F01151, F0116, F03012, INTEGERS, NUMBER, TABLES

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

    from tap_jde.tables import Table

Row = dict[str, t.Any]


class TableStream(JdeStream):
    """One table as stored, rows changed since the bookmark (all on the first run)."""

    table: t.ClassVar[Table]
    replication_key = REPLICATION_KEY

    def request_records(self, context: Context | None) -> Iterable[Row]:
        """The table's changed rows, in key order."""
        return self.changed_rows(TableQuery(self.table), self.since(context), context)

    def post_process(self, row: Row, context: Context | None = None) -> Row | None:
        """Dates as ISO dates, `UPMT` as a time, numbers as numbers; strings as stored."""
        kinds = self.table.kinds
        record: Row = {}
        for alias in self.table.aliases:
            value = row.get(alias)
            if alias == "UPMT":
                value = None if value in (None, "") else hhmmss_to_time(value).isoformat()
            elif kinds[alias] == DATE:
                day = self.date_of(value)
                value = day.isoformat() if day else None
            elif kinds[alias] == NUMBER and value not in (None, ""):
                value = int(value) if alias in INTEGERS else value
            record[alias] = value
        moment = changed_at(self.date_of(row.get("UPMJ")), row.get("UPMT"), self.zone)
        record[REPLICATION_KEY] = moment.isoformat() if moment else None
        return record


class F0101Stream(TableStream):
    """F0101 Address Book Master."""

    name = "f0101"
    table = F0101
    primary_keys: t.ClassVar[list[str]] = list(F0101.key)
    schema = table_schema(F0101)


class F03012Stream(TableStream):
    """F03012 Customer Master by Line of Business (every company)."""

    name = "f03012"
    table = F03012
    primary_keys: t.ClassVar[list[str]] = list(F03012.key)
    schema = table_schema(F03012)


class F01151Stream(TableStream):
    """F01151 Electronic Address."""

    name = "f01151"
    table = F01151
    primary_keys: t.ClassVar[list[str]] = list(F01151.key)
    schema = table_schema(F01151)


class F0115Stream(TableStream):
    """F0115 Contact Phone Numbers."""

    name = "f0115"
    table = F0115
    primary_keys: t.ClassVar[list[str]] = list(F0115.key)
    schema = table_schema(F0115)


class F0116Stream(TableStream):
    """F0116 Address by Date (every effective date, future ones included)."""

    name = "f0116"
    table = F0116
    primary_keys: t.ClassVar[list[str]] = list(F0116.key)
    schema = table_schema(F0116)


class CustomersStream(AddressBookEntityStream):
    """F03012 customers of the configured company with their F0101 entry and contacts."""

    name = "customers"
    schema = CUSTOMER_SCHEMA

    @property
    def inactive_column(self) -> tuple[Table, str]:
        """(table, alias) of the column that marks inactive customers."""
        table, _, alias = str(
            self.config.get("inactive_customer_column", "F03012.CUSTS")
        ).partition(".")
        return TABLES[table], alias

    def columns_of(self, table: Table) -> tuple[str, ...]:
        """The table's columns, plus the inactive column when it lives there."""
        inactive_table, alias = self.inactive_column
        if inactive_table is table and alias not in table.aliases:
            return (*table.aliases, alias)
        return ()

    def members(self) -> TableQuery:
        """F03012 rows of the configured company."""
        company = str(self.config.get("company", "00000"))
        return TableQuery(F03012, columns=self.columns_of(F03012)).where(
            condition(F03012.control_id("CO"), "EQUAL", company)
        )

    def watched(self) -> list[TableQuery]:
        """F03012 of the company, F0101 and the contact tables."""
        return [*super().watched(), TableQuery(F0101)]

    def entries_of(self, members: list[Row], context: Context | None) -> list[AddressBookEntry]:
        """The customers' F0101 rows, joined with their F03012 rows."""
        masters = {int(row["AN8"]): row for row in members}
        if not masters:
            return []
        query = of_numbers(TableQuery(F0101, columns=self.columns_of(F0101)), sorted(masters))
        return [
            AddressBookEntry(address_book=row, customer=masters[int(row["AN8"])])
            for row in self.read_rows(query, context)
        ]

    def finish(self, entry: AddressBookEntry, record: Row) -> Row:
        """The customer master fields and the active flag."""
        customer = entry.customer or {}
        table, alias = self.inactive_column
        source = customer if table is F03012 else entry.address_book
        inactive_values = {
            str(value).strip() for value in self.config.get("inactive_customer_values", ["1"])
        }
        return {
            **record,
            "company": text(customer.get("CO")),
            "customer_status": text(customer.get("CUSTS")),
            "active": (text(source.get(alias)) or "") not in inactive_values,
            "currency_code": text(customer.get("CRCD")),
            "payment_terms": text(customer.get("TRAR")),
            "category_codes": {f"AC{n:02d}": text(customer.get(f"AC{n:02d}")) for n in range(1, 6)},
        }


class VendorsStream(AddressBookEntityStream):
    """F0101 entries with search type V, with their contacts."""

    name = "vendors"
    schema = VENDOR_SCHEMA

    def members(self) -> TableQuery:
        """F0101 rows with `AT1 = 'V'`."""
        return TableQuery(F0101).where(condition(F0101.control_id("AT1"), "EQUAL", "V"))

    def entries_of(self, members: list[Row], context: Context | None) -> list[AddressBookEntry]:
        """The members are the vendors' F0101 rows themselves."""
        return [AddressBookEntry(address_book=row) for row in members]


STREAM_TYPES: list[type[JdeStream]] = [
    CustomersStream,
    VendorsStream,
    F0101Stream,
    F03012Stream,
    F01151Stream,
    F0115Stream,
    F0116Stream,
]
