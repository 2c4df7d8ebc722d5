"""The Python API tests use: start a JD Edwards AIS emulator, change its rows, stop it."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from erp_sandbox.acumatica.clock import Clock
from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.inspection import CallLog
from erp_sandbox.jde.app import build_app
from erp_sandbox.jde.context import Context
from erp_sandbox.jde.seed_data import SeedSize
from erp_sandbox.jde.sessions import SessionRegistry
from erp_sandbox.jde.settings import (
    DEFAULT_ENVIRONMENT,
    DEFAULT_PASSWORD,
    DEFAULT_RESULT_SET_TIMEOUT_SECONDS,
    DEFAULT_ROLE,
    DEFAULT_SESSION_TIMEOUT_SECONDS,
    DEFAULT_USERNAME,
    JdeSettings,
)
from erp_sandbox.jde.store import JdeStore, KeyValue
from erp_sandbox.jde.tables import TABLES
from erp_sandbox.server import BackgroundServer


class JdeEmulator:
    """An emulated JD Edwards EnterpriseOne AIS Server (tokens bound to a device, the data
    service over F0101, F03012, F01151, F0115 and F0116 with next-page processing) served
    over real HTTP from a background thread.

    ``JdeEmulator(port=0).start()`` serves on a free port; use it as a context manager or
    call :meth:`stop`. ``base_url`` is the AIS Server (``…/jderest/v2/…`` below it).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: SeedSize | None = None,
        username: str = DEFAULT_USERNAME,
        password: str = DEFAULT_PASSWORD,
        environment: str = DEFAULT_ENVIRONMENT,
        role: str = DEFAULT_ROLE,
        session_timeout_seconds: float = DEFAULT_SESSION_TIMEOUT_SECONDS,
        result_set_timeout_seconds: float = DEFAULT_RESULT_SET_TIMEOUT_SECONDS,
        date_output: str = "yyyymmdd",
        date_literal_format: str = "formatted",
        time_zone: str = "America/Denver",
        fault_seed: int | None = None,
    ) -> None:
        defaults = JdeSettings()
        settings = JdeSettings(
            username=username,
            password=password,
            environments=[environment, *(e for e in defaults.environments if e != environment)],
            roles=[role, *(r for r in defaults.roles if r != role)],
            session_timeout_seconds=session_timeout_seconds,
            result_set_timeout_seconds=result_set_timeout_seconds,
            date_output=date_output,
            date_literal_format=date_literal_format,
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
        """The AIS Server, e.g. ``http://127.0.0.1:54321`` (services under ``/jderest``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def username(self) -> str:
        """The JD Edwards user (``JDE``)."""
        return self.ctx.settings.username

    @property
    def password(self) -> str:
        """The user's password."""
        return self.ctx.settings.password

    @property
    def environment(self) -> str:
        """The default environment (``JDV920``)."""
        return self.ctx.settings.environment

    @property
    def role(self) -> str:
        """The default role (``*ALL``)."""
        return self.ctx.settings.role

    # --- settings and instrumentation ---------------------------------------------------

    @property
    def settings(self) -> JdeSettings:
        """Live settings."""
        return self.ctx.settings

    def configure(self, **changes: Any) -> None:
        """Change settings, e.g. ``configure(session_timeout_seconds=5,
        date_output="julian")`` (names as in :class:`JdeSettings`)."""
        self.ctx.apply_settings(changes)

    @property
    def calls(self) -> CallLog:
        """Every API call received (not ``/_sandbox``), with ``count(route)``, e.g.
        ``count("POST /jderest/v2/dataservice")``."""
        return self.ctx.calls

    @property
    def faults(self) -> FaultInjector:
        """Fault configuration: ``configure(...)``, ``enqueue(...)``, ``clear()``."""
        return self.ctx.faults

    @property
    def clock(self) -> Clock:
        """Change stamps, session idle time and result set timeouts come from it."""
        return self.ctx.clock

    @property
    def sessions(self) -> SessionRegistry:
        """Sessions and open result sets (``to_json()`` for details)."""
        return self.ctx.sessions

    @property
    def open_sessions(self) -> int:
        """Live tokens now."""
        return self.ctx.sessions.open_count()

    @property
    def open_result_sets(self) -> int:
        """Result sets waiting for next calls now."""
        return self.ctx.sessions.result_set_count()

    def expire_tokens(self) -> int:
        """End every session as if it had timed out (its token answers 444)."""
        return self.ctx.sessions.expire_sessions()

    def expire_result_sets(self) -> int:
        """Expire every open result set (next calls answer 500)."""
        return self.ctx.sessions.expire_result_sets()

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; settings (and the starting seed) too if asked."""
        self.ctx.reset(restore_settings=restore_settings)

    # --- data ---------------------------------------------------------------------------

    @property
    def store(self) -> JdeStore:
        """The rows themselves."""
        return self.ctx.store

    @property
    def tables(self) -> list[str]:
        """The tables served."""
        return list(TABLES)

    def seed(self, size: SeedSize | None = None, **sizes: Any) -> dict[str, int]:
        """Replace the data with a generated address book, e.g. ``seed(customers=5000)``;
        it becomes the state :meth:`reset` returns to. Returns rows per table."""
        return self.ctx.store.seed(replace(size or SeedSize(), **sizes))

    def record(self, table: str, key: KeyValue) -> dict[str, Any] | None:
        """One row as stored (dates CYYDDD, UPMT HHMMSS), or None. Keys: ``1001``,
        ``(1001, "00000")`` or ``"1001/00000"``; a date key part may be CYYDDD, a ``date``
        or ``"2024-02-01"``."""
        return self.ctx.store.record(table, key)

    def update_record(self, table: str, key: KeyValue, **fields: Any) -> dict[str, Any]:
        """Change columns of a row by alias (``ALPH="…"``); UPMJ/UPMT move to the clock
        in the server's zone unless given."""
        return self.ctx.store.update_record(table, key, **fields)

    def insert_record(self, table: str, **fields: Any) -> dict[str, Any]:
        """Add a row (next AN8 for F0101; defaults for the rest of child keys; UPMJ/UPMT
        from the clock)."""
        return self.ctx.store.insert_record(table, **fields)

    def delete_record(self, table: str, key: KeyValue) -> dict[str, Any]:
        """Remove a row (AIS has no deleted-records feed)."""
        return self.ctx.store.delete_record(table, key)
