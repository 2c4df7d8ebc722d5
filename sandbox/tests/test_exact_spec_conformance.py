"""What the emulator returns, checked against Exact's own reference.

``meta-data.json`` (the scraped Exact Online REST reference) and ``sync-endpoints.json``
(the sync endpoints that came later) are read here straight from the files, not through
the emulator's ``spec.py``, so an invented field, a field on the wrong endpoint, or a
value of the wrong Edm type fails the test.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from exact_helpers import get, read_all, session

from erp_sandbox.exact import ExactEmulator

SPEC_DIR = Path(__file__).parents[1] / "erp_sandbox" / "exact" / "spec"
#: git blob SHA-1 of meta-data.json in DannyvdSluijs/exact-online-api-client-dev-tools
#: @80bf418 (shared/specs/README.md).
UPSTREAM_BLOB_SHA1 = "3273d367169f0340d6e0d4847014892d93713672"
DATE = re.compile(r"^/Date\(-?\d+\)/$")
#: (served path, endpoint name in the files)
REGULAR = (
    ("crm/Accounts", "Accounts"),
    ("crm/Contacts", "Contacts"),
    ("hrm/Costcenters", "Costcenters"),
    ("salesinvoice/SalesInvoices", "SalesInvoices"),
    ("salesinvoice/SalesInvoiceLines", "SalesInvoiceLines"),
    ("webhooks/WebhookSubscriptions", "WebhookSubscriptions"),
)
SYNC = ("sync/CRM/Accounts", "sync/CRM/Contacts", "sync/SalesInvoice/SalesInvoices", "sync/Deleted")
SYNC_REGULAR = {
    "sync/CRM/Accounts": ("Accounts",),
    "sync/CRM/Contacts": ("Contacts",),
    "sync/SalesInvoice/SalesInvoices": ("SalesInvoices", "SalesInvoiceLines"),
    "sync/Deleted": (),
}


@cache
def meta_data() -> dict[str, Any]:
    return json.loads((SPEC_DIR / "meta-data.json").read_text(encoding="utf-8"))


@cache
def sync_file() -> dict[str, Any]:
    return json.loads((SPEC_DIR / "sync-endpoints.json").read_text(encoding="utf-8"))


def declared(name: str) -> dict[str, str]:
    """Field → Edm type of an endpoint, from the files."""
    entry = sync_file()["endpoints"].get(name) or meta_data()[name]
    fields = {p["name"]: p["type"] for p in entry["properties"]}
    fields.update({p["name"]: p["type"] for p in sync_file()["additions"].get(name, [])})
    return fields


def check_value(edm: str, value: Any, where: str) -> None:
    if value is None:
        return
    if edm in ("Edm.String",):
        assert isinstance(value, str), where
    elif edm == "Edm.Guid":
        assert isinstance(value, str) and str(uuid.UUID(value)) == value, where
    elif edm == "Edm.Boolean":
        assert isinstance(value, bool), where
    elif edm in ("Edm.Byte", "Edm.Int16", "Edm.Int32"):
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif edm == "Edm.Int64":
        assert isinstance(value, int) or (isinstance(value, str) and value.isdigit()), where
    elif edm in ("Edm.Double", "Edm.Decimal"):
        assert isinstance(value, int | float) and not isinstance(value, bool), where
    elif edm == "Edm.DateTime":
        assert isinstance(value, str) and DATE.match(value), where
    else:
        pytest.fail(f"{where}: no check for {edm}")


def check_entity(name: str, entity: dict[str, Any], seen: set[str]) -> None:
    fields = declared(name)
    assert entity.pop("__metadata")["type"].startswith("Exact.Web.Api."), name
    for field, value in entity.items():
        where = f"{name}.{field} = {value!r}"
        assert field in fields, f"{where}: not in the reference"
        seen.add(field)
        edm = fields[field]
        if edm.startswith("Edm."):
            check_value(edm, value, where)
            continue
        assert isinstance(value, dict), where  # a navigation property
        if "results" in value:
            for nested in value["results"]:
                check_entity(edm, nested, set())
        else:
            assert set(value) == {"__deferred"}, where


def test_the_reference_file_is_the_upstream_blob() -> None:
    content = (SPEC_DIR / "meta-data.json").read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False)
    assert blob.hexdigest() == UPSTREAM_BLOB_SHA1


def test_the_sync_file_agrees_with_the_reference_where_both_name_a_field() -> None:
    for name, regular in SYNC_REGULAR.items():
        sync_fields = declared(name)
        assert sync_fields["Timestamp"] == "Edm.Int64"
        for other in regular:
            for field, edm in declared(other).items():
                if field in sync_fields and edm.startswith("Edm."):
                    assert sync_fields[field] == edm or field in ("ID",), f"{name}.{field}"


@pytest.mark.parametrize(("path", "name"), REGULAR)
def test_ordinary_endpoints_return_only_declared_fields_of_declared_types(
    exact_emulator: ExactEmulator, path: str, name: str
) -> None:
    emu = exact_emulator
    assert meta_data()[name]["uri"] == "/api/v1/{division}/" + path
    http = session(emu)
    if name == "WebhookSubscriptions":
        http.post(
            emu.api_url + "/" + path,
            json={"CallbackURL": "https://hooks.brightpath.io/exact", "Topic": "Accounts"},
            timeout=10,
        )
    params = {"expand": "SalesInvoiceLines"} if name == "SalesInvoices" else {}
    rows, _ = read_all(http, f"{emu.api_url}/{path}", **params)
    assert rows
    seen: set[str] = set()
    for row in rows:
        check_entity(name, row, seen)
    assert len(seen) >= 9


def test_me_returns_declared_fields(exact_emulator: ExactEmulator) -> None:
    assert meta_data()["Me"]["uri"] == "/api/v1/current/Me"
    http = session(exact_emulator)
    [me] = get(http, exact_emulator.base_url + "/api/v1/current/Me")["results"]
    check_entity("Me", me, set())


@pytest.mark.parametrize("path", SYNC)
def test_sync_endpoints_return_only_declared_fields_of_declared_types(
    exact_emulator: ExactEmulator, path: str
) -> None:
    emu = exact_emulator
    assert sync_file()["endpoints"][path]["uri"] == "/api/v1/{division}/" + path
    emu.delete_record("Accounts", "1002")
    http = session(emu)
    rows, _ = read_all(http, f"{emu.api_url}/{path}", select="*", filter="Timestamp gt 1")
    assert rows
    seen: set[str] = set()
    for row in rows:
        check_entity(path, row, seen)
    assert "Timestamp" in seen


def test_selecting_a_declared_field_the_seed_does_not_fill_reads_null(
    exact_emulator: ExactEmulator,
) -> None:
    http = session(exact_emulator)
    row = get(http, exact_emulator.api_url + "/crm/Accounts", select="ID,RSIN", top=1)
    assert row["results"][0]["RSIN"] is None
