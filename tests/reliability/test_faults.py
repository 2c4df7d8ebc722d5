"""Faults injected into the sequence a fault-free run goes through, compared with it.

Each pipeline plays one sequence: a first load, a few ERP changes (an email change among
them), an incremental run. Played without faults it gives the baseline: the Mailchimp
state the pipeline must reach. Each scenario plays it again with faults injected into
the emulators, rerunning a failed run as cron would (a run may fail under a storm; the
next ones must converge), and must land the baseline exactly: no duplicates, nothing lost.

Request timeouts: target-mailchimp has `request_timeout`; the taps send every request with
the SDK's fixed 300 s (`RESTStream.timeout`, not configurable), so on the ERP side slow
responses stay below it and only the Mailchimp side is slowed past the client's timeout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import PROJECT
from tests.reliability.conftest import PIPELINES, SEEDS, compare, mailchimp_state

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from erp_sandbox.mailchimp import MailchimpEmulator

    from tests.conftest import MeltanoResult

#: Runs of one phase (the first load, the incremental run) before the scenario gives up:
#: the failed ones are reruns by the next cron tick.
RUNS_PER_PHASE = 4

#: Smaller pages than the defaults, so faults land in the middle of paging (the baseline
#: reads with the same sizes).
PAGE_SIZES = {
    "netsuite": {"TAP_NETSUITE_PAGE_SIZE": "100"},
    "oracle-fusion": {"TAP_ORACLE_FUSION_PAGE_SIZE": "100"},
    "acumatica": {"TAP_ACUMATICA_PAGE_SIZE": "100"},
    "jde": {"TAP_JDE_PAGE_SIZE": "100"},
    "exact": {},  # the Sync API's page is the server's: see `prepare`
}

#: Where each ERP serves the records a run reads (fnmatch globs of the fault queue).
DATA_PATHS = {
    "netsuite": "/services/rest/query/v1/suiteql",
    "oracle-fusion": "/*RestApi/resources/*",
    "acumatica": "/entity/Default/*",
    "jde": "/jderest/v2/dataservice",
    "exact": "/api/v1/*/sync/*",
}

#: Token requests and start-up checks, outside the data paths. Only tap-jde retries
#: them (elsewhere a 5xx or a drop there ends the run; the next run starts afresh), so
#: rate-based storms leave them alone and `ERP auth endpoint outage` covers them.
AUTH_PATHS = {
    "netsuite": ("/services/rest/auth/*",),
    "oracle-fusion": ("/oauth2/*",),
    "acumatica": ("/identity/*", "/entity/", "/entity/auth/*"),
    "jde": ("/jderest/v2/tokenrequest*",),
    "exact": ("/api/oauth2/*",),
}

#: Taps that wait as long as an ERP's `Retry-After` says (the others back off their own
#: way, which ends the same, later or sooner).
HONOURS_RETRY_AFTER = {"oracle-fusion"}

#: Another pipeline writing to the same audience and store at the same time.
PARTNERS = {
    "netsuite": "jde",
    "oracle-fusion": "acumatica",
    "acumatica": "exact",
    "jde": "oracle-fusion",
    "exact": "netsuite",
}


# The ERP changes between the first load and the incremental run ---------------------


def change_netsuite(netsuite: t.Any) -> None:
    """An email change, a deactivation and a new sales order, stamped a day after the
    latest transaction (not by the wall clock: the order's `updated_at_foreign` must be
    the same in every sequence)."""
    ((latest,),) = netsuite.db.fetch('SELECT MAX(lastmodifieddate) FROM "transaction"')
    zone = ZoneInfo(netsuite.settings.account_timezone)
    netsuite.clock.freeze(dt.datetime.fromisoformat(latest).replace(tzinfo=zone) + dt.timedelta(1))
    try:
        _change_netsuite(netsuite)
    finally:
        netsuite.clock.unfreeze()


def _change_netsuite(netsuite: t.Any) -> None:
    moving, leaving = (
        row[0]
        for row in netsuite.db.fetch(
            "SELECT id FROM customer WHERE email IS NOT NULL AND isinactive = 'F' "
            "ORDER BY id LIMIT 2"
        )
    )
    netsuite.update_record("customer", moving, email="moved.address@keystone-optics.fr")
    netsuite.update_record("customer", leaving, isinactive="T")
    _, entity, email, currency = netsuite.db.fetch(
        'SELECT id, entity, email, currency FROM "transaction" '
        "WHERE type = 'SalesOrd' AND email IS NOT NULL ORDER BY id LIMIT 1"
    )[0]
    order = netsuite.insert_record(
        "transaction",
        tranid="SO99999",
        type="SalesOrd",
        entity=entity,
        email=email,
        currency=currency,
        status="B",
        foreigntotal=42.0,
        trandate="2024-03-01",
    )
    netsuite.insert_record(
        "transactionline",
        transaction=order["id"],
        id=1,
        linesequencenumber=1,
        item=201,
        quantity=-2,
        rate=21.0,
        netamount=-42.0,
        mainline="F",
        taxline="F",
    )


def change_fusion(fusion: t.Any) -> None:
    """An email change and a deactivation."""
    with fusion.store.reading():
        active = [
            row["PartyNumber"]
            for row in fusion.store.rows("accounts")
            if row["EmailAddress"] and row["Status"] == "A"
        ]
    moving, leaving = active[:2]
    fusion.update_record("accounts", moving, EmailAddress="moved.address@contoso-fabrics.com")
    fusion.update_record("accounts", leaving, Status="I")


def change_acumatica(acumatica: t.Any) -> None:
    """An email change and a deactivation of contacts who may be mailed."""
    with acumatica.store.reading():
        mailable = [
            row["ContactID"]
            for row in acumatica.store.rows("Contact")
            if row.get("Email")
            and row.get("Active")
            and not (row.get("DoNotEmail") or row.get("NoMarketing") or row.get("NoMassMail"))
        ]
    moving, leaving = mailable[:2]
    acumatica.update_record("Contact", moving, Email="moved.address@cedaroptics.co.uk")
    acumatica.update_record("Contact", leaving, Active=False)


def change_jde(jde: t.Any) -> None:
    """An email change and a change of current address."""
    emails = sorted(
        row["AN8"]
        for row in jde.store.rows("F01151")
        if row["IDLN"] == 0 and row["RCK7"] == 1 and row["ETP"] == "E" and row["EMAL"].strip()
    )
    renamed, moved = emails[:2]
    jde.update_record("F01151", (renamed, 0, 1), EMAL="purchasing@vantage-marine.co.uk")
    current = max(
        (r for r in jde.store.rows("F0116") if r["AN8"] == moved), key=lambda r: r["EFTB"]
    )
    jde.update_record(
        "F0116",
        (moved, current["EFTB"]),
        ADD1="14 Harbour Street",
        CTY1="Whitby",
        ADDS="NY",
        ADDZ="YO21 3PN",
    )


def change_exact(exact: t.Any) -> None:
    """An email change, a new account and a credit note."""
    with exact.store.reading():
        accounts = [dict(row) for row in exact.store.rows("Accounts")]
        contact_emails = {row.get("Email") for row in exact.store.rows("Contacts")}
    account = next(
        a
        for a in accounts
        if a.get("Email")
        and a.get("IsSales")
        and not a.get("Blocked")
        and a["Email"] not in contact_emails
    )
    exact.update_record("Accounts", account["ID"], Email="orders@tidewater-foods.nl")
    exact.insert_record(
        "Accounts",
        ID="5b0c3f5e-8d1a-4c2e-9f4b-6a7d8e9f0a1b",  # a fixed GUID: the e-commerce customer id
        Name="Noordzee Vishandel BV",
        Email="inkoop@noordzee-vishandel.nl",
        Status="C",
        City="Den Helder",
        Country="NL",
    )
    exact.insert_record(
        "SalesInvoices",
        InvoiceTo=account["ID"],
        Type=8021,
        SalesInvoiceLines=[{"ItemCode": "DESK-BLU", "Quantity": -1.0, "UnitPrice": 339.61}],
        # Dated, not "today" in Amsterdam: a session crossing midnight there would otherwise
        # compare a credit note of one day with the cached baseline's of the day before.
        InvoiceDate=dt.date(2026, 3, 2),
        DueDate=dt.date(2026, 4, 1),
    )


CHANGES: dict[str, Callable[[t.Any], None]] = {
    "netsuite": change_netsuite,
    "oracle-fusion": change_fusion,
    "acumatica": change_acumatica,
    "jde": change_jde,
    "exact": change_exact,
}


def prepare(pipeline: str, erp: t.Any) -> None:
    """Emulator settings every sequence of the pipeline starts with."""
    if pipeline == "exact":
        erp.configure(sync_page_size=200)


def expire_tokens(pipeline: str, erp: t.Any, expiry: int) -> None:
    """End the tap's access token or session now, as each ERP does it (`expiry` counts
    the sequence's expiries, from 1).

    Exact refuses a refresh sooner than 570 s after the last token, so there the token
    expires for real: the emulator's clock jumps 10 minutes on per expiry (and stands
    still until the run ends), and the refresh rotates the refresh token.
    """
    if pipeline == "jde":
        erp.expire_tokens()  # the session ends: 444
    elif pipeline == "exact":
        erp.clock.freeze(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10 * expiry))
    else:
        erp.revoke_tokens()  # 401


# Scenarios --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Faults armed at the start of each phase of the sequence.

    `erp_rates`/`mailchimp_rates` go to `faults.configure` (seeded), `erp_burst`/
    `mailchimp_bursts` to `faults.enqueue` (the ERP's burst on its data path);
    `expire_after` ends the ERP token after that many ERP calls of each run of the first
    load (`expire_again`: of the incremental run).
    """

    name: str
    erp_rates: dict[str, t.Any] = field(default_factory=dict)
    erp_burst: dict[str, t.Any] = field(default_factory=dict)
    mailchimp_rates: dict[str, t.Any] = field(default_factory=dict)
    mailchimp_bursts: tuple[dict[str, t.Any], ...] = ()
    expire_after: int | None = None
    #: The same for the incremental run's runs (None: no expiry there).
    expire_again: int | None = None
    #: A 503, then a dropped connection, on the ERP's token endpoint.
    erp_auth_outage: bool = False
    env: dict[str, str] = field(default_factory=dict)
    #: Whether delayed calls count as faults (they do when the delay is the fault).
    delays_are_faults: bool = False
    notes: str = ""

    @property
    def seeded(self) -> bool:
        return bool(self.erp_rates or self.mailchimp_rates)


