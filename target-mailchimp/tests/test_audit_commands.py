"""`target-mailchimp audit runs|list|export|replay` over an audit store filled by AuditStore."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import typing as t

import pytest
from click.testing import CliRunner

from target_mailchimp.audit import AuditEvent, AuditStore
from target_mailchimp.audit_commands import write_csv
from target_mailchimp.audit_report import AuditEntry
from target_mailchimp.target import TargetMailchimp

if t.TYPE_CHECKING:
    from pathlib import Path

    from click.testing import Result

SECRET = "f00dfeedf00dfeedf00dfeedf00dfeed-us6"


@pytest.fixture
def audit_url(tmp_path: Path) -> str:
    """An audit store with an older dry run and a newer real run."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    store = AuditStore(url)
    store.record(
        "older-dry-run",
        [
            AuditEvent("members", "old@harborsupply.com", "created", source_id="ns:1"),
            AuditEvent(
                "members",
                "broken-address",
                "failed",
                "email_address is not a valid email address",
                source_id="ns:9",
                payload={"email_address": "broken-address"},
            ),
        ],
        dry_run=True,
    )
    store.record(
        "latest-run",
        [
            AuditEvent("members", "new@harborsupply.com", "created", source_id="ns:2"),
            AuditEvent("members", "same@harborsupply.com", "unchanged", source_id="ns:3"),
            AuditEvent(
                "members",
                "not-an-address",
                "failed",
                "email_address is not a valid email address",
                source_id="ns:4",
                payload={"email_address": "not-an-address", "merge_fields": {"FNAME": "Ida"}},
            ),
            AuditEvent(
                "members",
                "left@harborsupply.com",
                "skipped",
                "Mailchimp holds this address as unsubscribed: it is never resubscribed",
                source_id="ns:5",
            ),
            AuditEvent(
                "orders",
                "SO-7",
                "failed",
                "POST /ecommerce/stores/s/orders: 503 Service Unavailable: later",
                source_id="SO-7",
                response_code=503,
                payload={"id": "SO-7", "order_total": 12.5},
            ),
        ],
        dry_run=False,
    )
    return url


@pytest.fixture
def config_file(tmp_path: Path, audit_url: str) -> Path:
    """The target's settings, credentials included, as Meltano would write them."""
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps({"api_key": SECRET, "list_id": "l1", "audit_database_url": audit_url})
    )
    return path


def target_mailchimp(*args: str) -> Result:
    """Run the target's command line in-process, as the console script would."""
    result = CliRunner().invoke(TargetMailchimp.get_singer_command(), list(args))
    assert result.exit_code == 0, result.output + str(result.exception)
    assert SECRET not in result.output
    return result


def test_runs_shows_each_run_newest_first_with_counts_times_and_dry_run_flag(
    config_file: Path,
) -> None:
    lines = target_mailchimp("audit", "runs", "--config", str(config_file)).stdout.splitlines()
    assert lines[0].split() == [
        "run_id",
        "started",
        "ended",
        "dry_run",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "failed",
    ]
    latest, older = (line.split() for line in lines[1:])
    assert latest[0] == "latest-run"
    assert latest[3:] == ["no", "1", "0", "1", "1", "2"]
    assert older[0] == "older-dry-run"
    assert older[3:] == ["yes", "1", "0", "0", "0", "1"]
    assert latest[1].endswith("Z")
    assert latest[2].endswith("Z")


def test_runs_limit_and_since(config_file: Path) -> None:
    config = ("--config", str(config_file))
    latest_only = target_mailchimp("audit", "runs", *config, "--limit", "1").stdout
    assert [line.split()[0] for line in latest_only.splitlines()[1:]] == ["latest-run"]
    recent = target_mailchimp("audit", "runs", *config, "--since", "2000-01-01").stdout
    assert [line.split()[0] for line in recent.splitlines()[1:]] == [
        "latest-run",
        "older-dry-run",
    ]
    assert target_mailchimp("audit", "runs", *config, "--since", "2999-01-01").stdout == ""


def test_list_shows_the_failed_and_skipped_records_of_the_latest_run_with_advice(
    config_file: Path,
) -> None:
    output = target_mailchimp("audit", "list", "--config", str(config_file)).stdout
    lines = output.splitlines()
    assert lines[0] == "3 failed and skipped record(s) in run latest-run:"
    assert lines[1].split() == ["stream", "record_key", "source_id", "outcome", "explanation"]
    rows = {line.split()[1]: line for line in lines[2:]}
    assert set(rows) == {"not-an-address", "left@harborsupply.com", "SO-7"}
    assert rows["not-an-address"].split()[:4] == ["members", "not-an-address", "ns:4", "failed"]
    assert "Fix the email address in the ERP" in rows["not-an-address"]
    assert "never resubscribed by a sync" in rows["left@harborsupply.com"]
    assert "`target-mailchimp audit replay`" in rows["SO-7"]
    # Member data stays out unless asked for.
    assert "Ida" not in output
    assert "payload" not in output


def test_list_filters_by_run_outcome_stream_and_since(config_file: Path) -> None:
    config = ("--config", str(config_file))
    older = target_mailchimp("audit", "list", *config, "--run-id", "older-dry-run").stdout
    assert "broken-address" in older
    assert "not-an-address" not in older

    orders = target_mailchimp("audit", "list", *config, "--last", "--stream", "orders").stdout
    assert orders.splitlines()[0] == "1 failed and skipped record(s) in run latest-run:"
    assert "SO-7" in orders

    created = target_mailchimp("audit", "list", *config, "--outcome", "created").stdout
    assert "new@harborsupply.com" in created
    assert "old@harborsupply.com" not in created

    every_run = target_mailchimp("audit", "list", *config, "--since", "2000-01-01").stdout
    assert "broken-address" in every_run
    assert "not-an-address" in every_run
    future = target_mailchimp("audit", "list", *config, "--since", "2999-01-01").stdout
    assert future.splitlines() == [
        "0 failed and skipped record(s) in every run since 2999-01-01T00:00:00Z:"
    ]


