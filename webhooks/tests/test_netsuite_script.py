"""The shipped SuiteScript, run under Node with stand-ins for NetSuite's modules: what it
sends is what the receiver accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import HMAC_SECRET, NETSUITE_SECRET

HERE = Path(__file__).parent
SCRIPT = HERE.parent / "netsuite" / "erp_mailchimp_webhook_ue.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is needed to run the SuiteScript")


def run_script(context: dict, parameters: dict, secrets: dict | None = None) -> dict:
    result = subprocess.run(
        [
            str(NODE),
            str(HERE / "run_user_event_script.js"),
            str(SCRIPT),
            json.dumps(context),
            json.dumps(parameters),
            json.dumps(secrets or {}),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(result.stdout)


def edit_of_customer(event: str = "edit") -> dict:
    return {"type": event, "newRecord": {"type": "customer", "id": 4711}}


def test_the_script_signs_a_body_the_receiver_accepts(start_service) -> None:
    service = start_service(
        receivers={
            "netsuite": {
                "path_secret": NETSUITE_SECRET,
                "hmac_secret": HMAC_SECRET,
                "max_age_seconds": 300,
            }
        }
    )
    parameters = {
        "custscript_erp_webhook_url": f"{service.url}/netsuite/{NETSUITE_SECRET}",
        "custscript_erp_webhook_secret": "custsecret_erp_webhook",
    }
    output = run_script(edit_of_customer(), parameters, {"custsecret_erp_webhook": HMAC_SECRET})
    [request] = output["sent"]
    body = json.loads(request["body"])
    assert list(body) == ["recordType", "id", "event", "occurredAt", "account"]
    assert body | {"occurredAt": None} == {
        "recordType": "customer",
        "id": "4711",
        "event": "edit",
        "occurredAt": None,
        "account": "TSTDRV1234567",
    }
    response = requests.post(
        request["url"], data=request["body"].encode(), headers=request["headers"], timeout=10
    )
    assert response.status_code == 202
    service.settle()
    assert service.starts("netsuite-to-mailchimp") == 1


def test_views_are_not_changes_and_a_missing_url_sends_nothing() -> None:
    url = {"custscript_erp_webhook_url": "https://hooks.example.com/netsuite/x"}
    assert run_script(edit_of_customer("view"), url)["sent"] == []
    assert run_script(edit_of_customer(), {})["sent"] == []
    deleted = {"type": "delete", "oldRecord": {"type": "contact", "id": 9}}
    [request] = run_script(deleted, url)["sent"]
    assert json.loads(request["body"])["event"] == "delete"
    assert "X-Webhook-Signature" not in request["headers"]


def test_a_signing_failure_never_blocks_the_save_and_logs_no_url() -> None:
    parameters = {
        "custscript_erp_webhook_url": "https://hooks.example.com/netsuite/path-secret-0123456789",
        "custscript_erp_webhook_secret": "custsecret_missing",
    }
    output = run_script(edit_of_customer(), parameters)
    assert output["sent"] == []
    assert "path-secret" not in json.dumps(output["logged"])
    assert output["logged"][0]["title"] == "ERP webhook not delivered"
