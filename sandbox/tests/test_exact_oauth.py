"""Exact Online OAuth: authorization codes, the 570 s rule, rotating single-use refresh
tokens, the 30-day expiry, and bearer checks on the API (reference C1)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import requests
from exact_helpers import JSON, exchange_code, odata_error, refresh, token_request

from erp_sandbox.exact import ExactEmulator

EARLY = "Rate limit exceeded: access_token not expired"


def test_authorize_redirects_with_an_url_encoded_code_and_the_state(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    response = requests.get(
        emu.auth_url,
        params={
            "client_id": emu.client_id,
            "redirect_uri": emu.redirect_uri,
            "response_type": "code",
            "state": "xyz",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(emu.redirect_uri + "?")
    assert "%21" in location  # the code's "!" arrives encoded
    query = parse_qs(urlparse(location).query)
    assert query["state"] == ["xyz"]
    tokens = exchange_code(emu, query["code"][0])
    assert tokens.status_code == 200, tokens.text


def test_authorize_refuses_a_redirect_uri_that_is_not_registered(
    exact_emulator: ExactEmulator,
) -> None:
    response = requests.get(
        exact_emulator.auth_url,
        params={"client_id": exact_emulator.client_id, "redirect_uri": "https://elsewhere.io/cb"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 400


def test_code_exchange_returns_a_ten_minute_bearer_and_a_refresh_token(
    exact_emulator: ExactEmulator,
) -> None:
    response = exchange_code(exact_emulator, exact_emulator.issue_authorization_code())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == "600"
    assert response.headers["cache-control"] == "no-store"
    me = requests.get(
        exact_emulator.base_url + "/api/v1/current/Me",
        headers={**JSON, "Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 200


def test_expires_in_can_be_a_number_instead(exact_emulator: ExactEmulator) -> None:
    exact_emulator.configure(expires_in_as_string=False)
    response = refresh(exact_emulator, exact_emulator.issue_refresh_token())
    assert response.json()["expires_in"] == 600


def test_an_authorization_code_works_only_once(exact_emulator: ExactEmulator) -> None:
    code = exact_emulator.issue_authorization_code()
    assert exchange_code(exact_emulator, code).status_code == 200
    again = exchange_code(exact_emulator, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_an_authorization_code_expires_after_three_minutes(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    fresh, stale = emu.issue_authorization_code(), emu.issue_authorization_code()
    emu.clock.advance(179)
    assert exchange_code(emu, fresh).status_code == 200
    emu.clock.advance(2)
    expired = exchange_code(emu, stale)
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_grant"


def test_a_code_exchange_with_another_redirect_uri_is_refused(
    exact_emulator: ExactEmulator,
) -> None:
    code = exact_emulator.issue_authorization_code()
    wrong = exchange_code(exact_emulator, code, redirect_uri="https://localhost/other")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert exchange_code(exact_emulator, code).status_code == 200


def test_client_credentials_may_come_by_http_basic(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    basic = base64.b64encode(f"{emu.client_id}:{emu.client_secret}".encode()).decode()
    response = requests.post(
        emu.token_url,
        data={"grant_type": "refresh_token", "refresh_token": emu.issue_refresh_token()},
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    wrong = token_request(
        emu, grant_type="refresh_token", refresh_token="x", client_secret="not-the-secret"
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_client"


def test_a_refresh_within_570_seconds_of_the_last_token_gets_401_and_keeps_the_token(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    first = exchange_code(emu, emu.issue_authorization_code()).json()
    emu.clock.advance(569)
    early = refresh(emu, first["refresh_token"])
    assert early.status_code == 401
    assert early.json() == {"error": "invalid_request", "error_description": EARLY}
    emu.clock.advance(1)
    later = refresh(emu, first["refresh_token"])
    assert later.status_code == 200, later.text
    assert emu.oauth_state()["refused_early_refreshes"] == 1


def test_every_refresh_rotates_and_the_old_token_dies_when_the_new_one_is_used(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    original = emu.issue_refresh_token()
    second = refresh(emu, original).json()["refresh_token"]
    assert second != original
    emu.clock.advance(600)
    third = refresh(emu, second)
    assert third.status_code == 200
    assert third.json()["refresh_token"] not in (original, second)
    emu.clock.advance(600)
    spent = refresh(emu, original)
    assert spent.status_code == 400
    assert spent.json()["error"] == "invalid_grant"


def test_the_old_token_may_be_used_again_until_its_successor_is_used(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    original = emu.issue_refresh_token()
    lost = refresh(emu, original).json()["refresh_token"]  # the client lost this answer
    emu.clock.advance(600)
    retry = refresh(emu, original)
    assert retry.status_code == 200, retry.text
    replacement = retry.json()["refresh_token"]
    emu.clock.advance(600)
    superseded = refresh(emu, lost)
    assert superseded.status_code == 400
    assert superseded.json()["error"] == "invalid_grant"
    assert refresh(emu, replacement).status_code == 200
    emu.clock.advance(600)
    assert refresh(emu, original).status_code == 400
    chain = emu.oauth_state()["grants"][0]["refresh_tokens"]
    assert [t["state"] for t in chain] == ["spent", "superseded", "live", "live"]


def test_an_unknown_refresh_token_is_an_invalid_grant(exact_emulator: ExactEmulator) -> None:
    response = refresh(exact_emulator, "Gcp7!IAAAAnot-a-token")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_unused_refresh_token_expires_after_thirty_days(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    kept, unused = emu.issue_refresh_token(), emu.issue_refresh_token()
    emu.clock.advance(days=29, hours=23)
    assert refresh(emu, kept).status_code == 200
    emu.clock.advance(hours=1, seconds=1)
    expired = refresh(emu, unused)
    assert expired.status_code == 400
    assert expired.json() == {
        "error": "invalid_request",
        "error_description": "The refresh token expired at 4/1/2026 9:00:00 AM and it is now "
        "4/1/2026 9:00:01 AM.",
    }


def test_the_token_endpoint_allows_only_so_many_requests_a_day(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.configure(token_requests_per_day=2, min_token_interval_seconds=0)
    emu.clock.freeze("2026-03-02T22:00:00Z")
    assert refresh(emu, emu.issue_refresh_token()).status_code == 200
    assert refresh(emu, emu.issue_refresh_token()).status_code == 200
    third = refresh(emu, emu.issue_refresh_token())
    assert third.status_code == 401
    assert third.json()["error_description"].startswith("Rate limit exceeded")
    emu.clock.advance(hours=2)
    assert refresh(emu, emu.issue_refresh_token()).status_code == 200


def test_an_access_token_works_for_ten_minutes_then_gets_401(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    token = refresh(emu, emu.issue_refresh_token()).json()["access_token"]
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    url = emu.api_url + "/crm/Accounts"
    emu.clock.advance(599)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    emu.clock.advance(1)
    expired = requests.get(url, headers=headers, timeout=10)
    assert odata_error(expired, 401) == "Authentication Required"
    assert expired.headers["www-authenticate"] == "Bearer"


def test_api_calls_without_a_bearer_or_for_another_division_are_refused(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    missing = requests.get(emu.api_url + "/crm/Accounts", headers=JSON, timeout=10)
    assert odata_error(missing, 401) == "Authentication Required"
    other = requests.get(
        f"{emu.base_url}/api/v1/999/crm/Accounts",
        headers={**JSON, "Authorization": f"Bearer {emu.issue_access_token()}"},
        timeout=10,
    )
    assert odata_error(other, 403).startswith("Forbidden")
