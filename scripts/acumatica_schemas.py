"""Generate tap-acumatica's per-version stream schemas from Acumatica's endpoint definitions.

Usage: python scripts/acumatica_schemas.py ../shared/specs/acumatica

The vendor's definitions (Default 22.200.001, 23.200.001: Swagger 2.0; 24.200.001:
OpenAPI 3.0.1) are the contract for field names per version. This writes, per version,
`tap-acumatica/tap_acumatica/schemas/<version>.json`: for each entity the tap reads, its
fields as plain JSON Schema (value wrappers unwrapped), plus the linked entities and detail
lines the tap expands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).parents[1] / "tap-acumatica" / "tap_acumatica" / "schemas"
VERSIONS = ("22.200.001", "23.200.001", "24.200.001")

# Entity → the links the tap expands ($expand), each with its own nested links.
ENTITIES: dict[str, dict[str, dict]] = {
    "Customer": {"MainContact": {"Address": {}}, "BillingContact": {"Address": {}}},
    "Contact": {"Address": {}},
    "SalesInvoice": {"Details": {}},
    "StockItem": {},
}

VALUE_TYPES = {
    "StringValue": {"type": ["string", "null"]},
    "GuidValue": {"type": ["string", "null"]},
    "DecimalValue": {"type": ["number", "null"]},
    "DoubleValue": {"type": ["number", "null"]},
    "IntValue": {"type": ["integer", "null"]},
    "ShortValue": {"type": ["integer", "null"]},
    "LongValue": {"type": ["integer", "null"]},
    "ByteValue": {"type": ["integer", "null"]},
    "BooleanValue": {"type": ["boolean", "null"]},
    "DateTimeValue": {"type": ["string", "null"], "format": "date-time"},
}


def _definitions(spec: dict) -> dict:
    return spec.get("definitions") or spec["components"]["schemas"]


def _properties(definitions: dict, name: str) -> dict:
    node = definitions[name]
    properties: dict = {}
    for part in node.get("allOf", [node]):
        properties.update(part.get("properties", {}))
    return properties


def _ref_name(node: dict) -> str | None:
    ref = node.get("$ref") or (node.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def entity_schema(definitions: dict, name: str, expand: dict[str, dict]) -> dict:
    """One entity's unwrapped JSON Schema, following only the links in `expand`."""
    properties: dict = {
        "id": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]},
        "custom": {"type": ["object", "null"]},
    }
    for field, node in sorted(_properties(definitions, name).items()):
        target = _ref_name(node)
        if target in VALUE_TYPES:
            properties[field] = dict(VALUE_TYPES[target])
        elif field in expand and target:
            nested = entity_schema(definitions, target, expand[field])
            nested["type"] = ["object", "null"]
            if node.get("type") == "array":
                properties[field] = {"type": ["array", "null"], "items": nested}
            else:
                properties[field] = nested
    return {"type": "object", "properties": properties}


def generate(spec_dir: Path) -> None:
    """Write one schema file per version."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        spec = json.loads((spec_dir / f"Default_{version}.json").read_text(encoding="utf-8"))
        definitions = _definitions(spec)
        schemas = {
            entity: entity_schema(definitions, entity, expand)
            for entity, expand in ENTITIES.items()
        }
        (OUTPUT / f"{version}.json").write_text(json.dumps(schemas, indent=1) + "\n")


if __name__ == "__main__":
    generate(Path(sys.argv[1]))
