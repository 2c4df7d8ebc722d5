"""`meltano run acumatica-to-mailchimp` end to end, against the emulators."""

from __future__ import annotations

import typing as t

import requests

from tests.conftest import bookmarks, members, shop

JOB = "acumatica-to-mailchimp"


def entity_rows(acumatica: t.Any, entity: str, expand: str = "") -> list[dict[str, t.Any]]:
    """Every row of an entity, unwrapped, read with the emulator's own credentials."""
    token = requests.post(
        acumatica.token_url,
        data={
            "grant_type": "password",
            "client_id": acumatica.client_id,
            "client_secret": acumatica.client_secret,
            "username": acumatica.username,
            "password": acumatica.password,
            "scope": "api",
        },
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{acumatica.endpoint_url('23.200.001')}/{entity}"
    rows = requests.get(
        url, params={"$expand": expand} if expand else {}, headers=headers, timeout=30
    ).json()
    requests.post(f"{acumatica.base_url}/entity/auth/logout", headers=headers, timeout=30)

    def plain(value: t.Any) -> t.Any:
        if isinstance(value, dict):
            return (
                value.get("value")
                if set(value) <= {"value"}
                else {key: plain(item) for key, item in value.items()}
            )
        return [plain(item) for item in value] if isinstance(value, list) else value

    return [plain(row) for row in rows]


def subscribable_contacts(acumatica: t.Any) -> dict[str, dict]:
    return {
        contact["Email"].lower(): contact
        for contact in entity_rows(acumatica, "Contact")
        if contact.get("Email")
    }


def test_first_run_lands_people_products_and_released_invoices(
    mailchimp_emulator, acumatica_emulator, meltano
) -> None:
    meltano("run", JOB)
    landed = members(mailchimp_emulator)
    for email, contact in subscribable_contacts(acumatica_emulator).items():
        if not contact.get("Active"):
            continue
        member = landed[email]
        if contact.get("DoNotEmail") or contact.get("NoMarketing") or contact.get("NoMassMail"):
            assert member.status == "unsubscribed", email  # never subscribed
    invoices = entity_rows(acumatica_emulator, "SalesInvoice")
    released = {
        f"{invoice['Type']}-{invoice['ReferenceNbr']}"
        for invoice in invoices
        if invoice["Status"] in ("Open", "Closed") and invoice["Type"] == "Invoice"
    }
    orders = shop(mailchimp_emulator).orders
    assert set(orders) <= released
    assert len(orders) >= len(released) * 0.7  # the rest: buyers without an email address
    assert {order.attributes["financial_status"] for order in orders.values()} <= {
        "pending",
        "paid",
    }
    assert len(shop(mailchimp_emulator).products) >= len(
        entity_rows(acumatica_emulator, "StockItem")
    )
    assert acumatica_emulator.open_sessions == 0  # the run signed out
    marks = bookmarks(meltano, "tap-acumatica")
    assert all(
        marks[stream]["replication_key_value"]
        for stream in ("customers", "contacts", "sales_invoices", "stock_items")
    )
    assert mailchimp_emulator.contract_violations == []


def test_second_run_moves_only_the_changes(mailchimp_emulator, acumatica_emulator, meltano) -> None:
    meltano("run", JOB)
    contact = next(
        c
        for c in entity_rows(acumatica_emulator, "Contact")
        if c.get("Email")
        and c.get("Active")
        and not c.get("DoNotEmail")
        and not c.get("NoMarketing")
        and not c.get("NoMassMail")
    )
    acumatica_emulator.update_record("Contact", contact["ContactID"], Active=False)
    mailchimp_emulator.calls.reset()

    meltano("run", JOB)

    assert members(mailchimp_emulator)[contact["Email"].lower()].status == "unsubscribed"
    writes = [call.route for call in mailchimp_emulator.calls if call.method != "GET"]
    assert writes == ["POST /3.0/lists/{list_id}"], writes
    assert acumatica_emulator.open_sessions == 0


def test_wrong_endpoint_version_stops_clearly_and_leaves_no_state_or_session(
    mailchimp_emulator, acumatica_emulator, meltano
) -> None:
    acumatica_emulator.configure(endpoint_versions=["22.200.001", "24.200.001"])
    failed = meltano("run", JOB, check=False)
    assert failed.returncode != 0
    assert "does not offer endpoint Default 23.200.001" in failed.output
    assert "Default 22.200.001, Default 24.200.001" in failed.output
    assert "tap-acumatica" not in meltano("state", "list").stdout
    assert acumatica_emulator.open_sessions == 0
    assert [call.route for call in mailchimp_emulator.calls if call.method != "GET"] == []


def test_cookie_login_is_signed_out_even_when_the_run_fails(
    mailchimp_emulator, acumatica_emulator, meltano
) -> None:
    acumatica_emulator.faults.enqueue(method="GET", path="*/SalesInvoice*", status=400, times=1)
    failed = meltano("run", JOB, check=False, env={"TAP_ACUMATICA_AUTH_METHOD": "cookie"})
    assert failed.returncode != 0
    assert acumatica_emulator.open_sessions == 0
