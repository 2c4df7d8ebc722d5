"""`meltano run jde-to-mailchimp` end to end, against the emulators."""

from __future__ import annotations

import collections
import typing as t

from tests.conftest import audit_events, bookmarks, members, shop

if t.TYPE_CHECKING:
    from pathlib import Path

JOB = "jde-to-mailchimp"
DATASERVICE = "POST /jderest/v2/dataservice"


def primary_emails(jde: t.Any) -> dict[int, str]:
    """Address number → primary email (F01151: IDLN 0, RCK7 1, ETP E)."""
    return {
        row["AN8"]: row["EMAL"].strip().lower()
        for row in jde.store.rows("F01151")
        if row["IDLN"] == 0 and row["RCK7"] == 1 and row["ETP"] == "E" and row["EMAL"].strip()
    }


def active_customers(jde: t.Any) -> set[int]:
    """Customers of company 00000 not marked inactive (F03012.CUSTS 1)."""
    return {
        row["AN8"]
        for row in jde.store.rows("F03012")
        if row["CO"] == "00000" and row["CUSTS"].strip() != "1"
    }


def expected_members(jde: t.Any) -> dict[str, int]:
    """Address → address number, for active customers and vendors with a primary email."""
    emails = primary_emails(jde)
    vendors = {row["AN8"] for row in jde.store.rows("F0101") if row["AT1"] == "V"}
    return {emails[an8]: an8 for an8 in active_customers(jde) | vendors if an8 in emails}


def tag_names(mailchimp: t.Any, email: str) -> set[str]:
    return {tag["name"] for tag in mailchimp.member(email)["tags"]}


def test_first_run_lands_customers_and_vendors_and_signs_out(
    mailchimp_emulator, jde_emulator, meltano
) -> None:
    meltano("run", JOB)

    expected = expected_members(jde_emulator)
    assert set(members(mailchimp_emulator)) == set(expected)
    vendors = {row["AN8"] for row in jde_emulator.store.rows("F0101") if row["AT1"] == "V"}
    for email, an8 in list(expected.items())[:20]:
        assert ("vendor" if an8 in vendors else "customer") in tag_names(mailchimp_emulator, email)
    customers = {
        int(customer_id.removeprefix("jde-")) for customer_id in shop(mailchimp_emulator).customers
    }
    emails = primary_emails(jde_emulator)
    assert customers == {an8 for an8 in active_customers(jde_emulator) if an8 in emails}
    assert jde_emulator.open_sessions == 0  # logged out
    marks = bookmarks(meltano, "tap-jde")
    assert marks["customers"]["replication_key_value"]
    assert marks["vendors"]["replication_key_value"]
    assert mailchimp_emulator.contract_violations == []


def test_second_run_moves_an_email_change_and_an_address_change_only(
    mailchimp_emulator, jde_emulator, meltano
) -> None:
    meltano("run", JOB)
    expected = expected_members(jde_emulator)
    (renamed_email, renamed), (moved_email, moved) = list(expected.items())[:2]
    jde_emulator.update_record("F01151", (renamed, 0, 1), EMAL="purchasing@vantage-marine.co.uk")
    current = max(
        (r for r in jde_emulator.store.rows("F0116") if r["AN8"] == moved),
        key=lambda r: r["EFTB"],
    )
    jde_emulator.update_record(
        "F0116",
        (moved, current["EFTB"]),
        ADD1="14 Harbour Street",
        CTY1="Whitby",
        ADDS="NY",
        ADDZ="YO21 3PN",
    )
    mailchimp_emulator.calls.reset()

    meltano("run", JOB)

    landed = members(mailchimp_emulator)
    assert renamed_email not in landed  # the same member, its address changed in place
    assert landed["purchasing@vantage-marine.co.uk"].status == "subscribed"
    writes = collections.Counter(
        call.route for call in mailchimp_emulator.calls if call.method != "GET"
    )
    assert writes["PATCH /3.0/lists/{list_id}/members/{subscriber_hash}"] == 1
    # One batch for the changed members; the renamed member's kind tag (member_tags are
    # remembered per address) is added through one more batch subscribe, not a segment.
    assert writes["POST /3.0/lists/{list_id}"] <= 2
    assert writes["POST /3.0/lists/{list_id}/segments/{segment_id}"] == 0
    address = landed[moved_email].merge_fields.get("ADDRESS") or {}
    assert address.get("addr1") == "14 Harbour Street"


def test_an_expired_result_set_mid_stream_loses_and_repeats_nothing(
    mailchimp_emulator, jde_emulator, meltano, tmp_path: Path
) -> None:
    # Small pages, and every open result set expires after the 3rd data service call.
    expired = {"done": False}
    original = jde_emulator.calls.record

    def record(call: t.Any) -> None:
        original(call)
        if not expired["done"] and jde_emulator.calls.count(DATASERVICE) >= 3:
            expired["done"] = bool(jde_emulator.expire_result_sets()) or expired["done"]

    jde_emulator.calls.record = record  # type: ignore[method-assign]
    try:
        meltano("run", JOB, env={"TAP_JDE_PAGE_SIZE": "20"})
    finally:
        jde_emulator.calls.record = original  # type: ignore[method-assign]

    assert expired["done"]
    assert set(members(mailchimp_emulator)) == set(expected_members(jde_emulator))
    writes = collections.Counter(
        e["record_key"]
        for e in audit_events(tmp_path, "members")
        if e["outcome"] in ("created", "updated")
    )
    assert set(writes.values()) == {1}  # every address written exactly once
