"""`meltano run exact-to-mailchimp` end to end, against the emulators."""

from __future__ import annotations

import collections
import typing as t

from tests.conftest import audit_events, bookmarks, members, shop

if t.TYPE_CHECKING:
    from pathlib import Path

JOB = "exact-to-mailchimp"


def rows(exact: t.Any, collection: str) -> list[dict[str, t.Any]]:
    """Every record of a collection as the emulator holds it (JSON-ready)."""
    with exact.store.reading():
        keys = [row.get("ID") or row.get("InvoiceID") for row in exact.store.rows(collection)]
    return [exact.record(collection, key) for key in keys]


def expected_orders(exact: t.Any, *, buyers_only: bool = True) -> set[str]:
    """Order ids of the invoices the mapping sends (not drafts, with item lines); with
    `buyers_only`, those that land: billed to a buyer Mailchimp can know (an account with
    an email that buys and is not blocked)."""
    buyers = {
        account["ID"]
        for account in rows(exact, "Accounts")
        if account.get("Email") and account.get("IsSales") and not account.get("Blocked")
    }
    return {
        "exact-" + ("CN-" if invoice["Type"] == 8021 else "") + str(invoice["InvoiceNumber"])
        for invoice in rows(exact, "SalesInvoices")
        if invoice["Status"] != 10
        and (invoice["InvoiceTo"] in buyers or not buyers_only)
        and any(line.get("ItemCode") for line in invoice["SalesInvoiceLines"])
    }


def tag_names(mailchimp: t.Any, email: str) -> set[str]:
    return {tag["name"] for tag in mailchimp.member(email)["tags"]}


def test_first_run_lands_members_orders_refunds_and_cost_center_tags(
    mailchimp_emulator, exact_emulator, meltano
) -> None:
    meltano("run", JOB)

    landed = members(mailchimp_emulator)
    latest: dict[str, dict[str, t.Any]] = {}  # per address, the last modified record wins
    for collection in ("Accounts", "Contacts"):
        for row in rows(exact_emulator, collection):
            address = (row.get("Email") or "").strip().lower()
            if address and row["Modified"] >= latest.get(address, {}).get("Modified", ""):
                latest[address] = row
    # One member per address; a blocked account is inactive and creates nothing.
    assert set(landed) == {a for a, row in latest.items() if not row.get("Blocked")}
    for contact in rows(exact_emulator, "Contacts"):
        if contact.get("Email") and contact.get("IsMailingExcluded"):
            assert landed[contact["Email"].strip().lower()].status == "unsubscribed"

    orders = shop(mailchimp_emulator).orders
    assert set(orders) == expected_orders(exact_emulator)
    statuses = collections.Counter(o.attributes["financial_status"] for o in orders.values())
    assert set(statuses) == {"pending", "processed", "refunded"}
    assert all(
        order_id.startswith("exact-CN-")
        for order_id, order in orders.items()
        if order.attributes["financial_status"] == "refunded"
    )

    invoice = next(
        i
        for i in rows(exact_emulator, "SalesInvoices")
        if i["Type"] == 8020
        and i["Status"] != 10
        and any(line.get("CostCenter") for line in i["SalesInvoiceLines"])
        and (exact_emulator.record("Accounts", i["InvoiceTo"]) or {}).get("Email")
    )
    buyer = exact_emulator.record("Accounts", invoice["InvoiceTo"])["Email"].strip().lower()
    centers = {line["CostCenter"] for line in invoice["SalesInvoiceLines"] if line["CostCenter"]}
    assert {f"costcenter:{code}" for code in centers} <= tag_names(mailchimp_emulator, buyer)

    marks = bookmarks(meltano, "tap-exact")
    assert all(
        marks[stream]["replication_key_value"]
        for stream in ("accounts", "contacts", "sales_invoices", "deleted")
    )
    assert mailchimp_emulator.contract_violations == []


def test_second_run_moves_a_new_account_an_email_change_and_a_credit_note(
    mailchimp_emulator, exact_emulator, meltano
) -> None:
    meltano("run", JOB)
    account = next(
        a
        for a in rows(exact_emulator, "Accounts")
        if a.get("Email")
        and a.get("IsSales")
        and not a.get("Blocked")
        and sum(1 for r in rows(exact_emulator, "Contacts") if r.get("Email") == a["Email"]) == 0
    )
    old_address = account["Email"].strip().lower()
    exact_emulator.update_record("Accounts", account["ID"], Email="orders@tidewater-foods.nl")
    exact_emulator.insert_record(
        "Accounts",
        Name="Noordzee Vishandel BV",
        Email="inkoop@noordzee-vishandel.nl",
        Status="C",
        City="Den Helder",
        Country="NL",
    )
    credit = exact_emulator.insert_record(
        "SalesInvoices",
        InvoiceTo=account["ID"],
        Type=8021,
        SalesInvoiceLines=[{"ItemCode": "DESK-BLU", "Quantity": -1.0, "UnitPrice": 339.61}],
    )
    mailchimp_emulator.calls.reset()

    meltano("run", JOB)

    landed = members(mailchimp_emulator)
    assert "inkoop@noordzee-vishandel.nl" in landed
    assert old_address not in landed  # the member changed address in place
    assert landed["orders@tidewater-foods.nl"].status == "subscribed"
    refund = shop(mailchimp_emulator).orders[f"exact-CN-{credit['InvoiceNumber']}"]
    assert refund.attributes["financial_status"] == "refunded"
    assert refund.attributes["order_total"] > 0
    writes = collections.Counter(
        call.route for call in mailchimp_emulator.calls if call.method != "GET"
    )
    # The batch of member changes, the e-commerce customers' upserts and the refund:
    # nothing that did not change is written again.
    assert sum(writes.values()) <= 6, writes


def test_a_spent_daily_limit_stops_cleanly_and_the_next_day_completes_without_repeats(
    mailchimp_emulator, exact_emulator, meltano, tmp_path: Path
) -> None:
    exact_emulator.clock.freeze()
    # 2 + 2 pages of accounts and contacts, cost centers, deletions, then ~7 pages of
    # invoice rows: the day's 9 calls end in the middle of the invoices.
    exact_emulator.configure(sync_page_size=100, daily_limit=9)

    day_one = meltano("run", JOB)  # exit status 0
    assert "daily API limit" in day_one.output
    assert exact_emulator.rate_limits()["usage"][0]["declined_daily"] == 0
    first = {e["record_key"] for e in audit_events(tmp_path, "orders")}
    sent = expected_orders(exact_emulator, buyers_only=False)
    assert 0 < len(first) < len(sent)

    exact_emulator.clock.advance(days=1)
    exact_emulator.configure(daily_limit=5000)
    meltano("run", JOB)

    events = audit_events(tmp_path, "orders")
    assert {e["record_key"] for e in events} == sent
    per_order = collections.Counter(e["record_key"] for e in events)
    assert set(per_order.values()) == {1}  # each invoice sent once over both days
    # (Orders of accounts without an email fail in the target as unknown customers.)
    assert set(shop(mailchimp_emulator).orders) == expected_orders(exact_emulator)
