"""tap-exact against the Exact Online emulator: paging, regrouping, limits and tokens."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tap_exact.tap import TapExact

if t.TYPE_CHECKING:
    from erp_sandbox.exact import ExactEmulator

KEY = Fernet.generate_key().decode()


@pytest.fixture
def config(exact_emulator: ExactEmulator, tmp_path: Path) -> dict[str, t.Any]:
    return {
        "base_url": exact_emulator.base_url,
        "client_id": exact_emulator.client_id,
        "client_secret": exact_emulator.client_secret,
        "redirect_uri": exact_emulator.redirect_uri,
        "refresh_token": exact_emulator.issue_refresh_token(),
        "token_store_url": str(tmp_path / "token"),
        "token_encryption_key": KEY,
    }


def sync(config: dict[str, t.Any], state: dict | None = None, **tap_options) -> list[dict]:
    """One run, as Meltano would start it; returns its messages."""
    tap = TapExact(config=config, state=state or {}, validate_config=True)
    for name, value in tap_options.items():
        setattr(tap.budget, name, value)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tap.sync_all()
    return [json.loads(line) for line in output.getvalue().splitlines()]


def records(messages: list[dict], stream: str) -> list[dict]:
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def final_state(messages: list[dict]) -> dict:
    return [m for m in messages if m["type"] == "STATE"][-1]["value"]


def api_calls(emulator: ExactEmulator, endpoint: str) -> int:
    return sum(1 for call in emulator.calls if call.path.endswith(endpoint))


def lines_of(emulator: ExactEmulator, invoice: dict) -> list[tuple[int, str, float]]:
    source = emulator.record("SalesInvoices", invoice["InvoiceID"])
    return sorted(
        (int(line["LineNumber"]), line["ItemCode"], float(line["Quantity"]))
        for line in source["SalesInvoiceLines"]
    )


def test_a_first_run_reads_everything_through_the_sync_api(exact_emulator, config) -> None:
    messages = sync(config)
    assert len(records(messages, "accounts")) == 125
    assert len(records(messages, "contacts")) == 150
    assert len(records(messages, "cost_centers")) == 8
    assert len(records(messages, "deleted")) == 6
    assert api_calls(exact_emulator, "/current/Me") == 1  # no division configured
    account = records(messages, "accounts")[0]
    assert account["Code"] == account["Code"].strip()
    assert account["Modified"].endswith("+00:00")
    assert isinstance(account["Timestamp"], int)
    bookmarks = final_state(messages)["bookmarks"]
    assert bookmarks["accounts"]["replication_key_value"] == max(
        r["Timestamp"] for r in records(messages, "accounts")
    )


def test_invoices_split_over_pages_are_regrouped_whole(exact_emulator, config) -> None:
    # Most invoices straddle a page break; ~130 calls, so no minute limit here.
    exact_emulator.configure(sync_page_size=7, minutely_limit=0)
    invoices = records(sync(config), "sales_invoices")
    assert len(invoices) == len({i["InvoiceID"] for i in invoices}) == 180
    for invoice in invoices:
        got = [(ln["LineNumber"], ln["ItemCode"], ln["Quantity"]) for ln in invoice["lines"]]
        assert got == lines_of(exact_emulator, invoice)
        assert invoice["AmountFC"] is not None  # from the header row


def test_the_next_run_reads_only_what_changed(exact_emulator, config) -> None:
    first = sync(config)
    account = records(first, "accounts")[10]
    exact_emulator.update_record("Accounts", account["ID"], Email="buyer@fjord-trading.no")
    second = sync(config, state=final_state(first))
    assert [r["ID"] for r in records(second, "accounts")] == [account["ID"]]
    assert records(second, "accounts")[0]["Email"] == "buyer@fjord-trading.no"
    assert records(second, "contacts") == records(second, "sales_invoices") == []


def test_a_spent_day_stops_cleanly_and_the_next_day_resumes_without_loss_or_repeats(
    exact_emulator, config, caplog
) -> None:
    exact_emulator.clock.freeze()
    # Me, 5 + 6 pages of accounts and contacts, cost centers, deletions: the day ends
    # six pages into the ~26 pages of invoice rows, in the middle of an invoice.
    exact_emulator.configure(sync_page_size=25, daily_limit=20)
    caplog.set_level(logging.WARNING)
    day_one = sync(config)  # returns normally: Meltano sees exit status 0
    assert exact_emulator.rate_limits()["usage"][0]["declined_daily"] == 0  # never a 429
    assert 0 < len(records(day_one, "sales_invoices")) < 180
    assert "daily API limit" in caplog.text
    assert "UTC" in caplog.text
    again = sync(config, state=final_state(day_one))  # still the same day
    assert again == []  # refused at its first call: no records, the bookmarks stand

    exact_emulator.clock.advance(days=1)
    exact_emulator.configure(daily_limit=5000)
    day_two = sync(config, state=final_state(day_one))
    for stream, expected in (("accounts", 125), ("contacts", 150), ("sales_invoices", 180)):
        ids = [
            r.get("ID") or r["InvoiceID"]
            for r in (*records(day_one, stream), *records(day_two, stream))
        ]
        assert len(ids) == len(set(ids)) == expected, stream
    for invoice in records(day_one, "sales_invoices") + records(day_two, "sales_invoices"):
        got = [(ln["LineNumber"], ln["ItemCode"], ln["Quantity"]) for ln in invoice["lines"]]
        assert got == lines_of(exact_emulator, invoice)


def test_the_tap_paces_itself_instead_of_running_into_the_minute_limit(
    exact_emulator, config
) -> None:
    exact_emulator.clock.freeze()
    exact_emulator.configure(sync_page_size=20, minutely_limit=6)
    waits: list[float] = []

    def wait(seconds: float) -> None:  # let the emulator's minute pass instead
        waits.append(seconds)
        exact_emulator.clock.advance(seconds=seconds + 1)

    messages = sync(config, sleep=wait)
    assert len(records(messages, "sales_invoices")) == 180
    assert waits  # it did wait for the minute to roll over
    assert exact_emulator.rate_limits()["usage"][0]["declined_minutely"] == 0


def test_a_rejected_token_is_renewed_once_and_the_run_goes_on(exact_emulator, config) -> None:
    exact_emulator.clock.freeze()
    sync(config)
    exact_emulator.expire_access_tokens()  # Exact forgot it (the stored pair looks fresh)
    exact_emulator.clock.advance(seconds=600)  # past the 570 s rule on Exact's clock
    before = exact_emulator.oauth_state()["grants"][0]["refresh_tokens"]
    messages = sync(config)
    after = exact_emulator.oauth_state()["grants"][0]["refresh_tokens"]
    assert len(after) == len(before) + 1  # exactly one refresh
    assert len(records(messages, "accounts")) == 125


def test_a_dead_refresh_token_asks_for_authorize_and_logs_no_secret(
    exact_emulator, config, tmp_path
) -> None:
    config["refresh_token"] = "never-issued-token"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    run = subprocess.run(
        [sys.executable, "-m", "tap_exact", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "tap-exact authorize" in run.stderr
    for secret in ("never-issued-token", config["client_secret"], KEY):
        assert secret not in run.stderr


def test_authorize_fills_the_store_and_runs_need_no_refresh_token(
    exact_emulator, config, tmp_path
) -> None:
    del config["refresh_token"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    code = exact_emulator.issue_authorization_code()
    redirected = f"{config['redirect_uri']}?code={code.replace('!', '%21')}"
    authorize = subprocess.run(
        [
            sys.executable,
            "-m",
            "tap_exact",
            "authorize",
            "--config",
            str(path),
            "--code",
            redirected,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert authorize.returncode == 0, authorize.stderr
    assert code not in authorize.stderr
    run = subprocess.run(
        [sys.executable, "-m", "tap_exact", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"stream":"accounts"' in run.stdout.replace(" ", "")
    for grant in exact_emulator.oauth_state()["grants"]:
        for token in grant["refresh_tokens"]:
            assert token["token"] not in run.stderr + authorize.stderr


def test_authorize_can_catch_the_redirect_on_a_local_port(exact_emulator, config, tmp_path) -> None:
    import re
    import socket
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{port}/exact/callback"
    exact_emulator.configure(redirect_uri=redirect_uri)
    del config["refresh_token"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**config, "redirect_uri": redirect_uri}))
    authorize = subprocess.Popen(
        [sys.executable, "-m", "tap_exact", "authorize", "--config", str(path), "--listen"],
        stderr=subprocess.PIPE,
        text=True,
    )
    printed = ""
    while "state=" not in printed:  # the consent page's URL, as a person would open it
        printed += authorize.stderr.readline()
    consent = re.search(r"(http\S+/api/oauth2/auth\S+)", printed).group(1)
    for _ in range(50):  # the listener may take a moment to bind
        try:
            answer = requests.get(consent, timeout=10)  # Exact redirects to the listener
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    assert "authorized" in answer.text
    rest = authorize.communicate(timeout=30)[1]
    assert authorize.returncode == 0, rest
    assert "Authorized" in rest
