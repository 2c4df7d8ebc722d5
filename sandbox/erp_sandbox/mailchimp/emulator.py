"""The Python API tests use: start an emulator, poke at it, stop it."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Any, Self

from erp_sandbox.contract import ContractRecorder, Violation
from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.inspection import CallLog
from erp_sandbox.mailchimp.app import build_app
from erp_sandbox.mailchimp.audience_activity import record_activity
from erp_sandbox.mailchimp.batch_operations import Batch
from erp_sandbox.mailchimp.context import Context
from erp_sandbox.mailchimp.list_webhooks import WebhookDelivery, webhook_json
from erp_sandbox.mailchimp.seeding import apply_seed
from erp_sandbox.mailchimp.settings import (
    DEFAULT_API_KEY,
    DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_DC,
    DEFAULT_LIST_ID,
    DEFAULT_OAUTH_TOKEN,
    FakeEmailRule,
    MailchimpSettings,
    UnknownMergeFieldPolicy,
)
from erp_sandbox.mailchimp.store import MailchimpStore
from erp_sandbox.server import BackgroundServer


class MailchimpEmulator:
    """An emulated Mailchimp Marketing API v3 served over real HTTP.

    ``MailchimpEmulator(port=0).start()`` serves on a free port from a background
    thread; use it as a context manager or call :meth:`stop`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: list[str] | None = None,
        oauth_tokens: list[str] | None = None,
        dc: str = DEFAULT_DC,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
        fake_emails: FakeEmailRule | None = None,
        unknown_merge_fields: UnknownMergeFieldPolicy = "reject",
        contract_checks: bool = True,
        seed: dict[str, Any] | None = None,
        fault_seed: int | None = None,
    ) -> None:
        settings = MailchimpSettings(
            api_keys=list(api_keys or [DEFAULT_API_KEY]),
            oauth_tokens=list(oauth_tokens or [DEFAULT_OAUTH_TOKEN]),
            dc=dc,
            concurrency_limit=concurrency_limit,
            fake_emails=fake_emails or FakeEmailRule(),
            unknown_merge_fields=unknown_merge_fields,
        )
        self.ctx = Context(
            settings=settings,
            faults=FaultInjector(FaultSettings(seed=fault_seed)),
            violations=ContractRecorder(enabled=contract_checks),
            seed=copy.deepcopy(seed),
        )
        if seed:
            apply_seed(self.ctx.store, copy.deepcopy(seed))
        self.app = build_app(self.ctx)
        self._server = BackgroundServer(self.app, host=host, port=port)
        self.host = host

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- where it is --------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server.port is None:
            raise RuntimeError("the emulator is not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` (what ``/oauth2/metadata`` calls ``api_endpoint``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_root(self) -> str:
        """``<base_url>/3.0``."""
        return self.base_url + "/3.0"

    # --- credentials --------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The first accepted API key."""
        return self.ctx.settings.api_keys[0]

    @property
    def oauth_token(self) -> str:
        """The first accepted OAuth token."""
        return self.ctx.settings.oauth_tokens[0]

    @property
    def auth(self) -> tuple[str, str]:
        """HTTP Basic credentials for ``requests``: ``("anystring", api_key)``."""
        return ("anystring", self.api_key)

    @property
    def settings(self) -> MailchimpSettings:
        """Live settings (keys, tokens, fake-email rule, merge-field policy)."""
        return self.ctx.settings

    def configure(self, **changes: Any) -> None:
        """Change settings, e.g. ``configure(api_keys=[...], concurrency_limit=5,
        batch_stage_delay_ms=0, batch_paused=True)`` (names as in
        :class:`MailchimpSettings`)."""
        self.ctx.settings.apply_json(changes)
        assert self.ctx.limiter is not None  # noqa: S101 - set by Context
        self.ctx.limiter.limit = self.ctx.settings.concurrency_limit

    # --- state and instrumentation ------------------------------------------------------

    @property
    def default_list_id(self) -> str:
        """The list every reset creates."""
        return DEFAULT_LIST_ID

    @property
    def store(self) -> MailchimpStore:
        """Direct access to the state (hold ``store.lock`` while changing it)."""
        return self.ctx.store

    @property
    def calls(self) -> CallLog:
        """Every API call received (not ``/_sandbox``), with ``count(route)``."""
        return self.ctx.calls

    @property
    def batch_operations(self) -> CallLog:
        """Operations run inside batches, with ``count(route)``; apart from :attr:`calls`,
        so a test can tell direct calls from batched ones."""
        return self.ctx.batch_operations

    @property
    def batches(self) -> list[Batch]:
        """Every batch submitted and not deleted (copies), oldest first; expired ones
        are included with ``expired`` set."""
        return self.ctx.batches.all()

    def batch(self, batch_id: str) -> Batch | None:
        """One batch (a copy) as the API sees it, or None if unknown, deleted or expired."""
        return self.ctx.batches.get(batch_id)

    def wait_for_batch(self, batch_id: str, timeout: float = 10.0) -> Batch:
        """Block until the batch is finished (TimeoutError otherwise); a copy of it."""
        return self.ctx.batches.wait(batch_id, timeout)

    def expire_batch(self, batch_id: str) -> None:
        """Let the batch expire now: its GET and its results archive answer 404."""
        self.ctx.batches.expire(batch_id)

    @property
    def faults(self) -> FaultInjector:
        """Fault configuration: ``configure(...)``, ``enqueue(...)``, ``clear()``."""
        return self.ctx.faults

    @property
    def contract(self) -> ContractRecorder:
        """Contract checking (``contract.enabled = False`` turns it off)."""
        return self.ctx.violations

    @property
    def contract_violations(self) -> list[Violation]:
        """Requests and responses that broke the OpenAPI contract so far."""
        return self.ctx.violations.violations

    @property
    def opt_in_emails(self) -> list[dict[str, str]]:
        """Double opt-in confirmation emails Mailchimp would have sent."""
        with self.store.lock:
            return list(self.store.opt_in_emails)

    @property
    def automations(self) -> list[dict[str, Any]]:
        """Automations Mailchimp would have fired (tags, e-commerce)."""
        with self.store.lock:
            return list(self.store.automations)

    @property
    def list_webhooks(self) -> list[dict[str, Any]]:
        """Every list webhook as the API returns it, oldest first."""
        return [webhook_json(h, self.api_root) for h in self.ctx.list_webhooks.all()]

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every list-webhook event sent (or not, with ``deliver_webhooks`` off) to a
        webhook, oldest first."""
        return list(self.ctx.list_webhooks.deliveries)

    def member_activity(
        self, type: str, email: str, *, list_id: str = DEFAULT_LIST_ID, **details: Any
    ) -> list[WebhookDelivery]:
        """Something a person (``source="user"``, the default) or an admin
        (``source="admin"``) does outside the API: ``type`` is ``subscribe``,
        ``unsubscribe`` (``reason``, ``campaign_id``, ``action="delete"``), ``cleaned``
        (``reason="hard"|"abuse"``), ``upemail`` (``new_email``) or ``profile``
        (``merges``). Changes the member, fires the list webhooks and returns the
        deliveries made; ValueError (``ActivityError``) if it cannot happen."""
        hooks = self.ctx.list_webhooks
        with hooks.collecting() as outbox:
            record_activity(
                self.ctx, list_id, {"type": type, "email": email, **details}, self.api_root
            )
        return hooks.deliver(list(outbox))

    def seed(self, document: dict[str, Any]) -> dict[str, Any]:
        """Put state straight into the store (see :mod:`erp_sandbox.mailchimp.seeding`)."""
        return apply_seed(self.store, document)

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the starting state; settings are kept unless ``restore_settings``."""
        self.ctx.reset(restore_settings=restore_settings)

    def member(self, email: str, list_id: str = DEFAULT_LIST_ID) -> dict[str, Any] | None:
        """A member as the API would return it, or None (handy in assertions)."""
        from erp_sandbox.mailchimp.representations import member_json

        with self.store.lock:
            lst = self.store.lists.get(list_id)
            found = lst.find_member(email) if lst else None
            if lst is None or found is None:
                return None
            return member_json(lst, found, self.api_root)
