"""The vendor's endpoint definitions: which entities and fields each version has.

The files in ``spec/`` are Acumatica's own definitions of the ``Default`` endpoint
(``Acumatica/AcumaticaRESTAPIClientForCSharp`` ``EndpointDefinitions/``, MIT licence),
copied unchanged: Swagger 2.0 for 22.200.001 and 23.200.001, OpenAPI 3.0.1 for 24.200.001.
The emulator renders a field in version V only if V's definition declares it, with the
value type declared there, so version drift (``SalesInvoice.LastModifiedDateTime`` from
23.200.001, …) comes from the contract itself.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SPEC_DIR = Path(__file__).parent / "spec"
SPEC_FILES = {
    "22.200.001": "Default_22.200.001.json",
    "23.200.001": "Default_23.200.001.json",
    "24.200.001": "Default_24.200.001.json",
}

#: Value wrappers (``{"value": …}``) and the kind of Python value each holds.
VALUE_TYPES = {
    "StringValue": "string",
    "DecimalValue": "number",
    "DoubleValue": "number",
    "IntValue": "integer",
    "ShortValue": "integer",
    "LongValue": "integer",
    "ByteValue": "integer",
    "BooleanValue": "boolean",
    "DateTimeValue": "datetime",
    "GuidValue": "guid",
}
#: Custom-field types (``custom.<View>.<Field>.type``) and the kind of value each holds.
CUSTOM_FIELD_TYPES = {
    "CustomStringField": "string",
    "CustomDecimalField": "number",
    "CustomDoubleField": "number",
    "CustomIntField": "integer",
    "CustomShortField": "integer",
    "CustomLongField": "integer",
    "CustomByteField": "integer",
    "CustomBooleanField": "boolean",
    "CustomDateTimeField": "datetime",
    "CustomGuidField": "guid",
}

FieldKind = Literal["value", "linked", "detail"]


@dataclass(frozen=True)
class FieldSpec:
    """One property of an entity schema: a value (``type`` = ``StringValue`` …), a linked
    entity or an array of detail entities (``type`` = the entity's schema name)."""

    name: str
    kind: FieldKind
    type: str


class EndpointSpec:
    """One version of the ``Default`` endpoint, read from its definition file."""

    def __init__(self, version: str, document: dict[str, Any]) -> None:
        self.version = version
        self.document = document
        self._schemas: dict[str, Any] = document.get("definitions") or document.get(
            "components", {}
        ).get("schemas", {})
        #: Top-level entities: those with a collection path (``/Customer``).
        self.entities = frozenset(
            path[1:]
            for path in document.get("paths", {})
            if path.count("/") == 1 and path[1:] in self._schemas
        )
        self._fields: dict[str, dict[str, FieldSpec]] = {}

    def has_entity(self, name: str) -> bool:
        """Whether ``name`` is a top-level entity of this version."""
        return name in self.entities

    def fields(self, schema: str) -> dict[str, FieldSpec]:
        """The properties of an entity schema (``Customer``, ``Contact``, ``Address`` …),
        envelope properties (``id``, ``note`` …) excluded."""
        cached = self._fields.get(schema)
        if cached is not None:
            return cached
        found: dict[str, FieldSpec] = {}
        for name, prop in _properties(self._schemas, schema).items():
            if name in ENVELOPE_PROPERTIES:
                continue
            if "$ref" in prop:
                target = _ref_name(prop["$ref"])
                kind: FieldKind = "value" if target in VALUE_TYPES else "linked"
                found[name] = FieldSpec(name, kind, target)
            elif prop.get("type") == "array" and "$ref" in prop.get("items", {}):
                found[name] = FieldSpec(name, "detail", _ref_name(prop["items"]["$ref"]))
        self._fields[schema] = found
        return found

    def field(self, schema: str, path: str) -> FieldSpec | None:
        """The field at a slash path from ``schema`` (``MainContact/Address/City``)."""
        current = schema
        spec: FieldSpec | None = None
        for part in path.split("/"):
            if spec is not None and spec.kind == "value":
                return None
            spec = self.fields(current).get(part)
            if spec is None:
                return None
            current = spec.type
        return spec


#: Properties every entity inherits from ``Entity``: not fields.
ENVELOPE_PROPERTIES = frozenset({"id", "rowNumber", "note", "custom", "error", "files"})


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _properties(schemas: dict[str, Any], name: str) -> dict[str, Any]:
    """Properties of a schema, following ``allOf`` and ``$ref``."""
    schema = schemas.get(name)
    if schema is None:
        return {}
    found: dict[str, Any] = {}
    for part in schema.get("allOf", [schema]):
        if "$ref" in part:
            found.update(_properties(schemas, _ref_name(part["$ref"])))
        found.update(part.get("properties", {}))
    return found


@functools.cache
def endpoint_spec(version: str) -> EndpointSpec:
    """The definition of ``Default/<version>`` (loaded once per process)."""
    if version not in SPEC_FILES:
        raise KeyError(version)
    path = SPEC_DIR / SPEC_FILES[version]
    return EndpointSpec(version, json.loads(path.read_text(encoding="utf-8")))


def spec_bytes(version: str) -> bytes:
    """The definition file as served at ``…/entity/Default/<version>/swagger.json``."""
    return (SPEC_DIR / SPEC_FILES[version]).read_bytes()