FAULT_FREE = Scenario("fault-free")

#: The quick scope's one scenario per pipeline: a little of everything, cheap enough for
#: `make test` (each ERP fault costs the tap a backoff of seconds; Mailchimp's, nothing).
MIXED = Scenario(
    "mixed: ERP response cut + token expiry, Mailchimp 429/5xx/drops",
    erp_burst={"drop": "mid_body", "times": 1},
    mailchimp_rates={"rate_429": 0.04, "rate_5xx": 0.04, "drop_rate": 0.03},
    expire_after=3,  # in the first load only: each expiry costs the tap a backoff too
)

SCENARIOS = [
    Scenario("ERP 429 storm, no Retry-After", erp_rates={"rate_429": 0.3}),
    Scenario(
        "ERP 429 storm, Retry-After 1 s", erp_rates={"rate_429": 0.3, "retry_after_seconds": 1}
    ),
    Scenario(
        "ERP 5xx burst",
        erp_rates={"rate_5xx": 0.15},
        erp_burst={"status": 503, "times": 2},
    ),
    Scenario(
        "ERP dropped connections",
        erp_rates={"drop_rate": 0.15},
        erp_burst={"drop": "no_response", "times": 2},
    ),
    Scenario(
        "ERP slow responses (below the tap's fixed 300 s timeout)",
        erp_rates={"latency_ms": 200, "latency_jitter_ms": 300},
        delays_are_faults=True,
        notes="the taps have no request timeout setting (the SDK's fixed 300 s)",
    ),
    Scenario("token expiry mid-run", expire_after=2, expire_again=2),
    Scenario("ERP auth endpoint outage", erp_auth_outage=True),
    Scenario("Mailchimp 429 storm, no Retry-After", mailchimp_rates={"rate_429": 0.2}),
    Scenario(
        "Mailchimp 429 storm, Retry-After 1 s",
        mailchimp_rates={"rate_429": 0.1, "retry_after_seconds": 1},
        env={"TARGET_MAILCHIMP_MAX_BACKOFF_SECONDS": "2"},
    ),
    Scenario(
        "Mailchimp 5xx burst",
        mailchimp_rates={"rate_5xx": 0.1},
        mailchimp_bursts=({"method": "POST", "status": 503, "times": 3},),
    ),
    Scenario(
        "Mailchimp dropped connections",
        mailchimp_rates={"drop_rate": 0.1, "drop_mode": "no_response"},
        mailchimp_bursts=({"method": "POST", "drop": "mid_body", "times": 2},),
    ),
    Scenario(
        "Mailchimp slow past request_timeout (1 s)",
        mailchimp_bursts=(
            # Late answers to writes the emulator still applies: the retry repeats them.
            {"method": "POST", "path": "/3.0/lists/*", "delay_ms": 1500, "times": 2},
            {"method": "PUT", "delay_ms": 1500, "times": 2},
            {"method": "POST", "path": "/3.0/ecommerce/*", "delay_ms": 1500, "times": 2},
            {"method": "PATCH", "delay_ms": 1500, "times": 1},
        ),
        env={"TARGET_MAILCHIMP_REQUEST_TIMEOUT": "1"},
        delays_are_faults=True,
    ),
]


