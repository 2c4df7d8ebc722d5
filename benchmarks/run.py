"""Run the benchmarks: `python -m benchmarks [--sizes 10000,100000] [--pipelines netsuite,…]`.

For each pipeline and N: seed the ERP emulator with N customers and N orders, set the
per-call latency (Mailchimp and ERP), run `meltano --environment=sandbox run <job>` (the
first load), change a share of the customers and orders, run it again (incremental), run
it once more with nothing changed, then time the sequential baseline on the same data.
Every run records wall time, records per stage, per-process peak memory and CPU seconds,
and the API calls by endpoint against the floors. The results go to `results.json`,
`RESULTS.md` and `results.png` (see `benchmarks/report.py`).

Every size and latency is a setting (command line, or the `BENCH_*` environment variables
`make bench` passes on).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import typing as t
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.baseline import run_baseline, snapshot
from benchmarks.calls import (
    MAILCHIMP_CONCURRENCY,
    ErpCalls,
    MailchimpCalls,
    ecommerce_floor,
    erp_read_floor,
    member_write_floor,
)
from benchmarks.processes import RunMeasurement, run_measured
from benchmarks.sandbox import PIPELINES, PROJECT, Emulators, Pipeline

HERE = Path(__file__).resolve().parent
MELTANO = str(Path(sys.executable).parent / "meltano")
STAGES = ("tap", "mapper", "target", "meltano")
MEBIBYTE = 1024 * 1024


@dataclass
class Settings:
    """What to run, and how slow the APIs are."""

    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    pipelines: list[str] = field(default_factory=lambda: list(PIPELINES))
    mailchimp_latency_ms: float = 30
    erp_latency_ms: float = 100
    change_share: float = 0.01
    #: Members and orders the baseline sends and times (0 = all); the rest is extrapolated.
    baseline_limit: int = 1000
    #: Time the sequential baseline after the pipeline's runs.
    with_baseline: bool = True
    run_timeout_seconds: float = 3600
    results_dir: Path = HERE
    #: Keep each run's Meltano state, audit store and logs here (default: a temporary dir).
    workdir: Path | None = None


@dataclass
class StageResult:
    """One process of the pipeline (tap, mapper, target, or Meltano itself)."""

    records: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float

    @property
    def records_per_second(self) -> float:
        """Records over the process's lifetime."""
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class RunResult:
    """One `meltano run` of a pipeline: first load, incremental, or no change."""

    pipeline: str
    n: int
    kind: str
    returncode: int
    wall_seconds: float
    tree_cpu_seconds: float
    stages: dict[str, StageResult]
    tap_records: dict[str, int]
    target_records: dict[str, int]
    changed: dict[str, int]
    mailchimp: MailchimpCalls
    erp: ErpCalls
    erp_floor: int
    erp_streams: int
    page_size: int
    has_orders: bool
    error: str = ""

    def checks(self) -> list[tuple[str, bool, str]]:
        """The issue's call-count targets for this run: (name, holds, figures)."""
        checks: list[tuple[str, bool, str]] = []
        members_in = self.target_records.get("members", 0)
        if self.kind == "first":
            member_floor = member_write_floor(max(members_in, 1))
            orders = self.n if self.has_orders else 0
        else:
            member_floor = member_write_floor(self.changed.get("customers", 0))
            orders = self.changed.get("orders", 0) if self.has_orders else 0
        checks.append(
            (
                "member writes",
                self.mailchimp.member_writes <= member_floor,
                f"{self.mailchimp.member_writes} ≤ {member_floor}",
            )
        )
        if self.kind == "no-change":
            checks.append(
                ("no writes", self.mailchimp.writes == 0, f"{self.mailchimp.writes} write calls")
            )
        if self.has_orders or self.mailchimp.ecommerce:
            limit = ecommerce_floor(orders)
            checks.append(
                (
                    "e-commerce calls",
                    self.mailchimp.ecommerce <= limit,
                    f"{self.mailchimp.ecommerce} ≤ {limit}",
                )
            )
        allowance = self.erp_floor + self.erp_streams
        checks.append(
            (
                "ERP reads",
                self.erp.reads <= allowance,
                f"{self.erp.reads} vs floor {self.erp_floor} (+{self.erp_streams} last pages)",
            )
        )
        if self.erp.repeated_pages is not None:
            checks.append(
                ("no repeated pages", self.erp.repeated_pages == 0, f"{self.erp.repeated_pages}")
            )
        checks.append(
            (
                "concurrency",
                self.mailchimp.concurrency <= MAILCHIMP_CONCURRENCY,
                f"{self.mailchimp.concurrency} ≤ {MAILCHIMP_CONCURRENCY}",
            )
        )
        return checks


@dataclass
class PipelineResult:
    """A pipeline at one N: its three runs and the baseline on the same data."""

    pipeline: str
    n: int
    seeded: dict[str, int]
    runs: list[RunResult]
    baseline: dict[str, t.Any] | None = None

    def run(self, kind: str) -> RunResult | None:
        """The run of that kind, if it happened."""
        return next((run for run in self.runs if run.kind == kind), None)


