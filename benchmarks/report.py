"""Write the benchmark results: `results.json` (everything), `RESULTS.md` (the tables and
the targets) and `results.png` (throughput and calls against N)."""

from __future__ import annotations

import json
import os
import platform
import typing as t
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

if t.TYPE_CHECKING:
    from benchmarks.run import PipelineResult, RunResult, Settings

MEMORY_LIMIT_MB = 300
MEMORY_GROWTH = 1.5
NETSUITE_WALL_LIMIT_SECONDS = 600
BASELINE_SPEEDUP = 10


def _stage(run: RunResult, name: str, what: str) -> str:
    stage = run.stages.get(name)
    if stage is None:
        return "-"
    if what == "rate":
        return f"{stage.records_per_second:,.0f}"
    if what == "rss":
        return f"{stage.peak_rss_mb:.0f}"
    return f"{stage.cpu_seconds:.1f}"


def _ratio(result: PipelineResult) -> str:
    first = result.run("first")
    if not result.baseline or first is None or not first.wall_seconds:
        return "-"
    return f"{result.baseline['seconds'] / first.wall_seconds:.1f}x"


def _baseline(result: PipelineResult) -> str:
    if not result.baseline:
        return "-"
    mark = "*" if result.baseline["members_timed"] < result.baseline["members"] else ""
    mark = mark or ("*" if result.baseline["orders_timed"] < result.baseline["orders"] else "")
    return f"{result.baseline['seconds']:.0f}{mark}"


def first_load_table(results: list[PipelineResult]) -> str:
    """One row per pipeline and N: the first load."""
    header = (
        "| pipeline | N | wall s | tap rec/s | mapper rec/s | target rec/s "
        "| member writes (≤ floor) | e-commerce calls (≤ floor) | Mailchimp calls "
        "| ERP reads (floor) | peak RSS MB tap/mapper/target/meltano | CPU s tap/mapper/target "
        "(tree) | baseline s | speed-up vs baseline |"
    )
    lines = [header, "|" + "---|" * 14]
    for result in results:
        run = result.run("first")
        if run is None:
            continue
        checks = {name: (ok, text) for name, ok, text in run.checks()}
        member = checks["member writes"][1]
        ecommerce = checks.get("e-commerce calls", (True, "-"))[1]
        rss = "/".join(
            _stage(run, stage, "rss") for stage in ("tap", "mapper", "target", "meltano")
        )
        cpu = "/".join(_stage(run, stage, "cpu") for stage in ("tap", "mapper", "target"))
        failed = "" if run.returncode == 0 else " **failed**"
        lines.append(
            f"| {result.pipeline}{failed} | {result.n:,} | {run.wall_seconds:.1f} "
            f"| {_stage(run, 'tap', 'rate')} | {_stage(run, 'mapper', 'rate')} "
            f"| {_stage(run, 'target', 'rate')} | {member} | {ecommerce} | {run.mailchimp.total} "
            f"| {run.erp.reads} ({run.erp_floor}) | {rss} | {cpu} ({run.tree_cpu_seconds:.1f}) "
            f"| {_baseline(result)} | {_ratio(result)} |"
        )
    return "\n".join(lines)


def later_runs_table(results: list[PipelineResult]) -> str:
    """Incremental and no-change runs."""
    header = (
        "| pipeline | N | run | changed customers/orders | wall s | member writes (≤ floor) "
        "| e-commerce calls (≤ floor) | Mailchimp writes | ERP reads (floor) |"
    )
    lines = [header, "|" + "---|" * 9]
    for result in results:
        for run in result.runs:
            if run.kind == "first":
                continue
            checks = {name: text for name, _, text in run.checks()}
            changed = f"{run.changed.get('customers', 0)}/{run.changed.get('orders', 0)}"
            lines.append(
                f"| {result.pipeline} | {result.n:,} | {run.kind} | {changed} "
                f"| {run.wall_seconds:.1f} | {checks['member writes']} "
                f"| {checks.get('e-commerce calls', '-')} | {run.mailchimp.writes} "
                f"| {run.erp.reads} ({run.erp_floor}) |"
            )
    return "\n".join(lines)


