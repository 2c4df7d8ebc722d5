"""The Exact Online emulator's inspection API, call log, fault injection and CLI line."""

from __future__ import annotations

import pytest
import requests
from exact_helpers import exchange_code, odata_error, refresh, session

from erp_sandbox.cli import exact_summary_line
from erp_sandbox.exact import ExactEmulator


def sandbox(
    emu: ExactEmulator, path: str, method: str = "GET", **body: object
) -> requests.Response:
    return requests.request(
        method, f"{emu.base_url}/_sandbox/{path}", json=body or None, timeout=10
    )


def test_state_shows_the_token_chain_and_the_rate_limit_counters(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    emu.clock.freeze("2026-03-02T09:00:00Z")
    code = sandbox(emu, "authorization-code", "POST").json()["code"]
    tokens = exchange_code(emu, code).json()
    session(emu, tokens["access_token"]).get(emu.api_url + "/hrm/Costcenters", timeout=10)
    state = sandbox(emu, "state").json()
    assert state["emulator"] == "exact"
    assert state["division"] == emu.division
    [grant] = state["oauth"]["grants"]
    assert grant["current_refresh_token"] == tokens["refresh_token"]
    assert state["oauth"]["refresh_allowed_from"] == "2026-03-02T09:09:30.000+00:00"
    [usage] = state["rate_limits"]["usage"]
    assert (usage["minutely_used"], usage["daily_used"]) == (1, 1)
    assert state["clock"]["wall_clock"] == "2026-03-02T10:00:00.000"


def test_the_call_log_counts_api_calls_by_route_and_skips_the_inspection_api(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    http = session(emu)
    http.get(emu.api_url + "/crm/Accounts", timeout=10)
    account = emu.record("Accounts", "1001")
    assert account is not None
    http.get(f"{emu.api_url}/crm/Accounts(guid'{account['ID']}')", timeout=10)
    refresh(emu, emu.issue_refresh_token())
    sandbox(emu, "state")
    assert emu.calls.counts() == {
        "GET /api/v1/{division}/crm/Accounts": 1,
        "GET /api/v1/{division}/crm/Accounts({key})": 1,
        "POST /api/oauth2/token": 1,
    }


def test_queued_faults_answer_in_exact_error_envelopes(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    emu.faults.enqueue(method="GET", path="/api/v1/*/crm/Accounts", status=503)
    http = session(emu)
    failed = http.get(emu.api_url + "/crm/Accounts", timeout=10)
    assert odata_error(failed, 503).startswith("An unexpected error")
    assert "X-RateLimit-Remaining" in failed.headers
    assert http.get(emu.api_url + "/crm/Accounts", timeout=10).status_code == 200
    assert [c.fault for c in emu.calls.calls] == ["status:503", None]


def test_a_dropped_connection_is_a_broken_read(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    sandbox(emu, "faults", "POST", queue=[{"path": "/api/v1/*", "drop": "mid_body"}])
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        session(emu).get(emu.api_url + "/crm/Contacts", timeout=10)


def test_records_clock_config_and_seed_can_be_driven_over_http(
    exact_emulator: ExactEmulator,
) -> None:
    emu = exact_emulator
    assert sandbox(emu, "clock", "POST", freeze="2026-01-10T12:00:00Z").status_code == 200
    assert sandbox(emu, "clock", "POST", advance_days=3).json()["now"].startswith("2026-01-13")
    changed = sandbox(emu, "records/Accounts/1001", "PATCH", Name="Keystone Bikes B.V.").json()
    assert changed["Name"] == "Keystone Bikes B.V."
    assert changed["Modified"] == "2026-01-13T12:00:00.000+00:00"
    added = sandbox(emu, "records/Costcenters", "POST", Code="700", Description="Retail")
    assert added.status_code == 201
    assert sandbox(emu, "records/Costcenters/700", "DELETE").json()["deleted"]["Code"] == "700"
    assert sandbox(emu, "records/Accounts/nope").status_code == 404
    assert sandbox(emu, "config", "POST", page_size=25).json()["page_size"] == 25
    assert sandbox(emu, "config", "POST", colour="red").status_code == 400
    seeded = sandbox(emu, "seed", "POST", accounts=10, contacts=5, sales_invoices=4).json()
    assert seeded["counts"]["Accounts"] == 10
    refresh_token = sandbox(emu, "refresh-token", "POST").json()["refresh_token"]
    assert refresh(emu, refresh_token).status_code == 200
    assert sandbox(emu, "reset", "POST", restore_settings=True).json() == {"reset": True}
    assert emu.store.counts()["Accounts"] == 125
    assert emu.settings.page_size == 60


def test_the_seed_is_deterministic(exact_emulator: ExactEmulator) -> None:
    emu = exact_emulator
    first = emu.record("SalesInvoices", 24700001)
    emu.seed()
    assert emu.record("SalesInvoices", 24700001) == first


def test_the_summary_line_names_the_division_and_the_counts(
    exact_emulator: ExactEmulator,
) -> None:
    line = exact_summary_line(exact_emulator.base_url)
    assert line.startswith(f"Exact Online sandbox at {exact_emulator.base_url} (division 3123456)")
    assert "125 accounts, 150 contacts, 8 cost centers, 180 sales invoices" in line
    assert exact_summary_line("http://127.0.0.1:9").endswith("not reachable")
