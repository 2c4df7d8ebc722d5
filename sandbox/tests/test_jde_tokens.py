"""AIS tokens: the token request, device binding, idle timeout, logout and validate."""

from __future__ import annotations

import requests
from jde_helpers import (
    DEVICE,
    auth_headers,
    data_request,
    dataservice,
    service_error,
    sign_in,
    token_request,
)

from erp_sandbox.jde import JdeEmulator


def test_token_request_answers_the_session_with_the_token_in_user_info(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    response = token_request(emu)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "username",
        "environment",
        "role",
        "jasserver",
        "userInfo",
        "userAuthorized",
        "aisSessionCookie",
    }
    assert (body["username"], body["environment"], body["role"]) == ("JDE", "JDV920", "*ALL")
    assert body["userAuthorized"] is False
    info = body["userInfo"]
    assert set(info) == {
        "token",
        "langPref",
        "locale",
        "dateFormat",
        "dateSeperator",
        "simpleDateFormat",
        "decimalFormat",
        "addressNumber",
        "alphaName",
    }
    assert (info["dateFormat"], info["dateSeperator"], info["simpleDateFormat"]) == (
        "MDE",
        "/",
        "MM/dd/yyyy",
    )
    assert (info["addressNumber"], info["alphaName"]) == (1, "Financial/Distribution Company")
    # Like Oracle's tokens, every token needs percent-encoding in a URL.
    assert info["token"].startswith("044")
    assert {"+", "/", "="} <= set(info["token"])
    assert emu.open_sessions == 1


def test_basic_auth_with_the_environment_and_device_headers_also_signs_in(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    response = requests.post(
        f"{emu.base_url}/jderest/v2/tokenrequest",
        auth=("jde", emu.password),  # user IDs are case-insensitive
        headers={
            "jde-AIS-Auth-Environment": "JPY920",
            "jde-AIS-Auth-Role": "*ALL",
            "jde-AIS-Auth-Device": "basic-device",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["environment"] == "JPY920"
    token = response.json()["userInfo"]["token"]
    ok = dataservice(emu, token, data_request("F0101", page_size=1), device="basic-device")
    assert ok.status_code == 200


def test_wrong_credentials_environment_or_role_are_an_authorization_failure(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    for overrides in (
        {"password": "wrong"},
        {"username": "SOMEONE"},
        {"environment": "JDV999"},
        {"role": "FINANCE"},
    ):
        body = service_error(token_request(emu, **overrides), 403)
        assert body["message"] == "Authorization Failure"
    nothing = requests.post(f"{emu.base_url}/jderest/v2/tokenrequest", timeout=10)
    assert service_error(nothing, 403)["message"] == "Authorization Failure"
    assert emu.open_sessions == 0


def test_a_token_only_works_from_the_device_it_was_requested_for(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    body = data_request("F0101", page_size=1)
    assert dataservice(emu, token, body).status_code == 200
    other = dataservice(emu, token, body, device="another-device")
    assert service_error(other, 444)["message"] == "Invalid Token"
    missing = dataservice(emu, token, body, device=None)
    assert service_error(missing, 444)["message"] == "Invalid Token"


def test_a_token_requested_without_device_is_bound_to_the_address(
    jde_emulator: JdeEmulator,
) -> None:
    emu = jde_emulator
    token = sign_in(emu, device=None)
    body = data_request("F0101", page_size=1)
    assert dataservice(emu, token, body, device=None).status_code == 200
    assert dataservice(emu, token, body, device=DEVICE).status_code == 444


def test_an_idle_token_times_out_with_444_invalid_token(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.configure(session_timeout_seconds=5)
    emu.clock.freeze("2026-03-02T15:00:00Z")
    token = sign_in(emu)
    body = data_request("F0101", page_size=1)
    emu.clock.advance(4)
    assert dataservice(emu, token, body).status_code == 200
    emu.clock.advance(4)  # 8 s after sign-in, 4 s after the last use
    assert dataservice(emu, token, body).status_code == 200
    emu.clock.advance(6)
    expired = service_error(dataservice(emu, token, body), 444)
    assert (expired["message"], expired["exception"]) == ("Invalid Token", "Exception")
    assert emu.open_sessions == 0


def test_the_default_idle_timeout_is_thirty_minutes(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.clock.freeze("2026-03-02T15:00:00Z")
    token = sign_in(emu)
    emu.clock.advance(1799)
    assert dataservice(emu, token, data_request("F0101", page_size=1)).status_code == 200
    emu.clock.advance(1801)
    assert dataservice(emu, token, data_request("F0101", page_size=1)).status_code == 444


def test_logout_answers_200_and_the_token_is_dead_afterwards(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    token = sign_in(emu)
    url = f"{emu.base_url}/jderest/v2/tokenrequest/logout"
    response = requests.post(url, json={"token": token}, timeout=10)
    assert response.status_code == 200
    assert response.content == b""
    assert emu.open_sessions == 0
    assert dataservice(emu, token, data_request("F0101", page_size=1)).status_code == 444
    again = requests.post(url, json={"token": token}, timeout=10)
    assert service_error(again, 444)["message"] == "Invalid Token"


def test_validate_checks_the_token_and_only_touch_extends_it(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.configure(session_timeout_seconds=10)
    emu.clock.freeze("2026-03-02T15:00:00Z")
    token = sign_in(emu)
    url = f"{emu.base_url}/jderest/v2/tokenrequest/validate"
    emu.clock.advance(8)
    plain = requests.post(url, json={"token": token, "deviceName": DEVICE}, timeout=10)
    assert plain.json() == {"isValidSession": True}
    emu.clock.advance(3)  # 11 s idle: validating without touch did not extend it
    assert requests.post(url, json={"token": token, "deviceName": DEVICE}).status_code == 444

    token = sign_in(emu)
    emu.clock.advance(8)
    touched = requests.post(url, json={"touch": True}, headers=auth_headers(token), timeout=10)
    assert touched.status_code == 200
    emu.clock.advance(8)
    assert dataservice(emu, token, data_request("F0101", page_size=1)).status_code == 200


def test_expiring_tokens_from_python_or_http_answers_444(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    first, second = sign_in(emu), sign_in(emu)
    assert emu.expire_tokens() == 2
    assert dataservice(emu, first, data_request("F0101", page_size=1)).status_code == 444
    third = sign_in(emu)
    expired = requests.post(f"{emu.base_url}/_sandbox/tokens/expire", timeout=10).json()
    assert expired == {"expired": 1}
    for token in (second, third):
        assert dataservice(emu, token, data_request("F0101", page_size=1)).status_code == 444


def test_a_token_request_the_html_server_does_not_allow_is_405(jde_emulator: JdeEmulator) -> None:
    emu = jde_emulator
    emu.configure(allowed_hosts_configured=False)
    body = service_error(token_request(emu), 405)
    assert body["message"].startswith("Allowed Hosts on the HTML server is not configured")
