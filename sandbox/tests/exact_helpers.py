"""Helpers the Exact Online emulator tests share: tokens, JSON reads, error bodies."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import requests

from erp_sandbox.exact import ExactEmulator

JSON = {"Accept": "application/json"}


def token_request(emu: ExactEmulator, **form: str) -> requests.Response:
    """POST the token endpoint with the app's client credentials as form fields."""
    body = {"client_id": emu.client_id, "client_secret": emu.client_secret, **form}
    return requests.post(emu.token_url, data=body, timeout=10)


def exchange_code(
    emu: ExactEmulator, code: str, redirect_uri: str | None = None
) -> requests.Response:
    """``grant_type=authorization_code``."""
    return token_request(
        emu,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri or emu.redirect_uri,
    )


def refresh(emu: ExactEmulator, refresh_token: str) -> requests.Response:
    """``grant_type=refresh_token``."""
    return token_request(emu, grant_type="refresh_token", refresh_token=refresh_token)


def session(emu: ExactEmulator, token: str | None = None) -> requests.Session:
    """A session that sends a bearer token and asks for JSON."""
    http = requests.Session()
    http.headers.update(JSON)
    http.headers["Authorization"] = f"Bearer {token or emu.issue_access_token()}"
    return http


def get(http: requests.Session, url: str, **params: Any) -> dict[str, Any]:
    """GET a URL (``select="ID"`` → ``$select=ID``) and return ``d`` after checking 200."""
    query = {f"${name}": value for name, value in params.items()}
    response = http.get(url, params=query, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["d"]


def read_all(http: requests.Session, url: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every row, following ``__next``; returns the rows and the number of pages."""
    page = get(http, url, **params)
    rows, pages = list(page["results"]), 1
    while page.get("__next"):
        response = http.get(page["__next"], timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()["d"]
        rows.extend(page["results"])
        pages += 1
    return rows, pages


def odata_error(response: requests.Response, status: int) -> str:
    """The message of an OData JSON error, after checking the status and the shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == ""
    assert set(body["error"]["message"]) == {"lang", "value"}
    return body["error"]["message"]["value"]


def parse_xml(content: bytes) -> ET.Element:
    """An Atom or error document the emulator wrote."""
    return ET.fromstring(content)  # noqa: S314 - the emulator's own output, not untrusted
