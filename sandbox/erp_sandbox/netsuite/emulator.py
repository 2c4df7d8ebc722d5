"""The Python API tests use: start a NetSuite emulator, change its data, stop it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.inspection import CallLog
from erp_sandbox.netsuite.app import build_app
from erp_sandbox.netsuite.clock import Clock
from erp_sandbox.netsuite.context import Context
from erp_sandbox.netsuite.database import NetSuiteDatabase
from erp_sandbox.netsuite.oauth2 import TOKEN_PATH
from erp_sandbox.netsuite.seed_data import SeedSize
from erp_sandbox.netsuite.settings import (
    DEFAULT_ACCESS_TOKEN_SECONDS,
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CLIENT_ID,
    DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_EC_CERTIFICATE_ID,
    DEFAULT_RESULT_CEILING,
    DEFAULT_RSA_CERTIFICATE_ID,
    DEFAULT_TOKEN_ID,
    DEFAULT_TOKEN_SECRET,
    EC_PRIVATE_KEY_FILE,
    RSA_PRIVATE_KEY_FILE,
    NetSuiteSettings,
)
from erp_sandbox.netsuite.suiteql_results import Page, parse_page, run_query
from erp_sandbox.netsuite.user_event_script import Notification
from erp_sandbox.server import BackgroundServer

SUITEQL_PATH = "/services/rest/query/v1/suiteql"


class NetSuiteEmulator:
    """An emulated NetSuite account (SuiteTalk REST: SuiteQL, OAuth 2.0 M2M, TBA) served
    over real HTTP from a background thread.

    ``NetSuiteEmulator(port=0).start()`` serves on a free port; use it as a context manager
    or call :meth:`stop`. The fake credentials below are accepted by default.
    """

    client_id = DEFAULT_CLIENT_ID
    rsa_certificate_id = DEFAULT_RSA_CERTIFICATE_ID
    ec_certificate_id = DEFAULT_EC_CERTIFICATE_ID
    rsa_private_key_file: Path = RSA_PRIVATE_KEY_FILE
    ec_private_key_file: Path = EC_PRIVATE_KEY_FILE
    consumer_key = DEFAULT_CONSUMER_KEY
    consumer_secret = DEFAULT_CONSUMER_SECRET
    token_id = DEFAULT_TOKEN_ID
    token_secret = DEFAULT_TOKEN_SECRET

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        account_id: str = DEFAULT_ACCOUNT_ID,
        seed: SeedSize | None = None,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
        result_ceiling: int = DEFAULT_RESULT_CEILING,
        access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS,
        account_timezone: str = "America/Los_Angeles",
        date_format: str = "M/D/YYYY",
        fault_seed: int | None = None,
    ) -> None:
        settings = NetSuiteSettings(
            account_id=account_id,
            concurrency_limit=concurrency_limit,
            result_ceiling=result_ceiling,
            access_token_seconds=access_token_seconds,
            account_timezone=account_timezone,
            date_format=date_format,
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
        """``http://127.0.0.1:<port>``: stands for ``https://<account host>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        """The OAuth 2.0 token endpoint (and the ``aud`` of assertions)."""
        return self.base_url + TOKEN_PATH

    @property
    def suiteql_url(self) -> str:
        """The SuiteQL endpoint."""
        return self.base_url + SUITEQL_PATH

    @property
    def account_id(self) -> str:
        """The account (TBA realm), e.g. ``1234567_SB1``."""
        return self.ctx.settings.account_id

    @property
    def account_host(self) -> str:
        """The host NetSuite would serve this account on, e.g.
        ``1234567-sb1.suitetalk.api.netsuite.com``."""
        return self.ctx.settings.host

    @property
    def rsa_private_key_pem(self) -> str:
        """The fake RSA 3072 test key mapped to ``rsa_certificate_id`` (PS256)."""
        return self.rsa_private_key_file.read_text(encoding="ascii")

    @property
    def ec_private_key_pem(self) -> str:
        """The fake EC P-256 test key mapped to ``ec_certificate_id`` (ES256)."""
        return self.ec_private_key_file.read_text(encoding="ascii")

    # --- settings and instrumentation ---------------------------------------------------

    @property
    def settings(self) -> NetSuiteSettings:
        """Live settings."""
        return self.ctx.settings

    def configure(self, **changes: Any) -> None:
        """Change settings, e.g. ``configure(result_ceiling=2000, concurrency_limit=2,
        permission_denied_tables=["item"])`` (names as in :class:`NetSuiteSettings`)."""
        self.ctx.apply_settings(changes)

    @property
    def calls(self) -> CallLog:
        """Every API call received (not ``/_sandbox``), with ``count(route)``."""
        return self.ctx.calls

    @property
    def faults(self) -> FaultInjector:
        """Fault configuration: ``configure(...)``, ``enqueue(...)``, ``clear()``."""
        return self.ctx.faults

    @property
    def clock(self) -> Clock:
        """The clock record changes are stamped with: ``freeze``, ``advance``, ``unfreeze``."""
        return self.ctx.clock

    @property
    def db(self) -> NetSuiteDatabase:
        """The data itself (``fetch(sql)`` runs raw SQLite)."""
        return self.ctx.db

    def revoke_tokens(self) -> int:
        """Invalidate every access token now, as if they had expired."""
        return self.ctx.tokens.revoke_all()

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data, without script deployments; settings (and the starting
        seed) too if asked."""
        self.ctx.reset(restore_settings=restore_settings)

    # --- data ---------------------------------------------------------------------------

    def seed(self, size: SeedSize | None = None, **sizes: Any) -> dict[str, int]:
        """Replace the data with a generated account, e.g. ``seed(customers=250_000)``;
        it becomes the state :meth:`reset` returns to. Returns rows per table."""
        return self.ctx.db.seed(replace(size or SeedSize(), **sizes))

    def record(self, table: str, key: Any) -> dict[str, Any] | None:
        """One row as stored (timestamps in the account zone), or None."""
        return self.ctx.db.record(table, key)

    def update_record(self, table: str, key: Any, **fields: Any) -> dict[str, Any]:
        """Change a record; its ``lastmodifieddate`` moves to the clock. Deployed
        user-event scripts post before this returns (also on insert and delete)."""
        return self.ctx.db.update_record(table, key, **fields)

    def insert_record(self, table: str, **fields: Any) -> dict[str, Any]:
        """Add a record (next free key, dates from the clock unless given)."""
        return self.ctx.db.insert_record(table, **fields)

    def delete_record(self, table: str, key: Any) -> dict[str, Any]:
        """Delete a record and write its ``deletedrecord`` row (returned)."""
        return self.ctx.db.delete_record(table, key)

    # --- the deployed user-event script -------------------------------------------------

    def deploy_user_event_script(
        self,
        url: str,
        record_types: list[str] | None = None,
        hmac_secret: str | None = None,
    ) -> dict[str, Any]:
        """Deploy the project's user-event script: from now on every change of a record
        of ``record_types`` (default: all) POSTs a notification to ``url``, signed with
        ``hmac_secret`` if given. Returns the deployment (``id``, ``url``,
        ``record_types``, ``signed``)."""
        return self.ctx.user_event_script.deploy(url, record_types, hmac_secret).to_json()

    @property
    def user_event_deployments(self) -> list[dict[str, Any]]:
        """The script's deployments, oldest first."""
        return [d.to_json() for d in self.ctx.user_event_script.deployments()]

    @property
    def notifications(self) -> list[Notification]:
        """Every POST the script made or tried, oldest first."""
        return list(self.ctx.user_event_script.notifications)

    def remove_user_event_scripts(self) -> int:
        """Undeploy every deployment and forget the notifications; returns how many."""
        return self.ctx.user_event_script.remove_all()

    def suiteql(self, query: str, *, limit: int = 1000, offset: int = 0) -> dict[str, Any]:
        """Run SuiteQL without HTTP or auth: the same envelope the endpoint returns."""
        page: Page = parse_page(str(limit), str(offset))
        url = f"https://{self.account_host}{SUITEQL_PATH}"
        return run_query(self.ctx.db, self.ctx.settings, query, page, url)
