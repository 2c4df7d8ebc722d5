"""Read the audit store for operators: recent runs, and the records a run skipped or failed.

Only `audit_events` is read. Payloads (member data) are read only when asked for.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass, field

import sqlalchemy as sa

from target_mailchimp.audit import OUTCOMES, audit_events
from target_mailchimp.explanations import advice, explain

PROBLEM_OUTCOMES = ("failed", "skipped")


@dataclass(frozen=True)
class RunSummary:
    """One run as the audit store saw it: outcome counts and its first and last event."""

    run_id: str
    started: dt.datetime
    ended: dt.datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEntry:
    """One audited record outcome, with what an operator should make of it."""

    run_id: str
    recorded_at: dt.datetime
    stream: str
    record_key: str
    source_id: str | None
    outcome: str
    reason: str | None
    response_code: int | None
    dry_run: bool
    payload: dict[str, t.Any] | None = None

    @property
    def advice(self) -> str | None:
        """What to do about it, when the advice table knows."""
        return advice(self.outcome, self.reason, self.response_code)

    @property
    def explanation(self) -> str:
        """The stored reason followed by the advice."""
        return explain(self.outcome, self.reason, self.response_code)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time in UTC; SQLite hands back naive datetimes, which are UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def format_time(value: dt.datetime) -> str:
    """`2026-11-25T22:19:21Z`."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def recent_runs(
    engine: sa.Engine, *, limit: int = 20, since: dt.datetime | None = None
) -> list[RunSummary]:
    """The latest runs that audited anything (since a time), newest first."""
    run_ids = latest_run_ids(engine, limit=limit, since=since)
    if not run_ids:
        return []
    counts = [
        sa.func.sum(sa.case((audit_events.c.outcome == name, 1), else_=0)).label(name)
        for name in OUTCOMES
    ]
    query = (
        sa.select(
            audit_events.c.run_id,
            sa.func.min(audit_events.c.recorded_at).label("started"),
            sa.func.max(audit_events.c.recorded_at).label("ended"),
            sa.func.max(sa.cast(audit_events.c.dry_run, sa.Integer)).label("dry_run"),
            *counts,
        )
        .where(audit_events.c.run_id.in_(run_ids))
        .group_by(audit_events.c.run_id)
    )
    with engine.connect() as connection:
        rows = {row.run_id: row for row in connection.execute(query)}
    return [
        RunSummary(
            run_id=run_id,
            started=as_utc(rows[run_id].started),
            ended=as_utc(rows[run_id].ended),
            dry_run=bool(rows[run_id].dry_run),
            counts={name: int(getattr(rows[run_id], name) or 0) for name in OUTCOMES},
        )
        for run_id in run_ids
    ]


def latest_run_ids(engine: sa.Engine, *, limit: int, since: dt.datetime | None = None) -> list[str]:
    """The ids of the latest runs, newest first.

    Walks the events newest first and stops at the `limit`-th run, so the cost follows
    the size of the recent runs, not of the whole store (every unchanged record of every
    run is audited, so the table grows large).
    """
    query = sa.select(audit_events.c.run_id).order_by(audit_events.c.id.desc())
    if since is not None:
        query = query.where(audit_events.c.recorded_at >= since)
    found: dict[str, None] = {}
    with engine.connect() as connection:
        for run_id in connection.execution_options(yield_per=1000).execute(query).scalars():
            found.setdefault(run_id)
            if len(found) == limit:
                break
    return list(found)


def latest_run_id(engine: sa.Engine) -> str | None:
    """The run that audited the most recent event."""
    return next(iter(latest_run_ids(engine, limit=1)), None)


def audit_entries(
    engine: sa.Engine,
    *,
    run_id: str | None = None,
    outcomes: t.Sequence[str] = PROBLEM_OUTCOMES,
    stream: str | None = None,
    since: dt.datetime | None = None,
    with_payload: bool = False,
) -> list[AuditEntry]:
    """Audited outcomes matching every filter given, oldest first."""
    columns = [
        audit_events.c.run_id,
        audit_events.c.recorded_at,
        audit_events.c.stream,
        audit_events.c.record_key,
        audit_events.c.source_id,
        audit_events.c.outcome,
        audit_events.c.reason,
        audit_events.c.response_code,
        audit_events.c.dry_run,
    ]
    if with_payload:
        columns.append(audit_events.c.payload)
    query = (
        sa.select(*columns)
        .where(audit_events.c.outcome.in_(list(outcomes)))
        .order_by(audit_events.c.id)
    )
    if run_id:
        query = query.where(audit_events.c.run_id == run_id)
    if stream:
        query = query.where(audit_events.c.stream == stream)
    if since is not None:
        query = query.where(audit_events.c.recorded_at >= since)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        AuditEntry(
            run_id=row.run_id,
            recorded_at=as_utc(row.recorded_at),
            stream=row.stream,
            record_key=row.record_key,
            source_id=row.source_id,
            outcome=row.outcome,
            reason=row.reason,
            response_code=row.response_code,
            dry_run=bool(row.dry_run),
            payload=row.payload if with_payload else None,
        )
        for row in rows
    ]
