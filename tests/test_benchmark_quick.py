"""The benchmark's quick mode: a small N through the real pipeline, asserting the call-count
floors of issue 11 (never times, which depend on the machine).

NetSuite by default; `BENCH_QUICK_PIPELINES=netsuite,exact,…` adds others (about 30 s each).
"""

from __future__ import annotations

import math
import os
import typing as t

import pytest

from benchmarks.calls import MAILCHIMP_CONCURRENCY, ecommerce_floor, member_write_floor
from benchmarks.run import PipelineResult, Settings, benchmark_pipeline
from benchmarks.sandbox import PIPELINES, Emulators

if t.TYPE_CHECKING:
    from pathlib import Path

N = int(os.environ.get("BENCH_QUICK_N", "600"))
QUICK_PIPELINES = os.environ.get("BENCH_QUICK_PIPELINES", "netsuite").split(",")


@pytest.fixture(scope="module")
def emulators() -> t.Iterator[Emulators]:
    running = Emulators().start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module", params=QUICK_PIPELINES)
def benchmarked(
    request: pytest.FixtureRequest, emulators: Emulators, tmp_path_factory: pytest.TempPathFactory
) -> PipelineResult:
    """First load, incremental after 1% changed, no-change run; no latency, no baseline."""
    workdir: Path = tmp_path_factory.mktemp("bench")
    settings = Settings(
        sizes=[N], mailchimp_latency_ms=0, erp_latency_ms=0, with_baseline=False, workdir=workdir
    )
    result = benchmark_pipeline(emulators, PIPELINES[request.param], N, settings, workdir)
    for run in result.runs:
        assert run.returncode == 0, f"{run.kind}: {run.error}"
    assert [run.kind for run in result.runs] == ["first", "incremental", "no-change"]
    return result


def test_first_load_writes_members_in_batches_of_500(benchmarked: PipelineResult) -> None:
    first = benchmarked.run("first")
    members = first.target_records["members"]
    assert members >= N * 0.5  # the ERP's customers with an address reached the target
    assert first.mailchimp.member_writes <= member_write_floor(members)
    assert first.mailchimp.by_route.get("POST /3.0/lists/{list_id}") == math.ceil(members / 500)


def test_incremental_run_writes_only_the_changes(benchmarked: PipelineResult) -> None:
    incremental = benchmarked.run("incremental")
    changed = incremental.changed["customers"]
    assert changed == math.ceil(N * 0.01)
    assert incremental.mailchimp.member_writes <= member_write_floor(changed)
    if PIPELINES[benchmarked.pipeline].has_orders:
        assert incremental.mailchimp.ecommerce <= ecommerce_floor(incremental.changed["orders"])


def test_run_with_no_changes_makes_no_write_calls(benchmarked: PipelineResult) -> None:
    unchanged = benchmarked.run("no-change")
    assert unchanged.mailchimp.writes == 0, unchanged.mailchimp.by_route


def test_erp_is_read_in_full_pages_without_repeats(benchmarked: PipelineResult) -> None:
    for run in benchmarked.runs:
        # One short last page per stream at most, beyond ceil(records / largest page).
        assert run.erp.reads <= run.erp_floor + run.erp_streams, (run.kind, run.erp.by_route)
        assert run.erp.repeated_pages in (None, 0), (run.kind, run.erp.by_route)


def test_mailchimp_concurrency_stays_within_its_limit(benchmarked: PipelineResult) -> None:
    for run in benchmarked.runs:
        assert run.mailchimp.concurrency <= MAILCHIMP_CONCURRENCY


def test_first_load_of_orders_goes_through_batch_operations(benchmarked: PipelineResult) -> None:
    first = benchmarked.run("first")
    if not PIPELINES[benchmarked.pipeline].has_orders:
        pytest.skip("no orders in this ERP")
    assert first.mailchimp.ecommerce <= ecommerce_floor(N), first.mailchimp.by_route
