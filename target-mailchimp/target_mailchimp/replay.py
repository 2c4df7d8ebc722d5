"""`target-mailchimp replay`: re-send records whose latest outcome is `failed`.

Replays go through the same sinks as a normal run, so every rule holds: upserts
keyed by address, no resubscription, and the ledger's email-change handling, so a
replay never creates a duplicate.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import typing as t
from pathlib import Path

import click

from target_mailchimp.schemas import INPUT_SCHEMAS

if t.TYPE_CHECKING:
    from target_mailchimp.target import TargetMailchimp


def singer_messages(records: list[tuple[str, dict[str, t.Any]]]) -> str:
    """SCHEMA and RECORD lines for the given (stream, record) pairs."""
    lines = []
    announced: set[str] = set()
    for stream, record in records:
        if stream not in announced:
            schema = INPUT_SCHEMAS.get(stream, {"type": "object", "properties": {}})
            lines.append(
                json.dumps(
                    {"type": "SCHEMA", "stream": stream, "schema": schema, "key_properties": []}
                )
            )
            announced.add(stream)
        lines.append(json.dumps({"type": "RECORD", "stream": stream, "record": record}))
    return "".join(f"{line}\n" for line in lines)


config_option = click.option(
    "--config",
    multiple=True,
    help="Configuration file, or ENV to read settings from the environment; repeatable, "
    "later files win.",
)


def configs_in_context(ctx: click.Context, own: tuple[str, ...]) -> tuple[str, ...]:
    """`--config` values given to the parent group (Meltano puts its own there), then ours."""
    inherited = ctx.parent.params.get("config", ()) if ctx.parent is not None else ()
    return (*inherited, *own)


def replay_command(target_class: type[TargetMailchimp]) -> click.Command:
    """Build the `replay` subcommand for a target class."""

    @click.command(help="Re-send records whose latest outcome in the audit store is failed.")
    @config_option
    @click.option("--run-id", help="Only records that failed in this run.")
    @click.option("--since", type=click.DateTime(), help="Only failures recorded since (UTC).")
    @click.option("--stream", help="Only records of this input stream.")
    @click.pass_context
    def replay(
        ctx: click.Context,
        config: tuple[str, ...],
        run_id: str | None,
        since: dt.datetime | None,
        stream: str | None,
    ) -> None:
        config = configs_in_context(ctx, config)
        if not config:
            msg = "Missing option '--config' (a configuration file, or ENV)."
            raise click.UsageError(msg, ctx=ctx)
        target = target_class(
            config=merged_config(config),
            parse_env_config="ENV" in config,
            validate_config=True,
        )
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        failed = target.audit_store.failed_records(run_id=run_id, since=since, stream=stream)
        target.logger.info("Replaying %d failed record(s)", len(failed))
        target.listen(io.StringIO(singer_messages(failed)))

    return replay


def merged_config(paths: tuple[str, ...]) -> dict[str, t.Any]:
    """The settings of several config files, later files winning (`ENV` is not a file)."""
    merged: dict[str, t.Any] = {}
    for path in paths:
        if path != "ENV":
            merged.update(json.loads(Path(path).read_text(encoding="utf-8")))
    return merged