# Playing a sequence ------------------------------------------------------------------


@dataclass
class Played:
    """What a sequence took: meltano runs, of which failed, and token expiries."""

    runs: int = 0
    failed: int = 0
    expiries: int = 0
    #: The end of the last failed run's output.
    last_failure: str = ""


class Emulators:
    """The test's emulators, by pipeline."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.mailchimp: MailchimpEmulator = request.getfixturevalue("mailchimp_emulator")
        self.exact = request.getfixturevalue("exact_emulator")

    def erp(self, pipeline: str) -> t.Any:
        return self.request.getfixturevalue(PIPELINES[pipeline][1])


def workspace(tmp_path: Path, name: str, exact: t.Any) -> dict[str, str]:
    """A sequence's own Meltano state, audit store and Exact token store, and its own
    `.meltano` run directory: Meltano writes a run's catalog and state to files there,
    which another `meltano run` of the same tap (another test session in this working
    tree) would otherwise overwrite under it. The installed plugins are shared."""
    directory = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp_path))
    system = directory / "meltano"
    system.mkdir()
    for kind in ("extractors", "mappers", "loaders"):
        (system / kind).symlink_to(PROJECT / ".meltano" / kind, target_is_directory=True)
    return {
        "MELTANO_SYS_DIR_ROOT": str(system),
        "MELTANO_DATABASE_URI": f"sqlite:///{directory / 'meltano.db'}",
        "TARGET_MAILCHIMP_AUDIT_DATABASE_URL": f"sqlite:///{directory / 'audit.db'}",
        "TAP_EXACT_TOKEN_STORE_URL": str(directory / "exact-token"),
        "TAP_EXACT_REFRESH_TOKEN": exact.issue_refresh_token(),
    }


@contextlib.contextmanager
def tokens_expiring(pipeline: str, erp: t.Any, after: int | None, played: Played) -> Iterator[None]:
    """End the ERP's token once the run has made `after` calls to the ERP."""
    if after is None:
        yield
        return
    start = len(erp.calls)
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.01):
            if len(erp.calls) - start >= after:
                played.expiries += 1
                expire_tokens(pipeline, erp, played.expiries)
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        if pipeline == "exact":
            erp.clock.unfreeze()


