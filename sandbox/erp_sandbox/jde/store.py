"""The tables' rows: seeded, read in key order, changeable between runs.

A row is a dict of alias → value as the database holds it: numbers, strings (``MCU``
right-justified in 12 characters), dates as CYYDDD numbers (0 = blank) and UPMT as an
HHMMSS number. A reset restores a deep copy of the last seed. Every change stamps UPMJ
and UPMT with the emulator clock in the server's local time, as JD Edwards programs do.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from erp_sandbox.jde import seed_data
from erp_sandbox.jde.dates import coerce_julian, hhmmss_of, julian_of
from erp_sandbox.jde.tables import TABLES, Table

Row = dict[str, Any]
KeyValue = int | str | tuple[Any, ...] | list[Any]


class RecordError(ValueError):
    """A record change the store cannot make (unknown table or column, bad value)."""


class RecordNotFoundError(RecordError):
    """No row with that key."""


def table_of(name: str) -> Table:
    """The table called ``name``, or a :class:`RecordError`."""
    table = TABLES.get(name.upper())
    if table is None:
        raise RecordError(f"unknown table {name!r}; known: {sorted(TABLES)}")
    return table


def coerce(table: Table, alias: str, value: Any) -> Any:
    """A value for a column as stored: numbers as int/float, dates as CYYDDD."""
    column = table.column(alias)
    if column is None:
        raise RecordError(f"{table.name} has no column {alias!r}; known: {table.aliases()}")
    try:
        if column.kind == "date":
            return coerce_julian(value)
        if column.kind == "number":
            number = float(value or 0)
            return int(number) if number.is_integer() else number
        return "" if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise RecordError(f"{table.name}.{alias}: {value!r} is not a valid {column.kind}") from exc


def key_tuple(table: Table, key: KeyValue) -> tuple[Any, ...]:
    """``1001``, ``"1001/00000"`` or ``(1001, "00000")`` → the stored key tuple."""
    if isinstance(key, tuple | list):
        parts = list(key)
    elif isinstance(key, int):
        parts = [key]
    else:
        parts = str(key).split("/")
    if len(parts) != len(table.key):
        raise RecordError(f"{table.name} is keyed by {'/'.join(table.key)}, not {key!r}")
    return tuple(coerce(table, alias, part) for alias, part in zip(table.key, parts, strict=True))


def row_key(table: Table, row: Row) -> tuple[Any, ...]:
    """The key tuple of a stored row."""
    return tuple(row[alias] for alias in table.key)


class JdeStore:
    """Every table's rows, with the change API tests use between runs."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        #: The server's local time now (naive or aware; only the wall time is used).
        self.now = now
        self.lock = threading.RLock()
        self.size = seed_data.SeedSize()
        self._rows: dict[str, dict[tuple[Any, ...], Row]] = {name: {} for name in TABLES}
        self._pristine = copy.deepcopy(self._rows)

    # --- seeding and reset ------------------------------------------------------------

    def seed(self, size: seed_data.SeedSize) -> dict[str, int]:
        """Replace every row with a generated address book; it becomes the reset state."""
        generated = seed_data.generate(size)
        rows = {
            name: {row_key(table, r): r for r in generated.get(name, [])}
            for name, table in TABLES.items()
        }
        with self.lock:
            self._rows = rows
            self._pristine = copy.deepcopy(rows)
            self.size = size
        return self.counts()

    def reset(self) -> None:
        """Back to the state of the last seed."""
        with self.lock:
            self._rows = copy.deepcopy(self._pristine)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self.lock:
            return {name: len(rows) for name, rows in self._rows.items()}

    # --- reading ----------------------------------------------------------------------

    def rows(self, table: str, keep: Callable[[Row], bool] = lambda _row: True) -> list[Row]:
        """Copies of a table's rows that `keep` accepts, in primary key order. Only those
        are copied and sorted: a query copied and sorted all 100,000 rows of a table to
        return 1,000."""
        with self.lock:
            kept = [(key, row) for key, row in self._rows[table].items() if keep(row)]
            kept.sort(key=lambda item: item[0])
            return [dict(row) for _, row in kept]

    def record(self, table: str, key: KeyValue) -> Row | None:
        """A copy of one row, or None."""
        definition = table_of(table)
        with self.lock:
            found = self._rows[definition.name].get(key_tuple(definition, key))
            return dict(found) if found is not None else None

    # --- changes ----------------------------------------------------------------------

    def update_record(self, table: str, key: KeyValue, **fields: Any) -> Row:
        """Change columns of a row; UPMJ/UPMT move to the clock unless given. Key
        columns cannot change (delete and insert instead)."""
        definition = table_of(table)
        values = {alias.upper(): value for alias, value in fields.items()}
        changed_keys = [alias for alias in definition.key if alias in values]
        if changed_keys:
            raise RecordError(f"key columns cannot change: {changed_keys}")
        coerced = {alias: coerce(definition, alias, value) for alias, value in values.items()}
        with self.lock:
            row = self._rows[definition.name].get(key_tuple(definition, key))
            if row is None:
                raise RecordNotFoundError(f"no {definition.name} row with key {key!r}")
            row.update(self._stamp(coerced))
            return dict(row)

    def insert_record(self, table: str, **fields: Any) -> Row:
        """Add a row. F0101 gets the next address number unless ``AN8`` is given; the
        other tables need the ``AN8`` of an F0101 row and default the rest of the key
        (``CO`` ``00000``, ``IDLN`` 0 and the next ``RCK7``, ``EFTB`` today)."""
        definition = table_of(table)
        values = {alias.upper(): value for alias, value in fields.items()}
        with self.lock:
            row: Row = {c.alias: coerce(definition, c.alias, None) for c in definition.columns}
            row.update({alias: coerce(definition, alias, v) for alias, v in values.items()})
            existing = self._rows[definition.name]
            if definition.name == "F0101":
                if "AN8" not in values:
                    row["AN8"] = max((key[0] for key in existing), default=1000) + 1
            else:
                if row["AN8"] not in {key[0] for key in self._rows["F0101"]}:
                    raise RecordError(f"no F0101 row with AN8 {row['AN8']!r}")
                self._default_key(definition, row, values)
            row.update(self._stamp({k: row[k] for k in ("UPMJ", "UPMT") if k in values}))
            key = row_key(definition, row)
            if key in existing:
                raise RecordError(f"{definition.name} {'/'.join(map(str, key))} already exists")
            existing[key] = row
            return dict(row)

    def delete_record(self, table: str, key: KeyValue) -> Row:
        """Remove a row (AIS has no deleted-records feed); returns it."""
        definition = table_of(table)
        with self.lock:
            removed = self._rows[definition.name].pop(key_tuple(definition, key), None)
            if removed is None:
                raise RecordNotFoundError(f"no {definition.name} row with key {key!r}")
            return removed

    # --- helpers ----------------------------------------------------------------------

    def _stamp(self, values: Row) -> Row:
        """``values`` plus UPMJ/UPMT from the clock for whichever of them is not given."""
        now = self.now()
        stamped = dict(values)
        stamped.setdefault("UPMJ", julian_of(now.date()))
        stamped.setdefault("UPMT", hhmmss_of(now))
        return stamped

    def _default_key(self, table: Table, row: Row, given: Row) -> None:
        if table.name == "F03012" and "CO" not in given:
            row["CO"] = "00000"
        if "RCK7" in table.key and "RCK7" not in given:
            taken = [k[2] for k in self._rows[table.name] if k[:2] == (row["AN8"], row["IDLN"])]
            row["RCK7"] = max(taken, default=0) + 1
        if table.name == "F0116" and "EFTB" not in given:
            row["EFTB"] = julian_of(self.now().date())
