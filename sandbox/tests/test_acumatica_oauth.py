"""OAuth 2.0: password and refresh grants, their errors, token expiry and sign-out."""

from __future__ import annotations

import base64

import pytest
import requests
from acumatica_helpers import get_entity, http_error, password_grant, refresh_grant

from erp_sandbox.acumatica import AcumaticaEmulator


def _bearer(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def test_password_grant_returns_an_hour_long_bearer_and_a_refresh_token(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    assert emu.client_id.endswith("@MyStore")
    response = password_grant(emu)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "api offline_access"
    records = get_entity(emu, _bearer(body["access_token"]), "Customer", top=2)
    assert records.status_code == 200
    assert len(records.json()) == 2


def test_without_offline_access_there_is_no_refresh_token(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    body = password_grant(acumatica_emulator, scope="api").json()
    assert "refresh_token" not in body
    assert body["scope"] == "api"


def test_refresh_rotates_the_refresh_token(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    first = password_grant(emu).json()
    second = refresh_grant(emu, first["refresh_token"])
    assert second.status_code == 200
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]
    assert get_entity(emu, _bearer(renewed["access_token"]), "Contact", top=1).status_code == 200
    reused = refresh_grant(emu, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert refresh_grant(emu, renewed["refresh_token"]).status_code == 200


def test_refresh_tokens_can_be_configured_not_to_rotate(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    emu.configure(rotate_refresh_tokens=False)
    first = password_grant(emu).json()
    again = refresh_grant(emu, first["refresh_token"]).json()
    assert again["refresh_token"] == first["refresh_token"]


@pytest.mark.parametrize(
    ("overrides", "status", "error"),
    [
        ({"client_secret": "wrong"}, 400, "invalid_client"),
        ({"client_id": "3F2B8C1E-6A4D-4E0B-9C51-7D2A0E8B4F60@OtherTenant"}, 400, "invalid_client"),
        ({"password": "wrong"}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"scope": "api reports"}, 400, "invalid_scope"),
        ({"scope": "offline_access"}, 400, "invalid_scope"),
    ],
)
def test_token_endpoint_errors_are_oauth_errors(
    acumatica_emulator: AcumaticaEmulator, overrides: dict[str, str], status: int, error: str
) -> None:
    response = password_grant(acumatica_emulator, **overrides)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert acumatica_emulator.open_sessions == 0


def test_client_may_authenticate_with_http_basic(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    basic = base64.b64encode(f"{emu.client_id}:{emu.client_secret}".encode()).decode()
    response = requests.post(
        emu.token_url,
        data={
            "grant_type": "password",
            "username": emu.username,
            "password": emu.password,
            "scope": "api",
        },
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_an_expired_bearer_gets_401_and_a_refresh_gets_going_again(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    emu.clock.freeze("2026-11-20T12:00:00+00:00")
    emu.configure(access_token_seconds=60)
    grant = password_grant(emu).json()
    assert grant["expires_in"] == 60
    session = _bearer(grant["access_token"])
    assert get_entity(emu, session, "Customer", top=1).status_code == 200
    emu.clock.advance(61)
    expired = get_entity(emu, session, "Customer", top=1)
    body = http_error(expired, 401)
    assert body == {"message": "The user is not logged in to the system."}
    assert expired.headers["www-authenticate"].startswith("Bearer")
    assert emu.open_sessions == 0
    renewed = refresh_grant(emu, grant["refresh_token"]).json()
    assert get_entity(emu, _bearer(renewed["access_token"]), "Customer", top=1).status_code == 200
    assert emu.open_sessions == 1


def test_revoked_tokens_are_refused_until_refreshed(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    grant = password_grant(emu).json()
    assert emu.revoke_tokens() == 1
    assert get_entity(emu, _bearer(grant["access_token"]), "Customer", top=1).status_code == 401
    renewed = refresh_grant(emu, grant["refresh_token"]).json()
    assert get_entity(emu, _bearer(renewed["access_token"]), "Customer", top=1).status_code == 200


def test_signing_out_with_the_bearer_closes_the_token_session(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    session = _bearer(password_grant(emu).json()["access_token"])
    assert emu.open_sessions == 1
    assert session.post(emu.base_url + "/entity/auth/logout", timeout=10).status_code == 204
    assert emu.open_sessions == 0
    assert get_entity(emu, session, "Customer", top=1).status_code == 401


def test_openid_configuration_names_the_token_endpoint(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    config = requests.get(
        emu.base_url + "/identity/.well-known/openid-configuration", timeout=10
    ).json()
    assert config["token_endpoint"] == emu.token_url
    assert "client_credentials" not in config["grant_types_supported"]
    assert "password" in config["grant_types_supported"]