def arm(scenario: Scenario, pipeline: str, erp: t.Any, mailchimp: t.Any, seed: int) -> None:
    """Faults for one phase; the same seed gives the same draws."""
    if scenario.erp_rates:
        for path in AUTH_PATHS[pipeline]:
            erp.faults.enqueue(path=path, times=1_000_000)  # passes through, unharmed
        erp.faults.configure(**scenario.erp_rates, seed=seed)
    if scenario.erp_burst:
        erp.faults.enqueue(path=DATA_PATHS[pipeline], **scenario.erp_burst)
    if scenario.erp_auth_outage:
        token_path = AUTH_PATHS[pipeline][0]
        erp.faults.enqueue(path=token_path, status=503)
        erp.faults.enqueue(path=token_path, drop="no_response")
    if scenario.mailchimp_rates:
        mailchimp.faults.configure(**scenario.mailchimp_rates, seed=seed)
    for burst in scenario.mailchimp_bursts:
        mailchimp.faults.enqueue(**burst)


def disarm(scenario: Scenario, erp: t.Any, mailchimp: t.Any) -> None:
    """No more faults from this scenario (Mailchimp's only if it armed them: another
    pipeline's test may have set some)."""
    erp.faults.clear()
    if scenario.mailchimp_rates or scenario.mailchimp_bursts:
        mailchimp.faults.clear()


