"""The JD Edwards mapping (`jde.yml`), record by record."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from erp_mailchimp_mapper.mapping import Mapping

JDE = Path(__file__).parents[1] / "jde.yml"


@pytest.fixture
def mapping() -> Mapping:
    return Mapping.load(JDE)


def entity(stream: str, **fields: t.Any) -> dict[str, t.Any]:
    """A record as tap-jde emits it: every declared field, null when not given."""
    from tap_jde.streams import STREAM_TYPES

    properties = next(s for s in STREAM_TYPES if s.name == stream).schema["properties"]
    return {name: None for name in properties} | {
        "address_number": 1004,
        "name": "Vantage Marine Ltd",
        "email": "accounts@vantagemarine.com",
        "phone": "0161 496 0000",
        "address_line_1": "2271 Rue de Rivoli",
        "city": "Manchester",
        "postal_code": "M1 1AE",
        "country": "GB",
        "last_changed_at": "2025-10-01T08:00:00+00:00",
        **fields,
    }


def outputs(mapping: Mapping, stream: str, record: dict[str, t.Any]) -> dict[str, dict]:
    return {rule.target: output for rule, output in mapping.apply(stream, record)}


def test_the_mapping_matches_the_taps_schemas(mapping) -> None:
    from tap_jde.streams import STREAM_TYPES

    for stream_type in STREAM_TYPES:
        mapping.check(stream_type.name, stream_type.schema)


def test_a_customer_is_a_member_an_e_commerce_customer_and_tagged_customer(mapping) -> None:
    mapped = outputs(mapping, "customers", entity("customers", active=True))
    member = mapped["members"]
    assert member["source_id"] == "jde:1004"
    assert member["active"] is True
    assert member["merge_fields"]["COMPANY"] == "Vantage Marine Ltd"
    assert member["merge_fields"]["ADDRESS"]["addr1"] == "2271 Rue de Rivoli"
    assert "tags" not in member  # the kind tag accumulates through member_tags instead
    assert mapped["member_tags"] == {
        "source_id": "jde:1004",
        "tags": ["customer"],
        "updated_at": "2025-10-01T08:00:00+00:00",
    }
    assert mapped["customers"]["id"] == "jde-1004"
    assert mapped["customers"]["opt_in_status"] is False


def test_an_inactive_customer_is_an_inactive_member_and_no_e_commerce_customer(mapping) -> None:
    mapped = outputs(mapping, "customers", entity("customers", active=False))
    assert mapped["members"]["active"] is False
    assert "customers" not in mapped


def test_a_vendor_is_a_member_tagged_vendor_and_never_an_e_commerce_customer(mapping) -> None:
    mapped = outputs(mapping, "vendors", entity("vendors"))
    assert mapped["members"]["source_id"] == "jde:1004"
    assert mapped["member_tags"]["tags"] == ["vendor"]
    assert set(mapped) == {"members", "member_tags"}


def test_an_entity_without_an_email_is_left_out(mapping) -> None:
    assert outputs(mapping, "customers", entity("customers", email=None, active=True)) == {}
    assert outputs(mapping, "vendors", entity("vendors", email=None)) == {}


def test_nothing_financial_is_mapped(mapping) -> None:
    text = JDE.read_text()
    for financial in ("credit_limit", "ACL", "payment_terms", "currency_code", "amount"):
        assert financial not in text
