"""target-mailchimp: keeps a Mailchimp audience current from Singer records."""

from __future__ import annotations

import json
import sys
import typing as t
import uuid
from collections import Counter
from functools import cached_property

import click
from singer_sdk import about
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.plugin_base import SingerCommand
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target

from target_mailchimp import redaction
from target_mailchimp.audience import Audience
from target_mailchimp.audience_snapshot import AudienceSnapshot
from target_mailchimp.audit import (
    OUTCOMES,
    AuditEvent,
    AuditStore,
    database_engine,
    default_database_url,
)
from target_mailchimp.audit_commands import audit_command
from target_mailchimp.client import (
    DEFAULT_OAUTH_METADATA_URL,
    MISSING_CREDENTIALS,
    MailchimpAuth,
    MailchimpClient,
    resolve_api_root,
)
from target_mailchimp.connection_slots import AccountConnectionSlots, account_key
from target_mailchimp.ecommerce import ACCOUNTING_STREAM
from target_mailchimp.ecommerce_store import EcommerceStore
from target_mailchimp.ecommerce_sync import EcommerceSync
from target_mailchimp.member_sync import MemberSync
from target_mailchimp.member_tags import MemberTagSync
from target_mailchimp.members import MemberSettings
from target_mailchimp.operations import BatchOperations, DirectCalls
from target_mailchimp.outcome_metrics import log_outcome_counts
from target_mailchimp.replay import replay_command
from target_mailchimp.schemas import INPUT_SCHEMAS, contract_markdown
from target_mailchimp.sinks import (
    CustomersSink,
    MembersSink,
    MemberTagsSink,
    OrdersSink,
    ProductsSink,
)

if t.TYPE_CHECKING:
    from types import FrameType

SECRET_SETTINGS = ("api_key", "access_token")
SINKS: dict[str, type[Sink]] = {
    "members": MembersSink,
    "customers": CustomersSink,
    "products": ProductsSink,
    "orders": OrdersSink,
    "member_tags": MemberTagsSink,
}