def play(
    pipeline: str,
    scenario: Scenario,
    emulators: Emulators,
    meltano: Callable[..., MeltanoResult],
    env: dict[str, str],
    seed: int = 0,
) -> Played:
    """First load, ERP changes, incremental run; each run rerun until it succeeds."""
    job = PIPELINES[pipeline][0]
    erp = emulators.erp(pipeline)
    mailchimp = emulators.mailchimp
    env = {**env, **PAGE_SIZES[pipeline], **scenario.env}
    played = Played()
    prepare(pipeline, erp)
    for phase in ("first load", "incremental run"):
        if phase != "first load":
            disarm(scenario, erp, mailchimp)
            CHANGES[pipeline](erp)
        arm(scenario, pipeline, erp, mailchimp, seed)
        for _ in range(RUNS_PER_PHASE):
            expire_after = scenario.expire_after if phase == "first load" else scenario.expire_again
            with tokens_expiring(pipeline, erp, expire_after, played):
                result = meltano("run", job, check=False, env=env)
            played.runs += 1
            if result.returncode == 0:
                break
            played.failed += 1
            played.last_failure = result.output[-3000:]
        else:
            pytest.fail(
                f"{pipeline} {phase} did not converge in {RUNS_PER_PHASE} runs "
                f"under {scenario.name}:\n{result.output[-3000:]}"
            )
    disarm(scenario, erp, mailchimp)
    return played


#: Baseline Mailchimp state per pipeline, computed once a session (the emulators start
#: from the same data after a reset: `test_fault_free_sequence_is_deterministic`).
_BASELINES: dict[str, dict[str, t.Any]] = {}


