"""``/describe`` documents, error bodies (plain text or structured), 404/405, faults."""

from __future__ import annotations

import threading

import requests
from fusion_helpers import STRUCTURED_ERRORS, bearer_token, get

from erp_sandbox.fusion import FusionEmulator


def test_describe_lists_attributes_with_adf_types_and_children(
    fusion_emulator: FusionEmulator,
) -> None:
    response = get(fusion_emulator, "salesOrdersForOrderHub/describe")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oracle.adf.description")
    (name,) = response.json()["Resources"]
    resource = response.json()["Resources"][name]
    assert name == "salesOrdersForOrderHub"
    assert resource["discrColumnType"] is False
    attributes = {a["name"]: a for a in resource["attributes"]}
    assert attributes["HeaderId"]["type"] == "integer"
    assert attributes["OrderKey"] == {
        "name": "OrderKey",
        "type": "string",
        "updatable": False,
        "mandatory": False,
        "queryable": True,
        "precision": 100,
        "title": "Order Key",
        "maxLength": "100",
    }
    assert attributes["LastUpdateDate"]["type"] == "datetime"
    finders = {f["name"] for f in resource["collection"]["finders"]}
    assert finders == {"PrimaryKey", "findBySourceOrderNumberAndSystem"}
    lines = resource["children"]["lines"]
    assert {a["name"]: a["type"] for a in lines["attributes"]}["OrderedQuantity"] == "number"
    assert resource["links"][0]["kind"] == "describe"


def test_every_resource_describes_its_key_and_dates(fusion_emulator: FusionEmulator) -> None:
    token = bearer_token(fusion_emulator)
    keys = {
        "accounts": "PartyNumber",
        "salesOrdersForOrderHub": "HeaderId",
        "receivablesInvoices": "CustomerTransactionId",
    }
    for resource, key in keys.items():
        described = get(fusion_emulator, f"{resource}/describe", token=token).json()
        body = described["Resources"][resource]
        (primary,) = [f for f in body["collection"]["finders"] if f["name"] == "PrimaryKey"]
        assert [a["name"] for a in primary["attributes"]] == [key]
        types = {a["name"]: a["type"] for a in body["attributes"]}
        assert types["LastUpdateDate"] == "datetime"
    invoice = get(fusion_emulator, "receivablesInvoices/describe", token=token).json()
    attributes = invoice["Resources"]["receivablesInvoices"]["attributes"]
    types = {a["name"]: a["type"] for a in attributes}
    assert (types["TransactionDate"], types["EnteredAmount"]) == ("date", "number")


def test_errors_are_plain_text_by_default(fusion_emulator: FusionEmulator) -> None:
    response = get(fusion_emulator, "accounts", orderBy="Nope")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "The attribute Nope is not valid for the resource accounts."


def test_structured_errors_need_version_4_and_the_error_media_type(
    fusion_emulator: FusionEmulator,
) -> None:
    token = bearer_token(fusion_emulator)
    accept = {"Accept": STRUCTURED_ERRORS}
    structured = get(
        fusion_emulator, "accounts", token=token, version=4, headers=accept, orderBy="Nope"
    )
    assert structured.headers["content-type"].startswith(STRUCTURED_ERRORS)
    assert structured.json() == {
        "title": "Bad Request",
        "status": "400",
        "o:errorDetails": [
            {
                "detail": "The attribute Nope is not valid for the resource accounts.",
                "o:errorCode": "INVALID_QUERY_PARAMETER",
            }
        ],
    }
    older = get(fusion_emulator, "accounts", token=token, version=3, headers=accept, orderBy="N")
    assert older.headers["content-type"].startswith("text/plain")
    unasked = get(fusion_emulator, "accounts", token=token, version=4, orderBy="Nope")
    assert unasked.headers["content-type"].startswith("text/plain")
    expired = get(fusion_emulator, "accounts", token="stale", version=4, headers=accept)
    assert expired.status_code == 401
    assert expired.json()["title"] == "Unauthorized"


def test_writes_are_invalid_operations(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    created = requests.post(emu.resource_url("accounts"), auth=emu.basic_auth, json={}, timeout=10)
    assert created.status_code == 405
    assert created.text == "Invalid operation create for the specified resource."
    updated = requests.patch(
        f"{emu.resource_url('accounts')}/100001", auth=emu.basic_auth, json={}, timeout=10
    )
    assert updated.text == "Invalid operation update for the specified resource."


def test_unknown_versions_resources_and_items_are_404(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    for url in (
        f"{emu.base_url}/crmRestApi/resources/11.12.1.0/accounts",
        f"{emu.base_url}/crmRestApi/resources/11.13.18.05/customers",
        f"{emu.base_url}/fscmRestApi/resources/11.13.18.05/accounts",
        f"{emu.resource_url('accounts')}/999",
        f"{emu.resource_url('salesOrdersForOrderHub')}/OPS:1",
        f"{emu.resource_url('receivablesInvoices')}/not-a-number",
    ):
        response = requests.get(url, auth=emu.basic_auth, timeout=10)
        assert response.status_code == 404, url


def test_injected_429_carries_retry_after(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    emu.faults.enqueue(path="/crmRestApi/*", status=429, retry_after=7)
    emu.faults.enqueue(path="/crmRestApi/*", status=503)
    throttled = get(emu, "accounts", token=token)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
    assert get(emu, "accounts", token=token).status_code == 503
    assert get(emu, "accounts", token=token).status_code == 200
    faults = [call.fault for call in emu.calls if call.path.startswith("/crmRestApi")]
    assert faults == ["status:429", "status:503", None]


def test_concurrency_limit_answers_429_with_retry_after(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    emu.configure(concurrency_limit=1, retry_after_seconds=3)
    emu.faults.configure(latency_ms=300)
    slow: list[requests.Response] = []
    worker = threading.Thread(target=lambda: slow.append(get(emu, "accounts", token=token)))
    worker.start()
    while emu.ctx.limiter.peak == 0:
        threading.Event().wait(0.01)
    refused = get(emu, "accounts", token=token)
    worker.join()
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3")
    assert slow[0].status_code == 200
