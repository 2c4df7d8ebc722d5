"""The Python API tests use: start an Exact Online emulator, change its records, stop it."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from erp_sandbox.exact.app import build_app
from erp_sandbox.exact.clock import Clock
from erp_sandbox.exact.context import Context
from erp_sandbox.exact.seed_data import SeedSize
from erp_sandbox.exact.settings import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_DAILY_LIMIT,
    DEFAULT_DIVISION,
    DEFAULT_MINUTELY_LIMIT,
    DEFAULT_REDIRECT_URI,
    DEFAULT_TIME_ZONE,
    DEFAULT_WEBHOOK_SECRET,
    ExactSettings,
)
from erp_sandbox.exact.store import ExactStore
from erp_sandbox.exact.webhooks import Notification, sign
from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.inspection import CallLog
from erp_sandbox.server import BackgroundServer


class ExactEmulator:
    """An emulated Exact Online environment (one division, one OAuth app, one user)
    served over real HTTP from a background thread.

    ``ExactEmulator(port=0).start()`` serves on a free port; use it as a context manager or
    call :meth:`stop`. ``base_url`` stands for ``https://start.exactonline.<tld>``: every
    region is served at the same base.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        division: int = DEFAULT_DIVISION,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        seed: SeedSize | None = None,
        minutely_limit: int = DEFAULT_MINUTELY_LIMIT,
        daily_limit: int = DEFAULT_DAILY_LIMIT,
        deliver_webhooks: bool = False,
        time_zone: str = DEFAULT_TIME_ZONE,
        fault_seed: int | None = None,
    ) -> None:
        settings = ExactSettings(
            division=division,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            webhook_secret=webhook_secret,
            minutely_limit=minutely_limit,
            daily_limit=daily_limit,
            deliver_webhooks=deliver_webhooks,
            time_zone=time_zone,
        )
        self.ctx = Context(
            settings=settings,
            seed_size=seed or SeedSize(),
            faults=FaultInjector(FaultSettings(seed=fault_seed)),
        )
        self.app = build_app(self.ctx)
        self.host = host
        self._server = BackgroundServer(self.app, host=host, port=port)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; returns self."""
        self._server.start()
        if not self.ctx.settings.public_base_url:
            self.ctx.settings.public_base_url = self.base_url
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

    # --- where it is and who may call -----------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._server.port is None:
            raise RuntimeError("the emulator is not started")
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``: stands for ``https://start.exactonline.nl``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``<base_url>/api/v1/<division>``."""
        return f"{self.base_url}/api/v1/{self.division}"

    @property
    def auth_url(self) -> str:
        """``<base_url>/api/oauth2/auth``."""
        return self.base_url + "/api/oauth2/auth"

    @property
    def token_url(self) -> str:
        """``<base_url>/api/oauth2/token``."""
        return self.base_url + "/api/oauth2/token"

    @property
    def division(self) -> int:
        """The division (administration) number in every path."""
        return self.ctx.settings.division

    @property
    def client_id(self) -> str:
        """The OAuth app's client id."""
        return self.ctx.settings.client_id

    @property
    def client_secret(self) -> str:
        """The OAuth app's client secret."""
        return self.ctx.settings.client_secret

    @property
    def redirect_uri(self) -> str:
        """The redirect URI registered for the app."""
        return self.ctx.settings.redirect_uri

    @property
    def webhook_secret(self) -> str:
        """The app's webhook secret (the ``HashCode`` key)."""
        return self.ctx.settings.webhook_secret

    # --- tokens -------------------------------------------------------------------------

    def issue_authorization_code(self) -> str:
        """A fresh authorization code for ``redirect_uri``: single use, 3 minutes on the
        emulator clock (what ``/api/oauth2/auth`` would redirect with)."""
        return self.ctx.oauth.issue_code()

    def issue_refresh_token(self) -> str:
        """A valid refresh token of a new grant, as if a code had been exchanged; it is no
        token request, so the 570 s rule does not apply to its first use."""
        return self.ctx.oauth.seed_refresh_token()

    def issue_access_token(self) -> str:
        """A live 10-minute access token of a new grant, for tests that skip OAuth."""
        return self.ctx.oauth.seed_access_token()

    def expire_access_tokens(self) -> int:
        """Every access token expires now; returns how many were live."""
        return self.ctx.oauth.expire_access_tokens()

    # --- settings and instrumentation ---------------------------------------------------

    @property
    def settings(self) -> ExactSettings:
        """Live settings."""
        return self.ctx.settings

    def configure(self, **changes: Any) -> None:
        """Change settings, e.g. ``configure(minutely_limit=5, deliver_webhooks=True)``
        (names as in :class:`ExactSettings`)."""
        self.ctx.apply_settings(changes)

    @property
    def calls(self) -> CallLog:
        """Every API call received (not ``/_sandbox``): ``count("GET
        /api/v1/{division}/crm/Accounts")``."""
        return self.ctx.calls

    @property
    def faults(self) -> FaultInjector:
        """Fault configuration: ``configure(...)``, ``enqueue(...)``, ``clear()``."""
        return self.ctx.faults

    @property
    def clock(self) -> Clock:
        """The fake clock: ``freeze(…)``, ``advance(seconds, days=…)``, ``unfreeze()``."""
        return self.ctx.clock

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; no calls, faults, codes, tokens, counters,
        subscriptions or notifications; settings (and the starting seed) too if asked."""
        self.ctx.reset(restore_settings=restore_settings)

    def oauth_state(self) -> dict[str, Any]:
        """Grants, refresh-token chains, the 570 s window, token request counts."""
        return self.ctx.oauth.to_json()

    def rate_limits(self) -> dict[str, Any]:
        """Minutely and daily usage per app and division, errors and blocks."""
        return self.ctx.limiter.to_json()

    # --- webhooks -----------------------------------------------------------------------

    @property
    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        """Current subscriptions (copies)."""
        return [dict(s) for s in self.ctx.webhooks.rows()]

    @property
    def webhook_notifications(self) -> list[Notification]:
        """Every notification built so far, sent or not, oldest first."""
        return list(self.ctx.webhooks.notifications)

    def sign_webhook(self, content: bytes) -> str:
        """The ``HashCode`` of raw ``Content`` bytes under the app's webhook secret."""
        return sign(self.webhook_secret, content)

    # --- data ---------------------------------------------------------------------------

    @property
    def store(self) -> ExactStore:
        """The records themselves."""
        return self.ctx.store

    def seed(self, size: SeedSize | None = None, **sizes: Any) -> dict[str, int]:
        """Replace the data with a generated division, e.g. ``seed(accounts=1500)``; it
        becomes the state :meth:`reset` returns to. Returns records per collection."""
        return self.ctx.store.seed(replace(size or SeedSize(), **sizes))

    def record(self, entity: str, key: Any) -> dict[str, Any] | None:
        """One record as stored (JSON-ready, instants in UTC, with ``Timestamp``), or None.
        ``entity`` is ``Accounts``, ``Contacts``, ``Costcenters`` or ``SalesInvoices``;
        ``key`` its GUID, or ``Code`` (accounts, cost centers), ``HID`` (contacts),
        ``InvoiceNumber`` (invoices)."""
        return self.ctx.store.record(entity, key)

    def update_record(self, entity: str, key: Any, **fields: Any) -> dict[str, Any]:
        """Change a record: ``Modified`` moves to the clock, a new ``Timestamp`` (for an
        invoice: header and every line), a webhook notification for subscribers."""
        return self.ctx.store.update_record(entity, key, **fields)

    def insert_record(self, entity: str, **fields: Any) -> dict[str, Any]:
        """Add a record (new GUID, ``Created``/``Modified`` from the clock, defaults)."""
        return self.ctx.store.insert_record(entity, **fields)

    def delete_record(self, entity: str, key: Any) -> dict[str, Any]:
        """Remove a record; accounts, contacts and invoices appear in ``sync/Deleted``."""
        return self.ctx.store.delete_record(entity, key)
