"""Faults, state, audit, replay, dry runs and secrets, against the emulated Mailchimp."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import signal
import subprocess
import sys
import time
import typing as t

import pytest
import sqlalchemy as sa

from target_mailchimp.audit import AuditStore
from target_mailchimp.client import MailchimpAPIError
from target_mailchimp.target import TargetMailchimp
from tests.conftest import singer_lines, write_calls
from tests.test_members_sandbox import BATCH, person

if t.TYPE_CHECKING:
    from pathlib import Path


def test_429_storm_with_retry_after_is_waited_out(emulator, run_target) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=429, retry_after=0, times=3)
    run = run_target(singer_lines(*(person(n) for n in range(1, 11))))
    assert set(run.outcomes().values()) == {"created"}
    assert emulator.calls.count(BATCH) == 4  # three refusals, then the write


def test_429_without_retry_after_and_5xx_bursts_are_retried(emulator, run_target) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=429, times=2)
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=503, times=2)
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=500, times=1)
    run = run_target(singer_lines(person(1)))
    assert run.outcomes() == {"person1@harborsupply.com": "created"}


@pytest.mark.parametrize("mode", ["mid_body", "no_response"])
def test_dropped_connections_are_retried_without_duplicates(emulator, run_target, mode) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", drop=mode, times=2)
    run = run_target(singer_lines(*(person(n) for n in range(1, 6))))
    assert len(run.outcomes()) == 5
    with emulator.store.lock:
        assert len(emulator.store.lists[emulator.default_list_id].members) == 5


def test_slow_responses_past_the_timeout_are_retried(emulator, run_target) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", delay_ms=2500, times=1)
    run = run_target(singer_lines(person(1)), request_timeout=1)
    assert run.outcomes() == {"person1@harborsupply.com": "created"}
    time.sleep(1.7)  # let the emulator finish the abandoned request before the next test


def test_never_more_requests_in_flight_than_max_concurrency(emulator, run_target) -> None:
    emulator.faults.configure(latency_ms=40)
    run_target(singer_lines(*(person(n, tags=[f"t{n % 12}"]) for n in range(1, 61))))
    emulator.ctx.limiter.reset_counters()
    # Tag changes on known members fan out in parallel: twelve tags at once.
    run = run_target(
        singer_lines(*(person(n, tags=[f"u{n % 12}"]) for n in range(1, 61))), max_concurrency=3
    )
    assert run.target.client.peak_in_flight == 3
    assert emulator.ctx.limiter.rejected == 0


def test_persistent_server_errors_fail_the_run_without_emitting_state(emulator, config) -> None:
    emulator.faults.configure(rate_5xx=1.0)
    lines = singer_lines(person(1), {"STATE": {"bookmarks": {"customers": "x"}}})
    target = TargetMailchimp(config={**config, "max_retries": 2}, validate_config=True)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), pytest.raises(MailchimpAPIError):
        target.listen(io.StringIO(lines))
    assert stdout.getvalue() == ""  # no STATE acknowledges the unwritten record


def test_sigterm_during_a_write_stops_without_emitting_state(emulator, config, tmp_path) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", delay_ms=5000, times=1)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdin.write(singer_lines(person(1), {"STATE": {"position": 1}}))
    process.stdin.close()
    # The merge fields are the last read before the (delayed) batch write goes out.
    deadline = time.monotonic() + 20
    merge_fields = "GET /3.0/lists/{list_id}/merge-fields"
    while emulator.calls.count(merge_fields) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # the batch write is now in flight, held by the emulator
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    stdout, stderr = process.stdout.read(), process.stderr.read()
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert stdout == ""
    assert "during a write" in stderr
    time.sleep(4.5)  # let the emulator finish the abandoned request before the next test


def test_sigterm_after_a_batch_is_taken_but_before_it_is_sent_emits_no_state(
    emulator, config
) -> None:
    # The SDK hands a sink's batch over (`start_drain`) before `process_batch` writes it.
    # A signal in that gap must not drain the now empty sink and acknowledge the batch.
    target = TargetMailchimp(config=config, validate_config=True)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        target.process_lines(io.StringIO(singer_lines(person(1), {"STATE": {"position": 1}})))
        target.get_sink("members").start_drain()
        with pytest.raises(SystemExit) as stopped:
            target._handle_termination(signal.SIGTERM, None)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert stdout.getvalue() == ""  # no STATE for the batch that was never sent
    assert write_calls(emulator) == []


def test_state_is_emitted_only_after_the_records_before_it_are_written(
    emulator, run_target, capsys
) -> None:
    state = {"bookmarks": {"customers": {"replication_key_value": "2026-11-02"}}}
    run = run_target(singer_lines(person(1), person(2), {"STATE": state}))
    assert run.states == [state]
    assert emulator.member("person2@harborsupply.com") is not None


def test_every_outcome_is_audited_with_code_hash_and_run(emulator, run_target) -> None:
    seed = {"email_address": "person3@harborsupply.com", "status": "unsubscribed"}
    emulator.seed({"lists": [{"id": emulator.default_list_id, "members": [seed]}]})
    run = run_target(
        singer_lines(person(1), person(2, email_address="fooboo@example.com"), person(3))
    )
    by_key = {event["record_key"]: event for event in run.events}
    created = by_key["person1@harborsupply.com"]
    assert (created["outcome"], created["response_code"], created["run_id"]) == (
        "created",
        200,
        run.target.run_id,
    )
    assert len(created["payload_hash"]) == 64
    assert created["payload"] is None  # only failed records keep their payload
    failed = by_key["fooboo@example.com"]
    assert failed["outcome"] == "failed"
    assert failed["payload"]["email_address"] == "fooboo@example.com"
    assert by_key["person3@harborsupply.com"]["outcome"] == "skipped"


def test_run_ends_with_a_summary_table(emulator, run_target, caplog) -> None:
    caplog.set_level(logging.INFO)
    run_target(singer_lines(person(1), person(2, email_address="fooboo@example.com")))
    summary = next(
        record.getMessage() for record in caplog.records if "summary:" in record.getMessage()
    )
    header, row = summary.splitlines()[1:3]
    assert header.split() == ["stream", "created", "updated", "unchanged", "skipped", "failed"]
    assert row.split() == ["members", "1", "0", "0", "0", "1"]


def test_replay_resends_failed_records_and_never_duplicates(
    emulator, run_target, config, tmp_path: Path
) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=400, times=1)
    first = run_target(singer_lines(person(1), person(2)))
    assert set(first.outcomes().values()) == {"failed"}
    assert emulator.member("person1@harborsupply.com") is None

    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    for _ in range(2):  # a second replay finds nothing left to do
        replay = subprocess.run(
            [
                sys.executable,
                "-m",
                "target_mailchimp",
                "--config",
                str(config_file),
                "replay",
                "--run-id",
                first.target.run_id,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert replay.returncode == 0
    assert emulator.member("person1@harborsupply.com")["status"] == "subscribed"
    with emulator.store.lock:
        assert len(emulator.store.lists[emulator.default_list_id].members) == 2
    assert emulator.calls.count(BATCH) == 2  # the failed one and one replay


def test_replay_filters_by_stream_and_since(emulator, run_target, config) -> None:
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=400, times=1)
    run_target(singer_lines(person(1)))
    store = AuditStore(config["audit_database_url"])
    assert len(store.failed_records(stream="members")) == 1
    assert store.failed_records(stream="orders") == []
    assert store.failed_records(since=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)) == []
    assert store.failed_records(run_id="another-run") == []


def test_dry_run_writes_nothing_and_reports_the_plan(emulator, run_target) -> None:
    emulator.seed(
        {
            "lists": [
                {
                    "id": emulator.default_list_id,
                    "members": [
                        {"email_address": "person2@harborsupply.com", "status": "subscribed"}
                    ],
                }
            ]
        }
    )
    run = run_target(
        singer_lines(person(1, merge_fields={"REGION": "EMEA"}), person(2)), dry_run=True
    )
    assert write_calls(emulator) == []
    assert run.outcomes() == {
        "person1@harborsupply.com": "created",
        "person2@harborsupply.com": "updated",
    }
    assert all(event["dry_run"] for event in run.events)
    assert "would create" in run.reasons()["person1@harborsupply.com"]
    # Nothing was written, so a real run afterwards still writes everything.
    real = run_target(singer_lines(person(1), person(2)))
    assert set(real.outcomes().values()) == {"created", "updated"}


def test_secrets_never_appear_in_output_logs_errors_or_audit(emulator, config, tmp_path) -> None:
    secret = emulator.api_key
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({**config, "max_retries": 1}))
    lines = singer_lines(
        person(1), person(2, email_address="fooboo@example.com"), {"STATE": {"x": 1}}
    )
    good = subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file)],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    # A run that fails: the emulator stops accepting the key mid-way.
    emulator.configure(api_keys=["another0000000000000000000000000-us21"])
    bad = subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file)],
        input=lines,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0
    assert "API Key Invalid" in bad.stderr
    about = subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file), "--about"],
        capture_output=True,
        text=True,
        check=True,
    )
    engine = sa.create_engine(config["audit_database_url"])
    with engine.connect() as connection:
        audit_dump = json.dumps(
            [
                [list(row) for row in connection.execute(sa.text(f"SELECT * FROM {table}"))]
                for table in ("audit_events", "member_ledger", "source_emails", "audience_snapshot")
            ],
            default=str,
        )
    everything = good.stdout + good.stderr + bad.stdout + bad.stderr + about.stdout + audit_dump
    assert "person1@harborsupply.com" in audit_dump  # the scan did see real content
    assert secret not in everything
    assert secret.split("-")[0] not in everything


def test_replay_never_undoes_a_later_email_change(emulator, run_target, config, tmp_path) -> None:
    run_target(singer_lines(person(1)))
    emulator.faults.enqueue(method="POST", path="/3.0/lists/*", status=400, times=1)
    failed = run_target(singer_lines(person(1, merge_fields={"FNAME": "Failed"})))
    assert failed.outcomes() == {"person1@harborsupply.com": "failed"}
    run_target(singer_lines(person(1, email_address="moved@harborsupply.com")))
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file), "replay"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert emulator.member("moved@harborsupply.com")["status"] == "subscribed"
    assert emulator.member("person1@harborsupply.com") is None
