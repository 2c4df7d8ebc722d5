"""Exact Online API limits on the fake clock: 60 calls a minute, 5,000 a day, the
``X-RateLimit-*`` headers, and the block after too many errors (reference C5)."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from exact_helpers import odata_error, refresh, session

from erp_sandbox.exact import ExactEmulator


def epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_every_call_carries_daily_and_minutely_headers_in_epoch_ms(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T23:59:30Z")
    http = session(emu)
    first = http.get(emu.api_url + "/crm/Accounts", params={"$top": "1"}, timeout=10)
    second = http.get(emu.base_url + "/api/v1/current/Me", timeout=10)
    assert first.headers["X-RateLimit-Limit"] == "5000"
    assert first.headers["X-RateLimit-Remaining"] == "4999"
    assert second.headers["X-RateLimit-Remaining"] == "4998"
    assert first.headers["X-RateLimit-Reset"] == str(epoch_ms("2026-03-03T00:00:00"))
    assert first.headers["X-RateLimit-Minutely-Limit"] == "60"
    assert second.headers["X-RateLimit-Minutely-Remaining"] == "58"
    assert first.headers["X-RateLimit-Minutely-Reset"] == str(epoch_ms("2026-03-03T00:00:00"))
    emu.clock.advance(31)
    next_day = http.get(emu.api_url + "/crm/Accounts", params={"$top": "1"}, timeout=10)
    assert next_day.headers["X-RateLimit-Remaining"] == "4999"
    assert next_day.headers["X-RateLimit-Minutely-Reset"] == str(epoch_ms("2026-03-03T00:01:00"))


def test_the_61st_call_in_a_minute_gets_429_until_the_minute_ends(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:10Z")
    http = session(emu)
    url = emu.api_url + "/hrm/Costcenters"
    statuses = [http.get(url, timeout=10).status_code for _ in range(60)]
    assert set(statuses) == {200}
    refused = http.get(url, timeout=10)
    assert "per minute" in odata_error(refused, 429)
    assert refused.headers["X-RateLimit-Minutely-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Minutely-Reset"] == str(epoch_ms("2026-03-02T09:01:00"))
    assert "X-RateLimit-Limit" not in refused.headers  # only the family that was hit
    emu.clock.advance(50)
    allowed = http.get(url, timeout=10)
    assert allowed.status_code == 200
    assert allowed.headers["X-RateLimit-Remaining"] == str(5000 - 61)  # the 429 was not counted
    usage = emu.rate_limits()["usage"][0]
    assert usage["declined_minutely"] == 1


def test_the_daily_limit_refuses_until_midnight_utc(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    emu.configure(daily_limit=5)
    emu.clock.freeze("2026-03-02T22:30:00Z")
    http = session(emu)
    url = emu.api_url + "/crm/Contacts"
    for _ in range(5):
        emu.clock.advance(61)  # keep clear of the minutely limit
        assert http.get(url, params={"$top": "1"}, timeout=10).status_code == 200
    refused = http.get(url, params={"$top": "1"}, timeout=10)
    assert "per day" in odata_error(refused, 429)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"] == str(epoch_ms("2026-03-03T00:00:00"))
    assert "X-RateLimit-Minutely-Limit" not in refused.headers
    emu.clock.freeze("2026-03-03T00:00:01Z")
    http = session(emu)  # the old access token expired meanwhile
    again = http.get(url, params={"$top": "1"}, timeout=10)
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == "4"


def test_the_token_endpoint_and_the_inspection_api_are_not_counted(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    token = refresh(emu, emu.issue_refresh_token())
    assert token.status_code == 200
    assert "X-RateLimit-Limit" not in token.headers
    requests.get(emu.base_url + "/_sandbox/state", timeout=10)
    http = session(emu, token.json()["access_token"])
    response = http.get(emu.api_url + "/crm/Accounts", params={"$top": "1"}, timeout=10)
    assert response.headers["X-RateLimit-Remaining"] == "4999"


def test_more_than_ten_errors_an_hour_block_that_endpoint_for_an_hour(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    http = session(emu)
    accounts = emu.api_url + "/crm/Accounts"
    for _ in range(11):
        emu.clock.advance(2)
        bad = http.get(accounts, params={"$filter": "ID eq 1"}, timeout=10)
        assert bad.status_code == 400
    blocked = http.get(accounts, timeout=10)
    assert "more than 10 errors" in odata_error(blocked, 403)
    assert http.get(emu.api_url + "/crm/Contacts", timeout=10).status_code == 200
    emu.clock.advance(hours=1)
    http = session(emu)
    assert http.get(accounts, params={"$top": "1"}, timeout=10).status_code == 200


def test_limits_can_be_switched_off(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    emu.configure(minutely_limit=0, daily_limit=0)
    http = session(emu)
    response = http.get(emu.api_url + "/hrm/Costcenters", timeout=10)
    assert response.status_code == 200
    assert not [name for name in response.headers if name.lower().startswith("x-ratelimit")]
