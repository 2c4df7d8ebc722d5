"""The run summary as METRIC lines, and JSON logs when Meltano asks for structured logging."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import typing as t
from collections import Counter

from singer_sdk import metrics

from target_mailchimp import redaction
from target_mailchimp.audit import AuditStore
from target_mailchimp.target import TargetMailchimp
from tests.conftest import singer_lines
from tests.test_members_sandbox import person

if t.TYPE_CHECKING:
    from pathlib import Path

    import pytest

# What Meltano 4.4 writes to SINGER_SDK_LOG_CONFIG for a plugin with the
# `structured-logging` capability (meltano.core.plugin.singer.base._get_sdk_logging).
MELTANO_STRUCTURED_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"singer_formatter": {"()": "singer_sdk.logging.StructuredFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "singer_formatter",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
}
# The fields Meltano's `singer-sdk` log parser requires of every line it parses.
MELTANO_REQUIRED_FIELDS = {
    "level",
    "pid",
    "logger_name",
    "ts",
    "thread_name",
    "app_name",
    "message",
}
SECRET = "f00dfeedf00dfeedf00dfeedf00dfeed-us6"


def metric_points(caplog: pytest.LogCaptureFixture) -> list[dict[str, t.Any]]:
    """The metric points logged on the SDK's metrics logger."""
    return [
        json.loads(record.getMessage().removeprefix("METRIC: "))
        for record in caplog.records
        if record.name == metrics.METRICS_LOGGER_NAME and record.getMessage().startswith("METRIC: ")
    ]


def test_summary_is_one_metric_counter_per_stream_and_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = TargetMailchimp(config={"api_key": SECRET, "list_id": "l1"}, validate_config=True)
    target.outcomes = {
        "members": Counter(created=2, failed=1),
        "orders": Counter(updated=3),
    }
    with caplog.at_level(logging.INFO):
        target.log_summary()
    points = metric_points(caplog)
    counts = {(p["tags"]["stream"], p["tags"]["outcome"]): p["value"] for p in points}
    assert counts == {
        ("members", "created"): 2,
        ("members", "updated"): 0,
        ("members", "unchanged"): 0,
        ("members", "skipped"): 0,
        ("members", "failed"): 1,
        ("orders", "created"): 0,
        ("orders", "updated"): 3,
        ("orders", "unchanged"): 0,
        ("orders", "skipped"): 0,
        ("orders", "failed"): 0,
    }
    assert {p["type"] for p in points} == {"counter"}
    assert {p["metric"] for p in points} == {"record_outcome_count"}
    assert {p["tags"]["run_id"] for p in points} == {target.run_id}
    assert {p["tags"]["dry_run"] for p in points} == {False}
    # The human-readable table is still there.
    assert any("summary:" in record.getMessage() for record in caplog.records)


def run_target_process(
    tmp_path: Path, config: dict[str, t.Any], *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, **env},
    )


def json_lines(stderr: str) -> list[dict[str, t.Any]]:
    """Every stderr line, each of which must be a JSON log Meltano can parse."""
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    for line in lines:
        assert set(line) >= MELTANO_REQUIRED_FIELDS, line
    return lines


def test_logs_are_json_when_meltano_asks_for_structured_logging(
    emulator, config, tmp_path: Path
) -> None:
    log_config = tmp_path / "logging.json"
    log_config.write_text(json.dumps(MELTANO_STRUCTURED_LOG_CONFIG))
    bad = person(2, email_address="not-an-address")
    completed = run_target_process(
        tmp_path,
        config,
        stdin=singer_lines(person(1), bad),
        SINGER_SDK_LOG_CONFIG=str(log_config),
    )
    lines = json_lines(completed.stderr)
    messages = [line["message"] for line in lines]
    assert any("summary:" in message for message in messages)
    failure = next(line for line in lines if "failed:" in line["message"])
    assert failure["level"] == "warning"
    assert failure["logger_name"] == "target-mailchimp"
    # The outcome counters arrive as structured metrics, not as text, even though the
    # secret-redacting filter sits on the same handler.
    outcome_metrics = [
        line["metric_info"]
        for line in lines
        if line["message"] == "METRIC" and line["metric_info"]["metric"] == "record_outcome_count"
    ]
    counts = {m["tags"]["outcome"]: m["value"] for m in outcome_metrics}
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 1}
    assert SECRET not in completed.stderr

    # An audit subcommand's warnings are JSON too.
    empty = {"audit_database_url": f"sqlite:///{tmp_path / 'empty.db'}"}
    AuditStore(empty["audit_database_url"])  # the tables, as a first run leaves them
    listed = run_target_process(
        tmp_path, empty, "audit", "list", SINGER_SDK_LOG_CONFIG=str(log_config)
    )
    assert listed.stdout == ""
    (warning,) = json_lines(listed.stderr)
    assert warning["level"] == "warning"
    assert warning["message"].endswith("holds no run yet.")


def test_without_structured_logging_the_summary_metric_is_a_plain_metric_line(
    emulator, config, tmp_path: Path
) -> None:
    completed = run_target_process(tmp_path, config, stdin=singer_lines(person(1)))
    metric_lines = [
        json.loads(line.split("METRIC: ", 1)[1])
        for line in completed.stderr.splitlines()
        if "METRIC: " in line and "record_outcome_count" in line
    ]
    assert {(m["tags"]["outcome"], m["value"]) for m in metric_lines} >= {("created", 1)}
    assert len(metric_lines) == 5


def test_redaction_leaves_lines_without_a_secret_whole_for_structured_formatters() -> None:
    TargetMailchimp(config={"api_key": SECRET, "list_id": "l1"}, validate_config=True)
    point = metrics.Point("counter", metrics.Metric.RECORD_COUNT, 1, {"stream": "members"})
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "METRIC: %s", (point,), None)
    assert redaction.REDACTOR.filter(plain)
    assert plain.args == (point,)
    try:
        raise RuntimeError(f"bad key {SECRET}")
    except RuntimeError:
        leaking = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    assert redaction.REDACTOR.filter(leaking)
    assert leaking.exc_info is None
    assert "RuntimeError: bad key ***" in leaking.getMessage()
    assert SECRET not in leaking.getMessage()


def test_an_audit_subcommand_crash_is_one_json_error_record(tmp_path: Path) -> None:
    log_config = tmp_path / "logging.json"
    log_config.write_text(json.dumps(MELTANO_STRUCTURED_LOG_CONFIG))
    config_file = tmp_path / "config.json"
    unreachable = f"sqlite:///{tmp_path}"  # a folder: SQLite cannot open it as a database
    config_file.write_text(json.dumps({"audit_database_url": unreachable}))
    completed = subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config_file), "audit", "runs"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SINGER_SDK_LOG_CONFIG": str(log_config)},
    )
    assert completed.returncode != 0
    (error,) = json_lines(completed.stderr)
    assert error["level"] == "error"
    assert "unable to open database file" in error["message"]
    assert error["exception"]["type"] == "OperationalError"
