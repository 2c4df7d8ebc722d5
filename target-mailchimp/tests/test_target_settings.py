"""Settings, defaults and the documented input contract."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from singer_sdk.exceptions import ConfigValidationError

from target_mailchimp import redaction
from target_mailchimp.audit import default_database_url
from target_mailchimp.target import TargetMailchimp


def about(output_format: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--about", f"--format={output_format}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_about_documents_the_input_contract_and_its_json_schema() -> None:
    document = json.loads(about("json"))
    members = document["input_streams"]["members"]
    assert document["input_streams"]["customers"]["required"] == ["id", "email_address"]
    assert set(members["properties"]) >= {
        "email_address",
        "source_id",
        "status",
        "active",
        "merge_fields",
        "tags",
        "updated_at",
    }
    markdown = about("markdown")
    assert "## Input contract" in markdown
    assert '"email_address"' in markdown


def test_credentials_are_declared_secret() -> None:
    properties = TargetMailchimp.config_jsonschema["properties"]
    assert properties["api_key"]["secret"] is True
    assert properties["access_token"]["secret"] is True


def test_missing_credentials_fail_fast_with_one_sentence() -> None:
    with pytest.raises(ConfigValidationError, match="Set either `api_key` or `access_token`"):
        TargetMailchimp(config={"list_id": "l1"}, validate_config=True)


def test_batch_size_above_mailchimps_limit_is_refused() -> None:
    with pytest.raises(ConfigValidationError):
        TargetMailchimp(
            config={"api_key": "k-us1", "list_id": "l1", "batch_size_rows": 501},
            validate_config=True,
        )


def test_default_audit_store_lives_in_the_meltano_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".meltano").mkdir()
    monkeypatch.setenv("MELTANO_PROJECT_ROOT", str(tmp_path))
    assert default_database_url() == (
        f"sqlite:///{tmp_path}/.meltano/target-mailchimp/target-mailchimp-audit.db"
    )


def test_default_audit_store_outside_meltano_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MELTANO_PROJECT_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_database_url() == f"sqlite:///{tmp_path}/target-mailchimp-audit.db"


def test_secrets_are_redacted_from_every_log_line_and_traceback() -> None:
    secret = "f00dfeedf00dfeedf00dfeedf00dfeed-us6"
    TargetMailchimp(config={"api_key": secret, "list_id": "l1"}, validate_config=True)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logging.getLogger().addHandler(handler)
    try:
        redaction.install([])  # attaches the filter to the new handler too
        logger = logging.getLogger("some.library")
        logger.warning("request to https://x/?key=%s failed", secret)
        try:
            raise RuntimeError(f"bad key {secret}")
        except RuntimeError:
            logger.exception("boom")
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert "key=***" in output
    assert "bad key ***" in output
    assert secret not in output


def test_missing_credentials_are_named_on_the_command_line_too(tmp_path: Path) -> None:
    # The SDK's CLI logs only a ConfigValidationError's `errors`, then "Config
    # validation failed": the sentence must be among them.
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"list_id": "l1"}))
    completed = subprocess.run(
        [sys.executable, "-m", "target_mailchimp", "--config", str(config)],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert "Set either `api_key` or `access_token` for target-mailchimp." in completed.stderr
