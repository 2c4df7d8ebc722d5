"""Auth schemes, the 401 envelope, the API root, ping and OAuth metadata."""

from __future__ import annotations

import base64
import re

import requests
from sandbox_helpers import problem

from erp_sandbox.mailchimp import MailchimpEmulator


def test_basic_auth_with_any_username_is_accepted(mailchimp_emulator: MailchimpEmulator) -> None:
    response = requests.get(
        mailchimp_emulator.api_root + "/ping", auth=("whatever", mailchimp_emulator.api_key)
    )
    assert response.status_code == 200
    assert response.json() == {"health_status": "Everything's Chimpy!"}


def test_bearer_and_oauth_schemes_carry_the_oauth_token(
    mailchimp_emulator: MailchimpEmulator,
) -> None:
    for scheme in ("Bearer", "OAuth"):
        response = requests.get(
            mailchimp_emulator.api_root + "/ping",
            headers={"Authorization": f"{scheme} {mailchimp_emulator.oauth_token}"},
        )
        assert response.status_code == 200, scheme


def test_wrong_api_key_gets_401_api_key_invalid_problem(
    mailchimp_emulator: MailchimpEmulator,
) -> None:
    response = requests.get(
        mailchimp_emulator.api_root + "/lists", auth=("x", "ffffffffffffffffffffffffffffffff-us21")
    )
    assert response.status_code == 401
    body = problem(response)
    assert body["title"] == "API Key Invalid"
    assert body["detail"] == (
        "Your API key may be invalid, or you've attempted to access the wrong datacenter."
    )
    assert body["type"] == "https://mailchimp.com/developer/marketing/docs/errors/"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["instance"])
    assert 'rel="describedBy"' in response.headers["link"]
    assert "ProblemDetailDocument.json" in response.headers["link"]


def test_key_for_another_datacenter_is_refused(mailchimp_emulator: MailchimpEmulator) -> None:
    wrong_dc = mailchimp_emulator.api_key.rsplit("-", 1)[0] + "-us6"
    response = requests.get(mailchimp_emulator.api_root + "/ping", auth=("x", wrong_dc))
    assert response.status_code == 401
    assert problem(response)["title"] == "API Key Invalid"


def test_missing_credentials_get_401(mailchimp_emulator: MailchimpEmulator) -> None:
    response = requests.get(mailchimp_emulator.api_root + "/ping")
    assert response.status_code == 401
    assert problem(response)["title"] == "API Key Missing"


def test_garbled_basic_header_is_invalid(mailchimp_emulator: MailchimpEmulator) -> None:
    response = requests.get(
        mailchimp_emulator.api_root + "/ping", headers={"Authorization": "Basic !!notbase64"}
    )
    assert response.status_code == 401
    assert problem(response)["title"] == "API Key Invalid"


def test_keys_can_be_configured(mailchimp_emulator: MailchimpEmulator) -> None:
    mailchimp_emulator.configure(api_keys=["abcabcabcabcabcabcabcabcabcabcab-us21"])
    good = base64.b64encode(b"u:abcabcabcabcabcabcabcabcabcabcab-us21").decode()
    assert (
        requests.get(
            mailchimp_emulator.api_root + "/ping", headers={"Authorization": f"Basic {good}"}
        ).status_code
        == 200
    )
    assert (
        requests.get(
            mailchimp_emulator.api_root + "/ping",
            auth=("u", "0123456789abcdef0123456789abcdef-us21"),
        ).status_code
        == 401
    )


def test_api_root_describes_the_account(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.get("/")
    assert response.status_code == 200
    body = response.json()
    assert body["account_name"] and body["role"] == "owner"
    assert body["pricing_plan_type"] in ("monthly", "pay_as_you_go", "forever_free")


def test_oauth_metadata_names_the_datacenter_and_this_emulator(
    mailchimp_emulator: MailchimpEmulator,
) -> None:
    response = requests.get(
        mailchimp_emulator.base_url + "/oauth2/metadata",
        headers={"Authorization": f"OAuth {mailchimp_emulator.oauth_token}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["dc"] == "us21"
    assert body["api_endpoint"] == mailchimp_emulator.base_url
    assert body["login_url"] == "https://login.mailchimp.com"
    assert {"email", "login_id", "login_name", "login_email", "avatar"} <= set(body["login"])


def test_oauth_metadata_with_bad_token_is_http_200_invalid_token(
    mailchimp_emulator: MailchimpEmulator,
) -> None:
    response = requests.get(
        mailchimp_emulator.base_url + "/oauth2/metadata", headers={"Authorization": "OAuth nope"}
    )
    assert response.status_code == 200
    assert response.json() == {"error": "invalid_token"}


def test_emulator_urls_never_contain_the_word_server(
    mailchimp_emulator: MailchimpEmulator,
) -> None:
    # The official SDK runs url.replace("server", dc) on the whole URL.
    assert "server" not in mailchimp_emulator.base_url
    assert "server" not in mailchimp_emulator.api_root


def test_unknown_route_is_a_404_problem(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.get("/no-such-thing")
    assert response.status_code == 404
    assert problem(response)["title"] == "Resource Not Found"