def load_results(path: Path) -> list[PipelineResult]:
    """Results written to `results.json` by an earlier run (to rewrite the reports)."""
    results = []
    for raw in json.loads(path.read_text()):
        runs = []
        for run in raw["runs"]:
            stages = {name: StageResult(**stage) for name, stage in run["stages"].items()}
            mailchimp = MailchimpCalls(**run["mailchimp"])
            erp = ErpCalls(**run["erp"])
            runs.append(RunResult(**{**run, "stages": stages, "mailchimp": mailchimp, "erp": erp}))
        results.append(PipelineResult(**{**raw, "runs": runs}))
    return results


def _metric_records(stderr: str) -> tuple[dict[str, int], dict[str, int]]:
    """Records per stream counted by the tap and by the target (their `record_count`
    metrics, summed: the SDK logs the counter in increments)."""
    tap: Counter[str] = Counter()
    target: Counter[str] = Counter()
    for line in stderr.splitlines():
        if '"record_count"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        info = event.get("metric_info") or {}
        stream = (info.get("tags") or {}).get("stream")
        if info.get("metric") != "record_count" or stream is None:
            continue
        plugin = str(event.get("string_id", ""))
        counter = target if plugin.startswith("target-") else tap
        counter[stream] += int(info.get("value", 0))
    return dict(tap), dict(target)


def _stages(measurement: RunMeasurement, tap_records: int, target_records: int) -> dict:
    records = {"tap": tap_records, "mapper": tap_records, "target": target_records, "meltano": 0}
    stages: dict[str, StageResult] = {}
    for stage in STAGES:
        processes = measurement.stage(stage)
        if not processes:
            continue
        stages[stage] = StageResult(
            records=records[stage],
            seconds=max(process.seconds for process in processes),
            cpu_seconds=sum(process.cpu_seconds for process in processes),
            peak_rss_mb=max(process.peak_rss_bytes for process in processes) / MEBIBYTE,
        )
    return stages


def run_pipeline_once(
    emulators: Emulators,
    pipeline: Pipeline,
    n: int,
    kind: str,
    env: dict[str, str],
    settings: Settings,
    changed: dict[str, int],
    log_dir: Path,
) -> RunResult:
    """One measured `meltano run` of the pipeline, with the calls it made."""
    erp = emulators.erp(pipeline)
    emulators.mailchimp.calls.reset()
    emulators.mailchimp.batch_operations.reset()
    erp.calls.reset()
    measurement = run_measured(
        [MELTANO, "--log-format=json", "--environment=sandbox", "run", pipeline.job],
        cwd=str(PROJECT),
        env=env,
        timeout=settings.run_timeout_seconds,
    )
    (log_dir / f"{pipeline.name}-{n}-{kind}.log").write_text(measurement.stderr)
    tap_records, target_records = _metric_records(measurement.stderr)
    error = ""
    if measurement.returncode != 0:
        error = _last_error(measurement.stderr)
    child_pages = pipeline.child_pages(erp, tap_records) if pipeline.child_pages else 0
    return RunResult(
        pipeline=pipeline.name,
        n=n,
        kind=kind,
        returncode=measurement.returncode,
        wall_seconds=measurement.wall_seconds,
        tree_cpu_seconds=measurement.tree_cpu_seconds,
        stages=_stages(measurement, sum(tap_records.values()), sum(target_records.values())),
        tap_records=tap_records,
        target_records=target_records,
        changed=changed,
        mailchimp=MailchimpCalls.of(
            emulators.mailchimp.calls.calls, emulators.mailchimp.batch_operations.calls
        ),
        erp=ErpCalls.of(erp.calls.calls),
        erp_floor=erp_read_floor(tap_records, pipeline.page_size) + child_pages,
        erp_streams=len(tap_records),
        page_size=pipeline.page_size,
        has_orders=pipeline.has_orders,
        error=error,
    )


def _last_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if '"level": "error"' in line]
    return (lines[-1] if lines else stderr.strip().splitlines()[-1:] or [""])[0][:500]