class TargetMailchimp(Target):
    """Keeps a Mailchimp audience current with idempotent, audited upserts."""

    name = "target-mailchimp"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_key",
            th.StringType,
            secret=True,
            title="API Key",
            description="Mailchimp API key (`…-us6`); its suffix names the data center. "
            "Either this or `access_token`.",
        ),
        th.Property(
            "access_token",
            th.StringType,
            secret=True,
            title="OAuth Access Token",
            description="OAuth 2 access token of a Mailchimp app (tokens do not expire). "
            "Either this or `api_key`.",
        ),
        th.Property(
            "data_center",
            th.StringType,
            title="Data Center",
            description="Mailchimp data center such as `us6`, when neither the key suffix "
            "nor the OAuth metadata endpoint should decide it.",
        ),
        th.Property(
            "oauth_metadata_url",
            th.StringType,
            default=DEFAULT_OAUTH_METADATA_URL,
            title="OAuth Metadata URL",
            description="Where an access token's data center is looked up.",
        ),
        th.Property(
            "base_url",
            th.StringType,
            title="API Base URL",
            description="Overrides the whole API root, e.g. `http://127.0.0.1:8080/3.0` for "
            "the sandbox emulator.",
        ),
        th.Property(
            "list_id",
            th.StringType,
            required=True,
            title="Audience (List) ID",
            description="The Mailchimp audience that members are written to.",
        ),
        th.Property(
            "status_if_new",
            th.StringType,
            default="subscribed",
            allowed_values=["subscribed", "pending", "transactional"],
            title="Status If New",
            description="Status of addresses Mailchimp does not hold yet, when the record "
            "has no `status`: `pending` for double opt-in, `transactional` for customers "
            "who never opted in.",
        ),
        th.Property(
            "inactive_action",
            th.StringType,
            default="unsubscribe",
            allowed_values=["unsubscribe", "archive", "tag", "none"],
            title="Inactive Action",
            description="What happens to a member whose record says `active: false`. An "
            "inactive record whose address Mailchimp does not hold creates nothing.",
        ),
        th.Property(
            "inactive_tag",
            th.StringType,
            default="inactive",
            title="Inactive Tag",
            description="The tag applied when `inactive_action` is `tag`.",
        ),
        th.Property(
            "create_missing_merge_fields",
            th.BooleanType,
            default=True,
            title="Create Missing Merge Fields",
            description="Create merge fields the input uses but the audience lacks (text "
            "type; address for ADDRESS-like objects); when false the run fails early.",
        ),
        th.Property(
            "skip_unchanged",
            th.BooleanType,
            default=True,
            title="Skip Unchanged Records",
            description="Do not send a record whose content equals what was last written "
            "successfully: an unchanged rerun makes no write calls.",
        ),
        th.Property(
            "audit_database_url",
            th.StringType,
            title="Audit Database URL",
            description="SQLAlchemy URL of the audit store (outcomes, ledger, replay). "
            "Default: a SQLite file in `.meltano/target-mailchimp/` of the Meltano project, "
            "else in the working directory. Use PostgreSQL to share it between workers.",
        ),
        th.Property(
            "dry_run",
            th.BooleanType,
            default=False,
            title="Dry Run",
            description="Plan and report every change (in the log and the audit store) and "
            "write nothing to Mailchimp.",
        ),
        th.Property(
            "max_concurrency",
            th.IntegerType(minimum=1, maximum=10),
            default=4,
            title="Max Concurrency",
            description="Most requests in flight at once in this run. Mailchimp allows 10 "
            "per API key; `account_connection_limit` keeps every run on the key together "
            "within it.",
        ),
        th.Property(
            "account_connection_limit",
            th.IntegerType(minimum=1, maximum=10),
            default=10,
            title="Account Connection Limit",
            description="Most requests in flight at once across every run that uses this API "
            "key (or token) and the same `connection_limit_database_url`, on any machine. "
            "Lower it when other tools use the same key.",
        ),
        th.Property(
            "connection_limit_database_url",
            th.StringType,
            title="Connection Limit Database URL",
            description="SQLAlchemy URL of the database holding the account's connection "
            "slots. Default: the audit database. Runs sharing an API key must share it.",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType(minimum=1, maximum=500),
            default=500,
            title="Batch Size Rows",
            description="Members per batch-subscribe call (Mailchimp's limit is 500).",
        ),
        th.Property(
            "store_id",
            th.StringType,
            title="E-commerce Store ID",
            description="The Mailchimp store that customers, products and orders are written "
            "to; created on the configured audience when missing.",
        ),
        th.Property(
            "store_name",
            th.StringType,
            title="Store Name",
            description="Name of the store when the target creates it (default: the store id).",
        ),
        th.Property(
            "store_currency_code",
            th.StringType,
            default="USD",
            title="Store Currency Code",
            description="ISO 4217 currency of the store, and of orders that name none.",
        ),
        th.Property(
            "store_domain",
            th.StringType,
            title="Store Domain",
            description="Optional web domain of the store.",
        ),
        th.Property(
            "direct_write_limit",
            th.IntegerType(minimum=0),
            default=20,
            title="Direct Write Limit",
            description="Most e-commerce writes of one drain sent as direct calls, one per "
            "write; a drain with more goes through one Mailchimp batch operation (one POST "
            "and a few polls whatever its size, but slower to finish for a handful).",
        ),
        th.Property(
            "historical_load_threshold",
            th.IntegerType(minimum=1),
            default=500,
            title="Historical Load Threshold",
            description="Once the orders stream brings this many records in one run, the "
            "run counts as a historical load: the store is marked `is_syncing` until the "
            "run ends, so imported orders fire no order automations.",
        ),
        th.Property(
            "batch_poll_seconds",
            th.IntegerType(minimum=0),
            default=5,
            title="Batch Poll Seconds",
            description="Wait between two checks of a running batch operation.",
        ),
        th.Property(
            "batch_timeout_seconds",
            th.IntegerType(minimum=1),
            default=3600,
            title="Batch Timeout Seconds",
            description="How long a batch operation may run before the run fails.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType(minimum=1),
            default=60,
            title="Request Timeout",
            description="Seconds before a request is abandoned and retried.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0),
            default=8,
            title="Max Retries",
            description="Retries of a request after 429, 5xx or a dropped connection, with "
            "exponential backoff and jitter, honouring `Retry-After`.",
        ),
        th.Property(
            "max_backoff_seconds",
            th.IntegerType(minimum=0),
            default=60,
            title="Max Backoff Seconds",
            description="Longest wait between two retries, `Retry-After` included.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # Sinks drain one after the other: orders need their products first, and the
        # client already spreads requests up to `max_concurrency`.
        self.max_parallelism = 1
        redaction.install(str(self.config.get(name) or "") for name in SECRET_SETTINGS)
        if not (self.config.get("api_key") or self.config.get("access_token")):
            raise ConfigValidationError(MISSING_CREDENTIALS, errors=[MISSING_CREDENTIALS])
        self.run_id = uuid.uuid4().hex
        self._preflight_done = False
        self.outcomes: dict[str, Counter[str]] = {}
        self.logger.info("target-mailchimp run %s", self.run_id)

    # Shared resources ----------------------------------------------------------

    @cached_property
    def client(self) -> MailchimpClient:
        """The one Mailchimp client of this run."""
        timeout = float(self.config.get("request_timeout", 60))
        api_root = resolve_api_root(
            base_url=self.config.get("base_url"),
            data_center=self.config.get("data_center"),
            api_key=self.config.get("api_key"),
            access_token=self.config.get("access_token"),
            oauth_metadata_url=self.config.get("oauth_metadata_url", DEFAULT_OAUTH_METADATA_URL),
            timeout=timeout,
        )
        return MailchimpClient(
            api_root,
            MailchimpAuth(
                api_key=self.config.get("api_key"), access_token=self.config.get("access_token")
            ),
            max_concurrency=int(self.config.get("max_concurrency", 4)),
            timeout=timeout,
            max_retries=int(self.config.get("max_retries", 8)),
            max_backoff_seconds=float(self.config.get("max_backoff_seconds", 60)),
            user_agent=f"{self.name}/{self.plugin_version}",
            account_slots=self.account_slots,
        )

    @cached_property
    def account_slots(self) -> AccountConnectionSlots:
        """This API key's connection slots, shared with every run using the same database."""
        url = self.config.get("connection_limit_database_url")
        engine = database_engine(url) if url else self.audit_store.engine
        credential = self.config.get("api_key") or self.config.get("access_token")
        return AccountConnectionSlots(
            engine,
            account_key(str(credential)),
            int(self.config.get("account_connection_limit", 10)),
        )

    @cached_property
    def audit_store(self) -> AuditStore:
        """The audit database of this run."""
        return AuditStore(self.config.get("audit_database_url") or default_database_url())

    @cached_property
    def audience(self) -> Audience:
        """The configured audience, checked to exist."""
        audience = Audience(self.client, self.config["list_id"])
        audience.check_exists()
        return audience

    @cached_property
    def snapshot(self) -> AudienceSnapshot:
        """Mailchimp's statuses per address, shared by every sink of the run."""
        return AudienceSnapshot(self.audience, self.audit_store)

    @cached_property
    def member_tag_sync(self) -> MemberTagSync:
        """The writer of tags found by ERP key."""
        return MemberTagSync(self.audience, self.audit_store, self.snapshot, dry_run=self.dry_run)

    @cached_property
    def ecommerce_store(self) -> EcommerceStore:
        """The configured e-commerce store."""
        store_id = self.config.get("store_id")
        if not store_id:
            msg = "Set `store_id` to write customers, products or orders to Mailchimp."
            raise ConfigValidationError(msg, errors=[msg])
        return EcommerceStore(
            self.client,
            store_id,
            list_id=self.config["list_id"],
            name=self.config.get("store_name") or store_id,
            currency_code=self.config.get("store_currency_code", "USD"),
            domain=self.config.get("store_domain"),
            dry_run=self.dry_run,
        )

    @cached_property
    def ecommerce_sync(self) -> EcommerceSync:
        """The e-commerce writer shared by the customers, products and orders sinks."""
        return EcommerceSync(
            self.ecommerce_store,
            self.audit_store,
            self.snapshot,
            direct=DirectCalls(self.client, int(self.config.get("max_concurrency", 4))),
            batches=BatchOperations(
                self.client,
                poll_seconds=float(self.config.get("batch_poll_seconds", 5)),
                timeout_seconds=float(self.config.get("batch_timeout_seconds", 3600)),
            ),
            direct_write_limit=int(self.config.get("direct_write_limit", 20)),
            historical_load_threshold=int(self.config.get("historical_load_threshold", 500)),
            skip_unchanged=self.config.get("skip_unchanged", True),
            dry_run=self.dry_run,
        )

    def preflight(self) -> None:
        """Check the configuration against Mailchimp before the first write.

        Runs when the first stream arrives: the audience must exist and accept the
        credentials, and a configured store must belong to it. Only reads, so a
        misconfigured run stops before it writes anything, with one sentence that
        says what to fix.
        """
        if self._preflight_done:
            return
        self.audience  # noqa: B018 - the cached property checks the audience exists
        if self.config.get("store_id"):
            self.ecommerce_store.check()
        self._preflight_done = True

    @property
    def dry_run(self) -> bool:
        """Whether this run writes nothing."""
        return bool(self.config.get("dry_run"))

    def member_sync(self, stream_name: str) -> MemberSync:
        """A member writer for one input stream."""
        settings = MemberSettings(
            list_id=self.config["list_id"],
            status_if_new=self.config.get("status_if_new", "subscribed"),
            inactive_action=self.config.get("inactive_action", "unsubscribe"),
            inactive_tag=self.config.get("inactive_tag", "inactive"),
            skip_unchanged=self.config.get("skip_unchanged", True),
        )
        return MemberSync(
            self.audience,
            self.audit_store,
            settings,
            self.snapshot,
            stream=stream_name,
            dry_run=self.dry_run,
            create_missing_merge_fields=self.config.get("create_missing_merge_fields", True),
            max_concurrency=int(self.config.get("max_concurrency", 4)),
        )

    # Routing and reporting ---------------------------------------------------

    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """Route a stream by name; anything outside the contract stops the run early."""
        if stream_name in SINKS:
            return SINKS[stream_name]
        if ACCOUNTING_STREAM.search(stream_name):
            msg = (
                f"target-mailchimp refuses stream {stream_name!r}: accounting data (GL "
                "accounts, journals, payables, vendor bills) has no place in Mailchimp. "
                "Drop it in the mapping (stream maps: `__NULL__`)."
            )
            raise ValueError(msg)
        msg = (
            f"target-mailchimp does not accept stream {stream_name!r}: it accepts "
            f"{', '.join(INPUT_SCHEMAS)}. Rename or drop it with stream maps."
        )
        raise ValueError(msg)

    def drain_streams(self, *stream_names: str) -> None:
        """Write what the named streams hold now (e.g. products before orders)."""
        for name in stream_names:
            sink = self._sinks_active.get(name)
            if sink is not None:
                self.drain_one(sink)

    def record_outcomes(self, events: list[AuditEvent]) -> None:
        """Audit a drained batch and tally it for the run summary."""
        self.audit_store.record(self.run_id, events, dry_run=self.dry_run)
        for event in events:
            self.outcomes.setdefault(event.stream, Counter())[event.outcome] += 1
            if event.outcome == "failed":
                self.logger.warning(
                    "%s record %s failed: %s", event.stream, event.record_key, event.reason
                )

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM/SIGINT mid-drain, stop without emitting state.

        The SDK drains every sink and emits state from its signal handler, even
        when the signal interrupted a batch half-way (meltano/sdk#3775): that state
        would acknowledge records never written. A batch is in progress from the
        moment its sink hands it over (`start_drain`, which empties the sink) until
        it is written and audited (`mark_drained`). Outside that, the SDK's drain is
        safe and keeps the progress.
        """
        sinks = [*self._sinks_active.values(), *self._sinks_to_clear]
        if any(getattr(sink, "draining", False) for sink in sinks):
            self.logger.warning(
                "Terminated by signal %d during a write: stopping without emitting state; "
                "the next run resends this batch (writes are idempotent).",
                signum,
            )
            raise SystemExit(128 + signum)
        super()._handle_termination(signum, frame)

    def process_endofpipe(self) -> None:
        """Drain everything, then log the per-stream summary table."""
        super().process_endofpipe()
        if "ecommerce_store" in self.__dict__:  # only when this run wrote e-commerce data
            self.ecommerce_store.finish()
        if "client" in self.__dict__:
            self.client.close()
        self.log_summary()

    def log_summary(self) -> None:
        """Log created/updated/unchanged/skipped/failed per stream, as a table and metrics."""
        title = "Dry run (nothing written)" if self.dry_run else "Run"
        header = f"{'stream':<12}" + "".join(f"{name:>11}" for name in OUTCOMES)
        lines = [f"{title} {self.run_id} summary:", header]
        for stream, counts in sorted(self.outcomes.items()):
            lines.append(f"{stream:<12}" + "".join(f"{counts[name]:>11}" for name in OUTCOMES))
        if not self.outcomes:
            lines.append("(no records)")
        self.logger.info("\n".join(lines))
        log_outcome_counts(self.outcomes, run_id=self.run_id, dry_run=self.dry_run)

    # CLI -------------------------------------------------------------------

    @classmethod
    def print_about(cls, output_format: str | None = None) -> None:
        """Print the standard about information plus the input contract."""
        info = cls._get_about_info()
        text = about.AboutFormatter.get_formatter(output_format or "text").format_about(info)
        if output_format == "json":
            document = json.loads(text)
            document["input_streams"] = INPUT_SCHEMAS
            text = json.dumps(document, indent=2, ensure_ascii=False)
        else:
            text = f"{text}\n{contract_markdown()}"
        print(text)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The Singer command, which also dispatches `target-mailchimp audit …` and `replay …`."""
        command = super().get_singer_command()
        return TargetCommand(
            name=command.name,
            callback=command.callback,
            params=command.params,
            help=f"{command.help}\n\nSubcommands: `audit` reports runs and failed or "
            "skipped records and replays failures (see `target-mailchimp audit --help`); "
            "`replay` is `audit replay`.",
            context_settings=command.context_settings,
            logger=cls.logger,
            subcommands={"audit": audit_command(cls), "replay": replay_command(cls)},
        )


class TargetCommand(SingerCommand):
    """A Singer command that hands `<subcommand> …` arguments to a subcommand."""

    def __init__(self, *args: t.Any, subcommands: dict[str, click.Command], **kwargs: t.Any):
        super().__init__(*args, **kwargs)
        self.subcommands = subcommands

    def main(self, args: t.Sequence[str] | None = None, **kwargs: t.Any) -> t.Any:
        """Run a subcommand when the first argument names one, else the target."""
        arguments = list(sys.argv[1:] if args is None else args)
        # Meltano puts its own `--config <file>` before the user's arguments.
        for position, argument in enumerate(arguments):
            if argument in self.subcommands:
                rest = arguments[:position] + arguments[position + 1 :]
                # A subcommand bypasses SingerCommand.invoke: give it the same error
                # logging, so a crash is one log record (JSON under structured logging).
                sys.excepthook = self.excepthook
                prog_name = f"{kwargs.pop('prog_name', None) or self.name} {argument}"
                return self.subcommands[argument].main(rest, prog_name=prog_name, **kwargs)
        return super().main(arguments, **kwargs)
