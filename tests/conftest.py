"""End-to-end fixtures: the Meltano project at the repository root, against the sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["erp_sandbox.pytest_fixtures"]

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT / "sandbox" / "samples"

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator
    from erp_sandbox.netsuite import NetSuiteEmulator


@dataclass
class MeltanoResult:
    """One Meltano command: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Stdout and stderr together."""
        return self.stdout + self.stderr


@pytest.fixture
def meltano(
    mailchimp_emulator: MailchimpEmulator, netsuite_emulator: NetSuiteEmulator, tmp_path: Path
) -> t.Callable[..., MeltanoResult]:
    """Run `meltano --environment=sandbox …` against this session's emulators.

    State lives in a database of the test's own, so every test starts with no bookmarks.
    """
    executable = shutil.which("meltano", path=str(Path(os.sys.executable).parent)) or "meltano"
    env = {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TARGET_MAILCHIMP_BASE_URL": mailchimp_emulator.api_root,
        "TAP_NETSUITE_BASE_URL": netsuite_emulator.base_url,
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TARGET_MAILCHIMP_AUDIT_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}",
        "TARGET_MAILCHIMP_MAX_BACKOFF_SECONDS": "0",
    }

    def run(*args: str, stdin: str | None = None, check: bool = True) -> MeltanoResult:
        completed = subprocess.run(
            [executable, "--environment=sandbox", *args],
            cwd=PROJECT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result = MeltanoResult(completed.returncode, completed.stdout, completed.stderr)
        if check:
            assert completed.returncode == 0, result.output[-4000:]
        return result

    return run