def fault_free_state(
    pipeline: str,
    emulators: Emulators,
    meltano: Callable[..., MeltanoResult],
    tmp_path: Path,
) -> dict[str, t.Any]:
    """The state the fault-free sequence leaves, then the emulators back to the start."""
    erp = emulators.erp(pipeline)
    env = workspace(tmp_path, f"fault-free-{pipeline}", emulators.exact)
    played = play(pipeline, FAULT_FREE, emulators, meltano, env)
    assert not played.failed, f"a fault-free {pipeline} run failed:\n{played.last_failure}"
    state = mailchimp_state(emulators.mailchimp)
    emulators.mailchimp.reset(restore_settings=True)
    erp.reset(restore_settings=True)
    return state


def baseline(
    pipeline: str,
    emulators: Emulators,
    meltano: Callable[..., MeltanoResult],
    tmp_path: Path,
) -> dict[str, t.Any]:
    """The fault-free state, cached for the session."""
    if pipeline not in _BASELINES:
        _BASELINES[pipeline] = fault_free_state(pipeline, emulators, meltano, tmp_path)
    return _BASELINES[pipeline]


def faults_injected(played: Played, scenario: Scenario, erp: t.Any, mailchimp: t.Any) -> int:
    """Calls the emulators answered with a fault (a delay only when the delay is the
    fault), Mailchimp's own 429s for more than 10 connections, and token expiries."""
    calls = [*erp.calls, *mailchimp.calls]
    injected = sum(
        1 for c in calls if c.fault and (c.fault != "delay" or scenario.delays_are_faults)
    )
    over_the_limit = sum(1 for c in mailchimp.calls if c.status == 429 and c.fault is None)
    return injected + over_the_limit + played.expiries


def run_scenario(
    pipeline: str,
    scenario: Scenario,
    seed: int,
    request: pytest.FixtureRequest,
    meltano: Callable[..., MeltanoResult],
    tmp_path: Path,
    report_row: Callable[..., t.Any],
) -> None:
    """Play `scenario`, compare with the baseline, report the row, assert clean."""
    emulators = Emulators(request)
    expected = baseline(pipeline, emulators, meltano, tmp_path)
    erp = emulators.erp(pipeline)
    env = workspace(tmp_path, "scenario", emulators.exact)
    played = play(pipeline, scenario, emulators, meltano, env, seed)
    comparison = compare(expected, mailchimp_state(emulators.mailchimp))
    report_row(
        pipeline=pipeline,
        scenario=scenario.name + (f" (seed {seed})" if scenario.seeded else ""),
        runs=played.runs,
        faults=faults_injected(played, scenario, erp, emulators.mailchimp),
        expected=comparison.expected,
        landed=comparison.landed,
        duplicates=len(comparison.duplicates),
        lost=len(comparison.lost),
        notes=notes(pipeline, scenario, played),
    )
    comparison.assert_clean()


def notes(pipeline: str, scenario: Scenario, played: Played) -> str:
    """What the row should tell beyond the counts."""
    said = [scenario.notes] if scenario.notes else []
    if scenario.erp_rates.get("retry_after_seconds"):
        honoured = pipeline in HONOURS_RETRY_AFTER
        said.append("Retry-After honoured" if honoured else "Retry-After ignored (own backoff)")
    if scenario.erp_auth_outage:
        retried = played.failed == 0
        said.append("token request retried" if retried else "token request not retried")
    if played.failed:
        said.append(f"{played.failed} failed run(s) rerun")
    return "; ".join(said)


# Tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_mixed_faults_converge_to_the_fault_free_state(
    pipeline, seed, request, meltano, tmp_path, report_row
) -> None:
    run_scenario(pipeline, MIXED, seed, request, meltano, tmp_path, report_row)


def _scenario_params() -> list[t.Any]:
    params = []
    for scenario in SCENARIOS:
        for seed in SEEDS if scenario.seeded else [0]:
            suffix = f"-seed{seed}" if scenario.seeded else ""
            params.append(pytest.param(scenario, seed, id=scenario.name + suffix))
    return params