def benchmark_pipeline(
    emulators: Emulators, pipeline: Pipeline, n: int, settings: Settings, workdir: Path
) -> PipelineResult:
    """First load, incremental after `change_share` changed, no-change run, baseline."""
    erp = emulators.erp(pipeline)
    started = time.monotonic()
    seeded = pipeline.seed(erp, n)
    erp.reset()
    emulators.mailchimp.reset()
    print(f"[bench] {pipeline.name} N={n}: seeded in {time.monotonic() - started:.1f}s", flush=True)
    emulators.mailchimp.faults.configure(latency_ms=settings.mailchimp_latency_ms)
    erp.faults.configure(latency_ms=settings.erp_latency_ms)
    run_dir = workdir / f"{pipeline.name}-{n}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    env = emulators.meltano_env(run_dir)
    result = PipelineResult(pipeline.name, n, seeded, [])

    plan: list[tuple[str, t.Callable[[], dict[str, int]]]] = [
        ("first", dict),
        ("incremental", lambda: pipeline.change(erp, settings.change_share)),
        ("no-change", dict),
    ]
    for kind, change in plan:
        changed = change()
        run = run_pipeline_once(emulators, pipeline, n, kind, env, settings, changed, run_dir)
        result.runs.append(run)
        status = "ok" if run.returncode == 0 else f"FAILED ({run.error})"
        print(
            f"[bench] {pipeline.name} N={n} {kind}: {run.wall_seconds:.1f}s, "
            f"Mailchimp {run.mailchimp.total} calls ({run.mailchimp.writes} writes), "
            f"ERP {run.erp.reads} reads; {status}",
            flush=True,
        )
        if run.returncode != 0:
            return result
        if kind == "first":
            data = snapshot(emulators.mailchimp)
    if not settings.with_baseline:
        return result
    baseline = run_baseline(data, settings.mailchimp_latency_ms, settings.baseline_limit or None)
    result.baseline = {**asdict(baseline), "seconds": baseline.seconds}
    print(
        f"[bench] {pipeline.name} N={n} baseline: {baseline.seconds:.1f}s"
        f"{' (extrapolated)' if baseline.extrapolated else ''}",
        flush=True,
    )
    return result


def run_benchmarks(settings: Settings) -> list[PipelineResult]:
    """Every pipeline at every size, against emulators started for the purpose."""
    results: list[PipelineResult] = []
    workdir = settings.workdir or Path(tempfile.mkdtemp(prefix="erp-bench-"))
    emulators = Emulators().start()
    try:
        for n in settings.sizes:
            for name in settings.pipelines:
                pipeline = PIPELINES[name]
                try:
                    results.append(benchmark_pipeline(emulators, pipeline, n, settings, workdir))
                except Exception:  # one broken pipeline must not lose the others
                    print(f"[bench] {name} N={n} broke:\n{traceback.format_exc()}", flush=True)
                # Written as it goes: a long run stopped halfway keeps what it measured.
                (workdir / "results.partial.json").write_text(
                    json.dumps([asdict(result) for result in results], indent=1, default=str)
                )
    finally:
        emulators.stop()
        if settings.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return results


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=env.get("BENCH_SIZES", "10000,100000"),
        help="comma-separated N (customers and orders) (env BENCH_SIZES; %(default)s)",
    )
    parser.add_argument(
        "--pipelines",
        default=env.get("BENCH_PIPELINES", ",".join(PIPELINES)),
        help="comma-separated pipelines (env BENCH_PIPELINES; %(default)s)",
    )
    parser.add_argument(
        "--mailchimp-latency-ms",
        type=float,
        default=float(env.get("BENCH_MAILCHIMP_LATENCY_MS", "30")),
        help="latency of every Mailchimp call (env BENCH_MAILCHIMP_LATENCY_MS; %(default)s)",
    )
    parser.add_argument(
        "--erp-latency-ms",
        type=float,
        default=float(env.get("BENCH_ERP_LATENCY_MS", "100")),
        help="latency of every ERP call (env BENCH_ERP_LATENCY_MS; %(default)s)",
    )
    parser.add_argument(
        "--change-share",
        type=float,
        default=float(env.get("BENCH_CHANGE_SHARE", "0.01")),
        help="share of customers and orders changed before the incremental run (%(default)s)",
    )
    parser.add_argument(
        "--baseline-limit",
        type=int,
        default=int(env.get("BENCH_BASELINE_LIMIT", "1000")),
        help="members and orders the baseline times, the rest extrapolated; 0 = all "
        "(env BENCH_BASELINE_LIMIT; %(default)s)",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=Path(env.get("BENCH_RESULTS_DIR", str(HERE))),
        help="where results.json, RESULTS.md and results.png go (%(default)s)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(env["BENCH_WORKDIR"]) if env.get("BENCH_WORKDIR") else None,
        help="keep each run's Meltano state, audit store and logs here (env BENCH_WORKDIR)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite RESULTS.md and results.png from results.json, running nothing",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m benchmarks`."""
    from benchmarks.report import write_reports

    args = _parser().parse_args(argv)
    settings = Settings(
        sizes=[int(size) for size in args.sizes.split(",") if size.strip()],
        pipelines=[name.strip() for name in args.pipelines.split(",") if name.strip()],
        mailchimp_latency_ms=args.mailchimp_latency_ms,
        erp_latency_ms=args.erp_latency_ms,
        change_share=args.change_share,
        baseline_limit=args.baseline_limit,
        results_dir=args.results_dir,
        workdir=args.workdir,
    )
    unknown = set(settings.pipelines) - set(PIPELINES)
    if unknown:
        print(f"unknown pipelines: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.report_only:
        results = load_results(settings.results_dir / "results.json")
    else:
        results = run_benchmarks(settings)
    write_reports(results, settings)
    failed = [run for result in results for run in result.runs if run.returncode != 0]
    return 1 if failed else 0