def test_payload_is_shown_only_with_with_payload(config_file: Path) -> None:
    output = target_mailchimp(
        "audit", "list", "--config", str(config_file), "--outcome", "failed", "--with-payload"
    ).stdout
    payloads = [line for line in output.splitlines() if line.startswith("    payload: ")]
    assert [json.loads(line.split(": ", 1)[1]) for line in payloads] == [
        {"email_address": "not-an-address", "merge_fields": {"FNAME": "Ida"}},
        {"id": "SO-7", "order_total": 12.5},
    ]


def test_meltanos_config_before_the_subcommand_reaches_it(config_file: Path) -> None:
    # `meltano invoke target-mailchimp audit list` runs
    # `target-mailchimp --config <file> audit list`.
    output = target_mailchimp("--config", str(config_file), "audit", "list").stdout
    assert "in run latest-run" in output
    runs = target_mailchimp("--config", str(config_file), "audit", "runs", "--limit", "1").stdout
    assert len(runs.splitlines()) == 2


def test_config_env_reads_the_audit_database_from_the_environment(
    audit_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TARGET_MAILCHIMP_AUDIT_DATABASE_URL", audit_url)
    output = target_mailchimp("audit", "runs", "--config", "ENV").stdout
    assert "latest-run" in output


def test_export_writes_csv_with_a_header_that_reads_back(config_file: Path) -> None:
    output = target_mailchimp("audit", "export", "--config", str(config_file), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(output.stdout)))
    assert [(row["record_key"], row["outcome"]) for row in rows] == [
        ("not-an-address", "failed"),
        ("left@harborsupply.com", "skipped"),
        ("SO-7", "failed"),
    ]
    order = rows[2]
    assert order["run_id"] == "latest-run"
    assert order["stream"] == "orders"
    assert order["source_id"] == "SO-7"
    assert order["response_code"] == "503"
    assert order["dry_run"] == "false"
    assert order["reason"] == "POST /ecommerce/stores/s/orders: 503 Service Unavailable: later"
    assert "audit replay" in order["advice"]
    assert order["recorded_at"].endswith("Z")
    assert "payload" not in order


def test_export_to_a_file_with_payloads_and_filters(config_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "failed.csv"
    target_mailchimp(
        "audit",
        "export",
        "--config",
        str(config_file),
        "--output",
        str(target),
        "--outcome",
        "failed",
        "--stream",
        "members",
        "--with-payload",
    )
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["record_key"] for row in rows] == ["not-an-address"]
    assert json.loads(rows[0]["payload"])["merge_fields"] == {"FNAME": "Ida"}


def test_an_empty_audit_store_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = tmp_path / "empty.json"
    AuditStore(f"sqlite:///{tmp_path / 'new.db'}")  # the tables a first run creates
    config.write_text(json.dumps({"audit_database_url": f"sqlite:///{tmp_path / 'new.db'}"}))
    assert target_mailchimp("audit", "list", "--config", str(config)).stdout == ""
    assert target_mailchimp("audit", "runs", "--config", str(config)).stdout == ""
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"The audit store at sqlite:///{tmp_path / 'new.db'} holds no run yet."] * 2


def test_secrets_in_a_stored_reason_are_never_printed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    AuditStore(url).record(
        "run",
        [AuditEvent("members", "a@b.co", "failed", f"GET https://x/?apikey={SECRET} failed")],
        dry_run=False,
    )
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": SECRET, "list_id": "l", "audit_database_url": url}))
    listed = target_mailchimp("audit", "list", "--config", str(config)).stdout
    exported = target_mailchimp("audit", "export", "--config", str(config)).stdout
    assert "apikey=***" in listed
    assert "apikey=***" in exported


def test_audit_replay_and_the_replay_alias_take_meltanos_config(config_file: Path) -> None:
    # No failed record left to replay, so neither touches Mailchimp.
    since = ("--since", "2999-01-01")
    for command in (("audit", "replay"), ("replay",)):
        result = target_mailchimp("--config", str(config_file), *command, *since)
        assert result.exit_code == 0


def test_replay_without_any_config_is_a_usage_error() -> None:
    result = CliRunner().invoke(TargetMailchimp.get_singer_command(), ["audit", "replay"])
    assert result.exit_code == 2
    assert "Missing option '--config'" in result.output


def test_export_never_hands_a_spreadsheet_a_formula() -> None:
    entry = AuditEntry(
        run_id="r1",
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        stream="members",
        record_key='=HYPERLINK("http://evil.example")@x.com',
        source_id="-42",
        outcome="failed",
        response_code=400,
        dry_run=False,
        reason="Invalid Resource",
    )
    output = io.StringIO()

    write_csv([entry], output, with_payload=False)

    [row] = csv.DictReader(io.StringIO(output.getvalue()))
    assert row["record_key"] == '\'=HYPERLINK("http://evil.example")@x.com'
    assert row["source_id"] == "'-42"
    assert row["reason"] == "Invalid Resource"


def test_a_report_on_a_missing_database_names_it_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "audit.db"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"audit_database_url": f"sqlite:///{missing}"}))

    result = CliRunner().invoke(
        TargetMailchimp.get_singer_command(), ["audit", "list", "--config", str(config)]
    )

    assert result.exit_code != 0
    assert f"No audit database at {missing}" in result.output
    assert not missing.exists()
