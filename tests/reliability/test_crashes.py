"""Crashes: a `meltano run` killed part-way, then rerun as cron would.

Each pipeline first runs a fault-free baseline: a first load, ERP changes (an email change
among them), an incremental run. Each scenario runs the same sequence again, but one of
its runs is killed — SIGKILL or SIGTERM to the whole process group, as a scheduler, a
container runtime or the OOM killer would — as an emulator logs a call: the k-th ERP data
call, the j-th Mailchimp write or the i-th operation of a Mailchimp batch (each seed takes
the next of these kinds; the run and k, j or i come from `random.Random`, seeded with the
scenario and the seed, so that a failure reproduces). The emulator has then done the call
and not yet sent all of its answer. The killed run is repeated at each cron tick until one
succeeds, and Mailchimp must end exactly as after the baseline: no duplicates, nothing
lost, the store's automations back on.

After a SIGTERM, Meltano and the plugins shut down gracefully, and Meltano keeps whatever
state the target emitted. That state must never acknowledge a record that was not written:
the tap's reading is replayed from the state the killed run started from, and every record
up to the bookmarks the killed run left must have been audited by the target and, if
written, be in Mailchimp. Killed part-way, the target emits no state, so the state is only
checked non-trivially by the scenario that sends SIGTERM at the first load's last write,
after the target has emitted its state.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import typing as t
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from erp_mailchimp_mapper.mapping import Mapping

from tests.conftest import MELTANO, PROJECT, STORE, MeltanoResult
from tests.reliability.conftest import PIPELINES, SEEDS, compare, mailchimp_state
from tests.test_acumatica_pipeline import entity_rows
from tests.test_exact_pipeline import rows as exact_rows
from tests.test_jde_pipeline import expected_members
from tests.test_netsuite_pipeline import netsuite_rows
from tests.test_oracle_fusion_pipeline import active_with_email

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from erp_sandbox.inspection import Call, CallLog
    from erp_sandbox.mailchimp import MailchimpEmulator

#: Runs after the killed one before the scenario gives up (cron would go on trying).
MAX_RERUNS = 3
#: How long the processes of a killed run may take to stop (drain, sign out).
STOP_TIMEOUT = 60
#: Between two cron ticks: every schedule in meltano.yml runs every 15 minutes.
CRON_INTERVAL_MINUTES = 15


# The ERP changes between the first load and the incremental run ----------------------


def change_netsuite(netsuite: t.Any) -> None:
    """An email change and a deactivation."""
    moved, deactivated = (
        row[0]
        for row in netsuite_rows(
            netsuite,
            "SELECT id FROM customer WHERE email IS NOT NULL AND isinactive = 'F' "
            "ORDER BY id LIMIT 2",
        )
    )
    netsuite.update_record("customer", moved, email="moved.address@keystone-optics.fr")
    netsuite.update_record("customer", deactivated, isinactive="T")


def change_fusion(fusion: t.Any) -> None:
    """An email change and a deactivation."""
    moving, leaving = active_with_email(fusion)[:2]
    fusion.update_record(
        "accounts", moving["PartyNumber"], EmailAddress="moved.address@contoso-fabrics.com"
    )
    fusion.update_record("accounts", leaving["PartyNumber"], Status="I")


def change_acumatica(acumatica: t.Any) -> None:
    """An email change and a deactivation."""
    moving, leaving = [
        contact
        for contact in entity_rows(acumatica, "Contact")
        if contact.get("Email")
        and contact.get("Active")
        and not (contact.get("DoNotEmail") or contact.get("NoMarketing"))
        and not contact.get("NoMassMail")
    ][:2]
    acumatica.update_record("Contact", moving["ContactID"], Email="moved.address@revolve.example")
    acumatica.update_record("Contact", leaving["ContactID"], Active=False)


def change_jde(jde: t.Any) -> None:
    """An email change and an address change."""
    (_, renamed), (_, moved) = list(expected_members(jde).items())[:2]
    jde.update_record("F01151", (renamed, 0, 1), EMAL="purchasing@vantage-marine.co.uk")
    current = max(
        (r for r in jde.store.rows("F0116") if r["AN8"] == moved), key=lambda r: r["EFTB"]
    )
    jde.update_record("F0116", (moved, current["EFTB"]), ADD1="14 Harbour Street", CTY1="Whitby")


def change_exact(exact: t.Any) -> None:
    """An email change, a new account and a credit note."""
    contacts = {row.get("Email") for row in exact_rows(exact, "Contacts")}
    account = next(
        account
        for account in exact_rows(exact, "Accounts")
        if account.get("Email") and account.get("IsSales") and not account.get("Blocked")
        if account["Email"] not in contacts  # an address no contact shares
    )
    exact.update_record("Accounts", account["ID"], Email="orders@tidewater-foods.nl")
    exact.insert_record(
        "Accounts",
        ID="5f0c2e6a-4b1d-4c8e-9a7f-3d2b1c0e9f84",  # fixed: the e-commerce customer id
        Name="Noordzee Vishandel BV",
        Email="inkoop@noordzee-vishandel.nl",
        Status="C",
        City="Den Helder",
        Country="NL",
    )
    exact.insert_record(
        "SalesInvoices",
        InvoiceID="0b6e4d3c-2a19-4f7e-8d5c-6a4b3c2d1e0f",
        InvoiceTo=account["ID"],
        Type=8021,
        SalesInvoiceLines=[{"ItemCode": "DESK-BLU", "Quantity": -1.0, "UnitPrice": 339.61}],
    )


@dataclass(frozen=True)
class Workload:
    """How a pipeline is exercised: its tap, the ERP calls that read data, its changes,
    and small pages so that a run makes enough calls to be killed between them."""

    tap: str
    mapping_file: str
    reads_data: Callable[[Call], bool]
    change: Callable[[t.Any], None]
    env: dict[str, str] = field(default_factory=dict)
    configure: dict[str, t.Any] = field(default_factory=dict)


def _route_in(*routes: str) -> Callable[[Call], bool]:
    return lambda call: call.route in routes


WORKLOADS = {
    "netsuite": Workload(
        "tap-netsuite",
        "transforms/netsuite.yml",
        _route_in("POST /services/rest/query/v1/suiteql"),
        change_netsuite,
        env={"TAP_NETSUITE_PAGE_SIZE": "100"},
    ),
    "oracle-fusion": Workload(
        "tap-oracle-fusion",
        "transforms/oracle_fusion.yml",
        lambda call: call.method == "GET" and not call.route.endswith("/describe"),
        change_fusion,
        env={"TAP_ORACLE_FUSION_PAGE_SIZE": "50"},
    ),
    "acumatica": Workload(
        "tap-acumatica",
        "transforms/acumatica.yml",
        _route_in("GET /entity/{endpoint}/{version}/{entity}"),
        change_acumatica,
        env={"TAP_ACUMATICA_PAGE_SIZE": "50"},
    ),
    "jde": Workload(
        "tap-jde",
        "transforms/jde.yml",
        _route_in("POST /jderest/v2/dataservice"),
        change_jde,
        env={"TAP_JDE_PAGE_SIZE": "50"},
    ),
    "exact": Workload(
        "tap-exact",
        "transforms/exact.yml",
        lambda call: call.method == "GET" and "/api/v1/" in call.route,
        change_exact,
        configure={"sync_page_size": 100},
    ),
}

#: E-commerce writes through Mailchimp batch operations (for "during a batch").
BATCH_MODE = {
    "TARGET_MAILCHIMP_BATCH_THRESHOLD": "20",
    "TARGET_MAILCHIMP_BATCH_POLL_SECONDS": "1",
}


# Killing a run ------------------------------------------------------------------------


KINDS = {
    "erp-call": "ERP data call",
    "mailchimp-write": "Mailchimp write",
    "batch-operation": "operation of a Mailchimp batch",
}
RUNS = ("first", "incremental")


@dataclass(frozen=True)
class KillPoint:
    """Where a run is killed: as the `nth` call of a kind reaches an emulator."""

    run: str  # one of RUNS
    kind: str  # one of KINDS
    nth: int

    def __str__(self) -> str:
        return f"{self.run} run, at {KINDS[self.kind]} #{self.nth}"


def draw_kill_point(
    calls: dict[str, dict[str, int]], kind: str, chance: random.Random
) -> KillPoint:
    """One of the calls of `kind` that a fault-free sequence makes (`calls`: per run,
    the calls of each kind), drawn by `chance`."""
    run = chance.choice([run for run in RUNS if calls[run][kind]])
    return KillPoint(run, kind, chance.randint(1, calls[run][kind]))


def is_write(call: Call) -> bool:
    """A Mailchimp call that changes something."""
    return call.method != "GET"


@contextlib.contextmanager
def calling_back_at(
    log: CallLog, matches: Callable[[Call], bool], nth: int, callback: Callable[[], None]
) -> Iterator[threading.Event]:
    """Call `callback` as the `nth` matching call is logged: the emulator has done the
    call, and its response's last byte has not left yet."""
    fired = threading.Event()
    seen = 0
    lock = threading.Lock()
    record = log.record

    def record_and_watch(call: Call) -> None:
        nonlocal seen
        record(call)
        if not matches(call):
            return
        with lock:
            seen += 1
            reached = seen == nth
        if reached:
            fired.set()
            callback()

    log.record = record_and_watch  # type: ignore[method-assign]
    try:
        yield fired
    finally:
        del log.record


