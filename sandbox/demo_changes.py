"""`make demo`, step 2: change a few NetSuite records between two pipeline runs.

One customer's email changes, another customer is deactivated, and a new sales
order is entered, all through the NetSuite emulator's inspection API.
"""

from __future__ import annotations

import json
import sys
import urllib.request

NETSUITE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8081"


def call(method: str, path: str, body: dict | None = None) -> dict:
    """One inspection-API call; returns the JSON answer."""
    request = urllib.request.Request(  # noqa: S310 - the local emulator
        f"{NETSUITE}/_sandbox/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def main() -> None:
    """Make the three changes and say what they were."""
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


if __name__ == "__main__":
    main()
