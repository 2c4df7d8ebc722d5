"""Both authentication methods against the NetSuite emulator over real HTTP."""

from __future__ import annotations

import contextlib
import io
import json

from tap_netsuite.tap import TapNetSuite


def sync_items(config: dict) -> list[dict]:
    tap = TapNetSuite(config=config, validate_config=True)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tap.streams["items"].sync()
    messages = [json.loads(line) for line in output.getvalue().splitlines()]
    return [message["record"] for message in messages if message["type"] == "RECORD"]


def test_token_based_authentication_signs_requests_netsuite_accepts(netsuite_emulator) -> None:
    records = sync_items(
        {
            "account_id": netsuite_emulator.account_id,
            "base_url": netsuite_emulator.base_url,
            "consumer_key": netsuite_emulator.consumer_key,
            "consumer_secret": netsuite_emulator.consumer_secret,
            "token_id": netsuite_emulator.token_id,
            "token_secret": netsuite_emulator.token_secret,
        }
    )
    assert len(records) == len(netsuite_emulator.db.fetch("SELECT id FROM item"))


def test_ec_certificate_signs_an_es256_assertion_netsuite_accepts(netsuite_emulator) -> None:
    records = sync_items(
        {
            "account_id": netsuite_emulator.account_id,
            "base_url": netsuite_emulator.base_url,
            "client_id": netsuite_emulator.client_id,
            "certificate_id": netsuite_emulator.ec_certificate_id,
            "private_key_path": str(netsuite_emulator.ec_private_key_file),
        }
    )
    assert records
    assert netsuite_emulator.calls.count("POST /services/rest/auth/oauth2/v1/token") == 1