def group_alive(pgid: int) -> bool:
    """Whether a process of the group still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# One sequence of runs -----------------------------------------------------------------


@dataclass
class Bench:
    """A pipeline and its emulators (this test's fixtures)."""

    pipeline: str
    erp: t.Any
    mailchimp: MailchimpEmulator
    sandbox_env: dict[str, str]
    tmp_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def job(self) -> str:
        """The Meltano job."""
        return PIPELINES[self.pipeline][0]

    @property
    def workload(self) -> Workload:
        """How the pipeline is exercised."""
        return WORKLOADS[self.pipeline]


class World:
    """One sequence of runs: emulators reset, and a state and audit store of its own."""

    def __init__(self, bench: Bench, name: str) -> None:
        self.bench = bench
        self.directory = bench.tmp_path / name
        # A `.meltano` of the world's own that shares the installed plugins: Meltano
        # writes each plugin's config, catalog and state files to `.meltano/run/<plugin>/`,
        # where a concurrent Meltano running the same plugin (another test session)
        # would replace or delete them under this one's feet.
        system = self.directory / ".meltano"
        system.mkdir(parents=True)
        for kind in ("extractors", "mappers", "loaders"):
            (system / kind).symlink_to(PROJECT / ".meltano" / kind)
        bench.mailchimp.reset(restore_settings=True)
        bench.erp.reset(restore_settings=True)
        if bench.workload.configure:
            bench.erp.configure(**bench.workload.configure)
        self.env = {
            **bench.sandbox_env,
            **bench.workload.env,
            **bench.extra_env,
            "MELTANO_SYS_DIR_ROOT": str(system),
            "MELTANO_DATABASE_URI": f"sqlite:///{self.directory / 'meltano.db'}",
            "TARGET_MAILCHIMP_AUDIT_DATABASE_URL": f"sqlite:///{self.directory / 'audit.db'}",
            "TAP_EXACT_TOKEN_STORE_URL": str(self.directory / "exact-token"),
        }
        if bench.pipeline == "exact":  # the reset forgot the token the fixture issued
            self.env["TAP_EXACT_REFRESH_TOKEN"] = bench.erp.issue_refresh_token()

    def meltano(self, *args: str, check: bool = True) -> MeltanoResult:
        """`meltano --environment=sandbox …` in this world."""
        completed = subprocess.run(
            [MELTANO, "--environment=sandbox", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        result = MeltanoResult(completed.returncode, completed.stdout, completed.stderr)
        if check:
            assert completed.returncode == 0, result.output[-4000:]
        return result

    def run(self) -> MeltanoResult:
        """One run of the job, which must succeed."""
        return self.meltano("run", self.bench.job)

    def killed_run(self, kill_point: KillPoint, signum: int) -> str:
        """A run whose process group is sent `signum` at `kill_point`; its output."""
        bench = self.bench
        log, matches = {
            "erp-call": (bench.erp.calls, bench.workload.reads_data),
            "mailchimp-write": (bench.mailchimp.calls, is_write),
            "batch-operation": (bench.mailchimp.batch_operations, lambda call: True),
        }[kill_point.kind]
        output = self.directory / f"killed-{kill_point.run}-run.log"
        processes: list[subprocess.Popen[bytes]] = []

        def kill() -> None:
            os.killpg(processes[0].pid, signum)

        with (
            calling_back_at(log, matches, kill_point.nth, kill) as fired,
            output.open("wb") as sink,
        ):
            process = subprocess.Popen(
                [MELTANO, "--environment=sandbox", "run", bench.job],
                cwd=PROJECT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as under a scheduler
            )
            processes.append(process)
            try:
                returncode = process.wait(timeout=300)
                deadline = time.monotonic() + STOP_TIMEOUT
                while group_alive(process.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)  # the plugins may still drain or sign out
                stopped = not group_alive(process.pid)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        text = output.read_text(errors="replace")
        assert fired.is_set(), f"the run ended before the {kill_point}:\n{text[-3000:]}"
        assert stopped, f"the run's plugins were still running {STOP_TIMEOUT} s after the kill"
        assert returncode != 0, f"the killed run reported success:\n{text[-3000:]}"
        return text

    def rerun_until_success(self) -> list[MeltanoResult]:
        """Run again at each cron tick until a run succeeds; every run made."""
        results = []
        for _ in range(MAX_RERUNS):
            self.cron_interval_passes()
            result = self.meltano("run", self.bench.job, check=False)
            results.append(result)
            if result.returncode == 0:
                return results
        failures = "\n---\n".join(result.output[-2000:] for result in results)
        pytest.fail(f"no rerun succeeded in {MAX_RERUNS} cron ticks:\n{failures}")

    def cron_interval_passes(self) -> None:
        """The time between two cron ticks passes for Meltano's job records.

        A SIGKILLed Meltano leaves its job `RUNNING`; Meltano refuses to start the job
        again until that job's heartbeat is 5 minutes old, which by the next tick it is.
        """
        with contextlib.closing(sqlite3.connect(self.directory / "meltano.db")) as db, db:
            db.execute(
                "UPDATE runs SET last_heartbeat_at = datetime(last_heartbeat_at, ?), "
                "started_at = datetime(started_at, ?) WHERE state = 'RUNNING'",
                (f"-{CRON_INTERVAL_MINUTES} minutes", f"-{CRON_INTERVAL_MINUTES} minutes"),
            )

    def singer_state(self) -> dict[str, t.Any]:
        """The Singer state Meltano hands the next run (`meltano state get`)."""
        state_id = f"sandbox:{self.bench.workload.tap}-to-target-mailchimp"
        result = self.meltano("state", "get", state_id, check=False)
        if result.returncode != 0:  # no state yet
            return {}
        return json.loads(result.stdout).get("singer_state") or {}

    def audit_events(self) -> list[dict[str, t.Any]]:
        """The target's audit events, oldest first."""
        path = self.directory / "audit.db"
        if not path.exists():
            return []
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.row_factory = sqlite3.Row
            with contextlib.suppress(sqlite3.OperationalError):  # no table yet
                rows = db.execute(
                    "SELECT stream, record_key, source_id, outcome FROM audit_events ORDER BY id"
                )
                return [dict(row) for row in rows]
        return []

    def replay_tap(self, state: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        """The Singer messages the tap emits when it starts from `state`."""
        path = self.directory / f"replay-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(state))
        result = self.meltano("invoke", self.bench.workload.tap, "--state", str(path))
        return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def snapshot(mailchimp: MailchimpEmulator) -> dict[str, t.Any]:
    """What the pipeline can write (`mailchimp_state`), and whether each store's
    automations are on (a bulk load turns them off while it runs)."""
    state = mailchimp_state(mailchimp)
    with mailchimp.store.lock:
        for store_id, store in mailchimp.store.ecommerce.items():
            state[f"store:{store_id}"] = {"is_syncing": store.is_syncing}
    return state


# Baselines ----------------------------------------------------------------------------


@dataclass
class Baseline:
    """What the fault-free sequence leaves in Mailchimp, after the first load and at
    the end, and the calls each of its runs makes."""

    after_first: dict[str, t.Any]
    final: dict[str, t.Any]
    calls: dict[str, dict[str, int]]  # per run, the calls of each kind of KINDS


_BASELINES: dict[tuple[str, ...], Baseline] = {}


def baseline_of(bench: Bench) -> Baseline:
    """The fault-free sequence, run once per pipeline and settings in a session."""
    key = (bench.pipeline, *sorted(bench.extra_env.items()))
    if key not in _BASELINES:
        world = World(bench, "baseline")
        calls, after = {}, {}
        for run in RUNS:
            if run == "incremental":
                bench.workload.change(bench.erp)
            for log in (bench.erp.calls, bench.mailchimp.calls, bench.mailchimp.batch_operations):
                log.reset()
            world.run()
            calls[run] = {
                "erp-call": sum(map(bench.workload.reads_data, bench.erp.calls)),
                "mailchimp-write": sum(map(is_write, bench.mailchimp.calls)),
                "batch-operation": len(bench.mailchimp.batch_operations),
            }
            after[run] = snapshot(bench.mailchimp)
        _BASELINES[key] = Baseline(after["first"], after["incremental"], calls)
    return _BASELINES[key]


# What a SIGTERM leaves acknowledged -----------------------------------------------------


#: Audit outcomes of records the target wrote (or found already written).
WRITTEN = ("created", "updated", "unchanged")


def _comparable(value: t.Any) -> t.Any:
    """A replication key value in a form that orders like the source (dates as dates)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _bookmarks(state: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        stream: mark["replication_key_value"]
        for stream, mark in (state.get("bookmarks") or {}).items()
        if mark.get("replication_key_value") is not None
    }


def _audit_key(stream: str, record: dict[str, t.Any]) -> tuple[str, str]:
    """How the target's audit events name a record of one of its input streams."""
    if stream == "members" and record.get("email_address"):
        return stream, str(record["email_address"]).strip().lower()
    if stream in ("members", "member_tags"):
        # Tags, and deletions known only by ERP key: found by their source_id.
        return stream, f"source_id={record['source_id']}"
    return stream, str(record["id"])


def _by_audit_key(events: list[dict[str, t.Any]]) -> dict[tuple[str, str], dict[str, t.Any]]:
    found = {}
    for event in events:
        found[event["stream"], event["record_key"]] = event
        if event["source_id"] is not None:
            found[event["stream"], f"source_id={event['source_id']}"] = event
    return found


def _in_mailchimp(event: dict[str, t.Any], landed: dict[str, t.Any]) -> bool:
    stream, record_key = event["stream"], event["record_key"]
    if stream == "members":
        return f"member:{record_key}" in landed
    if stream == "member_tags":
        return True  # tags on members found by ERP key: the members are checked
    return f"{stream.removesuffix('s')}:{STORE}:{record_key}" in landed


def acknowledged_but_not_written(
    world: World, state_before: dict[str, t.Any], audited_before: int
) -> tuple[list[str], int]:
    """Target records that the state a killed run left acknowledges but that the target
    did not write; and how many target records that state acknowledges.

    The tap is replayed from `state_before`, the state the killed run started from. Each
    record up to a bookmark the killed run moved is acknowledged, and so is every target
    record the mapping makes of it: the killed run must have audited it (a record at the
    old bookmark itself was audited by an earlier run) and, if written, it is in Mailchimp.
    """
    before = _bookmarks(state_before)
    moved = {
        stream: mark
        for stream, mark in _bookmarks(world.singer_state()).items()
        if before.get(stream) != mark
    }
    if not moved:
        return [], 0
    events = world.audit_events()
    by_killed_run = _by_audit_key(events[audited_before:])
    by_earlier_runs = _by_audit_key(events[:audited_before])
    landed = mailchimp_state(world.bench.mailchimp)
    mapping = Mapping.load(PROJECT / world.bench.workload.mapping_file)
    replication_keys: dict[str, str] = {}
    unwritten: list[str] = []
    acknowledged = 0
    for message in world.replay_tap(state_before):
        stream = message.get("stream", "")
        if message["type"] == "SCHEMA":
            replication_keys[stream] = (message.get("bookmark_properties") or [""])[0]
        if message["type"] != "RECORD" or stream not in moved:
            continue
        value = _comparable(message["record"].get(replication_keys[stream]))
        if value is None or value > _comparable(moved[stream]):
            continue
        at_old_mark = stream in before and value <= _comparable(before[stream])
        for rule, record in mapping.apply(stream, message["record"]):
            acknowledged += 1
            key = _audit_key(rule.target, record)
            event = by_killed_run.get(key) or (by_earlier_runs.get(key) if at_old_mark else None)
            if event is None:
                unwritten.append(f"{stream} at {value} → {key}: never audited")
            elif event["outcome"] in WRITTEN and not _in_mailchimp(event, landed):
                unwritten.append(f"{stream} at {value} → {key}: {event['outcome']}, not landed")
    return unwritten, acknowledged


# The scenarios --------------------------------------------------------------------------


def crash_and_recover(bench: Bench, kill_point: KillPoint, signum: int) -> tuple[int, list[str]]:
    """The baseline's sequence with one run killed at `kill_point` and rerun until it
    succeeds; the runs made, and notes for the results table."""
    baseline = baseline_of(bench)
    world = World(bench, "crash")
    runs, notes = 0, [str(kill_point)]
    for run in RUNS:
        if run == "incremental":
            bench.workload.change(bench.erp)
        if run != kill_point.run:
            world.run()
            runs += 1
            continue
        state_before = world.singer_state() if run != RUNS[0] else {}
        audited_before = len(world.audit_events())
        world.killed_run(kill_point, signum)
        if signum == signal.SIGTERM:
            unwritten, acknowledged = acknowledged_but_not_written(
                world, state_before, audited_before
            )
            notes.append(f"the state it left acknowledges {acknowledged} records")
            assert not unwritten, f"acknowledged but never written: {unwritten[:10]}"
        reruns = world.rerun_until_success()
        runs += 1 + len(reruns)
        notes.append(f"{len(reruns)} rerun(s)")
        if run == "first":
            first_load = compare(baseline.after_first, snapshot(bench.mailchimp))
            assert not (first_load.duplicates or first_load.lost), (
                f"after the recovered first load: {first_load}"
            )
    return runs, notes


@pytest.fixture
def crash_scenario(
    request: pytest.FixtureRequest,
    mailchimp_emulator: MailchimpEmulator,
    sandbox_env: dict[str, str],
    tmp_path: Path,
    report_row: Callable[..., t.Any],
) -> Callable[..., None]:
    """Run a crash scenario against a pipeline, report its row, and check the result."""

    def run(
        pipeline: str,
        scenario: str,
        signum: int,
        kill_point: Callable[[Baseline], KillPoint],
        *,
        batch_mode: bool = False,
    ) -> None:
        bench = Bench(
            pipeline,
            request.getfixturevalue(PIPELINES[pipeline][1]),
            mailchimp_emulator,
            sandbox_env,
            tmp_path,
            extra_env=BATCH_MODE if batch_mode else {},
        )
        point = kill_point(baseline_of(bench))
        started = time.monotonic()
        row: dict[str, t.Any] = {"runs": 0, "expected": 0, "landed": 0, "duplicates": 0}
        try:
            row["runs"], notes = crash_and_recover(bench, point, signum)
        except BaseException as error:
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            notes = [str(point), f"FAILED: {first_line[:200]}"]
            row.update(expected="?", landed="?", duplicates="?", lost="?")
            raise
        else:
            result = compare(baseline_of(bench).final, snapshot(mailchimp_emulator))
            row.update(
                expected=result.expected,
                landed=result.landed,
                duplicates=len(result.duplicates),
                lost=len(result.lost),
            )
            result.assert_clean()
        finally:
            report_row(
                pipeline=pipeline,
                scenario=scenario,
                faults=1,
                notes="; ".join([*notes, f"{time.monotonic() - started:.0f} s"]),
                **row,
            )

    return run


#: The kind of kill point each seed draws, in turn (a signal starts at its own offset),
#: so that three seeds kill every pipeline at each kind with each signal.
ROTATION = ("erp-call", "mailchimp-write", "batch-operation")
OFFSETS = {"SIGKILL": 1, "SIGTERM": 0}
#: The scenarios of `make test` (RELIABILITY_SCOPE=quick); every other one is full_only.
QUICK = {("netsuite", "SIGKILL"), ("netsuite", "SIGTERM after state")}


def _seeded() -> Iterator[t.Any]:
    for pipeline in PIPELINES:
        for name in OFFSETS:
            marks = [] if (pipeline, name) in QUICK else [pytest.mark.full_only]
            for seed in SEEDS:
                kind = ROTATION[(seed - 1 + OFFSETS[name]) % len(ROTATION)]
                test_id = f"{pipeline}-{name}-{kind}-{seed}"
                yield pytest.param(pipeline, name, kind, seed, id=test_id, marks=marks)


@pytest.mark.parametrize(("pipeline", "signal_name", "kind", "seed"), list(_seeded()))
def test_a_run_killed_at_a_seeded_point_is_rerun_to_the_fault_free_result(
    pipeline: str, signal_name: str, kind: str, seed: int, crash_scenario: Callable[..., None]
) -> None:
    def drawn(baseline: Baseline) -> KillPoint:
        # Seeded by the scenario as well, so that scenarios differ but each reproduces.
        chance = random.Random(f"{pipeline}/{signal_name}/{seed}")
        return draw_kill_point(baseline.calls, kind, chance)

    crash_scenario(
        pipeline,
        f"{signal_name} at a seeded {KINDS[kind]}, seed {seed}",
        getattr(signal, signal_name),
        drawn,
        batch_mode=kind == "batch-operation",
    )


@pytest.mark.parametrize(
    "pipeline",
    [
        pytest.param(
            pipeline,
            marks=[] if (pipeline, "SIGTERM after state") in QUICK else [pytest.mark.full_only],
        )
        for pipeline in PIPELINES
    ],
)
def test_sigterm_after_the_first_load_emitted_its_state_acknowledges_only_written_records(
    pipeline: str, crash_scenario: Callable[..., None]
) -> None:
    # The first load's last write turns the store's automations back on, after the
    # target has emitted its state: the state the killed run leaves acknowledges
    # every record, and every one must be in Mailchimp.
    def last_write(baseline: Baseline) -> KillPoint:
        return KillPoint("first", "mailchimp-write", baseline.calls["first"]["mailchimp-write"])

    crash_scenario(pipeline, "SIGTERM at the first load's last write", signal.SIGTERM, last_write)
