"""OAuth 2.0 client credentials: the token endpoint's checks and the bearer's life."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from netsuite_helpers import assertion, bearer_token, error_detail, request_token, suiteql

from erp_sandbox.netsuite import NetSuiteEmulator

QUERY = "SELECT c.id FROM customer c WHERE c.id = 1001"


@pytest.mark.parametrize("algorithm", ["PS256", "ES256"])
def test_client_credentials_buy_a_bearer_that_runs_suiteql(
    netsuite_emulator: NetSuiteEmulator, algorithm: str
) -> None:
    response = request_token(netsuite_emulator, assertion(netsuite_emulator, algorithm=algorithm))
    assert response.status_code == 200, response.headers
    body = response.json()
    assert body["expires_in"] == 3600
    assert body["token_type"] == "bearer"
    assert suiteql(netsuite_emulator, QUERY, token=body["access_token"]).status_code == 200


def test_scope_may_be_a_space_or_comma_separated_string(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    for scope in ("restlets rest_webservices", "restlets,rest_webservices"):
        signed = assertion(netsuite_emulator, scope=scope)
        assert request_token(netsuite_emulator, signed).status_code == 200


def _other_rsa_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"algorithm": "RS256"}, 401, "invalid_client"),
        ({"kid": "unknown-cert"}, 401, "invalid_client"),
        ({"iss": "someone-else"}, 401, "invalid_client"),
        ({"aud": "https://1234567.suitetalk.api.netsuite.com/token"}, 400, "invalid_grant"),
        ({"lifetime": 3601}, 400, "invalid_grant"),
        ({"issued_at": time.time() - 600, "lifetime": 300}, 400, "invalid_grant"),
        ({"scope": "restlets"}, 400, "invalid_grant"),
    ],
    ids=["rs256", "unknown-kid", "unknown-client", "wrong-aud", "too-long", "expired", "scope"],
)
def test_bad_assertions_are_refused(
    netsuite_emulator: NetSuiteEmulator, overrides: dict[str, object], status: int, error: str
) -> None:
    response = request_token(netsuite_emulator, assertion(netsuite_emulator, **overrides))  # type: ignore[arg-type]
    assert response.status_code == status
    assert response.json() == {"error": error}


def test_signature_by_another_key_is_refused(netsuite_emulator: NetSuiteEmulator) -> None:
    signed = assertion(netsuite_emulator, key=_other_rsa_key())
    response = request_token(netsuite_emulator, signed)
    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})


def test_malformed_token_requests_are_invalid_request(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    response = request_token(netsuite_emulator, "not-a-jwt")
    assert (response.status_code, response.json()) == (400, {"error": "invalid_request"})


def test_aud_built_from_the_account_host_is_accepted(netsuite_emulator: NetSuiteEmulator) -> None:
    aud = f"https://{netsuite_emulator.account_host}/services/rest/auth/oauth2/v1/token"
    assert request_token(netsuite_emulator, assertion(netsuite_emulator, aud=aud)).ok


def test_expired_bearer_is_401_with_www_authenticate(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.configure(access_token_seconds=1)
    token = bearer_token(netsuite_emulator)
    assert suiteql(netsuite_emulator, QUERY, token=token).status_code == 200
    time.sleep(1.1)
    response = suiteql(netsuite_emulator, QUERY, token=token)
    detail = error_detail(response, 401)
    assert detail["o:errorCode"] == "INVALID_LOGIN"
    assert detail["detail"].startswith("Invalid login attempt.")
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="1234567_SB1", error="invalid_token", '
        'error_description="Invalid login attempt."'
    )


def test_revoked_and_forged_bearers_are_refused(netsuite_emulator: NetSuiteEmulator) -> None:
    token = bearer_token(netsuite_emulator)
    forged = jwt.encode(
        {"jti": "x", "exp": time.time() + 60},
        "a-guessed-signing-key-of-32-bytes!",
        algorithm="HS256",
    )
    assert suiteql(netsuite_emulator, QUERY, token=forged).status_code == 401
    assert netsuite_emulator.revoke_tokens() == 1
    assert suiteql(netsuite_emulator, QUERY, token=token).status_code == 401
    assert suiteql(netsuite_emulator, QUERY).status_code == 200  # a new token works


def test_no_credentials_is_401(netsuite_emulator: NetSuiteEmulator) -> None:
    import requests

    response = requests.post(
        netsuite_emulator.suiteql_url,
        json={"q": QUERY},
        headers={"Prefer": "transient"},
        timeout=10,
    )
    assert error_detail(response, 401)["o:errorCode"] == "INVALID_LOGIN"
