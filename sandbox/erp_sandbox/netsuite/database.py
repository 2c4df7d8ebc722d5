"""The emulated account's data: an in-memory SQLite database with NetSuite's tables.

One connection, guarded by a lock, serves every request thread. After seeding, a copy is
kept (SQLite's backup API) so a reset restores the seeded state in milliseconds, whatever
its size.

Listeners (the deployed user-event scripts) hear of every change made through
:meth:`NetSuiteDatabase.update_record`, ``insert_record`` and ``delete_record``, once the
change is made and the lock released. A change that fails is not heard of; seeding and
resets are not changes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from erp_sandbox.netsuite import seed_data, sql_functions
from erp_sandbox.netsuite.clock import Clock
from erp_sandbox.netsuite.date_formats import stored
from erp_sandbox.netsuite.schema import TABLES, Table, create_statements
from erp_sandbox.netsuite.settings import NetSuiteSettings


class RecordError(ValueError):
    """A record change the database cannot make (unknown table or column, bad value)."""


class RecordNotFoundError(RecordError):
    """No row with that key."""


ChangeEvent = Literal["create", "edit", "delete"]


@dataclass(frozen=True)
class RecordChange:
    """One row changed through the record API.

    ``row`` is the row after the change, or as it was before a delete; ``occurred_at`` is
    the emulator clock (UTC) when the change was made.
    """

    table: str
    event: ChangeEvent
    key: Any
    row: dict[str, Any]
    occurred_at: datetime


#: ``listener(change)``; called outside the database lock.
ChangeListener = Callable[[RecordChange], None]


class NetSuiteDatabase:
    """NetSuite's tables, seeded, queryable and changeable between runs."""

    def __init__(self, settings: NetSuiteSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.size = seed_data.SeedSize()
        self._connection = self._connect()
        self._pristine: sqlite3.Connection | None = None
        self.listeners: list[ChangeListener] = []

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        sql_functions.register(connection, lambda: self.settings.date_format, self.local_now)
        # Oracle compares strings case-sensitively, LIKE included.
        connection.execute("PRAGMA case_sensitive_like = ON")
        for statement in create_statements():
            connection.execute(statement)
        return connection

    # --- time -------------------------------------------------------------------------

    def local_now(self) -> datetime:
        """The emulator clock in the account time zone (naive, as stored)."""
        zone = ZoneInfo(self.settings.account_timezone)
        return self.clock.now().astimezone(zone).replace(tzinfo=None)

    def now_stored(self) -> str:
        """The emulator clock as a stored timestamp."""
        return stored(self.local_now())

    # --- seeding and reset ------------------------------------------------------------

    def seed(self, size: seed_data.SeedSize) -> dict[str, int]:
        """Replace all data with a generated account; it becomes the reset state."""
        rows = seed_data.generate(size, self.settings.account_timezone)
        with self.lock:
            fresh = self._connect()
            fresh.execute("BEGIN")
            for name, table_rows in rows.items():
                if table_rows:
                    marks = ", ".join("?" * len(TABLES[name].columns))
                    fresh.executemany(f'INSERT INTO "{name}" VALUES ({marks})', table_rows)  # noqa: S608 - names from the schema
            fresh.execute("COMMIT")
            fresh.execute("ANALYZE")
            old = self._connection
            self._connection = fresh
            old.close()
            self.size = size
            self._keep_pristine_copy()
        return self.counts()

    def _keep_pristine_copy(self) -> None:
        if self._pristine is not None:
            self._pristine.close()
        self._pristine = sqlite3.connect(":memory:", check_same_thread=False)
        self._connection.backup(self._pristine)

    def reset(self) -> None:
        """Back to the state of the last seed."""
        with self.lock:
            if self._pristine is not None:
                self._pristine.backup(self._connection)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        with self.lock:
            return {
                name: self._connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
                for name in TABLES
            }

    # --- queries ----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, held exclusively for the block."""
        with self.lock:
            yield self._connection

    def fetch(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows."""
        with self.lock:
            return self._connection.execute(sql, parameters).fetchall()

    # --- record changes ---------------------------------------------------------------

    def record(self, table: str, key: Any) -> dict[str, Any] | None:
        """One row as stored, or None."""
        spec = _table(table)
        with self.lock:
            cursor = self._connection.execute(
                f'SELECT * FROM "{spec.name}" WHERE "{spec.key}" = ?',  # noqa: S608
                (key,),
            )
            row = cursor.fetchone()
        return None if row is None else dict(zip(spec.columns, row, strict=True))

    def update_record(self, table: str, key: Any, **fields: Any) -> dict[str, Any]:
        """Change columns of one row; its modification date (and its parent's, for a
        transaction line or an address) moves to the emulator clock."""
        spec = _table(table)
        _check_columns(spec, fields)
        occurred_at = self.clock.now()
        now = self.now_stored()
        with self.lock:
            if self.record(table, key) is None:
                raise RecordNotFoundError(f"no {spec.name} with {spec.key} {key!r}")
            changes = dict(fields)
            if spec.modified and spec.modified not in fields:
                changes[spec.modified] = now
            self._update(spec, key, changes)
            self._touch_parents(spec, key, now)
            updated = self.record(table, changes.get(spec.key, key))
        assert updated is not None  # noqa: S101 - just written
        self._notify(RecordChange(spec.name, "edit", updated[spec.key], updated, occurred_at))
        return updated

    def insert_record(self, table: str, **fields: Any) -> dict[str, Any]:
        """Add one row; the key defaults to the next free one, dates to the clock."""
        spec = _table(table)
        _check_columns(spec, fields)
        occurred_at = self.clock.now()
        now = self.now_stored()
        values = {column: fields.get(column) for column in spec.columns}
        for column in (spec.created, spec.modified):
            if column and values[column] is None:
                values[column] = now
        for name, column in spec.columns.items():
            if column.kind == "boolean" and values[name] is None:
                values[name] = "F"
        with self.lock:
            if values[spec.key] is None:
                top = self._connection.execute(
                    f'SELECT MAX("{spec.key}") FROM "{spec.name}"'  # noqa: S608
                ).fetchone()[0]
                deleted = self._connection.execute(
                    'SELECT MAX("recordid") FROM "deletedrecord"'
                ).fetchone()[0]
                values[spec.key] = max(top or 0, deleted or 0) + 1
            marks = ", ".join("?" * len(values))
            columns = ", ".join(f'"{c}"' for c in values)
            try:
                self._connection.execute(
                    f'INSERT INTO "{spec.name}" ({columns}) VALUES ({marks})',  # noqa: S608
                    tuple(values.values()),
                )
            except sqlite3.IntegrityError as exc:
                raise RecordError(str(exc)) from exc
            self._touch_parents(spec, values[spec.key], now)
            inserted = self.record(table, values[spec.key])
        assert inserted is not None  # noqa: S101 - just written
        self._notify(RecordChange(spec.name, "create", inserted[spec.key], inserted, occurred_at))
        return inserted

    def delete_record(self, table: str, key: Any) -> dict[str, Any]:
        """Delete one row and write its ``deletedrecord`` entry (transactions take their
        lines with them). Returns the deleted-record row."""
        spec = _table(table)
        occurred_at = self.clock.now()
        now = self.now_stored()
        with self.lock:
            row = self.record(table, key)
            if row is None:
                raise RecordNotFoundError(f"no {spec.name} with {spec.key} {key!r}")
            self._touch_parents(spec, key, now)
            self._connection.execute(
                f'DELETE FROM "{spec.name}" WHERE "{spec.key}" = ?',  # noqa: S608
                (key,),
            )
            if spec.name == "transaction":
                self._connection.execute(
                    'DELETE FROM "transactionline" WHERE "transaction" = ?', (key,)
                )
            record_type_id, record_type = spec.deleted_type or (None, spec.name)
            if spec.name == "transaction":
                record_type = row.get("recordtype") or record_type
            entry = {
                "recordid": key,
                "recordtypeid": record_type_id,
                "type": record_type,
                "name": _display_name(row),
                "context": "WS",
                "iscustomrecord": "F",
                "deleteddate": now,
            }
            if spec.deleted_type or spec.name == "transaction":
                columns = ", ".join(f'"{c}"' for c in entry)
                marks = ", ".join("?" * len(entry))
                self._connection.execute(
                    f'INSERT INTO "deletedrecord" ({columns}) VALUES ({marks})',  # noqa: S608
                    tuple(entry.values()),
                )
        self._notify(RecordChange(spec.name, "delete", row[spec.key], row, occurred_at))
        return entry

    def _notify(self, change: RecordChange) -> None:
        for listener in list(self.listeners):
            listener(change)

    def _update(self, spec: Table, key: Any, changes: dict[str, Any]) -> None:
        assignments = ", ".join(f'"{c}" = ?' for c in changes)
        self._connection.execute(
            f'UPDATE "{spec.name}" SET {assignments} WHERE "{spec.key}" = ?',  # noqa: S608
            (*changes.values(), key),
        )

    def _touch_parents(self, spec: Table, key: Any, now: str) -> None:
        """Editing a line changes its transaction; editing an address, its customers."""
        run: Callable[..., Any] = self._connection.execute
        if spec.name == "transactionline":
            run(
                'UPDATE "transaction" SET lastmodifieddate = ? WHERE id = '
                '(SELECT "transaction" FROM "transactionline" WHERE uniquekey = ?)',
                (now, key),
            )
        elif spec.name == "entityaddress":
            run(
                'UPDATE "customer" SET lastmodifieddate = ? '
                "WHERE defaultbillingaddress = ? OR defaultshippingaddress = ?",
                (now, key, key),
            )
        elif spec.name == "customersubsidiaryrelationship":
            run(
                'UPDATE "customer" SET lastmodifieddate = ? WHERE id = '
                '(SELECT entity FROM "customersubsidiaryrelationship" WHERE id = ?)',
                (now, key),
            )


def _table(name: str) -> Table:
    spec = TABLES.get(name.lower())
    if spec is None:
        raise RecordError(f"unknown table {name!r}; known: {sorted(TABLES)}")
    return spec


def _check_columns(spec: Table, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(spec.columns)
    if unknown:
        raise RecordError(f"unknown columns for {spec.name}: {sorted(unknown)}")


def _display_name(row: dict[str, Any]) -> str | None:
    for column in ("entityid", "itemid", "tranid", "name"):
        if row.get(column):
            return str(row[column])
    return None