def targets_table(results: list[PipelineResult]) -> str:
    """Each call-count target of each run: holds or not, with the figures."""
    lines = ["| pipeline | N | run | target | holds | figures |", "|---|---|---|---|---|---|"]
    for result in results:
        for run in result.runs:
            if run.returncode != 0:
                lines.append(
                    f"| {result.pipeline} | {result.n:,} | {run.kind} | run | no | {run.error} |"
                )
                continue
            for name, ok, text in run.checks():
                mark = "yes" if ok else "**no**"
                lines.append(
                    f"| {result.pipeline} | {result.n:,} | {run.kind} | {name} | {mark} | {text} |"
                )
    return "\n".join(lines)


def memory_lines(results: list[PipelineResult]) -> list[str]:
    """Peak RSS per process: under 300 MB, and flat in N (largest within 1.5x of smallest)."""
    lines: list[str] = []
    by_pipeline: dict[str, list[PipelineResult]] = {}
    for result in results:
        by_pipeline.setdefault(result.pipeline, []).append(result)
    for pipeline, rows in by_pipeline.items():
        firsts = [(r.n, r.run("first")) for r in sorted(rows, key=lambda r: r.n)]
        firsts = [(n, run) for n, run in firsts if run is not None]
        if not firsts:
            continue
        # Meltano's own process moves every message between the plugins: it counts too.
        for stage in ("tap", "mapper", "target", "meltano"):
            peaks = [(n, run.stages[stage].peak_rss_mb) for n, run in firsts if stage in run.stages]
            if not peaks:
                continue
            worst = max(peak for _, peak in peaks)
            growth = peaks[-1][1] / peaks[0][1] if len(peaks) > 1 and peaks[0][1] else 1.0
            holds = worst < MEMORY_LIMIT_MB and growth <= MEMORY_GROWTH
            figures = ", ".join(f"N={n:,}: {peak:.0f} MB" for n, peak in peaks)
            verdict = "holds" if holds else "**does not hold**"
            if len(peaks) == 1:  # growth needs two sizes
                lines.append(f"- {pipeline} {stage}: {figures}; one size only, growth unmeasured")
                continue
            lines.append(f"- {pipeline} {stage}: {figures}; growth {growth:.2f}x ({verdict})")
    return lines


def throughput_lines(results: list[PipelineResult]) -> list[str]:
    """NetSuite first loads: under 10 minutes, at least 10x faster than the baseline."""
    lines: list[str] = []
    for result in results:
        run = result.run("first")
        if result.pipeline != "netsuite" or run is None:
            continue
        speedup = (
            result.baseline["seconds"] / run.wall_seconds
            if result.baseline and run.wall_seconds
            else 0.0
        )
        fast = run.wall_seconds < NETSUITE_WALL_LIMIT_SECONDS
        lines.append(
            f"- NetSuite N={result.n:,}: {run.wall_seconds:.0f} s "
            f"({'under' if fast else '**over**'} 10 min), {speedup:.1f}x the baseline "
            f"({'≥' if speedup >= BASELINE_SPEEDUP else '**<**'} {BASELINE_SPEEDUP}x)"
        )
    return lines


def calls_by_endpoint(results: list[PipelineResult]) -> str:
    """Every run's calls by endpoint, Mailchimp and ERP."""
    blocks: list[str] = []
    for result in results:
        for run in result.runs:
            routes = "\n".join(
                f"    {count:>7}  {route}"
                for source in (run.mailchimp.by_route, run.erp.by_route)
                for route, count in source.items()
            )
            operations = "\n".join(
                f"    {count:>7}  (in batches) {route}"
                for route, count in run.mailchimp.batch_operations.items()
            )
            blocks.append(
                f"{result.pipeline} N={result.n:,} {run.kind}:\n{routes}"
                + (f"\n{operations}" if operations else "")
            )
    return "```\n" + "\n\n".join(blocks) + "\n```"


