"""End-to-end fixtures: the Meltano project at the repository root, against the sandbox."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["erp_sandbox.pytest_fixtures", "tests.postgres_server"]

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT / "sandbox" / "samples"

if t.TYPE_CHECKING:
    from erp_sandbox.acumatica import AcumaticaEmulator
    from erp_sandbox.exact import ExactEmulator
    from erp_sandbox.fusion import FusionEmulator
    from erp_sandbox.jde import JdeEmulator
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


MELTANO = shutil.which("meltano", path=str(Path(os.sys.executable).parent)) or "meltano"


@pytest.fixture
def sandbox_env(
    mailchimp_emulator: MailchimpEmulator,
    netsuite_emulator: NetSuiteEmulator,
    fusion_emulator: FusionEmulator,
    acumatica_emulator: AcumaticaEmulator,
    jde_emulator: JdeEmulator,
    exact_emulator: ExactEmulator,
    tmp_path: Path,
) -> dict[str, str]:
    """The environment of a Meltano command against this session's emulators.

    State lives in a database of the test's own, so every test starts with no bookmarks.
    """
    return {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TARGET_MAILCHIMP_BASE_URL": mailchimp_emulator.api_root,
        "TAP_NETSUITE_BASE_URL": netsuite_emulator.base_url,
        "TAP_ORACLE_FUSION_BASE_URL": fusion_emulator.base_url,
        "TAP_ORACLE_FUSION_TOKEN_URL": fusion_emulator.token_url,
        "TAP_ACUMATICA_BASE_URL": acumatica_emulator.base_url,
        "TAP_JDE_BASE_URL": jde_emulator.base_url,
        "TAP_EXACT_BASE_URL": exact_emulator.base_url,
        # A token store of the test's own, seeded with a token the emulator just issued.
        "TAP_EXACT_TOKEN_STORE_URL": str(tmp_path / "exact-token"),
        "TAP_EXACT_REFRESH_TOKEN": exact_emulator.issue_refresh_token(),
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TARGET_MAILCHIMP_AUDIT_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}",
        "TARGET_MAILCHIMP_MAX_BACKOFF_SECONDS": "0",
    }


@pytest.fixture
def meltano(sandbox_env: dict[str, str]) -> t.Callable[..., MeltanoResult]:
    """Run `meltano --environment=sandbox …` against this session's emulators."""

    def run(
        *args: str,
        stdin: str | None = None,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> MeltanoResult:
        completed = subprocess.run(
            [MELTANO, "--environment=sandbox", *args],
            cwd=PROJECT,
            env={**sandbox_env, **(env or {})},
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


@contextlib.contextmanager
def tokens_revoked_after(
    emulator: t.Any,
    route: str | None,
    calls: int,
    revoke: t.Callable[[], object] | None = None,
) -> t.Iterator[None]:
    """Revoke the emulator's access tokens once `route` (any route if None) has served
    `calls` calls; `revoke` replaces `emulator.revoke_tokens` where an ERP's tokens die
    differently.

    A token that dies mid-run, as a real one may: the tap must renew it and carry on.
    """
    done = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not done.is_set():
            if emulator.calls.count(route) >= calls:
                (revoke or emulator.revoke_tokens)()
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


STORE = "erp-sandbox-store"  # the sandbox environment's store_id


def members(mailchimp: MailchimpEmulator) -> dict[str, t.Any]:
    """Members of the sandbox audience by lowercase address."""
    with mailchimp.store.lock:
        members = mailchimp.store.lists[mailchimp.default_list_id].members
        return {member.email_address.lower(): member for member in members.values()}


def shop(mailchimp: MailchimpEmulator) -> t.Any:
    """The sandbox e-commerce store as the emulator holds it."""
    with mailchimp.store.lock:
        return mailchimp.store.ecommerce[STORE]


def bookmarks(meltano: t.Callable[..., MeltanoResult], tap: str = "tap-netsuite") -> dict:
    """The Singer bookmarks Meltano holds for a tap's pipeline."""
    state_ids = meltano("state", "list").stdout.split()
    [state_id] = [name for name in state_ids if tap in name]
    state = json.loads(meltano("state", "get", state_id).stdout)
    return state["singer_state"]["bookmarks"]


def audit_events(tmp_path: Path, stream: str) -> list[dict[str, t.Any]]:
    """The target's audit events of one stream, oldest first (the test's own audit store)."""
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT run_id, record_key, outcome, reason FROM audit_events "
                "WHERE stream = :stream ORDER BY id"
            ),
            {"stream": stream},
        )
        events = [dict(row._mapping) for row in rows]
    engine.dispose()
    return events
