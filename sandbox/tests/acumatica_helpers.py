"""Helpers the Acumatica emulator tests share: signing in, reading entities, error bodies."""

from __future__ import annotations

from typing import Any

import requests

from erp_sandbox.acumatica import AcumaticaEmulator

LATEST = "24.200.001"
VERSIONS = ("22.200.001", "23.200.001", "24.200.001")


def login(emu: AcumaticaEmulator, session: requests.Session | None = None) -> requests.Session:
    """A ``requests.Session`` signed in with the cookie login."""
    session = session or requests.Session()
    response = session.post(
        emu.base_url + "/entity/auth/login",
        json={"name": emu.username, "password": emu.password, "tenant": emu.tenant},
        timeout=10,
    )
    assert response.status_code == 204, response.text
    return session


def logout(emu: AcumaticaEmulator, session: requests.Session) -> None:
    """Sign the session out."""
    assert session.post(emu.base_url + "/entity/auth/logout", timeout=10).status_code == 204


def password_grant(emu: AcumaticaEmulator, **overrides: str) -> requests.Response:
    """POST the token endpoint with a resource-owner password grant."""
    form = {
        "grant_type": "password",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "username": emu.username,
        "password": emu.password,
        "scope": "api offline_access",
        **overrides,
    }
    return requests.post(emu.token_url, data=form, timeout=10)


def refresh_grant(emu: AcumaticaEmulator, refresh_token: str) -> requests.Response:
    """POST the token endpoint with a refresh grant."""
    form = {
        "grant_type": "refresh_token",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "refresh_token": refresh_token,
    }
    return requests.post(emu.token_url, data=form, timeout=10)


def bearer_session(emu: AcumaticaEmulator) -> requests.Session:
    """A ``requests.Session`` sending a fresh bearer token."""
    response = password_grant(emu)
    assert response.status_code == 200, response.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return session


def get_entity(
    emu: AcumaticaEmulator,
    session: requests.Session,
    entity: str,
    version: str = LATEST,
    **params: Any,
) -> requests.Response:
    """GET ``…/entity/Default/<version>/<entity>`` with query options (``top=5`` → ``$top``)."""
    query = {f"${name}": value for name, value in params.items()}
    return session.get(f"{emu.endpoint_url(version)}/{entity}", params=query, timeout=30)


def rows(
    emu: AcumaticaEmulator,
    session: requests.Session,
    entity: str,
    version: str = LATEST,
    **params: Any,
) -> list[dict[str, Any]]:
    """The records of a successful list GET."""
    response = get_entity(emu, session, entity, version, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return body


def value(record: dict[str, Any], path: str) -> Any:
    """The plain value at ``MainContact/Address/City`` in a rendered record."""
    current: Any = record
    for part in path.split("/"):
        current = current[part]
    return current.get("value")


def http_error(response: requests.Response, status: int) -> dict[str, Any]:
    """The ``HttpError`` body of an error response, after checking its shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"message", "exceptionMessage", "exceptionType", "stackTrace"}
    assert "message" in body
    return body
