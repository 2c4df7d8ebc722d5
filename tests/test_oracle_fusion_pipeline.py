"""`meltano run oracle-fusion-to-mailchimp` end to end, against the emulators."""

from __future__ import annotations

import typing as t

import pytest
import requests

from tests.conftest import bookmarks, members, shop, tokens_revoked_after

ACCOUNTS = "GET /crmRestApi/resources/{version}/accounts"
TOKEN = "POST /oauth2/v1/token"
JOB = "oracle-fusion-to-mailchimp"


def fusion_rows(fusion: t.Any, resource: str) -> list[dict[str, t.Any]]:
    """Every row of a Fusion collection, read over the emulator's own API."""
    rows: list[dict[str, t.Any]] = []
    offset = 0
    while True:
        page = requests.get(
            fusion.resource_url(resource),
            params={"limit": 500, "offset": offset, "onlyData": "true"},
            auth=fusion.basic_auth,
            timeout=30,
        ).json()
        rows.extend(page["items"])
        offset += page["count"]
        if not page["hasMore"]:
            return rows


def active_with_email(fusion: t.Any) -> list[dict[str, t.Any]]:
    return [a for a in fusion_rows(fusion, "accounts") if a["EmailAddress"] and a["Status"] == "A"]


@pytest.fixture
def fusion_token_dies_mid_run(fusion_emulator: t.Any) -> t.Iterator[None]:
    """Fusion's bearer is revoked once the run has read its first page of accounts."""
    with tokens_revoked_after(fusion_emulator, ACCOUNTS, 1):
        yield


def test_first_run_lands_members_customers_and_orders(
    mailchimp_emulator, fusion_emulator, meltano, fusion_token_dies_mid_run
) -> None:
    result = meltano("run", JOB)

    active = active_with_email(fusion_emulator)
    landed = members(mailchimp_emulator)
    # Inactive accounts whose address Mailchimp did not hold create nothing.
    assert set(landed) == {account["EmailAddress"].lower() for account in active}
    assert {member.status for member in landed.values()} == {"subscribed"}

    buyers = {account["PartyId"] for account in active}
    placed = {
        str(order["HeaderId"])
        for order in fusion_rows(fusion_emulator, "salesOrdersForOrderHub")
        if order["StatusCode"] != "DOO_DRAFT" and order["BuyingPartyId"] in buyers
    }
    assert set(shop(mailchimp_emulator).orders) == placed
    assert fusion_emulator.calls.count(TOKEN) >= 2  # renewed after the revocation
    assert "skipped (draft order, or no lines)" in result.stderr
    marks = bookmarks(meltano, "tap-oracle-fusion")
    assert all(marks[stream]["replication_key_value"] for stream in ("customers", "sales_orders"))
    assert mailchimp_emulator.contract_violations == []


def test_second_run_moves_an_email_change_and_a_deactivation_only(
    mailchimp_emulator, fusion_emulator, meltano
) -> None:
    meltano("run", JOB)
    moving, leaving = active_with_email(fusion_emulator)[:2]
    before = members(mailchimp_emulator)[moving["EmailAddress"].lower()]
    fusion_emulator.update_record(
        "accounts", moving["PartyNumber"], EmailAddress="moved.address@contoso-fabrics.com"
    )
    fusion_emulator.update_record("accounts", leaving["PartyNumber"], Status="I")
    mailchimp_emulator.calls.reset()

    meltano("run", JOB)

    landed = members(mailchimp_emulator)
    moved = landed["moved.address@contoso-fabrics.com"]
    assert moved.contact_id == before.contact_id  # the same member, with a new address
    assert moving["EmailAddress"].lower() not in landed
    assert landed[leaving["EmailAddress"].lower()].status == "unsubscribed"  # inactive_action
    writes = [call.route for call in mailchimp_emulator.calls if call.method != "GET"]
    assert writes.count("POST /3.0/lists/{list_id}") == 1
    assert writes.count("PATCH /3.0/lists/{list_id}/members/{subscriber_hash}") == 1
    assert len(writes) <= 6, writes