@pytest.mark.full_only
@pytest.mark.parametrize(("scenario", "seed"), _scenario_params())
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_faults_converge_to_the_fault_free_state(
    pipeline, scenario, seed, request, meltano, tmp_path, report_row
) -> None:
    run_scenario(pipeline, scenario, seed, request, meltano, tmp_path, report_row)


@pytest.mark.full_only
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_fault_free_sequence_is_deterministic(
    pipeline, request, meltano, tmp_path, report_row
) -> None:
    """What makes the session's cached baseline valid for every scenario."""
    emulators = Emulators(request)
    expected = baseline(pipeline, emulators, meltano, tmp_path)
    comparison = compare(expected, fault_free_state(pipeline, emulators, meltano, tmp_path))
    report_row(
        pipeline=pipeline,
        scenario="fault-free again (baseline determinism)",
        runs=2,
        faults=0,
        expected=comparison.expected,
        landed=comparison.landed,
        duplicates=len(comparison.duplicates),
        lost=len(comparison.lost),
    )
    comparison.assert_clean()


CONCURRENT = Scenario(
    "second pipeline at the same time (Mailchimp 10-connection limit)",
    env={
        # Each run alone may use all 10 connections; the two together would pass them.
        "TARGET_MAILCHIMP_MAX_CONCURRENCY": "10",
        # meltano.yml's sandbox backoff, not the tests' 0 s: retries that never wait
        # would only meet the other run's connections again.
        "TARGET_MAILCHIMP_MAX_BACKOFF_SECONDS": "2",
    },
)


@pytest.mark.full_only
@pytest.mark.parametrize("pipeline", list(PIPELINES))
def test_a_second_pipeline_sharing_mailchimp_converges(
    pipeline, request, meltano, tmp_path, report_row
) -> None:
    """Two `meltano run`s at once against one Mailchimp account, each allowed all of its
    10 connections: sharing the account's connection slots, they never get a 429."""
    partner = PARTNERS[pipeline]
    emulators = Emulators(request)
    ours, theirs = (baseline(name, emulators, meltano, tmp_path) for name in (pipeline, partner))
    shared = {key for key in set(ours) & set(theirs) if ours[key] != theirs[key]}
    assert not shared, f"{pipeline} and {partner} write the same objects differently: {shared}"
    expected = {**ours, **theirs}
    envs = {name: workspace(tmp_path, name, emulators.exact) for name in (pipeline, partner)}
    slots = f"sqlite:///{tmp_path / 'mailchimp-connection-slots.db'}"
    for name in (pipeline, partner):
        # Own audit stores, one database of the account's connection slots.
        envs[name]["TARGET_MAILCHIMP_CONNECTION_LIMIT_DATABASE_URL"] = slots
        emulators.erp(name)  # fixtures resolved here, not in the threads
    # Slower answers keep requests in flight long enough for the two runs to overlap.
    emulators.mailchimp.faults.configure(latency_ms=100)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(play, name, CONCURRENT, emulators, meltano, envs[name])
            for name in (pipeline, partner)
        ]
        played = [future.result() for future in futures]
    emulators.mailchimp.faults.clear()

    comparison = compare(expected, mailchimp_state(emulators.mailchimp))
    over_the_limit = sum(
        1 for call in emulators.mailchimp.calls if call.status == 429 and call.fault is None
    )
    failed = sum(p.failed for p in played)
    report_row(
        pipeline=pipeline,
        scenario=f"{CONCURRENT.name}, with {partner}",
        runs=sum(p.runs for p in played),
        faults=over_the_limit,
        expected=comparison.expected,
        landed=comparison.landed,
        duplicates=len(comparison.duplicates),
        lost=len(comparison.lost),
        notes=f"{over_the_limit} Mailchimp 429s for too many connections"
        + (f"; {failed} failed run(s) rerun" if failed else ""),
    )
    comparison.assert_clean()
    assert over_the_limit == 0
