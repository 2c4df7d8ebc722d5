"""Fixtures: the Mailchimp emulator over real HTTP, and a way to run the target on it."""

from __future__ import annotations

import contextlib
import io
import json
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from target_mailchimp.audit import AuditStore
from target_mailchimp.schemas import INPUT_SCHEMAS
from target_mailchimp.target import TargetMailchimp

pytest_plugins = ["erp_sandbox.pytest_fixtures"]

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator


@dataclass
class TargetRun:
    """What one target run printed and recorded."""

    target: TargetMailchimp
    states: list[dict[str, t.Any]]
    events: list[dict[str, t.Any]] = field(default_factory=list)

    def outcomes(self) -> dict[str, str]:
        """Latest outcome per record key in this run."""
        return {event["record_key"]: event["outcome"] for event in self.events}

    def reasons(self) -> dict[str, str]:
        """Latest reason per record key in this run."""
        return {event["record_key"]: event["reason"] or "" for event in self.events}


def singer_lines(*messages: dict[str, t.Any], stream: str = "members") -> str:
    """SCHEMA + the given messages; plain dicts are records, `{"STATE": …}` are states."""
    return streams_lines((stream, list(messages)))


def streams_lines(*streams: tuple[str, list[dict[str, t.Any]]]) -> str:
    """Several streams one after the other, each with its SCHEMA first."""
    lines: list[dict[str, t.Any]] = []
    for stream, messages in streams:
        schema = INPUT_SCHEMAS.get(stream, {"type": "object", "properties": {}})
        key = ["email_address"] if stream == "members" else ["id"]
        lines.append({"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": key})
        for message in messages:
            if "STATE" in message:
                lines.append({"type": "STATE", "value": message["STATE"]})
            else:
                lines.append({"type": "RECORD", "stream": stream, "record": message})
    return "".join(json.dumps(line) + "\n" for line in lines)


@pytest.fixture
def emulator(mailchimp_emulator: MailchimpEmulator) -> MailchimpEmulator:
    """A fresh emulated Mailchimp; every test ends with no contract violation."""
    yield mailchimp_emulator
    violations = mailchimp_emulator.contract_violations
    assert not violations, "\n".join(str(violation) for violation in violations)


@pytest.fixture
def config(emulator: MailchimpEmulator, tmp_path: Path) -> dict[str, t.Any]:
    """Target settings pointing at the emulator, with a private audit store."""
    return {
        "api_key": emulator.api_key,
        "base_url": emulator.api_root,
        "list_id": emulator.default_list_id,
        "audit_database_url": f"sqlite:///{tmp_path / 'audit.db'}",
        "max_backoff_seconds": 0,
    }


@pytest.fixture
def run_target(config: dict[str, t.Any]) -> t.Callable[..., TargetRun]:
    """Run the target in-process on Singer lines; extra keywords override settings."""

    def run(lines: str, **overrides: t.Any) -> TargetRun:
        target = TargetMailchimp(config={**config, **overrides}, validate_config=True)
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            target.listen(io.StringIO(lines))
        states = [json.loads(line) for line in stdout.getvalue().splitlines() if line.strip()]
        events = AuditStore(target.config["audit_database_url"]).events(target.run_id)
        return TargetRun(target, states, events)

    return run


def write_calls(emulator: MailchimpEmulator) -> list[str]:
    """Routes of every call that could change something (anything but GET)."""
    return [call.route for call in emulator.calls if call.method != "GET"]
