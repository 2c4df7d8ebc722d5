"""Helpers the JD Edwards AIS emulator tests share: tokens, data service requests, error
bodies."""

from __future__ import annotations

import re
from typing import Any

import requests

from erp_sandbox.jde import JdeEmulator

DEVICE = "tap-jde-tests"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def token_request(emu: JdeEmulator, **overrides: Any) -> requests.Response:
    """POST ``/jderest/v2/tokenrequest`` with the emulator's credentials."""
    body = {
        "username": emu.username,
        "password": emu.password,
        "deviceName": DEVICE,
        "environment": emu.environment,
        "role": emu.role,
        **overrides,
    }
    body = {name: value for name, value in body.items() if value is not None}
    return requests.post(f"{emu.base_url}/jderest/v2/tokenrequest", json=body, timeout=10)


def sign_in(emu: JdeEmulator, device: str | None = DEVICE) -> str:
    """A fresh token for ``device`` (None: bound to the caller's address)."""
    response = token_request(emu, deviceName=device)
    assert response.status_code == 200, response.text
    return response.json()["userInfo"]["token"]


def auth_headers(token: str, device: str | None = DEVICE) -> dict[str, str]:
    """The token headers (no device header when ``device`` is None)."""
    headers = {"jde-AIS-Auth": token}
    if device is not None:
        headers["jde-AIS-Auth-Device"] = device
    return headers


def condition(control_id: str, operator: str, *values: Any) -> dict[str, Any]:
    """One query condition with LITERAL values."""
    return {
        "controlId": control_id,
        "operator": operator,
        "value": [{"content": str(v), "specialValueId": "LITERAL"} for v in values],
    }


def data_request(
    table: str,
    *,
    columns: list[str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    match: str = "MATCH_ALL",
    page_size: int | str | None = "No Max",
    next_pages: bool = False,
    service_type: str = "BROWSE",
    **extra: Any,
) -> dict[str, Any]:
    """A data service request body."""
    body: dict[str, Any] = {
        "targetName": table,
        "targetType": "table",
        "dataServiceType": service_type,
        "findOnEntry": "TRUE",
        "enableNextPageProcessing": next_pages,
        "query": {"autoFind": True, "matchType": match, "condition": conditions or []},
        **extra,
    }
    if columns is not None:
        body["returnControlIDs"] = "|".join(f"{table}.{alias}" for alias in columns)
    if page_size is not None:
        body["maxPageSize"] = str(page_size)
    return body


def dataservice(
    emu: JdeEmulator, token: str, body: dict[str, Any], device: str | None = DEVICE
) -> requests.Response:
    """POST ``/jderest/v2/dataservice`` with the token headers."""
    return requests.post(
        f"{emu.base_url}/jderest/v2/dataservice",
        json=body,
        headers=auth_headers(token, device),
        timeout=10,
    )


def browse(emu: JdeEmulator, token: str, table: str, **options: Any) -> dict[str, Any]:
    """A successful BROWSE response."""
    response = dataservice(emu, token, data_request(table, **options))
    assert response.status_code == 200, response.text
    return response.json()


def grid(response: dict[str, Any], table: str) -> dict[str, Any]:
    """The ``gridData`` of a data browser response."""
    return response[f"fs_DATABROWSE_{table}"]["data"]["gridData"]


def rowset(response: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """The rows of a data browser response."""
    return grid(response, table)["rowset"]


def next_link(response: dict[str, Any]) -> str | None:
    """The ``next`` href, or None."""
    links = response.get("links") or []
    return next((link["href"] for link in links if link["rel"] == "next"), None)


def service_error(response: requests.Response, status: int) -> dict[str, Any]:
    """A ServiceErrorResponse body, after checking status and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "exception", "timeStamp"}, body
    assert TIMESTAMP.match(body["timeStamp"]), body["timeStamp"]
    return body
