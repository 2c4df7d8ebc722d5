"""Stream schemas: raw tables by column alias, customers and vendors by plain names."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th

from tap_jde.tables import DATE, INTEGERS, NUMBER

if t.TYPE_CHECKING:
    from tap_jde.tables import Table

REPLICATION_KEY = "last_changed_at"


def table_schema(table: Table) -> dict[str, t.Any]:
    """Every declared column by alias; dates ISO, `UPMT` as `HH:MM:SS`, plus the change."""
    kinds = table.kinds

    def type_of(alias: str) -> th.JSONTypeHelper:
        if alias == "UPMT":
            # `HH:MM:SS` wall time: JSON Schema's `time` format needs an offset, and the
            # offset depends on the date (daylight saving); `last_changed_at` has both.
            return th.StringType()
        if kinds[alias] == DATE:
            return th.DateType()
        if kinds[alias] == NUMBER:
            return th.IntegerType() if alias in INTEGERS else th.DecimalType()
        return th.StringType()

    return th.PropertiesList(
        *(
            th.Property(alias, type_of(alias), required=alias in table.key)
            for alias in table.aliases
        ),
        th.Property(
            REPLICATION_KEY,
            th.DateTimeType,
            description="UPMJ + UPMT (the server's wall time) in UTC.",
        ),
    ).to_dict()


def _codes(*aliases: str) -> th.ObjectType:
    return th.ObjectType(*(th.Property(alias, th.StringType) for alias in aliases))


_ADDRESS_FIELDS = (
    ("address_line_1", "ADD1"),
    ("address_line_2", "ADD2"),
    ("address_line_3", "ADD3"),
    ("address_line_4", "ADD4"),
    ("city", "CTY1"),
    ("county", "COUN"),
    ("state", "ADDS"),
    ("postal_code", "ADDZ"),
    ("country", "CTR"),
)

ENTITY_PROPERTIES = (
    th.Property("address_number", th.IntegerType, required=True, description="F0101.AN8"),
    th.Property("long_address_number", th.StringType, description="F0101.ALKY"),
    th.Property("name", th.StringType, description="F0101.ALPH; 'Last, First' for persons"),
    th.Property("first_name", th.StringType, description="From ALPH, for persons (TAXC I)"),
    th.Property("last_name", th.StringType, description="From ALPH, for persons (TAXC I)"),
    th.Property("search_type", th.StringType, description="F0101.AT1 (C, V, E, O…)"),
    th.Property("person_corporation_code", th.StringType, description="F0101.TAXC"),
    th.Property("tax_id", th.StringType, description="F0101.TAX"),
    th.Property("language", th.StringType, description="F0101.LNGP"),
    th.Property("business_unit", th.StringType, description="F0101.MCU, trimmed"),
    th.Property("address_book_category_codes", _codes("AC01", "AC02")),
    th.Property("email", th.StringType, description="F01151 IDLN 0, RCK7 1, ETP E"),
    th.Property("phone", th.StringType, description="F0115 AR1 and PH1 of the main phone"),
    th.Property("phone_prefix", th.StringType, description="F0115.AR1"),
    th.Property("phone_number", th.StringType, description="F0115.PH1"),
    *(
        th.Property(name, th.StringType, description=f"F0116.{alias} of the current address")
        for name, alias in _ADDRESS_FIELDS
    ),
    th.Property("address_effective_date", th.DateType, description="F0116.EFTB"),
    th.Property(
        REPLICATION_KEY,
        th.DateTimeType,
        description="The latest UPMJ + UPMT of the entity's rows, in UTC.",
    ),
)

CUSTOMER_SCHEMA = th.PropertiesList(
    *ENTITY_PROPERTIES,
    th.Property("company", th.StringType, description="F03012.CO"),
    th.Property("customer_status", th.StringType, description="F03012.CUSTS"),
    th.Property(
        "active",
        th.BooleanType,
        description="False when the `inactive_customer_column` holds an inactive value.",
    ),
    th.Property("currency_code", th.StringType, description="F03012.CRCD"),
    th.Property("payment_terms", th.StringType, description="F03012.TRAR"),
    th.Property("category_codes", _codes(*(f"AC{n:02d}" for n in range(1, 6)))),
).to_dict()

VENDOR_SCHEMA = th.PropertiesList(*ENTITY_PROPERTIES).to_dict()
