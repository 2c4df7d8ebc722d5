"""The tenant's records: seeded, listed in key order, changeable between runs.

Records are nested dicts: value fields hold plain Python values (``date`` for date-only
fields, aware ``datetime`` for moments), linked entities are dicts, detail entities are
lists of dicts; ``custom`` holds ``{view: {field: value}}``; names starting with ``_`` are
internal. A reset restores a deep copy of the last seed.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from erp_sandbox.acumatica import seed_data
from erp_sandbox.acumatica.clock import Clock
from erp_sandbox.acumatica.entities import ENTITIES, EntityDef
from erp_sandbox.acumatica.settings import AcumaticaSettings
from erp_sandbox.acumatica.spec import SPEC_FILES, VALUE_TYPES, FieldSpec, endpoint_spec

Record = dict[str, Any]
KeyValue = str | int | tuple[Any, ...] | list[Any]


class RecordError(ValueError):
    """A record change the store cannot make (unknown entity or field, bad value)."""


class RecordNotFoundError(RecordError):
    """No record with that key."""


def key_tuple(entity: EntityDef, key: KeyValue) -> tuple[str, ...]:
    """``"Invoice/INV000001"``, ``("Invoice", "INV000001")`` or ``100001`` → a key tuple."""
    if isinstance(key, tuple | list):
        parts = [str(part) for part in key]
    elif isinstance(key, int):
        parts = [str(key)]
    else:
        parts = str(key).split("/") if len(entity.keys) > 1 else [str(key)]
    if len(parts) != len(entity.keys):
        raise RecordError(f"{entity.name} is keyed by {'/'.join(entity.keys)}, not {key!r}")
    return tuple(parts)


def record_key(entity: EntityDef, record: Record) -> tuple[str, ...]:
    """The key tuple of a stored record."""
    return tuple(str(record.get(name)) for name in entity.keys)


def json_ready(value: Any) -> Any:
    """A stored value with dates and datetimes as ISO strings."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def field_union(schema: str) -> dict[str, FieldSpec]:
    """The fields of a schema in any supported version (the newest declaration wins)."""
    merged: dict[str, FieldSpec] = {}
    for version in sorted(SPEC_FILES):
        merged.update(endpoint_spec(version).fields(schema))
    return merged


