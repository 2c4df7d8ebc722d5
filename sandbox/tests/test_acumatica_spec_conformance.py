"""What the emulator returns, checked against Acumatica's own endpoint definitions.

The definitions are read here straight from the JSON files (``$ref``/``allOf`` resolved by
this test, not by the emulator's ``spec.py``), so a field the emulator invents, a value of
the wrong type, or a field shown in a version that lacks it fails the test.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from acumatica_helpers import VERSIONS, login, rows

from erp_sandbox.acumatica import AcumaticaEmulator

SPEC_DIR = Path(__file__).parents[1] / "erp_sandbox" / "acumatica" / "spec"
#: SHA-256 of the vendor files as published (Acumatica/AcumaticaRESTAPIClientForCSharp
#: @801a50b, EndpointDefinitions/Default_<version>).
VENDOR_SHA256 = {
    "22.200.001": "12c013557ae97cc9bf06b37bd31672824fdb6aef5b03f63f4d210424b32ebaf9",
    "23.200.001": "23df3ce10909a129d3f380f14f7a1fdc2ec56d45400a75925530ce61b11e5d95",
    "24.200.001": "7e629be9c4dcd908e62bf616464d1cca3848be91f96701eb5db7a35d9b1926f2",
}
#: Everything the emulator can return for each entity.
EXPAND = {
    "Customer": "MainContact,MainContact/Address,BillingContact,BillingContact/Address",
    "Contact": "Address",
    "SalesInvoice": "Details",
    "SalesOrder": "Details",
    "StockItem": "",
}
CUSTOM = {
    "Customer": "CurrentCustomer.UsrLoyaltyTier,DefContact.UsrMarketingOptIn",
    "Contact": "ContactCurrent.UsrPreferredChannel",
    "SalesInvoice": "Document.UsrExternalOrderRef",
    "StockItem": "ItemSettings.UsrRepairItemType",
    "SalesOrder": "",
}
ENVELOPE = {"id", "rowNumber", "note", "custom", "files"}
NUMBER_TYPES = ("DecimalValue", "DoubleValue")
INTEGER_TYPES = ("IntValue", "ShortValue", "LongValue", "ByteValue")


@cache
def schemas(version: str) -> dict[str, Any]:
    document = json.loads((SPEC_DIR / f"Default_{version}.json").read_text(encoding="utf-8"))
    return document.get("definitions") or document["components"]["schemas"]


def properties(version: str, schema: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    definition = schemas(version)[schema]
    for part in definition.get("allOf", [definition]):
        if "$ref" in part:
            found.update(properties(version, part["$ref"].rsplit("/", 1)[-1]))
        found.update(part.get("properties", {}))
    return found


def ref_name(prop: dict[str, Any]) -> str:
    ref = prop["$ref"] if "$ref" in prop else prop["items"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def check_value(value_type: str, wrapped: Any, where: str) -> None:
    assert isinstance(wrapped, dict), where
    assert set(wrapped) <= {"value"}, where
    if "value" not in wrapped:
        return
    plain = wrapped["value"]
    if value_type == "StringValue":
        assert isinstance(plain, str), where
    elif value_type in NUMBER_TYPES:
        assert isinstance(plain, int | float) and not isinstance(plain, bool), where
    elif value_type in INTEGER_TYPES:
        assert isinstance(plain, int) and not isinstance(plain, bool), where
    elif value_type == "BooleanValue":
        assert isinstance(plain, bool), where
    elif value_type == "DateTimeValue":
        assert datetime.fromisoformat(plain).utcoffset() is not None, where
    elif value_type == "GuidValue":
        uuid.UUID(plain)
    else:
        raise AssertionError(f"{where}: unexpected value type {value_type}")


def check_entity(
    version: str, schema: str, rendered: dict[str, Any], where: str, *, top: bool = False
) -> None:
    """``_links`` is the one key outside the definitions: real instances send it on
    top-level records although the ``Entity`` schema does not declare it."""
    declared = properties(version, schema)
    uuid.UUID(rendered["id"])
    assert isinstance(rendered["rowNumber"], int)
    for name, item in rendered.items():
        path = f"{where}.{name}"
        if name == "_links" and top:
            continue
        if name in ENVELOPE:
            if name == "custom":
                for view in item.values():
                    for entry in view.values():
                        assert entry["type"] in schemas(version), path
            continue
        assert name in declared, f"{path} is not in Default/{version}"
        prop = declared[name]
        if prop.get("type") == "array":
            assert isinstance(item, list), path
            for line in item:
                check_entity(version, ref_name(prop), line, path)
        elif ref_name(prop).endswith("Value"):
            check_value(ref_name(prop), item, path)
        else:
            check_entity(version, ref_name(prop), item, path)


def fields_of(records: list[dict[str, Any]]) -> set[str]:
    return {name for record in records for name in record} - ENVELOPE - {"_links"}


@pytest.fixture(scope="module")
def rendered() -> Any:
    """Every entity in every version, fully expanded, from a fresh emulator."""
    with AcumaticaEmulator(port=0) as emu:
        session = login(emu)
        yield {
            (version, entity): rows(
                emu,
                session,
                entity,
                version,
                **{k: v for k, v in (("expand", EXPAND[entity]), ("custom", CUSTOM[entity])) if v},
            )
            for version in VERSIONS
            for entity in EXPAND
        }


def test_the_packaged_definitions_are_the_vendor_files() -> None:
    for version, digest in VENDOR_SHA256.items():
        data = (SPEC_DIR / f"Default_{version}.json").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("entity", sorted(EXPAND))
def test_every_returned_field_is_declared_with_a_compatible_type(
    rendered: dict[tuple[str, str], list[dict[str, Any]]], version: str, entity: str
) -> None:
    records = rendered[(version, entity)]
    assert records
    for record in records:
        check_entity(version, entity, record, f"{entity}[{record['rowNumber']}]", top=True)
        assert set(record["_links"]) == {"self", "files:put"}


@pytest.mark.parametrize("entity", sorted(EXPAND))
def test_each_version_shows_exactly_the_fields_its_definition_declares(
    rendered: dict[tuple[str, str], list[dict[str, Any]]], entity: str
) -> None:
    every = set().union(*(fields_of(rendered[(v, entity)]) for v in VERSIONS))
    for version in VERSIONS:
        declared = set(properties(version, entity))
        assert fields_of(rendered[(version, entity)]) == every & declared, version


def test_version_specific_fields_follow_the_definitions(
    rendered: dict[tuple[str, str], list[dict[str, Any]]],
) -> None:
    def shown(version: str, entity: str) -> set[str]:
        return fields_of(rendered[(version, entity)])

    assert "LastModifiedDateTime" not in shown("22.200.001", "SalesInvoice")
    assert "LastModifiedDateTime" in shown("23.200.001", "SalesInvoice")
    assert {"LastModifiedDateTime", "LastModifiedDate", "CreatedDate"} <= shown(
        "24.200.001", "SalesInvoice"
    )
    assert "LastModifiedDate" not in shown("23.200.001", "SalesInvoice")
    assert not {"Email", "CustomerCategory", "PrimaryContactID"} & shown("22.200.001", "Customer")
    assert {"Email", "CustomerCategory", "PrimaryContactID"} <= shown("23.200.001", "Customer")
    for version in VERSIONS:
        assert "LastModified" in shown(version, "StockItem")
        assert "LastModifiedDateTime" in shown(version, "Customer")
        assert "LastModifiedDateTime" in shown(version, "Contact")
        assert "LastModified" in shown(version, "SalesOrder")
    assert "LastModifiedDateTime" not in shown("23.200.001", "StockItem")
    assert "LastModifiedDateTime" in shown("24.200.001", "StockItem")
    assert "OverrideSalesTerritory" in shown("22.200.001", "Contact")
    assert "OverrideSalesTerritory" not in shown("23.200.001", "Contact")
    assert "ExtRefNbr" in shown("24.200.001", "Contact")
    lines = {v: fields_of(rendered[(v, "SalesInvoice")][0]["Details"]) for v in VERSIONS}
    assert "NoteID" not in lines["23.200.001"]
    assert {"NoteID", "Account"} <= lines["24.200.001"]


def test_the_definitions_declare_the_entities_in_every_version() -> None:
    for version in VERSIONS:
        for entity in EXPAND:
            assert entity in schemas(version)


def test_every_stored_field_exists_in_some_version(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    samples = {
        "Customer": "C000001",
        "Contact": 100001,
        "SalesInvoice": "Invoice/INV000001",
        "StockItem": emu.store.rows("StockItem")[0]["InventoryID"],
        "SalesOrder": "SO/SO000001",
    }

    def check(schema: str, stored: dict[str, Any]) -> None:
        known: dict[str, Any] = {}
        for version in VERSIONS:
            known.update(properties(version, schema))
        for name, item in stored.items():
            if name in ENVELOPE:
                continue
            assert name in known, f"{schema}.{name} is in no version"
            prop = known[name]
            if isinstance(item, dict):
                check(ref_name(prop), item)
            elif isinstance(item, list):
                for line in item:
                    check(ref_name(prop), line)

    for entity, key in samples.items():
        record = emu.record(entity, key)
        assert record is not None, entity
        check(entity, record)


def test_the_served_definition_is_the_packaged_file(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    served = session.get(emu.endpoint_url("23.200.001") + "/swagger.json", timeout=30)
    assert hashlib.sha256(served.content).hexdigest() == VENDOR_SHA256["23.200.001"]
    assert requests.get(emu.endpoint_url() + "/swagger.json", timeout=10).status_code == 401
