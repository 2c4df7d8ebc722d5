"""The input contract: the streams target-mailchimp accepts and their JSON Schemas.

Upstream taps know nothing of Mailchimp; a mapping (a Meltano stream-map
mapper) turns ERP records into these shapes.
"""

from __future__ import annotations

import json
import typing as t

ADDRESS_SCHEMA: dict[str, t.Any] = {
    "type": ["object", "null"],
    "description": "Postal address; dropped with a warning unless addr1, city, state and zip "
    "are all present.",
    "properties": {
        part: {"type": ["string", "null"]}
        for part in ("addr1", "addr2", "city", "state", "zip", "country")
    },
}

MEMBERS_SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "description": "One audience member per email address.",
    "required": ["email_address"],
    "properties": {
        "email_address": {"type": "string", "description": "The member's address (the key)."},
        "source_id": {
            "type": ["string", "null"],
            "description": "Stable ERP key, used to follow email changes.",
        },
        "status": {
            "type": ["string", "null"],
            "enum": ["subscribed", "pending", "transactional", "unsubscribed", None],
            "description": "Requested status: applied to new addresses; for known members "
            "only `unsubscribed` is applied.",
        },
        "active": {
            "type": ["boolean", "null"],
            "description": "False: the ERP record is inactive (see `inactive_action`).",
        },
        "merge_fields": {
            "type": ["object", "null"],
            "description": "FNAME, LNAME, PHONE, ADDRESS and any custom merge tag (≤10 chars).",
            "properties": {
                "FNAME": {"type": ["string", "null"]},
                "LNAME": {"type": ["string", "null"]},
                "PHONE": {"type": ["string", "null"]},
                "ADDRESS": ADDRESS_SCHEMA,
            },
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        },
        "tags": {
            "type": ["array", "null"],
            "items": {"type": "string"},
            "description": "Tags to apply; tags the target applied earlier and no longer sent "
            "are removed, tags added in Mailchimp are kept.",
        },
        "updated_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When the ERP record last changed: the latest wins among duplicates.",
        },
    },
}

INPUT_SCHEMAS: dict[str, dict[str, t.Any]] = {"members": MEMBERS_SCHEMA}


def contract_markdown() -> str:
    """The input contract as a Markdown section, for `--about --format=markdown`."""
    lines = [
        "## Input contract",
        "",
        "Streams are routed by name (use stream maps to rename upstream streams).",
        "",
    ]
    for stream, schema in INPUT_SCHEMAS.items():
        lines += [f"### `{stream}`", "", schema["description"], ""]
        lines += ["| Field | Required | Description |", "|:--|:--:|:--|"]
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            mark = "✅" if name in required else ""
            lines.append(f"| `{name}` | {mark} | {prop.get('description', '')} |")
        lines += ["", "```json", json.dumps(schema, indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(lines)