class AcumaticaStore:
    """Every entity's records, with the change API tests use between runs."""

    def __init__(self, settings: AcumaticaSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.size = seed_data.SeedSize()
        self._records: dict[str, dict[tuple[str, ...], Record]] = {name: {} for name in ENTITIES}
        self._pristine: dict[str, dict[tuple[str, ...], Record]] = copy.deepcopy(self._records)

    # --- seeding and reset ------------------------------------------------------------

    def seed(self, size: seed_data.SeedSize) -> dict[str, int]:
        """Replace all records with a generated tenant; it becomes the reset state."""
        generated = seed_data.generate(size, self.settings.time_zone)
        records = {
            name: {record_key(ENTITIES[name], r): r for r in generated.get(name, [])}
            for name in ENTITIES
        }
        with self.lock:
            self._records = records
            self._pristine = copy.deepcopy(records)
            self.size = size
        return self.counts()

    def reset(self) -> None:
        """Back to the state of the last seed."""
        with self.lock:
            self._records = copy.deepcopy(self._pristine)

    def counts(self) -> dict[str, int]:
        """Records per entity."""
        with self.lock:
            return {name: len(records) for name, records in self._records.items()}

    # --- reading ----------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the store still while records are rendered."""
        with self.lock:
            yield

    def rows(self, entity: str) -> list[Record]:
        """The records of an entity in key order (the stored objects: hold
        :meth:`reading` and do not change them)."""
        return list(self._records[entity].values())

    def find(self, entity: str, key: KeyValue) -> Record | None:
        """The stored record with that key, or None."""
        definition = self._definition(entity)
        return self._records[entity].get(key_tuple(definition, key))

    def find_by_id(self, entity: str, record_id: str) -> Record | None:
        """The stored record with that session id (``id``), or None."""
        wanted = record_id.lower()
        return next((r for r in self._records[entity].values() if r["id"].lower() == wanted), None)

    def record(self, entity: str, key: KeyValue) -> Record | None:
        """A JSON-ready copy of one record, or None."""
        with self.lock:
            found = self.find(entity, key)
            return json_ready(found) if found is not None else None

    # --- changes ----------------------------------------------------------------------

    def update_record(self, entity: str, key: KeyValue, **fields: Any) -> Record:
        """Change fields of a record; its last-modified fields move to the clock (or to
        the value given for one of them).

        Linked entities (``MainContact={"Email": …}``) are merged. ``Details`` replaces
        the lines when given a list, and changes lines by ``LineNbr`` when given a dict
        (``{1: {"Qty": 5}}``); either way the header's totals are recomputed.
        """
        definition = self._definition(entity)
        with self.lock:
            record = self.find(entity, key)
            if record is None:
                raise RecordNotFoundError(f"no {entity} with key {key!r}")
            stamp = self._stamp(definition, fields)
            self._merge(definition.name, record, fields)
            if definition.lines and definition.lines in fields:
                self._recompute(entity, record)
            if "Balance" in fields:
                record["Balance"] = float(fields["Balance"])
            for name in definition.last_modified:
                record[name] = stamp
            new_key = record_key(definition, record)
            old_key = key_tuple(definition, key)
            if new_key != old_key:
                if new_key in self._records[entity]:
                    raise RecordError(f"{entity} {'/'.join(new_key)} already exists")
                self._records[entity] = {
                    (new_key if k == old_key else k): v for k, v in self._records[entity].items()
                }
            return json_ready(record)

    def update_line(self, entity: str, key: KeyValue, line_nbr: int, **fields: Any) -> Record:
        """Change one detail line (by ``LineNbr``); the header's last-modified fields move."""
        definition = self._definition(entity)
        if definition.lines is None:
            raise RecordError(f"{entity} has no detail lines")
        return self.update_record(entity, key, **{definition.lines: {line_nbr: fields}})

    def insert_record(self, entity: str, **fields: Any) -> Record:
        """Add a record: missing keys get the next number, ids are new, created and
        last-modified fields come from the clock unless given."""
        definition = self._definition(entity)
        with self.lock:
            record: Record = {"id": str(uuid.uuid4()), "note": ""}
            record.update(self._new_key(definition))
            stamp = self._stamp(definition, fields)
            self._merge(definition.name, record, fields)
            for name in definition.created:
                record.setdefault(name, stamp)
            for name in definition.last_modified:
                record[name] = stamp
            if entity == "SalesInvoice":
                record.setdefault("Status", "Balanced")
                seed_data.apply_invoice_totals(record)
            elif entity == "SalesOrder":
                record.setdefault("Status", "Open")
                record.setdefault("Details", [])
                seed_data.apply_order_totals(record)
            missing = [name for name in definition.keys if record.get(name) is None]
            if missing:
                raise RecordError(f"a new {entity} needs {', '.join(missing)}")
            key = record_key(definition, record)
            if key in self._records[entity]:
                raise RecordError(f"{entity} {'/'.join(key)} already exists")
            self._records[entity][key] = record
            return json_ready(record)

    def delete_record(self, entity: str, key: KeyValue) -> Record:
        """Remove a record; returns it."""
        definition = self._definition(entity)
        with self.lock:
            removed = self._records[entity].pop(key_tuple(definition, key), None)
            if removed is None:
                raise RecordNotFoundError(f"no {entity} with key {key!r}")
            return json_ready(removed)

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def _definition(entity: str) -> EntityDef:
        definition = ENTITIES.get(entity)
        if definition is None:
            raise RecordError(f"unknown entity {entity!r}; known: {sorted(ENTITIES)}")
        return definition

    def _stamp(self, definition: EntityDef, fields: dict[str, Any]) -> datetime:
        for name in definition.last_modified:
            if fields.get(name) is not None:
                return self._coerce("DateTimeValue", fields[name], name)
        return self.clock.now()

    def _new_key(self, definition: EntityDef) -> dict[str, Any]:
        existing = self._records[definition.name]
        if definition.name == "Customer":
            return self._unique("CustomerID", "C", existing)
        if definition.name == "Contact":
            numbers = [int(key[0]) for key in existing if key[0].isdigit()]
            return {"ContactID": max(numbers, default=100000) + 1}
        if definition.name == "SalesInvoice":
            return {"Type": "Invoice"} | self._unique("ReferenceNbr", "INV", existing, 1)
        if definition.name == "SalesOrder":
            return {"OrderType": "SO"} | self._unique("OrderNbr", "SO", existing, 1)
        return {}

    @staticmethod
    def _unique(
        name: str, prefix: str, existing: dict[tuple[str, ...], Record], index: int = 0
    ) -> dict[str, str]:
        taken = {key[index] for key in existing}
        number = len(existing) + 1
        while f"{prefix}{number:06d}" in taken:
            number += 1
        return {name: f"{prefix}{number:06d}"}

    def _merge(self, schema: str, target: Record, fields: dict[str, Any]) -> None:
        known = field_union(schema)
        for name, value in fields.items():
            if name == "note":
                target["note"] = "" if value is None else str(value)
                continue
            if name == "custom":
                for view, values in dict(value).items():
                    target.setdefault("custom", {}).setdefault(view, {}).update(values)
                continue
            spec = known.get(name)
            if spec is None:
                raise RecordError(f"{schema} has no field {name!r} in any supported version")
            if spec.kind == "value":
                target[name] = None if value is None else self._coerce(spec.type, value, name)
            elif spec.kind == "linked":
                linked = target.setdefault(name, {"id": str(uuid.uuid4())})
                self._merge(spec.type, linked, dict(value))
            elif isinstance(value, dict):
                self._merge_lines(spec, target.setdefault(name, []), value)
            else:
                lines = []
                for number, line_fields in enumerate(value, start=1):
                    line: Record = {"id": str(uuid.uuid4()), "LineNbr": number}
                    self._merge(spec.type, line, dict(line_fields))
                    lines.append(line)
                target[name] = lines

    def _merge_lines(self, spec: FieldSpec, lines: list[Record], changes: dict[Any, Any]) -> None:
        for line_nbr, line_fields in changes.items():
            number = int(line_nbr)
            line = next((line for line in lines if line.get("LineNbr") == number), None)
            if line is None:
                line = {"id": str(uuid.uuid4()), "LineNbr": number}
                lines.append(line)
            self._merge(spec.type, line, dict(line_fields))

    def _coerce(self, value_type: str, value: Any, name: str) -> Any:
        kind = VALUE_TYPES.get(value_type, "string")
        try:
            if kind == "datetime":
                if isinstance(value, datetime):
                    moment = value
                elif isinstance(value, date):
                    return value
                elif len(str(value)) == 10:
                    return date.fromisoformat(str(value))
                else:
                    moment = datetime.fromisoformat(str(value))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=self.settings.zone)
                return moment
            if kind == "number":
                return float(value)
            if kind == "integer":
                return int(value)
            if kind == "boolean":
                if not isinstance(value, bool):
                    raise TypeError("not a boolean")
                return value
            return str(value)
        except (TypeError, ValueError) as exc:
            raise RecordError(f"{name}: {value!r} is not a valid {value_type}") from exc

    def _recompute(self, entity: str, record: Record) -> None:
        if entity == "SalesInvoice":
            balance_was_partial = record.get("Balance") not in (0.0, record.get("Amount"))
            seed_data.apply_invoice_totals(record)
            if balance_was_partial and record.get("Status") == "Open":
                record["Balance"] = min(record["Balance"], record["Amount"])
        elif entity == "SalesOrder":
            seed_data.apply_order_totals(record)
