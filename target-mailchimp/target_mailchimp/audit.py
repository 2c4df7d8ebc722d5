"""The audit store: what happened to every record, and what the target last wrote.

These facts live here, all in one SQLAlchemy database (SQLite by
default, PostgreSQL when several workers share it):

- `audit_events`: one row per record and run with its outcome, so failures can be
  inspected and replayed;
- `member_ledger`: per audience member, the content hash and the tags the target
  last wrote successfully, so an unchanged record is not sent again and only
  tags the target applied itself are ever removed;
- `source_emails`: per ERP key, the address last written, to follow email changes;
- `source_tags`: per ERP key, its address and the tags its latest record sends, so
  records sharing an address add their tags up (see `tag_union.py`);
- `pending_tag_updates`: members whose tag union changed without a write of their
  own, with the tags records sent them before, until the change reaches Mailchimp;
- `audience_snapshot`: Mailchimp's subscription status per address, refreshed
  incrementally with `since_last_changed`, so nobody who left is resubscribed;
- `ecommerce_ledger`: per store, the customers, products and orders written, with
  their content hash, so unchanged objects are skipped and known ones updated;
- `audience_events`: what Mailchimp told us through list webhooks (unsubscribes,
  cleaned addresses, address changes, profile updates), see `audience_events.py`.
"""

from __future__ import annotations

import datetime as dt
import os
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")

metadata = sa.MetaData()

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False, index=True),
    sa.Column("stream", sa.String(64), nullable=False),
    sa.Column("record_key", sa.String(320), nullable=False),
    sa.Column("source_id", sa.String(255)),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("payload_hash", sa.String(64)),
    sa.Column("response_code", sa.Integer),
    sa.Column("dry_run", sa.Boolean, nullable=False, default=False),
    sa.Column("payload", sa.JSON),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Index("ix_audit_events_stream_key", "stream", "record_key"),
)

member_ledger = sa.Table(
    "member_ledger",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("email_key", sa.String(320), primary_key=True),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("applied_tags", sa.JSON, nullable=False, default=list),
    sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
)

source_emails = sa.Table(
    "source_emails",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(255), primary_key=True),
    sa.Column("email_key", sa.String(320), nullable=False),
)

source_tags = sa.Table(
    "source_tags",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("source_id", sa.String(255), primary_key=True),
    sa.Column("email_key", sa.String(320), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False, default=list),
    sa.Index("ix_source_tags_list_email", "list_id", "email_key"),
)

pending_tag_updates = sa.Table(
    "pending_tag_updates",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("email_key", sa.String(320), primary_key=True),
    sa.Column("earlier_tags", sa.JSON, nullable=False, default=list),
)