def markdown(results: list[PipelineResult], settings: Settings) -> str:
    """RESULTS.md."""
    sizes = ", ".join(f"{n:,}" for n in sorted({r.n for r in results}))
    extrapolated = any(
        r.baseline and r.baseline["members_timed"] < r.baseline["members"] for r in results
    )
    parts = [
        "# Benchmark results",
        "",
        f"Measured at N = {sizes} (customers and orders per ERP), written by "
        f"`make bench` / `python -m benchmarks` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Latency per call: "
        f"Mailchimp {settings.mailchimp_latency_ms:g} ms, ERP {settings.erp_latency_ms:g} ms; "
        f"incremental run after {settings.change_share:.0%} of customers and orders changed.",
        "",
        "Floors (issue 11): member writes ≤ ceil(members/500)+5 (first load; incremental: "
        "changes instead of members; a no-change run writes nothing); e-commerce calls "
        "(customers, products, orders, batch operations and their polling) ≤ N/100+20; ERP reads "
        "≈ ceil(records/page) per stream at the API's largest page (NetSuite 1000, Fusion 500, "
        "Acumatica 500 as the tap asks, JD Edwards 500, Exact sync 1000), plus one last page "
        "per stream, plus the child collections read beside them (NetSuite's order lines: "
        "ceil(lines/1000) per page of orders); Mailchimp concurrency ≤ 10. Rates are records "
        "over each process's lifetime (the stages run at the same time, as a pipe). Peak RSS "
        "is the kernel's high-water mark of each process; CPU per process is sampled every "
        "0.1 s, the tree's exactly.",
        "",
        "## First load",
        "",
        first_load_table(results),
        "",
    ]
    if extrapolated:
        parts += [
            f"\\* The sequential baseline (one PUT per member, one POST per order, every "
            f"product) timed the first {settings.baseline_limit:,} members and orders and was "
            "extrapolated linearly to all of them: its calls are sequential at a fixed latency.",
            "",
        ]
    parts += [
        "## Incremental and no-change runs",
        "",
        later_runs_table(results),
        "",
        "## Targets",
        "",
        targets_table(results),
        "",
        "### Memory (first load)",
        "",
        *memory_lines(results),
        "",
        "### Throughput",
        "",
        *(throughput_lines(results) or ["- NetSuite was not run."]),
        "",
        "![Throughput and calls against N](results.png)",
        "",
        *_findings(),
        "## Calls by endpoint",
        "",
        calls_by_endpoint(results),
        "",
    ]
    return "\n".join(parts)


def _findings() -> list[str]:
    """The analysis of the targets that do not hold (`benchmarks/findings.md`, written by
    people from the figures and the profiles), embedded as it stands."""
    path = Path(__file__).resolve().parent / "findings.md"
    if not path.exists():
        return []
    return [path.read_text().strip(), ""]


def plot(results: list[PipelineResult], path: os.PathLike[str] | str) -> None:
    """Throughput (target records a second) and calls (Mailchimp, ERP) against N."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    figure, (rate_axis, calls_axis) = plt.subplots(1, 2, figsize=(12, 4.5))
    pipelines = sorted({r.pipeline for r in results})
    for pipeline in pipelines:
        rows = sorted((r for r in results if r.pipeline == pipeline), key=lambda r: r.n)
        firsts = [(r.n, r.run("first"), r) for r in rows if r.run("first") is not None]
        if not firsts:
            continue
        sizes = [n for n, _, _ in firsts]
        rates = [
            run.stages["target"].records_per_second if "target" in run.stages else 0
            for _, run, _ in firsts
        ]
        rate_axis.plot(sizes, rates, marker="o", label=pipeline)
        baseline = [
            (r.baseline["members"] + r.baseline["orders"]) / r.baseline["seconds"]
            if r.baseline and r.baseline["seconds"]
            else None
            for _, _, r in firsts
        ]
        if any(baseline):
            rate_axis.plot(sizes, baseline, linestyle=":", marker="x", color="grey")
        mailchimp = [run.mailchimp.total for _, run, _ in firsts]
        line = calls_axis.plot(sizes, mailchimp, marker="o", label=f"{pipeline} Mailchimp")
        calls_axis.plot(
            sizes,
            [run.erp.reads for _, run, _ in firsts],
            marker="s",
            linestyle="--",
            color=line[0].get_color(),
            label=f"{pipeline} ERP reads",
        )
    axis_n = "N (customers and orders)"
    rate_axis.set(xscale="log", yscale="log", xlabel=axis_n, title="Throughput (dotted: baseline)")
    rate_axis.set_ylabel("target records / s (first load)")
    calls_axis.set(xscale="log", yscale="log", xlabel=axis_n, title="API calls (first load)")
    rate_axis.legend(fontsize="small")
    calls_axis.legend(fontsize="x-small", ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_reports(results: list[PipelineResult], settings: Settings) -> None:
    """results.json, RESULTS.md and results.png in the results directory."""
    target = settings.results_dir
    target.mkdir(parents=True, exist_ok=True)
    (target / "results.json").write_text(
        json.dumps([asdict(result) for result in results], indent=1, default=str) + "\n"
    )
    (target / "RESULTS.md").write_text(markdown(results, settings))
    plot(results, target / "results.png")
    print(f"[bench] wrote {target / 'RESULTS.md'} and {target / 'results.png'}", flush=True)
