"""The contract: endpoints, field names and Edm types from Exact's own reference.

``spec/meta-data.json`` is the scraped Exact Online REST reference (late 2019, see the
README for provenance). The sync endpoints came later, so ``spec/sync-endpoints.json``
lists their fields (names from picqer/exact-php-client, types from the matching regular
endpoint in meta-data.json) plus the few fields added to regular endpoints since. The
emulator renders every field through these types, so it cannot invent a field or a type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).parent / "spec"
META_DATA_FILE = SPEC_DIR / "meta-data.json"
SYNC_FILE = SPEC_DIR / "sync-endpoints.json"


@dataclass(frozen=True)
class EndpointSpec:
    """One endpoint: its URI template, key and fields (name → Edm type, or the name of
    the related endpoint for navigation properties such as ``SalesInvoiceLines``)."""

    name: str
    uri: str
    key: str | None
    fields: dict[str, str]

    def is_navigation(self, field: str) -> bool:
        """Whether a field links to another endpoint rather than holding a value."""
        return not self.fields[field].startswith("Edm.")


@cache
def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    meta = json.loads(META_DATA_FILE.read_text(encoding="utf-8"))
    sync = json.loads(SYNC_FILE.read_text(encoding="utf-8"))
    return meta, sync


@cache
def endpoint_spec(name: str) -> EndpointSpec:
    """The spec of ``Accounts``, ``SalesInvoiceLines``, ``sync/CRM/Accounts``, ``Me`` …"""
    meta, sync = _documents()
    additions: dict[str, list[dict[str, str]]] = sync["additions"]
    entry = sync["endpoints"].get(name) or meta.get(name)
    if not isinstance(entry, dict):
        raise KeyError(f"no endpoint {name!r} in the Exact Online spec")
    properties = [*entry["properties"], *additions.get(name, [])]
    fields = {p["name"]: p["type"] for p in properties}
    key = next((p["name"] for p in properties if p.get("primaryKey")), None)
    if name.startswith("sync/"):
        key = "Timestamp"  # the sync endpoints are keyed by their rowversion
    return EndpointSpec(name=name, uri=str(entry["uri"]), key=key, fields=fields)
