"""The tables the emulated data service serves: columns by data-dictionary alias, their
descriptions (the grid's ``columns`` map), kinds and primary keys.

Column IDs in requests are ``<table>.<alias>`` (``F0101.AN8``, never the database name
``ABAN8``) and rowset keys ``<table>_<alias>`` (reference B2, B4).
"""

from __future__ import annotations

from dataclasses import dataclass

#: ``number`` values are JSON numbers, ``string`` values strings, ``date`` values are
#: stored as CYYDDD and rendered per the date output setting.
KINDS = ("number", "string", "date")


@dataclass(frozen=True)
class Column:
    """One column: its alias, its data-dictionary description and its kind."""

    alias: str
    description: str
    kind: str


@dataclass(frozen=True)
class Table:
    """One table: name, description, columns in grid order, primary key aliases."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def title(self) -> str:
        """The data browser form's title, e.g. ``Data Browser - F0101 [Address Book Master]``."""
        return f"Data Browser - {self.name} [{self.description}]"

    @property
    def form_name(self) -> str:
        """``fs_DATABROWSE_F0101``: the response key of the data browser form."""
        return f"fs_DATABROWSE_{self.name}"

    @property
    def form_oid(self) -> str:
        """The ``formOID`` of next links: ``V0101`` for F0101 (Oracle's example link)."""
        return "V" + self.name[1:]

    def column(self, alias: str) -> Column | None:
        """The column with that alias, or None."""
        return self._by_alias().get(alias)

    def known_column(self, alias: str) -> Column:
        """The column with that alias (a ``KeyError`` if there is none)."""
        return self._by_alias()[alias]

    def aliases(self) -> list[str]:
        """Every alias, in grid order."""
        return [c.alias for c in self.columns]

    def _by_alias(self) -> dict[str, Column]:
        return {c.alias: c for c in self.columns}


def _audit() -> tuple[Column, ...]:
    """The audit columns every JD Edwards table ends with."""
    return (
        Column("USER", "User ID", "string"),
        Column("PID", "Program ID", "string"),
        Column("JOBN", "Work Station ID", "string"),
        Column("UPMJ", "Date - Updated", "date"),
        Column("UPMT", "Time - Last Updated", "number"),
    )


def _category_codes(count: int) -> tuple[Column, ...]:
    return tuple(
        Column(f"AC{n:02d}", f"Category Code - Address Book {n:02d}", "string")
        for n in range(1, count + 1)
    )


F0101 = Table(
    "F0101",
    "Address Book Master",
    (
        Column("AN8", "Address Number", "number"),
        Column("ALKY", "Long Address Number", "string"),
        Column("TAX", "Tax ID", "string"),
        Column("ALPH", "Alpha Name", "string"),
        Column("DC", "Description - Compressed", "string"),
        Column("MCU", "Business Unit", "string"),
        Column("AT1", "Search Type", "string"),
        Column("TAXC", "Person/Corporation Code", "string"),
        Column("LNGP", "Language", "string"),
        *_category_codes(2),
        *_audit(),
    ),
    ("AN8",),
)

F03012 = Table(
    "F03012",
    "Customer Master by Line of Business",
    (
        Column("AN8", "Address Number", "number"),
        Column("CO", "Company", "string"),
        Column("CUSTS", "Customer Status", "string"),
        Column("CRCD", "Currency Code - From", "string"),
        Column("TRAR", "Payment Terms - A/R", "string"),
        Column("ACL", "Amount - Credit Limit", "number"),
        Column("HDAR", "Hold Invoices", "string"),
        Column("TXA1", "Tax Rate/Area", "string"),
        *_category_codes(5),
        *_audit(),
    ),
    ("AN8", "CO"),
)

F01151 = Table(
    "F01151",
    "Electronic Address",
    (
        Column("AN8", "Address Number", "number"),
        Column("IDLN", "Line Number ID", "number"),
        Column("RCK7", "Line Number", "number"),
        Column("ETP", "Electronic Address Type", "string"),
        Column("EMAL", "Electronic Address", "string"),
        Column("EHIER", "Messaging Indicator", "number"),
        *_audit(),
    ),
    ("AN8", "IDLN", "RCK7"),
)

F0115 = Table(
    "F0115",
    "Address Book - Contact Phone Numbers",
    (
        Column("AN8", "Address Number", "number"),
        Column("IDLN", "Line Number ID", "number"),
        Column("RCK7", "Line Number", "number"),
        Column("PHTP", "Phone Number Type", "string"),
        Column("AR1", "Prefix", "string"),
        Column("PH1", "Phone Number", "string"),
        *_audit(),
    ),
    ("AN8", "IDLN", "RCK7"),
)

F0116 = Table(
    "F0116",
    "Address by Date",
    (
        Column("AN8", "Address Number", "number"),
        Column("EFTB", "Date - Beginning Effective", "date"),
        Column("ADD1", "Address Line 1", "string"),
        Column("ADD2", "Address Line 2", "string"),
        Column("ADD3", "Address Line 3", "string"),
        Column("ADD4", "Address Line 4", "string"),
        Column("ADDZ", "Postal Code", "string"),
        Column("CTY1", "City", "string"),
        Column("COUN", "County", "string"),
        Column("ADDS", "State", "string"),
        Column("CTR", "Country", "string"),
        *_audit(),
    ),
    ("AN8", "EFTB"),
)

TABLES: dict[str, Table] = {t.name: t for t in (F0101, F03012, F01151, F0115, F0116)}
