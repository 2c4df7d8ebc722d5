"""Helpers the NetSuite emulator tests share: assertions, sessions, SuiteQL calls."""

from __future__ import annotations

import time
from typing import Any

import jwt
import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuth1Client

from erp_sandbox.netsuite import NetSuiteEmulator

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SUITEQL = "/services/rest/query/v1/suiteql"
TIMESTAMP = "'YYYY-MM-DD HH24:MI:SS'"


def assertion(
    emu: NetSuiteEmulator,
    *,
    algorithm: str = "PS256",
    kid: str | None = None,
    key: str | None = None,
    lifetime: int = 300,
    issued_at: float | None = None,
    **claims: Any,
) -> str:
    """A client-credentials JWT as a correct client builds it (override any part)."""
    ec = algorithm.startswith("ES")
    now = int(issued_at if issued_at is not None else time.time())
    body = {
        "iss": emu.client_id,
        "scope": ["restlets", "rest_webservices"],
        "aud": emu.token_url,
        "iat": now,
        "exp": now + lifetime,
        **claims,
    }
    return jwt.encode(
        body,
        key or (emu.ec_private_key_pem if ec else emu.rsa_private_key_pem),
        algorithm=algorithm,
        headers={"kid": kid or (emu.ec_certificate_id if ec else emu.rsa_certificate_id)},
    )


def request_token(emu: NetSuiteEmulator, client_assertion: str) -> requests.Response:
    """POST the token endpoint with a client assertion."""
    return requests.post(
        emu.token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion,
        },
        timeout=10,
    )


def bearer_token(emu: NetSuiteEmulator) -> str:
    """A fresh access token."""
    response = request_token(emu, assertion(emu))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def suiteql(
    emu: NetSuiteEmulator,
    query: str,
    *,
    limit: int | None = 1000,
    offset: int | None = 0,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    """POST one SuiteQL query with a bearer token and ``Prefer: transient``."""
    params = {k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None}
    sent = {
        "Authorization": f"Bearer {token or bearer_token(emu)}",
        "Prefer": "transient",
        **(headers or {}),
    }
    return requests.post(
        emu.suiteql_url, params=params, json={"q": query}, headers=sent, timeout=30
    )


def items(emu: NetSuiteEmulator, query: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The items of a successful SuiteQL page, ``links`` removed."""
    response = suiteql(emu, query, **kwargs)
    assert response.status_code == 200, response.text
    return [{k: v for k, v in item.items() if k != "links"} for item in response.json()["items"]]


def error_detail(response: requests.Response, status: int) -> dict[str, Any]:
    """The single ``o:errorDetails`` entry of a NetSuite error, after checking the shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/vnd.oracle.resource+json")
    body = response.json()
    assert set(body) == {"type", "title", "status", "o:errorDetails"}
    assert body["status"] == status
    (detail,) = body["o:errorDetails"]
    return detail


def tba_client(emu: NetSuiteEmulator, **overrides: Any) -> OAuth1Client:
    """An oauthlib OAuth 1.0a client as TBA integrations configure it."""
    settings = {
        "client_key": emu.consumer_key,
        "client_secret": emu.consumer_secret,
        "resource_owner_key": emu.token_id,
        "resource_owner_secret": emu.token_secret,
        "signature_method": SIGNATURE_HMAC_SHA256,
        "signature_type": SIGNATURE_TYPE_AUTH_HEADER,
        "realm": emu.account_id,
        **overrides,
    }
    client_key = settings.pop("client_key")
    return OAuth1Client(client_key, **settings)


def tba_headers(client: OAuth1Client, url: str, **sign_kwargs: Any) -> dict[str, str]:
    """Headers for one TBA-signed SuiteQL POST (the JSON body is not signed)."""
    _, headers, _ = client.sign(url, http_method="POST", **sign_kwargs)
    return {"Authorization": headers["Authorization"], "Prefer": "transient"}
