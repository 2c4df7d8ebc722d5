"""Known defects of the Mailchimp OpenAPI document, patched before contract checks.

Each patch names what the document says, what Mailchimp really does, and the source.
The README lists the same patches. Nothing here loosens a check beyond what recorded
traffic shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPEC_FILE = Path(__file__).parent / "spec" / "marketing_3.0.81_openapi.json"

#: Merge values are strings, numbers, or an object for ADDRESS (recorded traffic); the
#: document says every value is an object. A boolean fails "anyOf"
#: (VingtCinq/python-mailchimp#146), so the real schema is an anyOf.
MERGE_VALUE_SCHEMA = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "object"}]}

MEMBER_SCHEMA = "List_Members"
COLLAPSED_SCHEMA = "List_Members_2"
SINGLE_MEMBER_OPERATIONS = (
    ("/lists/{list_id}/members", "post"),
    ("/lists/{list_id}/members/{subscriber_hash}", "get"),
    ("/lists/{list_id}/members/{subscriber_hash}", "put"),
    ("/lists/{list_id}/members/{subscriber_hash}", "patch"),
)


WEBHOOK_SCHEMA = "List_Webhook"
WEBHOOKS_SCHEMA = "List_Webhooks"
SINGLE_WEBHOOK_OPERATIONS = (
    ("/lists/{list_id}/webhooks", "post"),
    ("/lists/{list_id}/webhooks/{webhook_id}", "get"),
    ("/lists/{list_id}/webhooks/{webhook_id}", "patch"),
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def apply_errata(spec: dict[str, Any]) -> None:
    """Patch ``spec`` in place."""
    schemas = spec["components"]["schemas"]

    # 1. merge_fields values: any of string, number, object (see MERGE_VALUE_SCHEMA).
    for schema in schemas.values():
        merge_fields = schema.get("properties", {}).get("merge_fields")
        if merge_fields and merge_fields.get("type") == "object":
            merge_fields["additionalProperties"] = dict(MERGE_VALUE_SCHEMA)

    # 2. The OpenAPI conversion merged the member schema and the member collection schema
    #    (both titled "List Members") into List_Members_2, which now lists itself as its
    #    own item. Single-member responses and collection items are the member schema.
    collapsed = schemas[COLLAPSED_SCHEMA]
    collapsed["properties"]["members"]["items"] = _ref(MEMBER_SCHEMA)
    for path, method in SINGLE_MEMBER_OPERATIONS:
        for media in spec["paths"][path][method]["responses"]["200"]["content"].values():
            media["schema"] = _ref(MEMBER_SCHEMA)

    # 3. Reads return archived members (the collection's own ``status`` filter accepts
    #    "archived"; reference, "Status enums"), but the member schema's enum lacks it.
    for name in (MEMBER_SCHEMA, "List_Members_1"):
        status = schemas[name]["properties"]["status"]
        if "archived" not in status["enum"]:
            status["enum"] = [*status["enum"], "archived"]

    # 4. PUT marks email_address and status_if_new required, while both descriptions say
    #    "required only if the email address is not already present on the list". The
    #    emulator enforces the conditional rule itself.
    schemas["Add_List_Members_2"].pop("required", None)

    # 5. As with members (2), the conversion lost the webhook schema: List_Webhooks lists
    #    itself as its items and single-webhook responses are the collection. The webhook
    #    is {id, url, events, sources, list_id, _links} (Mailchimp's "Get webhook info"
    #    reference; PipedreamHQ/pipedream#1289 lists the same fields).
    schemas[WEBHOOK_SCHEMA] = {
        "title": "List Webhook",
        "description": "Webhook configured for the given list.",
        "type": "object",
        "properties": {
            "id": {"type": "string", "title": "Unique ID", "readOnly": True},
            "url": {"type": "string", "title": "URL"},
            "events": _ref("Events_2"),
            "sources": _ref("Sources_1"),
            "list_id": {"type": "string", "title": "List ID", "readOnly": True},
            "_links": {"type": "array", "items": _ref("Resource_Link"), "readOnly": True},
        },
    }
    schemas[WEBHOOKS_SCHEMA]["properties"]["webhooks"]["items"] = _ref(WEBHOOK_SCHEMA)
    for path, method in SINGLE_WEBHOOK_OPERATIONS:
        for media in spec["paths"][path][method]["responses"]["200"]["content"].values():
            media["schema"] = _ref(WEBHOOK_SCHEMA)
