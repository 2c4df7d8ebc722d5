"""NetSuite streams: declarations over the SuiteQL client."""

from __future__ import annotations

import typing as t
from collections import defaultdict

from singer_sdk import typing as th

from tap_netsuite.client import SuiteQLStream
from tap_netsuite.suiteql import SUITEQL_TIMESTAMP, coerce

if t.TYPE_CHECKING:
    import requests


def _modified(alias: str) -> str:
    return f"TO_CHAR({alias}.lastmodifieddate, '{SUITEQL_TIMESTAMP}') AS lastmodifieddate"


class CustomersStream(SuiteQLStream):
    """Customers (companies and persons) with their default billing address."""

    name = "customers"
    table = "customer c LEFT JOIN entityaddress ea ON ea.nkey = c.defaultbillingaddress"
    columns = (
        "c.id AS id",
        "c.entityid AS entityid",
        "c.email AS email",
        "c.firstname AS firstname",
        "c.lastname AS lastname",
        "c.companyname AS companyname",
        "c.isperson AS isperson",
        "c.phone AS phone",
        "c.isinactive AS isinactive",
        f"TO_CHAR(c.datecreated, '{SUITEQL_TIMESTAMP}') AS datecreated",
        _modified("c"),
        "ea.addr1 AS billaddr1",
        "ea.addr2 AS billaddr2",
        "ea.city AS billcity",
        "ea.state AS billstate",
        "ea.zip AS billzip",
        "ea.country AS billcountry",
    )
    keyset = (("c.lastmodifieddate", "lastmodifieddate"), ("c.id", "id"))
    schema = th.PropertiesList(
        th.Property("id", th.IntegerType, required=True),
        th.Property("entityid", th.StringType),
        th.Property("email", th.StringType),
        th.Property("firstname", th.StringType),
        th.Property("lastname", th.StringType),
        th.Property("companyname", th.StringType),
        th.Property("isperson", th.BooleanType),
        th.Property("phone", th.StringType),
        th.Property("isinactive", th.BooleanType),
        th.Property("datecreated", th.DateTimeType),
        th.Property("lastmodifieddate", th.DateTimeType, required=True),
        th.Property("billaddr1", th.StringType),
        th.Property("billaddr2", th.StringType),
        th.Property("billcity", th.StringType),
        th.Property("billstate", th.StringType),
        th.Property("billzip", th.StringType),
        th.Property("billcountry", th.StringType),
    ).to_dict()


class ItemsStream(SuiteQLStream):
    """Items (inventory, non-inventory, services…) with their base price."""

    name = "items"
    table = "item i"
    columns = (
        "i.id AS id",
        "i.itemid AS itemid",
        "i.displayname AS displayname",
        "i.itemtype AS itemtype",
        "i.baseprice AS baseprice",
        "i.isinactive AS isinactive",
        _modified("i"),
    )
    keyset = (("i.lastmodifieddate", "lastmodifieddate"), ("i.id", "id"))
    schema = th.PropertiesList(
        th.Property("id", th.IntegerType, required=True),
        th.Property("itemid", th.StringType),
        th.Property("displayname", th.StringType),
        th.Property("itemtype", th.StringType),
        th.Property("baseprice", th.DecimalType),
        th.Property("isinactive", th.BooleanType),
        th.Property("lastmodifieddate", th.DateTimeType, required=True),
    ).to_dict()


LINE_SCHEMA = th.ObjectType(
    th.Property("id", th.IntegerType, description="The line's uniquekey (unique everywhere)."),
    th.Property("line", th.IntegerType, description="The line sequence number."),
    th.Property("item", th.IntegerType),
    th.Property("quantity", th.DecimalType, description="Positive, as sold."),
    th.Property("rate", th.DecimalType),
    th.Property("amount", th.DecimalType, description="Positive net amount."),
)


class SalesOrdersStream(SuiteQLStream):
    """Sales orders (`type = 'SalesOrd'`) with their item lines."""

    name = "sales_orders"
    table = "transaction t LEFT JOIN currency cur ON cur.id = t.currency"
    columns = (
        "t.id AS id",
        "t.tranid AS tranid",
        "TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate",
        "t.entity AS entity",
        "t.email AS email",
        "t.status AS status",
        "BUILTIN.DF(t.status) AS statusname",
        "cur.symbol AS currency",
        "t.foreigntotal AS foreigntotal",
        _modified("t"),
    )
    conditions = ("t.type = 'SalesOrd'",)
    keyset = (("t.lastmodifieddate", "lastmodifieddate"), ("t.id", "id"))
    nested_properties = ("lines",)
    schema = th.PropertiesList(
        th.Property("id", th.IntegerType, required=True),
        th.Property("tranid", th.StringType),
        th.Property("trandate", th.DateType),
        th.Property("entity", th.IntegerType),
        th.Property("email", th.StringType),
        th.Property("status", th.StringType),
        th.Property("statusname", th.StringType),
        th.Property("currency", th.StringType),
        th.Property("foreigntotal", th.DecimalType),
        th.Property("lastmodifieddate", th.DateTimeType, required=True),
        th.Property("lines", th.ArrayType(LINE_SCHEMA)),
    ).to_dict()

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        """The page's orders, each with its item lines (one lines query per page)."""
        orders = list(super().parse_response(response))
        if not orders:
            return orders
        ids = ", ".join(str(int(order["id"])) for order in orders)
        lines_by_order: dict[str, list[dict[str, t.Any]]] = defaultdict(list)
        line_schema = LINE_SCHEMA.type_dict["properties"]
        rows = self.run_query(
            "tl.transaction AS transaction, tl.uniquekey AS id, tl.linesequencenumber AS line, "
            "tl.item AS item, ABS(tl.quantity) AS quantity, tl.rate AS rate, "
            "ABS(tl.netamount) AS amount",
            "transactionline tl",
            f"tl.transaction IN ({ids}) AND tl.mainline = 'F' AND tl.taxline = 'F'",
            order=(("tl.transaction", "transaction"), ("tl.uniquekey", "id")),
        )
        for row in rows:
            lines_by_order[str(row["transaction"])].append(
                {name: coerce(row.get(name), spec, self.zone) for name, spec in line_schema.items()}
            )
        for lines in lines_by_order.values():
            lines.sort(key=lambda line: (line["line"] or 0, line["id"]))
        for order in orders:
            order["lines"] = lines_by_order.get(str(order["id"]), [])
        return orders


class DeletedRecordsStream(SuiteQLStream):
    """Records deleted in NetSuite (`recordtypeid` -2 customer, -10 item, -30 transaction)."""

    name = "deleted_records"
    replication_key = "deleteddate"
    primary_keys: t.ClassVar[list[str]] = ["recordtypeid", "recordid"]
    table = "deletedrecord d"
    columns = (
        "d.recordid AS recordid",
        "d.recordtypeid AS recordtypeid",
        "d.type AS type",
        f"TO_CHAR(d.deleteddate, '{SUITEQL_TIMESTAMP}') AS deleteddate",
    )
    keyset = (
        ("d.deleteddate", "deleteddate"),
        ("d.recordtypeid", "recordtypeid"),
        ("d.recordid", "recordid"),
    )
    schema = th.PropertiesList(
        th.Property("recordid", th.IntegerType, required=True),
        th.Property("recordtypeid", th.IntegerType, required=True),
        th.Property("type", th.StringType),
        th.Property("deleteddate", th.DateTimeType, required=True),
    ).to_dict()


STREAM_TYPES = [CustomersStream, ItemsStream, SalesOrdersStream, DeletedRecordsStream]
