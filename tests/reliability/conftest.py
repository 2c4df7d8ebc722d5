"""The reliability suite: real `meltano run` pipelines against the emulators, under faults,
crashes, bad input and bad configuration, compared with what a fault-free run produces.

Every scenario reports one row (`report_row`); at the end of the session the rows become the
table printed in the terminal summary and, with `RELIABILITY_RESULTS=path`, written to
`tests/reliability/RESULTS.md` (`make reliability` does that). `RELIABILITY_SEEDS` sets how
many seeds each seeded scenario runs (`make reliability`: 3; `make test`: 1).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import typing as t
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tests.conftest import members

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator

SEEDS = list(range(1, int(os.environ.get("RELIABILITY_SEEDS", "1")) + 1))
#: "quick" (in `make test`: the scenarios marked `quick`) or "full" (`make reliability`).
SCOPE = os.environ.get("RELIABILITY_SCOPE", "quick")
_ROWS: list[Row] = []

#: Pipeline → (Meltano job, emulator fixture of its ERP).
PIPELINES = {
    "netsuite": ("netsuite-to-mailchimp", "netsuite_emulator"),
    "oracle-fusion": ("oracle-fusion-to-mailchimp", "fusion_emulator"),
    "acumatica": ("acumatica-to-mailchimp", "acumatica_emulator"),
    "jde": ("jde-to-mailchimp", "jde_emulator"),
    "exact": ("exact-to-mailchimp", "exact_emulator"),
}


@dataclass
class Row:
    """One scenario's outcome, as the results table shows it."""

    pipeline: str
    scenario: str
    runs: int
    faults: int
    expected: int
    landed: int
    duplicates: int
    lost: int
    secrets_found: int = 0
    notes: str = ""


@dataclass
class Comparison:
    """A run's Mailchimp state against the fault-free one."""

    expected: int
    landed: int
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.duplicates, f"duplicates: {self.duplicates[:10]}"
        assert not self.lost, f"lost or different: {self.lost[:10]}"


def mailchimp_state(mailchimp: MailchimpEmulator) -> dict[str, t.Any]:
    """Everything a pipeline can write, keyed so two runs can be compared."""
    state: dict[str, t.Any] = {}
    for email, member in members(mailchimp).items():
        state[f"member:{email}"] = {
            "status": member.status,
            "merge_fields": dict(member.merge_fields),
            "tags": sorted(_tag_names(mailchimp, member)),
        }
    with mailchimp.store.lock:
        for store_id, store in mailchimp.store.ecommerce.items():
            for kind in ("customers", "products", "orders"):
                for object_id, thing in getattr(store, kind, {}).items():
                    state[f"{kind[:-1]}:{store_id}:{object_id}"] = _plain(thing)
    return state


def _tag_names(mailchimp: MailchimpEmulator, member: t.Any) -> set[str]:
    record = mailchimp.member(member.email_address) or {}
    return {tag["name"] for tag in record.get("tags", [])}


#: Fields that record when the emulator wrote something, not what.
VOLATILE = {"created_at", "updated_at", "last_changed"}


def _plain(thing: t.Any) -> t.Any:
    if dataclasses.is_dataclass(thing) and not isinstance(thing, type):
        thing = dataclasses.asdict(thing)
    if isinstance(thing, dict):
        return {key: _plain(value) for key, value in thing.items() if key not in VOLATILE}
    if isinstance(thing, list | tuple):
        return [_plain(value) for value in thing]
    return thing


def compare(expected: dict[str, t.Any], landed: dict[str, t.Any]) -> Comparison:
    """Duplicates: objects the fault-free run does not have (e.g. an old address still
    live after an email change). Lost: objects missing or different."""
    duplicates = sorted(set(landed) - set(expected))
    lost = sorted(key for key, value in expected.items() if landed.get(key) != value)
    return Comparison(
        expected=len(expected),
        landed=len(expected) - len(lost),
        duplicates=duplicates,
        lost=lost,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: the reliability suite (make reliability)")
    config.addinivalue_line("markers", "full_only: skipped in make test's quick reliability run")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability" in str(item.fspath):
            item.add_marker(pytest.mark.reliability)
            if SCOPE != "full" and item.get_closest_marker("full_only"):
                item.add_marker(pytest.mark.skip(reason="full scope only (make reliability)"))


@pytest.fixture
def report_row() -> t.Callable[..., Row]:
    """Record one row of the results table."""

    def report(**fields: t.Any) -> Row:
        row = Row(**fields)
        _ROWS.append(row)
        return row

    return report


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    if not _ROWS:
        return
    table = results_table(_ROWS)
    terminalreporter.write_sep("=", "reliability results")
    terminalreporter.write_line(table)
    target = os.environ.get("RELIABILITY_RESULTS")
    if target:
        Path(target).write_text(
            "# Reliability results\n\n"
            "Written by `make reliability` (every scenario, "
            f"{len(SEEDS)} seed(s) each) at commit {current_commit()}; `make test` runs the "
            "same suite with one seed.\n"
            "Expected: objects the fault-free run leaves in Mailchimp (members, e-commerce "
            "customers, products, orders); landed: those equal after the faulty run; "
            "duplicates: objects the fault-free run does not have; lost: missing or different.\n\n"
            + table
            + "\n"
        )


def current_commit() -> str:
    """The commit the suite ran at (with `+changes` when the working tree differed)."""
    git = ["git", "-C", str(Path(__file__).parent)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "(unknown)"
    return f"{commit}+changes" if changed else commit


def results_table(rows: list[Row]) -> str:
    """Markdown table of the rows, sorted by pipeline and scenario."""
    header = [
        "pipeline", "scenario", "runs", "faults injected", "records expected", "landed",
        "duplicates", "lost", "secrets found", "notes",
    ]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in sorted(rows, key=lambda r: (r.pipeline, r.scenario)):
        values = asdict(row)
        lines.append("| " + " | ".join(str(values[name]) for name in values) + " |")
    return "\n".join(lines)
