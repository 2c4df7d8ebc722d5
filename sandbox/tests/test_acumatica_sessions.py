"""Cookie login and logout, the licence's API user limit, and session accounting."""

from __future__ import annotations

import requests
from acumatica_helpers import get_entity, http_error, login, logout, password_grant

from erp_sandbox.acumatica import AcumaticaEmulator


def test_login_answers_204_with_session_cookies(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = requests.Session()
    response = session.post(
        emu.base_url + "/entity/auth/login",
        json={
            "name": emu.username,
            "password": emu.password,
            "tenant": emu.tenant,
            "branch": emu.branch,
            "locale": "EN-US",
        },
        timeout=10,
    )
    assert response.status_code == 204
    assert response.content == b""
    assert {"ASP.NET_SessionId", ".ASPXAUTH", "UserBranch", "Locale"} <= set(session.cookies.keys())
    assert emu.open_sessions == 1
    assert get_entity(emu, session, "Customer", top=1).status_code == 200


def test_form_encoded_login_works_too(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    response = requests.post(
        emu.base_url + "/entity/auth/login",
        data={"name": emu.username, "password": emu.password},
        timeout=10,
    )
    assert response.status_code == 204


def test_logout_closes_the_session(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    session = login(emu)
    ticket = session.cookies[".ASPXAUTH"]
    logout(emu, session)
    assert emu.open_sessions == 0
    replay = requests.get(
        emu.endpoint_url() + "/Customer", cookies={".ASPXAUTH": ticket}, timeout=10
    )
    assert http_error(replay, 401) == {"message": "The user is not logged in to the system."}


def test_a_client_that_never_logs_out_hits_the_api_login_limit(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    leaked = [login(emu), login(emu)]
    assert emu.open_sessions == 2
    refused = requests.post(
        emu.base_url + "/entity/auth/login",
        json={"name": emu.username, "password": emu.password},
        timeout=10,
    )
    body = http_error(refused, 429)
    assert body["exceptionMessage"] == "API Login Limit"
    assert "API Login Limit" in refused.text
    state = requests.get(emu.base_url + "/_sandbox/state", timeout=10).json()["sessions"]
    assert (state["open"], state["cookie"], state["rejected_logins"]) == (2, 2, 1)
    logout(emu, leaked[0])
    login(emu)
    assert emu.open_sessions == 2


def test_signing_in_again_with_live_cookies_reuses_the_session(
    acumatica_emulator: AcumaticaEmulator,
) -> None:
    emu = acumatica_emulator
    session = login(emu)
    login(emu, session)
    login(emu, session)
    assert emu.open_sessions == 1


def test_idle_sessions_close_after_the_timeout(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    emu.clock.freeze("2026-11-20T12:00:00+00:00")
    session = login(emu)
    login(emu)
    emu.clock.advance(1000)
    assert get_entity(emu, session, "StockItem", top=1).status_code == 200  # keeps it alive
    emu.clock.advance(1000)
    assert emu.open_sessions == 1
    assert get_entity(emu, session, "StockItem", top=1).status_code == 200
    emu.clock.advance(1201)
    assert emu.open_sessions == 0
    assert get_entity(emu, session, "StockItem", top=1).status_code == 401


def test_oauth_grants_count_against_the_same_limit(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    emu.configure(api_user_limit=1)
    assert password_grant(emu).status_code == 200
    refused = password_grant(emu)
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description": "API Login Limit"}
    cookie_refused = requests.post(
        emu.base_url + "/entity/auth/login",
        json={"name": emu.username, "password": emu.password},
        timeout=10,
    )
    assert cookie_refused.status_code == 429
    assert emu.close_sessions() == 1
    assert emu.open_sessions == 0
    assert password_grant(emu).status_code == 200


def test_wrong_credentials_and_unreadable_bodies(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    url = emu.base_url + "/entity/auth/login"
    wrong = requests.post(url, json={"name": emu.username, "password": "nope"}, timeout=10)
    assert http_error(wrong, 500)["exceptionMessage"] == "Invalid credentials. Please try again."
    tenant = requests.post(
        url,
        json={"name": emu.username, "password": emu.password, "tenant": "Elsewhere"},
        timeout=10,
    )
    assert tenant.status_code == 500
    assert http_error(requests.post(url, data="{", timeout=10), 400)
    assert emu.open_sessions == 0


def test_requests_without_credentials_get_401(acumatica_emulator: AcumaticaEmulator) -> None:
    emu = acumatica_emulator
    response = requests.get(emu.endpoint_url() + "/Customer", timeout=10)
    assert http_error(response, 401) == {"message": "The user is not logged in to the system."}
    bogus = requests.get(
        emu.endpoint_url() + "/Customer", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert bogus.status_code == 401