audience_snapshot = sa.Table(
    "audience_snapshot",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("email_key", sa.String(320), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
)

ecommerce_ledger = sa.Table(
    "ecommerce_ledger",
    metadata,
    sa.Column("store_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("object_id", sa.String(400), primary_key=True),  # may hold "<email>|<tag>"
    sa.Column("content_hash", sa.String(64)),
    sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
)

audience_events = sa.Table(
    "audience_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("list_id", sa.String(64), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("email_key", sa.String(320), nullable=False),
    sa.Column("new_email_key", sa.String(320)),
    sa.Column("reason", sa.Text),
    # "YYYY-MM-DD HH:MM:SS" in UTC, as Mailchimp sends it: sorts as text on any database.
    sa.Column("fired_at", sa.String(19), nullable=False),
    sa.Column("applied", sa.Boolean, nullable=False),
    sa.Column("payload", sa.JSON),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_audience_events_list_email", "list_id", "email_key"),
)

snapshot_marks = sa.Table(
    "snapshot_marks",
    metadata,
    sa.Column("list_id", sa.String(64), primary_key=True),
    sa.Column("last_changed", sa.String(40), nullable=False),
)


@dataclass
class AuditEvent:
    """The outcome of one record in one run."""

    stream: str
    record_key: str
    outcome: str
    reason: str | None = None
    source_id: str | None = None
    payload_hash: str | None = None
    response_code: int | None = None
    payload: dict[str, t.Any] | None = None


@dataclass
class LedgerEntry:
    """What the target last wrote successfully for one member."""

    content_hash: str | None
    applied_tags: list[str] = field(default_factory=list)


def default_database_url(working_dir: Path | None = None) -> str:
    """A SQLite file beside the Meltano project's own state, else in the working dir."""
    root = Path(os.environ.get("MELTANO_PROJECT_ROOT") or working_dir or Path.cwd())
    meltano_dir = root / ".meltano"
    folder = meltano_dir / "target-mailchimp" if meltano_dir.is_dir() else root
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'target-mailchimp-audit.db'}"


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def database_engine(url: str) -> sa.Engine:
    """An engine for a SQLAlchemy URL; plain `postgresql://` URLs use psycopg 3.

    SQLite waits up to a minute for another process's write (several runs share the
    file) instead of failing after the driver's default 5 seconds.
    """
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    connect_args = {"timeout": 60} if url.startswith("sqlite") else {}
    return sa.create_engine(url, connect_args=connect_args)


class AuditStore:
    """Read and write the audit database through SQLAlchemy Core."""

    def __init__(self, url: str) -> None:
        self.engine = database_engine(url)
        metadata.create_all(self.engine)

    def record(self, run_id: str, events: Iterable[AuditEvent], *, dry_run: bool) -> None:
        """Append outcomes for one run."""
        rows = [
            {
                "run_id": run_id,
                "stream": event.stream,
                # Bounded like the columns: an absurdly long (invalid) address must still
                # be audited, also on databases that enforce VARCHAR lengths.
                "record_key": event.record_key[:320],
                "source_id": None if event.source_id is None else event.source_id[:255],
                "outcome": event.outcome,
                "reason": event.reason,
                "payload_hash": event.payload_hash,
                "response_code": event.response_code,
                "dry_run": dry_run,
                "payload": event.payload,
                "recorded_at": _now(),
            }
            for event in events
        ]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(audit_events.insert(), rows)

    def ledger(self, list_id: str, email_keys: Iterable[str]) -> dict[str, LedgerEntry]:
        """Return the ledger entries held for these addresses."""
        rows = self._lookup(member_ledger, list_id, email_keys)
        return {
            row.email_key: LedgerEntry(row.content_hash, list(row.applied_tags or []))
            for row in rows
        }

    def save_ledger(self, list_id: str, entries: dict[str, LedgerEntry]) -> None:
        """Upsert ledger entries after successful writes."""
        now = _now()
        self._replace(
            member_ledger,
            list_id,
            [
                {
                    "email_key": key,
                    "content_hash": entry.content_hash,
                    "applied_tags": sorted(entry.applied_tags),
                    "written_at": now,
                }
                for key, entry in entries.items()
            ],
        )

    def forget_ledger(self, list_id: str, email_keys: Iterable[str]) -> None:
        """Drop ledger entries for addresses that no longer hold the person."""
        with self.engine.begin() as connection:
            self._delete(connection, member_ledger, list_id, list(email_keys))

    def emails_for_sources(self, list_id: str, source_ids: Iterable[str]) -> dict[str, str]:
        """Return the address last written for each ERP key."""
        rows = self._lookup(source_emails, list_id, source_ids)
        return {row.source_id: row.email_key for row in rows}

    def save_source_emails(self, list_id: str, emails: dict[str, str]) -> None:
        """Remember the address last written per ERP key."""
        self._replace(
            source_emails,
            list_id,
            [{"source_id": source_id, "email_key": key} for source_id, key in emails.items()],
        )

    def source_tags(
        self, list_id: str, source_ids: Iterable[str]
    ) -> dict[str, tuple[str, list[str]]]:
        """The address and tags held for each of these ERP keys."""
        rows = self._lookup(source_tags, list_id, source_ids)
        return {row.source_id: (row.email_key, list(row.tags or [])) for row in rows}

    def source_tags_at(
        self, list_id: str, email_keys: Iterable[str]
    ) -> dict[str, dict[str, list[str]]]:
        """Per address, the tags of each ERP key held at it."""
        held: dict[str, dict[str, list[str]]] = {}
        for row in self._lookup(source_tags, list_id, email_keys, source_tags.c.email_key):
            held.setdefault(row.email_key, {})[row.source_id] = list(row.tags or [])
        return held

    def save_source_tags(self, list_id: str, tags: dict[str, tuple[str, list[str]]]) -> None:
        """Remember each ERP key's address and the tags its latest record sends."""
        self._replace(
            source_tags,
            list_id,
            [
                {"source_id": source_id, "email_key": key, "tags": sorted(values)}
                for source_id, (key, values) in tags.items()
            ],
        )

    def queue_tag_updates(self, list_id: str, earlier: dict[str, set[str]]) -> None:
        """Remember members whose tags must follow their records, with the tags records
        sent them before (added to any already queued)."""
        if not earlier:
            return
        held = {
            row.email_key: set(row.earlier_tags or [])
            for row in self._lookup(pending_tag_updates, list_id, earlier)
        }
        self._replace(
            pending_tag_updates,
            list_id,
            [
                {"email_key": key, "earlier_tags": sorted(tags | held.get(key, set()))}
                for key, tags in earlier.items()
            ],
        )

    def pending_tag_updates(self, list_id: str) -> dict[str, set[str]]:
        """Every queued member with its earlier tags."""
        query = sa.select(pending_tag_updates).where(pending_tag_updates.c.list_id == list_id)
        with self.engine.connect() as connection:
            return {row.email_key: set(row.earlier_tags or []) for row in connection.execute(query)}

    def clear_tag_updates(self, list_id: str, email_keys: Iterable[str]) -> None:
        """Drop members from the queue."""
        keys = sorted(set(email_keys))
        if keys:
            with self.engine.begin() as connection:
                self._delete(connection, pending_tag_updates, list_id, keys)

    def statuses(self, list_id: str, email_keys: Iterable[str]) -> dict[str, str]:
        """Return Mailchimp's last known status for these addresses."""
        rows = self._lookup(audience_snapshot, list_id, email_keys)
        return {row.email_key: row.status for row in rows}

    def save_statuses(self, list_id: str, statuses: dict[str, str]) -> None:
        """Upsert Mailchimp statuses learned from reads or write responses."""
        self._replace(
            audience_snapshot,
            list_id,
            [{"email_key": key, "status": status} for key, status in statuses.items()],
        )

    def ecommerce_hashes(
        self, store_id: str, kind: str, object_ids: Iterable[str]
    ) -> dict[str, str | None]:
        """Content hash last written per e-commerce object (None: exists, content unknown)."""
        rows = self._lookup(ecommerce_ledger, (store_id, kind), object_ids)
        return {row.object_id: row.content_hash for row in rows}

    def save_ecommerce_hashes(
        self, store_id: str, kind: str, hashes: dict[str, str | None]
    ) -> None:
        """Remember e-commerce objects written (or known to exist) in Mailchimp."""
        now = _now()
        self._replace(
            ecommerce_ledger,
            (store_id, kind),
            [
                {"object_id": key, "content_hash": value, "written_at": now}
                for key, value in hashes.items()
            ],
        )

    @staticmethod
    def _scope_filter(table: sa.Table, scope: str | tuple[str, ...]) -> list[t.Any]:
        """Conditions on the leading primary-key columns (the list, or store and kind)."""
        values = (scope,) if isinstance(scope, str) else scope
        columns = table.primary_key.columns.values()
        return [column == value for column, value in zip(columns, values, strict=False)]

    @staticmethod
    def _key_column(table: sa.Table) -> sa.Column:
        """The last primary-key column: the key within the scope."""
        return table.primary_key.columns.values()[-1]

    def _lookup(
        self,
        table: sa.Table,
        scope: str | tuple[str, ...],
        keys: Iterable[str],
        column: sa.Column | None = None,
    ) -> list[sa.Row]:
        """Rows of a scoped table whose key (or `column`) is in `keys`."""
        key_column = self._key_column(table) if column is None else column
        rows: list[sa.Row] = []
        with self.engine.connect() as connection:
            for chunk in _chunks(sorted(set(keys))):
                query = sa.select(table).where(
                    *self._scope_filter(table, scope), key_column.in_(chunk)
                )
                rows.extend(connection.execute(query))
        return rows

    def _replace(
        self, table: sa.Table, scope: str | tuple[str, ...], rows: list[dict[str, t.Any]]
    ) -> None:
        """Upsert rows of a scoped table, portably: delete by key, then insert."""
        if not rows:
            return
        key_name = self._key_column(table).name
        values = (scope,) if isinstance(scope, str) else scope
        scope_values = dict(
            zip([column.name for column in table.primary_key.columns], values, strict=False)
        )
        with self.engine.begin() as connection:
            self._delete(connection, table, scope, [row[key_name] for row in rows])
            connection.execute(table.insert(), [{**scope_values, **row} for row in rows])

    def _delete(
        self,
        connection: sa.Connection,
        table: sa.Table,
        scope: str | tuple[str, ...],
        keys: list[str],
    ) -> None:
        key_column = self._key_column(table)
        for chunk in _chunks(keys):
            connection.execute(
                table.delete().where(*self._scope_filter(table, scope), key_column.in_(chunk))
            )

    def snapshot_mark(self, list_id: str) -> str | None:
        """The `last_changed` up to which the snapshot is known complete."""
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(snapshot_marks.c.last_changed).where(snapshot_marks.c.list_id == list_id)
            ).scalar_one_or_none()

    def save_snapshot_mark(self, list_id: str, last_changed: str) -> None:
        """Move the snapshot's mark forward."""
        with self.engine.begin() as connection:
            connection.execute(snapshot_marks.delete().where(snapshot_marks.c.list_id == list_id))
            connection.execute(
                snapshot_marks.insert(), {"list_id": list_id, "last_changed": last_changed}
            )

    def failed_records(
        self,
        *,
        run_id: str | None = None,
        since: dt.datetime | None = None,
        stream: str | None = None,
    ) -> list[tuple[str, dict[str, t.Any]]]:
        """Records whose latest outcome is `failed`, oldest first, as (stream, payload).

        A failed record is left out when a later record for the same ERP key
        succeeded (e.g. the person changed email since): replaying the old one would
        undo the newer state.
        """
        settled = (
            sa.select(
                audit_events.c.stream,
                audit_events.c.source_id,
                sa.func.max(audit_events.c.id).label("settled_id"),
            )
            .where(
                audit_events.c.dry_run.is_(False),
                audit_events.c.source_id.is_not(None),
                audit_events.c.outcome.in_(("created", "updated", "unchanged")),
            )
            .group_by(audit_events.c.stream, audit_events.c.source_id)
            .subquery()
        )
        latest = (
            sa.select(
                audit_events.c.stream,
                audit_events.c.record_key,
                sa.func.max(audit_events.c.id).label("last_id"),
            )
            .where(audit_events.c.dry_run.is_(False))
            .group_by(audit_events.c.stream, audit_events.c.record_key)
            .subquery()
        )
        query = (
            sa.select(audit_events.c.stream, audit_events.c.payload)
            .join(latest, audit_events.c.id == latest.c.last_id)
            .outerjoin(
                settled,
                sa.and_(
                    settled.c.stream == audit_events.c.stream,
                    settled.c.source_id == audit_events.c.source_id,
                ),
            )
            .where(
                audit_events.c.outcome == "failed",
                audit_events.c.payload.is_not(None),
                sa.or_(settled.c.settled_id.is_(None), settled.c.settled_id < audit_events.c.id),
            )
            .order_by(audit_events.c.id)
        )
        if run_id:
            query = query.where(audit_events.c.run_id == run_id)
        if since:
            query = query.where(audit_events.c.recorded_at >= since)
        if stream:
            query = query.where(audit_events.c.stream == stream)
        with self.engine.connect() as connection:
            return [(row.stream, row.payload) for row in connection.execute(query)]

    def events(self, run_id: str | None = None) -> list[dict[str, t.Any]]:
        """All events (of one run), oldest first: for reports and tests."""
        query = sa.select(audit_events).order_by(audit_events.c.id)
        if run_id:
            query = query.where(audit_events.c.run_id == run_id)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
