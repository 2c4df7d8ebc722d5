"""`meltano run netsuite-to-mailchimp` end to end, against the NetSuite and Mailchimp emulators."""

from __future__ import annotations

import typing as t

import pytest

from tests.conftest import bookmarks, members, shop, tokens_revoked_after

if t.TYPE_CHECKING:
    from erp_sandbox.netsuite import NetSuiteEmulator

SUITEQL = "POST /services/rest/query/v1/suiteql"
TOKEN = "POST /services/rest/auth/oauth2/v1/token"


def netsuite_rows(netsuite: NetSuiteEmulator, sql: str) -> list[tuple]:
    return [tuple(row) for row in netsuite.db.fetch(sql)]


@pytest.fixture
def revoke_tokens_mid_run(netsuite_emulator):
    """NetSuite's bearer dies after a few SuiteQL calls."""
    with tokens_revoked_after(netsuite_emulator, SUITEQL, 3):
        yield


def test_first_run_lands_everything_past_the_row_ceiling_and_through_a_token_expiry(
    mailchimp_emulator, netsuite_emulator, meltano, revoke_tokens_mid_run
) -> None:
    # A 120-row ceiling below the 300 customers: keyset paging must carry on past it.
    netsuite_emulator.configure(result_ceiling=120)
    result = meltano("run", "netsuite-to-mailchimp")

    emails = {
        row[0].lower(): row[1]
        for row in netsuite_rows(
            netsuite_emulator, "SELECT email, isinactive FROM customer WHERE email IS NOT NULL"
        )
    }
    active = {email for email, inactive in emails.items() if inactive == "F"}
    landed = members(mailchimp_emulator)
    assert active <= set(landed) <= set(emails)
    assert all(landed[email].status == "subscribed" for email in active)
    # Inactive customers are never subscribed; those with orders are transactional buyers.
    assert all(landed[email].status == "transactional" for email in set(landed) - active)

    items = netsuite_rows(netsuite_emulator, "SELECT id FROM item")
    assert len(shop(mailchimp_emulator).products) == len(items)
    orders_with_email = netsuite_rows(
        netsuite_emulator,
        "SELECT id FROM \"transaction\" WHERE type = 'SalesOrd' AND email IS NOT NULL",
    )
    assert set(shop(mailchimp_emulator).orders) == {str(row[0]) for row in orders_with_email}

    # The bearer was revoked mid-run: one more token, no failure.
    assert netsuite_emulator.calls.count(TOKEN) >= 2
    assert mailchimp_emulator.contract_violations == []
    marks = bookmarks(meltano)
    for stream in ("customers", "items", "sales_orders"):
        assert marks[stream]["replication_key_value"]
    assert "customers → members" in result.stderr
    assert "skipped (customer has no email address)" in result.stderr


def test_second_run_moves_only_what_changed(mailchimp_emulator, netsuite_emulator, meltano) -> None:
    meltano("run", "netsuite-to-mailchimp")
    changed, deactivated = [
        row[0]
        for row in netsuite_rows(
            netsuite_emulator,
            "SELECT id FROM customer WHERE email IS NOT NULL AND isinactive = 'F' "
            "ORDER BY id LIMIT 2",
        )
    ]
    old_email = netsuite_emulator.record("customer", changed)["email"]
    netsuite_emulator.update_record("customer", changed, email="moved.address@keystone-optics.fr")
    netsuite_emulator.update_record("customer", deactivated, isinactive="T")
    template = netsuite_rows(
        netsuite_emulator,
        'SELECT id, entity, email, currency FROM "transaction" '
        "WHERE type = 'SalesOrd' AND email IS NOT NULL ORDER BY id LIMIT 1",
    )[0]
    order = netsuite_emulator.insert_record(
        "transaction",
        tranid="SO99999",
        type="SalesOrd",
        entity=template[1],
        email=template[2],
        currency=template[3],
        status="B",
        foreigntotal=42.0,
    )
    netsuite_emulator.insert_record(
        "transactionline",
        transaction=order["id"],
        id=1,
        linesequencenumber=1,
        item=201,
        quantity=-2,
        rate=21.0,
        netamount=-42.0,
        mainline="F",
        taxline="F",
    )
    mailchimp_emulator.calls.reset()

    meltano("run", "netsuite-to-mailchimp")

    landed = members(mailchimp_emulator)
    assert "moved.address@keystone-optics.fr" in landed
    assert old_email.lower() not in landed or landed[old_email.lower()].status == "archived"
    deactivated_email = netsuite_emulator.record("customer", deactivated)["email"].lower()
    assert landed[deactivated_email].status == "unsubscribed"
    assert str(order["id"]) in shop(mailchimp_emulator).orders
    writes = [call.route for call in mailchimp_emulator.calls if call.method != "GET"]
    # One batch of members, the address change, the customers' upserts, one order.
    assert writes.count("POST /3.0/lists/{list_id}") == 1
    assert writes.count("POST /3.0/ecommerce/stores/{store_id}/orders") == 1
    assert len(writes) <= 8, writes
