"""The pod's data in memory: rows per resource and child rows per parent, seeded
deterministically, changeable between runs, and restored by a reset.

One re-entrant lock guards everything; the API renders rows while holding it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from erp_sandbox.fusion import seed_data
from erp_sandbox.fusion.resources import CHILDREN, RESOURCES, Shape, shape_named
from erp_sandbox.fusion.timestamps import Clock
from erp_sandbox.fusion.values import render_value, stored_value

Row = dict[str, Any]


class RecordError(ValueError):
    """A record change the store cannot make (unknown resource or attribute, bad value)."""


class RecordNotFoundError(RecordError):
    """No record with that key."""


def render_row(shape: Shape, row: Row) -> dict[str, Any]:
    """Every attribute of ``row`` as the API renders it (no links, no children)."""
    return {a.name: render_value(a, row.get(a.name)) for a in shape.attributes}


class FusionStore:
    """Resources and child resources of the emulated pod."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.size = seed_data.SeedSize()
        self._pristine = seed_data.Dataset()
        self._data = seed_data.Dataset()
        self._index: dict[str, dict[Any, Row]] = {}
        self._alternate: dict[str, dict[Any, Row]] = {}
        #: child name → child key → (parent key, child row)
        self._child_index: dict[str, dict[Any, tuple[Any, Row]]] = {}

    # --- seeding and reset ------------------------------------------------------------

    def seed(self, size: seed_data.SeedSize) -> dict[str, int]:
        """Replace all data with a generated pod; it becomes the reset state."""
        generated = seed_data.generate(size)
        with self.lock:
            self.size = size
            self._pristine = generated
            self._load(copy.deepcopy(generated))
        return self.counts()

    def reset(self) -> None:
        """Back to the state of the last seed."""
        with self.lock:
            self._load(copy.deepcopy(self._pristine))

    def _load(self, data: seed_data.Dataset) -> None:
        self._data = data
        self._index, self._alternate, self._child_index = {}, {}, {}
        for name, resource in RESOURCES.items():
            shape = resource.shape
            rows = data.rows.setdefault(name, [])
            self._index[name] = {row[shape.key]: row for row in rows}
            if shape.alternate_key:
                self._alternate[name] = {row[shape.alternate_key]: row for row in rows}
        for child_name, (child, _) in CHILDREN.items():
            by_parent = data.children.setdefault(child_name, {})
            self._child_index[child_name] = {
                row[child.key]: (parent_key, row)
                for parent_key, rows in by_parent.items()
                for row in rows
            }

    def counts(self) -> dict[str, int]:
        """Rows per resource and child resource."""
        with self.lock:
            counts = {name: len(rows) for name, rows in self._data.rows.items()}
            counts.update({name: len(index) for name, index in self._child_index.items()})
            return counts

    # --- reads (hold ``lock`` while using the rows) -----------------------------------

    @contextmanager
    def reading(self) -> Iterator[FusionStore]:
        """The store, held exclusively for the block."""
        with self.lock:
            yield self

    def rows(self, resource: str) -> list[Row]:
        """The live rows of a top-level resource, in key order of creation."""
        return self._data.rows[resource]

    def find(self, resource: str, raw_key: str) -> Row | None:
        """A top-level row by the key in a URL (or its alternate key, e.g. ``HeaderId``
        for ``OrderKey``)."""
        shape = RESOURCES[resource].shape
        try:
            row = self._index[resource].get(shape.key_value(raw_key))
        except ValueError:  # not a number, for a numeric key
            row = None
        if row is None and shape.alternate_key:
            try:
                alternate = shape.key_value(raw_key, shape.alternate_key)
            except ValueError:
                return None
            row = self._alternate[resource].get(alternate)
        return row

    def children_of(self, row: Row, child: str) -> list[Row]:
        """The child rows of a parent row."""
        _, resource = CHILDREN[child]
        return self._data.children[child].get(row[resource.shape.key], [])

    def find_child(self, parent: Row, child: str, raw_key: str) -> Row | None:
        """One child row of ``parent`` by the key in a URL."""
        shape = CHILDREN[child][0]
        try:
            key = shape.key_value(raw_key)
        except ValueError:
            return None
        return next((r for r in self.children_of(parent, child) if r[shape.key] == key), None)

    # --- the record API ---------------------------------------------------------------

    def _locate(self, name: str, key: Any) -> tuple[Shape, Row, Row | None]:
        """``(shape, row, parent row or None)`` for a resource or child record."""
        try:
            shape = shape_named(name)
        except KeyError:
            known = sorted([*RESOURCES, *CHILDREN])
            raise RecordError(f"unknown resource {name!r}; known: {known}") from None
        if name in RESOURCES:
            row = self.find(name, str(key))
            if row is None:
                raise RecordNotFoundError(f"no {name} record with key {key!r}")
            return shape, row, None
        try:
            child_key = shape.key_value(str(key))
        except ValueError:
            raise RecordNotFoundError(f"no {name} record with key {key!r}") from None
        found = self._child_index[name].get(child_key)
        if found is None:
            raise RecordNotFoundError(f"no {name} record with key {key!r}")
        parent_key, row = found
        _, resource = CHILDREN[name]
        return shape, row, self._index[resource.name][parent_key]

    def record(self, name: str, key: Any) -> dict[str, Any] | None:
        """A record as the API renders it (parents with their child rows), or None."""
        with self.lock:
            try:
                shape, row, _ = self._locate(name, key)
            except RecordNotFoundError:
                return None
            rendered = render_row(shape, row)
            for child in shape.children:
                rendered[child.name] = [
                    render_row(child, r) for r in self.children_of(row, child.name)
                ]
            return rendered

    @staticmethod
    def _converted(shape: Shape, fields: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(fields) - set(shape.by_name))
        if unknown:
            raise RecordError(f"unknown attributes for {shape.name}: {unknown}")
        try:
            return {n: stored_value(shape.by_name[n], v) for n, v in fields.items()}
        except (TypeError, ValueError) as exc:
            raise RecordError(str(exc)) from None

    def update_record(self, name: str, key: Any, **fields: Any) -> dict[str, Any]:
        """Change attributes of one record; its ``LastUpdateDate`` (and its parent's,
        for a child line) moves to the clock unless given."""
        now = self.clock.now()
        with self.lock:
            shape, row, parent = self._locate(name, key)
            changes = self._converted(shape, fields)
            for fixed in (shape.key, shape.alternate_key):
                if fixed and fixed in changes and changes[fixed] != row[fixed]:
                    raise RecordError(f"the key {fixed} cannot be changed")
            changes.setdefault("LastUpdateDate", now)
            row.update(changes)
            if parent is not None:
                parent["LastUpdateDate"] = max(parent["LastUpdateDate"], row["LastUpdateDate"])
            rendered = self.record(name, row[shape.key])
        assert rendered is not None  # noqa: S101 - just written
        return rendered

    def insert_record(self, name: str, *, parent: Any = None, **fields: Any) -> dict[str, Any]:
        """Add one record: keys default to the next free ones, ``CreationDate`` and
        ``LastUpdateDate`` to the clock. Child records need ``parent`` (the parent's key,
        or ``HeaderId`` for an order); the parent's ``LastUpdateDate`` moves too."""
        now = self.clock.now()
        with self.lock:
            try:
                shape = shape_named(name)
            except KeyError:
                raise RecordError(f"unknown resource {name!r}") from None
            values: Row = {a.name: None for a in shape.attributes}
            values.update(self._converted(shape, fields))
            values["CreationDate"] = values["CreationDate"] or now
            values["LastUpdateDate"] = values["LastUpdateDate"] or now
            if name in RESOURCES:
                self._default_keys(name, values)
                if values[shape.key] in self._index[name]:
                    raise RecordError(f"{name} {values[shape.key]!r} already exists")
                self._data.rows[name].append(values)
                self._index[name][values[shape.key]] = values
                if shape.alternate_key:
                    self._alternate[name][values[shape.alternate_key]] = values
                key = values[shape.key]
            else:
                if parent is None:
                    raise RecordError(f"a {name} record needs parent=<the parent's key>")
                _, resource = CHILDREN[name]
                parent_row = self.find(resource.name, str(parent))
                if parent_row is None:
                    raise RecordNotFoundError(f"no {resource.name} record with key {parent!r}")
                siblings = self.children_of(parent_row, name)
                self._default_child_keys(name, values, parent_row, siblings)
                if values[shape.key] in self._child_index[name]:
                    raise RecordError(f"{name} {values[shape.key]!r} already exists")
                parent_key = parent_row[resource.shape.key]
                self._data.children[name].setdefault(parent_key, siblings).append(values)
                self._child_index[name][values[shape.key]] = (parent_key, values)
                parent_row["LastUpdateDate"] = max(
                    parent_row["LastUpdateDate"], values["LastUpdateDate"]
                )
                key = values[shape.key]
            rendered = self.record(name, key)
        assert rendered is not None  # noqa: S101 - just written
        return rendered

    def delete_record(self, name: str, key: Any) -> dict[str, Any]:
        """Remove a top-level record and its child rows; returns it as it was rendered."""
        with self.lock:
            if name not in RESOURCES:
                raise RecordError(f"only top-level resources can be deleted, not {name!r}")
            shape, row, _ = self._locate(name, key)
            rendered = self.record(name, row[shape.key])
            self._data.rows[name].remove(row)
            del self._index[name][row[shape.key]]
            if shape.alternate_key:
                self._alternate[name].pop(row[shape.alternate_key], None)
            for child in shape.children:
                for child_row in self._data.children[child.name].pop(row[shape.key], []):
                    self._child_index[child.name].pop(child_row[child.key], None)
        assert rendered is not None  # noqa: S101 - just located
        return rendered

    def _next(self, resource: str, attribute: str) -> int:
        numbers = [
            int(row[attribute])
            for row in self._data.rows[resource]
            if str(row.get(attribute) or "").isdigit()
        ]
        return max(numbers, default=0) + 1

    def _default_keys(self, name: str, values: Row) -> None:
        if name == "accounts":
            values["PartyId"] = values["PartyId"] or self._next(name, "PartyId")
            values["PartyNumber"] = values["PartyNumber"] or str(self._next(name, "PartyNumber"))
            values["Status"] = values["Status"] or "A"
        elif name == "salesOrdersForOrderHub":
            header_id = values["HeaderId"] or self._next(name, "HeaderId")
            values["HeaderId"] = header_id
            values["OrderNumber"] = values["OrderNumber"] or str(self._next(name, "OrderNumber"))
            system = values["SourceTransactionSystem"] = values["SourceTransactionSystem"] or "OPS"
            source_id = values["SourceTransactionId"] = values["SourceTransactionId"] or str(
                header_id
            )
            values["SourceTransactionNumber"] = (
                values["SourceTransactionNumber"] or values["OrderNumber"]
            )
            values["OrderKey"] = values["OrderKey"] or f"{system}:{source_id}"
        elif name == "receivablesInvoices":
            values["CustomerTransactionId"] = values["CustomerTransactionId"] or self._next(
                name, "CustomerTransactionId"
            )
            values["TransactionNumber"] = values["TransactionNumber"] or str(
                self._next(name, "TransactionNumber")
            )

    def _default_child_keys(self, name: str, values: Row, parent: Row, siblings: list[Row]) -> None:
        shape = CHILDREN[name][0]
        if values[shape.key] is None:
            values[shape.key] = max(self._child_index[name], default=0) + 1
        values["LineNumber"] = values["LineNumber"] or len(siblings) + 1
        if name == "lines":
            values["HeaderId"] = parent["HeaderId"]
            if values["LineId"] is None:
                line_ids = [row["LineId"] for _, row in self._child_index[name].values()]
                values["LineId"] = max(line_ids, default=0) + 1
