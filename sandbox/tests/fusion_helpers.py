"""Helpers the Oracle Fusion emulator tests share: tokens and REST calls."""

from __future__ import annotations

from typing import Any

import requests

from erp_sandbox.fusion import FusionEmulator

STRUCTURED_ERRORS = "application/vnd.oracle.adf.error+json"


def request_token(emu: FusionEmulator, **form: str) -> requests.Response:
    """POST the token endpoint with HTTP Basic client authentication."""
    body = {"grant_type": "client_credentials", "scope": emu.scope, **form}
    return requests.post(
        emu.token_url, auth=(emu.client_id, emu.client_secret), data=body, timeout=10
    )


def bearer_token(emu: FusionEmulator) -> str:
    """A fresh access token."""
    response = request_token(emu)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def get(
    emu: FusionEmulator,
    path: str,
    *,
    token: str | None = None,
    version: int | None = None,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> requests.Response:
    """GET ``path`` (a resource name like ``accounts``, or a path under it like
    ``salesOrdersForOrderHub/OPS:1/child/lines``) with a bearer token."""
    resource, _, rest = path.partition("/")
    url = emu.resource_url(resource) + (f"/{rest}" if rest else "")
    sent = {"Authorization": f"Bearer {token or bearer_token(emu)}", **(headers or {})}
    if version is not None:
        sent["REST-Framework-Version"] = str(version)
    return requests.get(url, params=params, headers=sent, timeout=10)


def items(emu: FusionEmulator, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The items of a successful collection page."""
    response = get(emu, path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def values(emu: FusionEmulator, path: str, attribute: str, **kwargs: Any) -> list[Any]:
    """One attribute of every item of a page."""
    return [item[attribute] for item in items(emu, path, **kwargs)]
