"""Token-based authentication (OAuth 1.0a, HMAC-SHA256), signed by oauthlib as clients do."""

from __future__ import annotations

import time

import requests
from netsuite_helpers import error_detail, tba_client, tba_headers
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1

from erp_sandbox.netsuite import NetSuiteEmulator

BODY = {"q": "SELECT c.id FROM customer c WHERE c.id = 1001"}


def _post(url: str, headers: dict[str, str]) -> requests.Response:
    return requests.post(url, json=BODY, headers=headers, timeout=10)


def _url(emu: NetSuiteEmulator) -> str:
    return emu.suiteql_url + "?limit=1000&offset=0"


def _rejected(response: requests.Response) -> None:
    assert error_detail(response, 401)["o:errorCode"] == "INVALID_LOGIN"
    assert (
        response.headers["WWW-Authenticate"] == 'OAuth realm="1234567_SB1", error="token_rejected"'
    )


def test_signed_request_with_query_parameters_is_accepted(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    url = _url(netsuite_emulator)
    response = _post(url, tba_headers(tba_client(netsuite_emulator), url))
    assert response.status_code == 200, response.headers.get("X-Erp-Sandbox-Reason")
    assert response.json()["items"][0]["id"] == "1001"


def test_replayed_nonce_is_rejected(netsuite_emulator: NetSuiteEmulator) -> None:
    url = _url(netsuite_emulator)
    headers = tba_headers(tba_client(netsuite_emulator), url)
    assert _post(url, headers).status_code == 200
    _rejected(_post(url, headers))


def test_signature_over_other_query_parameters_is_rejected(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    signed_for = netsuite_emulator.suiteql_url + "?limit=1000&offset=1000"
    _rejected(
        _post(_url(netsuite_emulator), tba_headers(tba_client(netsuite_emulator), signed_for))
    )


def test_wrong_secret_is_rejected(netsuite_emulator: NetSuiteEmulator) -> None:
    url = _url(netsuite_emulator)
    client = tba_client(netsuite_emulator, resource_owner_secret="not-the-secret")
    _rejected(_post(url, tba_headers(client, url)))


def test_lowercase_or_hyphenated_realm_is_rejected(netsuite_emulator: NetSuiteEmulator) -> None:
    url = _url(netsuite_emulator)
    for realm in ("1234567_sb1", "1234567-SB1"):
        _rejected(_post(url, tba_headers(tba_client(netsuite_emulator, realm=realm), url)))


def test_hmac_sha1_is_rejected(netsuite_emulator: NetSuiteEmulator) -> None:
    url = _url(netsuite_emulator)
    client = tba_client(netsuite_emulator, signature_method=SIGNATURE_HMAC_SHA1)
    _rejected(_post(url, tba_headers(client, url)))


def test_stale_timestamp_and_short_nonce_are_rejected(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    url = _url(netsuite_emulator)
    stale = tba_client(netsuite_emulator, timestamp=str(int(time.time()) - 600))
    _rejected(_post(url, tba_headers(stale, url)))
    short = tba_client(netsuite_emulator, nonce="abc12")
    _rejected(_post(url, tba_headers(short, url)))
