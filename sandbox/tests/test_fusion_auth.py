"""The identity domain's token endpoint, bearer and Basic access to the pod, expiry."""

from __future__ import annotations

import time

import requests
from fusion_helpers import bearer_token, get, request_token

from erp_sandbox.fusion import FusionEmulator

ALL = "urn:opc:resource:consumer::all"


def test_client_credentials_with_basic_client_authentication(
    fusion_emulator: FusionEmulator,
) -> None:
    response = request_token(fusion_emulator)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600


def test_client_credentials_with_client_id_and_secret_in_the_form(
    fusion_emulator: FusionEmulator,
) -> None:
    emu = fusion_emulator
    response = requests.post(
        emu.token_url,
        data={
            "grant_type": "client_credentials",
            "scope": ALL,
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert get(emu, "accounts", token=response.json()["access_token"]).status_code == 200


def test_wrong_client_is_invalid_client(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    wrong_secret = requests.post(
        emu.token_url,
        auth=(emu.client_id, "not-the-secret"),
        data={"grant_type": "client_credentials", "scope": ALL},
        timeout=10,
    )
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    anonymous = requests.post(
        emu.token_url, data={"grant_type": "client_credentials", "scope": ALL}, timeout=10
    )
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "invalid_client")


def test_only_the_all_scope_alone_is_accepted(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    for refused in ("urn:opc:resource:fa:instanceid=1", f"{ALL} openid", ""):
        response = request_token(emu, scope=refused)
        assert (response.status_code, response.json()["error"]) == (400, "invalid_scope")
    audience = f"https://{emu.settings.pod_host}:443"
    assert request_token(emu, scope=f"{audience}{ALL}").status_code == 200
    assert request_token(emu, scope=f"{emu.base_url}{ALL}").status_code == 200


def test_grant_type_must_be_client_credentials(fusion_emulator: FusionEmulator) -> None:
    response = request_token(fusion_emulator, grant_type="password")
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_rest_calls_accept_a_bearer_token_or_basic_user(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    assert get(emu, "accounts", token=bearer_token(emu)).status_code == 200
    basic = requests.get(emu.resource_url("accounts"), auth=emu.basic_auth, timeout=10)
    assert basic.status_code == 200
    wrong = requests.get(emu.resource_url("accounts"), auth=(emu.username, "nope"), timeout=10)
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    missing = requests.get(emu.resource_url("accounts"), timeout=10)
    assert missing.status_code == 401


def test_token_expires_after_its_configured_life(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    emu.configure(access_token_seconds=0.3)
    token = bearer_token(emu)
    assert get(emu, "accounts", token=token).status_code == 200
    time.sleep(0.4)
    expired = get(emu, "accounts", token=token)
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    assert get(emu, "accounts", token=bearer_token(emu)).status_code == 200


def test_revoked_tokens_are_refused(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    assert emu.revoke_tokens() == 1
    assert get(emu, "accounts", token=token).status_code == 401
    token = bearer_token(emu)
    revoked = requests.post(f"{emu.base_url}/_sandbox/tokens/revoke", timeout=10)
    assert revoked.json() == {"revoked": 1}
    assert get(emu, "accounts", token=token).status_code == 401
    assert get(emu, "accounts", token="not-a-token").status_code == 401


def test_token_requests_are_counted_in_the_call_log(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    get(emu, "accounts", token=token)
    get(emu, "accounts/100002", token=token)
    assert emu.calls.counts() == {
        "POST /oauth2/v1/token": 1,
        "GET /crmRestApi/resources/{version}/accounts": 1,
        "GET /crmRestApi/resources/{version}/accounts/{PartyNumber}": 1,
    }
