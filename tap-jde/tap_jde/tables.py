"""The address book tables the tap reads: columns by data-dictionary alias, and keys.

The data service names columns `<table>.<alias>` in requests (`F0101.AN8`, never the
database name `ABAN8`) and `<table>_<alias>` in rowsets. The columns are those the
customer and vendor streams need plus their neighbours; a table has many more.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

NUMBER, STRING, DATE = "number", "string", "date"
AUDIT = (("USER", STRING), ("PID", STRING), ("JOBN", STRING), ("UPMJ", DATE), ("UPMT", NUMBER))
INTEGERS = frozenset({"AN8", "IDLN", "RCK7", "EHIER", "UPMT"})  # whole numbers by definition


@dataclass(frozen=True)
class Table:
    """One JD Edwards table: name, description, columns (alias, kind), primary key."""

    name: str
    description: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]

    @property
    def kinds(self) -> dict[str, str]:
        """Column kinds by alias."""
        return dict(self.columns)

    @property
    def aliases(self) -> list[str]:
        """Every declared column, in order."""
        return [alias for alias, _ in self.columns]

    def control_id(self, alias: str) -> str:
        """`F0101.AN8`: how requests name a column."""
        return f"{self.name}.{alias}"

    def row_of(self, grid_row: dict[str, t.Any]) -> dict[str, t.Any]:
        """A rowset entry (`{"F0101_AN8": 1004}`) by alias (`{"AN8": 1004}`)."""
        prefix = f"{self.name}_"
        return {
            name.removeprefix(prefix): value
            for name, value in grid_row.items()
            if name.startswith(prefix)
        }


def _table(name: str, description: str, key: tuple[str, ...], *columns: tuple[str, str]) -> Table:
    return Table(name, description, (*columns, *AUDIT), key)


F0101 = _table(
    "F0101",
    "Address Book Master",
    ("AN8",),
    ("AN8", NUMBER),
    ("ALKY", STRING),
    ("TAX", STRING),
    ("ALPH", STRING),
    ("DC", STRING),
    ("MCU", STRING),
    ("AT1", STRING),
    ("TAXC", STRING),
    ("LNGP", STRING),
    ("AC01", STRING),
    ("AC02", STRING),
)
F03012 = _table(
    "F03012",
    "Customer Master by Line of Business",
    ("AN8", "CO"),
    ("AN8", NUMBER),
    ("CO", STRING),
    ("CUSTS", STRING),
    ("CRCD", STRING),
    ("TRAR", STRING),
    ("ACL", NUMBER),
    ("HDAR", STRING),
    ("TXA1", STRING),
    *((f"AC{number:02d}", STRING) for number in range(1, 6)),
)
F01151 = _table(
    "F01151",
    "Electronic Address",
    ("AN8", "IDLN", "RCK7"),
    ("AN8", NUMBER),
    ("IDLN", NUMBER),
    ("RCK7", NUMBER),
    ("ETP", STRING),
    ("EMAL", STRING),
    ("EHIER", NUMBER),
)
F0115 = _table(
    "F0115",
    "Address Book - Contact Phone Numbers",
    ("AN8", "IDLN", "RCK7"),
    ("AN8", NUMBER),
    ("IDLN", NUMBER),
    ("RCK7", NUMBER),
    ("PHTP", STRING),
    ("AR1", STRING),
    ("PH1", STRING),
)
F0116 = _table(
    "F0116",
    "Address by Date",
    ("AN8", "EFTB"),
    ("AN8", NUMBER),
    ("EFTB", DATE),
    ("ADD1", STRING),
    ("ADD2", STRING),
    ("ADD3", STRING),
    ("ADD4", STRING),
    ("ADDZ", STRING),
    ("CTY1", STRING),
    ("COUN", STRING),
    ("ADDS", STRING),
    ("CTR", STRING),
)

TABLES = {table.name: table for table in (F0101, F03012, F01151, F0115, F0116)}
