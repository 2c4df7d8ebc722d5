"""The Python API tests use: start an Acumatica emulator, change its records, stop it."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from erp_sandbox.acumatica.app import build_app
from erp_sandbox.acumatica.clock import Clock
from erp_sandbox.acumatica.context import Context
from erp_sandbox.acumatica.entities import ENTITIES
from erp_sandbox.acumatica.seed_data import SeedSize
from erp_sandbox.acumatica.sessions import SessionRegistry
from erp_sandbox.acumatica.settings import (
    DEFAULT_ACCESS_TOKEN_SECONDS,
    DEFAULT_API_USER_LIMIT,
    DEFAULT_ENDPOINT_VERSIONS,
    DEFAULT_SITE_PATH,
    DEFAULT_TENANT,
    AcumaticaSettings,
)
from erp_sandbox.acumatica.store import AcumaticaStore, KeyValue
from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.inspection import CallLog
from erp_sandbox.server import BackgroundServer


class AcumaticaEmulator:
    """An emulated Acumatica ERP instance (contract-based REST API, endpoint ``Default``
    22.200.001/23.200.001/24.200.001, cookie login and OAuth 2.0) served over real HTTP
    from a background thread.

    ``AcumaticaEmulator(port=0).start()`` serves on a free port; use it as a context
    manager or call :meth:`stop`. ``base_url`` is the instance URL, site path included.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        site_path: str = DEFAULT_SITE_PATH,
        tenant: str = DEFAULT_TENANT,
        endpoint_versions: list[str] | tuple[str, ...] = DEFAULT_ENDPOINT_VERSIONS,
        seed: SeedSize | None = None,
        api_user_limit: int = DEFAULT_API_USER_LIMIT,
        access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS,
        requests_per_minute: int = 0,
        time_zone: str = "America/New_York",
        fault_seed: int | None = None,
    ) -> None:
        settings = AcumaticaSettings(
            site_path=site_path,
            tenant=tenant,
            endpoint_versions=list(endpoint_versions),
            api_user_limit=api_user_limit,
            access_token_seconds=access_token_seconds,
            requests_per_minute=requests_per_minute,
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
    def server_url(self) -> str:
        """``http://127.0.0.1:<port>`` without the site path (inspection also answers here)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The instance URL, e.g. ``http://127.0.0.1:54321/AcumaticaERP``."""
        return self.server_url + self.ctx.settings.site_path

    @property
    def token_url(self) -> str:
        """``<base_url>/identity/connect/token``."""
        return self.base_url + "/identity/connect/token"

    def endpoint_url(self, version: str = "24.200.001") -> str:
        """``<base_url>/entity/Default/<version>``."""
        return f"{self.base_url}/entity/Default/{version}"

    @property
    def tenant(self) -> str:
        """The tenant's login name (``MyStore``)."""
        return self.ctx.settings.tenant

    @property
    def branch(self) -> str:
        """The default branch."""
        return self.ctx.settings.branch

    @property
    def client_id(self) -> str:
        """OAuth client id, ``<GUID>@<Tenant>``."""
        return self.ctx.settings.client_id

    @property
    def client_secret(self) -> str:
        """OAuth client secret."""
        return self.ctx.settings.client_secret

    @property
    def username(self) -> str:
        """The API user's login name."""
        return self.ctx.settings.username

    @property
    def password(self) -> str:
        """The API user's password."""
        return self.ctx.settings.password

    # --- settings and instrumentation ---------------------------------------------------

    @property
    def settings(self) -> AcumaticaSettings:
        """Live settings."""
        return self.ctx.settings

    def configure(self, **changes: Any) -> None:
        """Change settings, e.g. ``configure(api_user_limit=1, access_token_seconds=5)``
        (names as in :class:`AcumaticaSettings`)."""
        self.ctx.apply_settings(changes)

    @property
    def calls(self) -> CallLog:
        """Every API call received (not ``/_sandbox``), with ``count(route)``; paths are
        relative to the instance (no site path)."""
        return self.ctx.calls

    @property
    def faults(self) -> FaultInjector:
        """Fault configuration: ``configure(...)``, ``enqueue(...)``, ``clear()``."""
        return self.ctx.faults

    @property
    def clock(self) -> Clock:
        """Record timestamps, token lifetimes and session timeouts come from it."""
        return self.ctx.clock

    @property
    def sessions(self) -> SessionRegistry:
        """Cookie and token sessions (``to_json()`` for details)."""
        return self.ctx.sessions

    @property
    def open_sessions(self) -> int:
        """Sessions holding a licence slot now (cookie logins + OAuth grants)."""
        return self.ctx.sessions.open_count()

    def close_sessions(self) -> int:
        """Close every session, like restarting the site."""
        return self.ctx.sessions.close_all()

    def revoke_tokens(self) -> int:
        """Every access token is refused from now on, as if expired (refresh tokens stay)."""
        return self.ctx.sessions.revoke_access_tokens()

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; settings (and the starting seed) too if asked."""
        self.ctx.reset(restore_settings=restore_settings)

    # --- data ---------------------------------------------------------------------------

    @property
    def store(self) -> AcumaticaStore:
        """The records themselves."""
        return self.ctx.store

    @property
    def entities(self) -> list[str]:
        """The entities served."""
        return list(ENTITIES)

    def seed(self, size: SeedSize | None = None, **sizes: Any) -> dict[str, int]:
        """Replace the data with a generated tenant, e.g. ``seed(customers=5000)``; it
        becomes the state :meth:`reset` returns to. Returns records per entity."""
        return self.ctx.store.seed(replace(size or SeedSize(), **sizes))

    def record(self, entity: str, key: KeyValue) -> dict[str, Any] | None:
        """One record as stored (JSON-ready; every version's fields), or None. Keys:
        ``"C000001"``, ``100001``, ``"Invoice/INV000001"`` or ``("Invoice", "INV000001")``."""
        return self.ctx.store.record(entity, key)

    def update_record(self, entity: str, key: KeyValue, **fields: Any) -> dict[str, Any]:
        """Change a record; its last-modified fields move to the clock. Linked entities
        merge (``MainContact={"Email": …}``); ``Details={1: {"Qty": 5}}`` changes lines by
        ``LineNbr`` (a list replaces them) and recomputes the totals."""
        return self.ctx.store.update_record(entity, key, **fields)

    def update_line(
        self, entity: str, key: KeyValue, line_nbr: int, **fields: Any
    ) -> dict[str, Any]:
        """Change one detail line; the header's last-modified fields move."""
        return self.ctx.store.update_line(entity, key, line_nbr, **fields)

    def insert_record(self, entity: str, **fields: Any) -> dict[str, Any]:
        """Add a record (next free key unless given; timestamps from the clock)."""
        return self.ctx.store.insert_record(entity, **fields)

    def delete_record(self, entity: str, key: KeyValue) -> dict[str, Any]:
        """Remove a record (the contract API has no deleted-records feed)."""
        return self.ctx.store.delete_record(entity, key)
