"""`target-mailchimp audit …`: operator reports over the audit store, and replay.

- `audit runs`: recent runs with their outcome counts;
- `audit list`: the records a run failed or skipped, each with what to do about it;
- `audit export --format csv`: the same as CSV, for a spreadsheet or a ticket;
- `audit replay`: re-send failed records (also `target-mailchimp replay`).

They read the database the target writes to (`audit_database_url`, from `--config`
files or, with `--config ENV`, the environment), need no Mailchimp credentials, and
print no payload (member data) unless `--with-payload` asks for it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import typing as t
from pathlib import Path

import click
import sqlalchemy as sa

from target_mailchimp import redaction
from target_mailchimp.audit import OUTCOMES, AuditStore, default_database_url
from target_mailchimp.audit_report import (
    PROBLEM_OUTCOMES,
    AuditEntry,
    RunSummary,
    audit_entries,
    format_time,
    latest_run_id,
    recent_runs,
)
from target_mailchimp.replay import config_option, configs_in_context, merged_config, replay_command

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from target_mailchimp.target import TargetMailchimp

CSV_COLUMNS = (
    "run_id",
    "recorded_at",
    "stream",
    "record_key",
    "source_id",
    "outcome",
    "response_code",
    "dry_run",
    "reason",
    "advice",
)
SECRET_SETTINGS = ("api_key", "access_token")


class AuditReader:
    """The audit database named by the target's settings, and where to log."""

    def __init__(self, target_class: type[TargetMailchimp], configs: tuple[str, ...]) -> None:
        settings = merged_config(configs)
        if "ENV" in configs:
            # The SDK's own `<PLUGIN>_<SETTING>` parsing, as `--config ENV` does for a run.
            settings.update(target_class._env_var_config)
        redaction.install(str(settings.get(name) or "") for name in SECRET_SETTINGS)
        self.logger: logging.Logger = target_class.logger
        self.url = settings.get("audit_database_url") or default_database_url()
        database = sa.make_url(self.url).database
        if self.url.startswith("sqlite") and database and not Path(database).exists():
            # Reports never create a store: a wrong path is a mistake to show, not "no runs".
            msg = (
                f"No audit database at {database}: check `audit_database_url` (the target "
                "creates it on its first run)."
            )
            raise click.ClickException(msg)
        self.engine = AuditStore(self.url).engine

    @property
    def safe_url(self) -> str:
        """The database URL without its password, for messages."""
        return sa.make_url(self.url).render_as_string(hide_password=True)

    def choose_run(
        self, run_id: str | None, *, last: bool, since: dt.datetime | None
    ) -> str | None:
        """The run to report: the one named, else the latest unless `--since` spans runs."""
        if run_id:
            return run_id
        if since is not None and not last:
            return None
        latest = latest_run_id(self.engine)
        if latest is None:
            self.logger.warning("The audit store at %s holds no run yet.", self.safe_url)
        return latest


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A `--since` value in UTC; a time without a zone is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def report_filters(command: Callable[..., t.Any]) -> Callable[..., t.Any]:
    """The options `audit list` and `audit export` share."""
    options = [
        config_option,
        click.option("--run-id", help="Report this run (see `audit runs`)."),
        click.option(
            "--last",
            is_flag=True,
            help="Report the latest run (the default, unless --since is given).",
        ),
        click.option(
            "--outcome",
            "outcomes",
            multiple=True,
            type=click.Choice(OUTCOMES),
            help="Outcomes to report; repeat for several. Default: failed and skipped.",
        ),
        click.option("--stream", help="Only records of this input stream."),
        click.option(
            "--since",
            type=click.DateTime(),
            help="Only records audited since this time (UTC); without --run-id or --last, "
            "across every run since then.",
        ),
        click.option(
            "--with-payload",
            is_flag=True,
            help="Include the stored record (member data) of failed records.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def select_entries(
    ctx: click.Context,
    target_class: type[TargetMailchimp],
    filters: dict[str, t.Any],
) -> tuple[AuditReader, str | None, list[AuditEntry]]:
    """Open the audit store named by the settings and read the entries asked for."""
    reader = AuditReader(target_class, configs_in_context(ctx, filters["config"]))
    since = utc(filters["since"])
    run_id = reader.choose_run(filters["run_id"], last=filters["last"], since=since)
    if run_id is None and since is None:
        return reader, None, []
    entries = audit_entries(
        reader.engine,
        run_id=run_id,
        outcomes=filters["outcomes"] or PROBLEM_OUTCOMES,
        stream=filters["stream"],
        since=since,
        with_payload=filters["with_payload"],
    )
    return reader, run_id, entries


def run_lines(runs: list[RunSummary]) -> list[str]:
    """`audit runs` as an aligned table."""
    header = f"{'run_id':<32}  {'started':<20}  {'ended':<20}  {'dry_run':<7}" + "".join(
        f"{name:>10}" for name in OUTCOMES
    )
    rows = [
        f"{run.run_id:<32}  {format_time(run.started):<20}  {format_time(run.ended):<20}  "
        f"{'yes' if run.dry_run else 'no':<7}"
        + "".join(f"{run.counts[name]:>10}" for name in OUTCOMES)
        for run in runs
    ]
    return [header, *rows]


def entry_lines(entries: list[AuditEntry], *, with_payload: bool) -> list[str]:
    """`audit list`: stream, record key, source id, outcome and explanation per record."""
    cells = [
        (entry.stream, entry.record_key, entry.source_id or "-", entry.outcome) for entry in entries
    ]
    header = ("stream", "record_key", "source_id", "outcome")
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  explanation"]
    for entry, row in zip(entries, cells, strict=True):
        text = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        lines.append(f"{text}  {redaction.REDACTOR.redact(entry.explanation)}")
        if with_payload and entry.payload is not None:
            lines.append(f"    payload: {json.dumps(entry.payload, ensure_ascii=False)}")
    return lines


def write_csv(entries: list[AuditEntry], output: t.TextIO, *, with_payload: bool) -> None:
    """The entries as CSV with a header row."""
    columns = [*CSV_COLUMNS, "payload"] if with_payload else list(CSV_COLUMNS)
    writer = csv.DictWriter(output, fieldnames=columns)
    writer.writeheader()
    for entry in entries:
        row = {
            "run_id": entry.run_id,
            "recorded_at": format_time(entry.recorded_at),
            "stream": entry.stream,
            "record_key": entry.record_key,
            "source_id": entry.source_id or "",
            "outcome": entry.outcome,
            "response_code": entry.response_code or "",
            "dry_run": "true" if entry.dry_run else "false",
            "reason": redaction.REDACTOR.redact(entry.reason or ""),
            "advice": entry.advice or "",
        }
        if with_payload:
            row["payload"] = json.dumps(entry.payload, ensure_ascii=False) if entry.payload else ""
        writer.writerow({name: inert_in_spreadsheets(value) for name, value in row.items()})


#: Spreadsheets run a cell that starts with one of these as a formula; ERP data (a name, an
#: address) can start with one, so the export quotes it (OWASP's CSV injection advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_in_spreadsheets(value: object) -> object:
    """A text value that a spreadsheet shows as text, never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def audit_command(target_class: type[TargetMailchimp]) -> click.Group:
    """Build the `audit` command group for a target class."""

    @click.group(help="Reports over the audit store (runs, failed and skipped records) and replay.")
    @config_option
    def audit(config: tuple[str, ...]) -> None:
        """Settings given before the subcommand (as Meltano does) reach it through the context."""

    @audit.command(help="Recent runs, newest first, with their outcome counts.")
    @config_option
    @click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
    @click.option("--since", type=click.DateTime(), help="Only runs active since (UTC).")
    @click.pass_context
    def runs(
        ctx: click.Context, config: tuple[str, ...], limit: int, since: dt.datetime | None
    ) -> None:
        reader = AuditReader(target_class, configs_in_context(ctx, config))
        found = recent_runs(reader.engine, limit=limit, since=utc(since))
        if not found:
            reader.logger.warning("The audit store at %s holds no run yet.", reader.safe_url)
            return
        click.echo("\n".join(run_lines(found)))

    @audit.command(
        name="list",
        help="The failed and skipped records of the latest run (or of --run-id), one a "
        "line, with what to do about each.",
    )
    @report_filters
    @click.pass_context
    def list_(ctx: click.Context, **filters: t.Any) -> None:
        _, run_id, entries = select_entries(ctx, target_class, filters)
        since = utc(filters["since"])
        if run_id is None and since is None:
            return
        outcomes = " and ".join(filters["outcomes"] or PROBLEM_OUTCOMES)
        scope = f"run {run_id}" if run_id else f"every run since {format_time(since)}"
        click.echo(f"{len(entries)} {outcomes} record(s) in {scope}:")
        if entries:
            click.echo("\n".join(entry_lines(entries, with_payload=filters["with_payload"])))

    @audit.command(help="The same records as `audit list`, as CSV with a header row.")
    @report_filters
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(["csv"]),
        default="csv",
        show_default=True,
    )
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="File to write (default: standard output).",
    )
    @click.pass_context
    def export(
        ctx: click.Context, output_format: str, output: Path | None, **filters: t.Any
    ) -> None:
        del output_format  # CSV is the only format so far
        reader, _, entries = select_entries(ctx, target_class, filters)
        if output is None:
            write_csv(entries, sys.stdout, with_payload=filters["with_payload"])
            return
        with output.open("w", newline="", encoding="utf-8") as handle:
            write_csv(entries, handle, with_payload=filters["with_payload"])
        reader.logger.info("Wrote %d record(s) to %s", len(entries), output)

    audit.add_command(replay_command(target_class))
    return audit
