"""`make demo`: change a few ERP records between two pipeline runs.

`python sandbox/demo_changes.py netsuite URL`: one customer's email changes, another
customer is deactivated, and a new sales order is entered.
`python sandbox/demo_changes.py fusion URL`: one account's email changes and another
account is deactivated.
`python sandbox/demo_changes.py acumatica URL`: a contact asks for no more marketing.
`python sandbox/demo_changes.py jde URL`: a customer's email and another's address change.
`python sandbox/demo_changes.py exact URL`: a new account, an account's email change and a
credit note; `exact-code URL` prints an authorization code for `tap-exact authorize`.
`python sandbox/demo_changes.py netsuite-notification URL`: the NetSuite user-event script
notifies erp-webhooks (`WEBHOOK_URL`) of an email change; `wait-for-run HEALTH_URL JOB`
waits for the run it triggered.
All through the emulators' inspection APIs.
"""

from __future__ import annotations

import base64
import datetime
import json
import sys
import urllib.error
import urllib.request

FUSION_USER = ("sandbox.integration", "sandbox-fusion-password")  # the emulator's fake user


def _call(base: str, method: str, path: str, body: dict | None = None) -> dict:
    """One inspection-API call; returns the JSON answer."""
    request = urllib.request.Request(  # noqa: S310 - the local emulator
        f"{base}/_sandbox/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def change_netsuite(base: str) -> None:
    """An email change, a deactivation and a new order in NetSuite."""

    def call(method: str, path: str, body: dict | None = None) -> dict:
        return _call(base, method, path, body)

    customers = []
    for key in range(1001, 1100):  # the seed numbers customers from 1001
        record = call("GET", f"records/customer/{key}")
        if record.get("email") and record.get("isinactive") == "F":
            customers.append(record)
        if len(customers) == 3:
            break
    moved, leaving = customers[0], customers[1]
    template = call("GET", "records/transaction/5001")
    new_email = f"new.{moved['email']}"
    call("PATCH", f"records/customer/{moved['id']}", {"email": new_email})
    call("PATCH", f"records/customer/{leaving['id']}", {"isinactive": "T"})
    buyer = customers[2]
    order = call(
        "POST",
        "records/transaction",
        {
            "tranid": "SO-DEMO-1",
            "type": "SalesOrd",
            "entity": buyer["id"],
            "email": buyer["email"],
            "currency": template["currency"],
            "status": "B",
            "foreigntotal": 129.0,
        },
    )
    call(
        "POST",
        "records/transactionline",
        {
            "transaction": order["id"],
            "id": 1,
            "linesequencenumber": 1,
            "item": 201,
            "quantity": -3,
            "rate": 43.0,
            "netamount": -129.0,
            "mainline": "F",
            "taxline": "F",
        },
    )
    print(f"   email changed: {moved['email']} -> {new_email}")
    print(f"   deactivated:   {leaving['email']}")
    print(f"   new order:     {order['id']} (SO-DEMO-1) for {buyer['email']}")


def change_fusion(base: str) -> None:
    """An email change and a deactivation in Oracle Fusion."""
    credentials = base64.b64encode(":".join(FUSION_USER).encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the local emulator
        f"{base}/crmRestApi/resources/11.13.18.05/accounts?limit=50&onlyData=true",
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        accounts = json.loads(response.read())["items"]
    active = [a for a in accounts if a.get("EmailAddress") and a.get("Status") == "A"]
    moved, leaving = active[0], active[1]
    new_email = f"new.{moved['EmailAddress']}"
    _call(base, "PATCH", f"records/accounts/{moved['PartyNumber']}", {"EmailAddress": new_email})
    _call(base, "PATCH", f"records/accounts/{leaving['PartyNumber']}", {"Status": "I"})
    print(f"   email changed: {moved['EmailAddress']} -> {new_email}")
    print(f"   deactivated:   {leaving['EmailAddress']}")


def change_acumatica(base: str) -> None:
    """A contact sets NoMarketing in Acumatica."""
    for contact_id in range(100001, 100100):  # the seed numbers contacts from 100001
        contact = _call(base, "GET", f"records/Contact/{contact_id}")
        flags = ("DoNotEmail", "NoMarketing", "NoMassMail")
        if _plain(contact.get("Email")) and not any(_plain(contact.get(f)) for f in flags):
            break
    _call(base, "PATCH", f"records/Contact/{contact_id}", {"NoMarketing": True})
    print(f"   no marketing:  {_plain(contact['Email'])}")


def change_jde(base: str) -> None:
    """An email change (F01151) and an address change (F0116) in JD Edwards."""
    emails = []
    for an8 in range(1002, 1300):  # the seed numbers the address book from 1001
        row = _call_or_none(base, f"records/F01151/{an8}/0/1")
        customer = _call_or_none(base, f"records/F03012/{an8}/00000")
        if row and row.get("EMAL") and customer and str(customer.get("CUSTS")).strip() != "1":
            emails.append((an8, row["EMAL"]))
        if len(emails) == 2:
            break
    (renamed, old), (moved, address) = emails
    new_address = "purchasing@vantage-marine.co.uk"
    _call(base, "PATCH", f"records/F01151/{renamed}/0/1", {"EMAL": new_address})
    print(f"   email change:  {old} → {new_address}")
    # A move is a new effective-dated F0116 row, effective today.
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    _call(
        base,
        "POST",
        "records/F0116",
        {
            "AN8": moved,
            "EFTB": today,
            "ADD1": "14 Harbour Street",
            "CTY1": "Whitby",
            "ADDZ": "YO21 3PN",
            "CTR": "GB",
        },
    )
    print(f"   address:       {address} moved to 14 Harbour Street, Whitby")


def _call_or_none(base: str, path: str) -> dict | None:
    try:
        return _call(base, "GET", path)
    except urllib.error.HTTPError:
        return None


def exact_code(base: str) -> None:
    """An authorization code, as Exact's consent page would redirect with it."""
    print(_call(base, "POST", "authorization-code")["code"])


def change_exact(base: str) -> None:
    """A new account, an email change and a credit note in Exact Online."""
    for code in range(1001, 1200):  # the seed numbers accounts from 1001
        account = _call(base, "GET", f"records/Accounts/{code}")
        if account.get("Email") and account.get("IsSales") and not account.get("Blocked"):
            break
    new_address = "orders@tidewater-foods.nl"
    _call(base, "PATCH", f"records/Accounts/{account['ID']}", {"Email": new_address})
    print(f"   email change:  {account['Email']} → {new_address}")
    _call(
        base,
        "POST",
        "records/Accounts",
        {"Name": "Noordzee Vishandel BV", "Email": "inkoop@noordzee-vishandel.nl", "Status": "C"},
    )
    print("   new account:   inkoop@noordzee-vishandel.nl")
    credit = _call(
        base,
        "POST",
        "records/SalesInvoices",
        {
            "InvoiceTo": account["ID"],
            "Type": 8021,
            "SalesInvoiceLines": [{"ItemCode": "DESK-BLU", "Quantity": -1.0, "UnitPrice": 339.61}],
        },
    )
    print(f"   credit note:   {credit['InvoiceNumber']} for {account['Name']}")


def netsuite_notification(base: str) -> None:
    """Deploy the user-event script towards erp-webhooks, then change one email: the
    emulator posts the notification as NetSuite would. `WEBHOOK_URL` names the receiver."""
    import os

    _call(base, "DELETE", "notifications")
    _call(base, "POST", "notifications", {"url": os.environ["WEBHOOK_URL"]})
    for key in range(1001, 1100):
        record = _call(base, "GET", f"records/customer/{key}")
        if record.get("email") and record.get("isinactive") == "F":
            break
    new_email = f"notified.{record['email']}"
    _call(base, "PATCH", f"records/customer/{record['id']}", {"email": new_email})
    [sent] = _call(base, "GET", "notifications")["notifications"][-1:]
    print(f"   customer {record['id']}: email {record['email']} → {new_email}")
    print(f"   notification {sent['body']} answered {sent['status']}")


def wait_for_run(health_url: str, job: str) -> None:
    """Poll erp-webhooks' health until the job's notified run has finished."""
    import time

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with urllib.request.urlopen(health_url) as response:  # noqa: S310 - local service
            state = json.loads(response.read())["jobs"].get(job, {})
        if state.get("runs_finished") and not state.get("running"):
            print(f"   {job}: {state['runs_finished']} run(s), exit code {state['last_exit_code']}")
            if state["last_exit_code"] != 0:
                sys.exit(1)
            return
        time.sleep(0.5)
    sys.exit(f"{job} did not finish within 300 s")


def _plain(value: object) -> object:
    return value.get("value") if isinstance(value, dict) else value


if __name__ == "__main__":
    changes = {
        "netsuite": change_netsuite,
        "fusion": change_fusion,
        "acumatica": change_acumatica,
        "jde": change_jde,
        "exact": change_exact,
        "exact-code": exact_code,
        "netsuite-notification": netsuite_notification,
    }
    if sys.argv[1] == "wait-for-run":
        wait_for_run(sys.argv[2], sys.argv[3])
    else:
        changes[sys.argv[1]](sys.argv[2])
