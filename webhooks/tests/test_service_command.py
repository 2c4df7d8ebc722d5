"""`erp-webhooks serve` as operators run it: config file, env secrets, JSON logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from erp_webhooks.config import ConfigError, load_config
from tests.conftest import FAKE_JOB, free_port

SECRETS = {
    "NS_PATH_SECRET": "ns-secret-from-env-0123456789",
    "EXACT_WEBHOOK_SECRET": "exact-secret-from-env-0123456789",
    "MC_PATH_SECRET": "mc-secret-from-env-0123456789",
}
CONFIG = """
project_dir: .
debounce_seconds: 0.2
command: [{python}, fake_job.py, runs.log, "{{job}}", "0.1"]
receivers:
  netsuite:
    path_secret: ${{NS_PATH_SECRET}}
  exact:
    webhook_secret: ${{EXACT_WEBHOOK_SECRET}}
  mailchimp:
    path_secret: ${{MC_PATH_SECRET}}
"""


def write_config(folder: Path) -> Path:
    (folder / "fake_job.py").write_text(FAKE_JOB)
    path = folder / "webhooks.yml"
    path.write_text(CONFIG.format(python=json.dumps(sys.executable)))
    return path


def test_serve_logs_every_request_as_json_without_secrets(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    port = free_port()
    command = [str(Path(sys.executable).parent / "erp-webhooks"), "serve", "--config", str(config)]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, **SECRETS},
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "service did not start"
                time.sleep(0.1)
        secret = SECRETS["NS_PATH_SECRET"]
        notification = {"recordType": "customer", "id": "1", "event": "edit"}
        accepted = requests.post(f"{base}/netsuite/{secret}", json=notification, timeout=10)
        rejected = requests.post(f"{base}/netsuite/{secret}x", json=notification, timeout=10)
        assert (accepted.status_code, rejected.status_code) == (202, 401)
        deadline = time.monotonic() + 20
        while (
            requests.get(f"{base}/health", timeout=5)
            .json()["jobs"]
            .get("netsuite-to-mailchimp", {})
            .get("runs_finished")
            != 1
        ):
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.1)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode in (0, -15)  # uvicorn re-raises SIGTERM once shut down
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    by_event = {line["event"]: line for line in lines}
    assert by_event["request accepted"]["path"] == "/netsuite/***"
    assert by_event["request accepted"]["run"] == "started"
    assert by_event["request rejected"]["status"] == 401
    assert by_event["run finished"]["exit_code"] == 0
    assert "service stopped" in by_event
    for value in SECRETS.values():
        assert value not in stderr
    assert (tmp_path / "runs.log").read_text().count("start") == 1


def test_check_config_names_what_it_serves(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "erp-webhooks"),
            "check-config",
            "--config",
            str(config),
        ],
        env={**os.environ, **SECRETS},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "netsuite: /netsuite/<secret> → netsuite-to-mailchimp" in result.stdout
    assert SECRETS["NS_PATH_SECRET"] not in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("receivers: {netsuite: {path_secret: ${NOPE}}}", "set that environment variable"),
        ("receivers: {netsuite: {job: x}}", "accepts anyone"),
        ("receivers: {netsuite: {path_secret: short}}", "too short"),
        ("receivers: {exact: {path_secret: 0123456789abcdefgh}}", "webhook_secret is missing"),
        ("receivers: {mailchimp: {}}", "path_secret is missing"),
        ("receivers: {netsuite: {allow_ips: [not-an-ip]}}", "not an address"),
        ("receivers: {}", "at least one receiver"),
        ("receivers: {netsuite: {secret: x}}", "Unknown setting 'secret'"),
        ("- a list", "must hold a mapping"),
    ],
)
def test_bad_configurations_fail_with_one_clear_sentence(tmp_path, text, message) -> None:
    path = tmp_path / "webhooks.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_secrets_written_in_the_file_are_masked_too(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.yml"
    path.write_text("receivers: {netsuite: {path_secret: literal-secret-0123456789}}")
    config = load_config(path, environ={})
    assert "literal-secret-0123456789" in config.secrets
