"""The Python API tests use: start a Fusion emulator, change its data, stop it."""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from erp_sandbox.faults import FaultInjector, FaultSettings
from erp_sandbox.fusion.app import build_app
from erp_sandbox.fusion.context import Context
from erp_sandbox.fusion.identity import TOKEN_PATH
from erp_sandbox.fusion.resources import RESOURCES
from erp_sandbox.fusion.seed_data import SeedSize
from erp_sandbox.fusion.settings import (
    ALL_RESOURCES_SCOPE,
    API_VERSION,
    DEFAULT_ACCESS_TOKEN_SECONDS,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_FRAMEWORK_VERSION,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    FusionSettings,
)
from erp_sandbox.fusion.store import FusionStore
from erp_sandbox.fusion.timestamps import Clock
from erp_sandbox.inspection import CallLog
from erp_sandbox.server import BackgroundServer


class FusionEmulator:
    """An emulated Oracle Fusion Cloud ERP pod (ADF REST resources under
    ``/crmRestApi`` and ``/fscmRestApi``) with its identity domain's token endpoint,
    served over real HTTP from a background thread.

    ``FusionEmulator(port=0).start()`` serves on a free port; use it as a context
    manager or call :meth:`stop`. The fake credentials below are accepted by default.
    """

    client_id = DEFAULT_CLIENT_ID
    client_secret = DEFAULT_CLIENT_SECRET
    username = DEFAULT_USERNAME
    password = DEFAULT_PASSWORD
    scope = ALL_RESOURCES_SCOPE
    api_version = API_VERSION

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: SeedSize | None = None,
        access_token_seconds: float = DEFAULT_ACCESS_TOKEN_SECONDS,
        default_framework_version: int = DEFAULT_FRAMEWORK_VERSION,
        concurrency_limit: int = 0,
        fault_seed: int | None = None,
    ) -> None:
        settings = FusionSettings(
            access_token_seconds=access_token_seconds,
            default_framework_version=default_framework_version,
            concurrency_limit=concurrency_limit,
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
        """``http://127.0.0.1:<port>``: the pod, standing for
        ``https://<pod>.fa.<region>.oraclecloud.com``."""
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        """The identity domain's token endpoint (served by the same emulator)."""
        return self.base_url + TOKEN_PATH

    @property
    def basic_auth(self) -> tuple[str, str]:
        """``(username, password)`` of the default Fusion user, for HTTP Basic."""
        return (self.username, self.password)

    def resource_url(self, resource: str) -> str:
        """The collection URL of a resource, e.g. ``…/crmRestApi/resources/11.13.18.05/
        accounts``."""
        pillar = RESOURCES[resource].pillar
        return f"{self.base_url}/{pillar}/resources/{API_VERSION}/{resource}"

    # --- settings and instrumentation ---------------------------------------------------

    @property
    def settings(self) -> FusionSettings:
        """Live settings."""
        return self.ctx.settings

    def configure(self, **changes: Any) -> None:
        """Change settings, e.g. ``configure(access_token_seconds=1,
        framework_versions=[1, 2])`` (names as in :class:`FusionSettings`)."""
        self.ctx.apply_settings(changes)

    @property
    def calls(self) -> CallLog:
        """Every API call received, token requests included (not ``/_sandbox``)."""
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
    def store(self) -> FusionStore:
        """The data itself."""
        return self.ctx.store

    def revoke_tokens(self) -> int:
        """Invalidate every access token now, as if they had expired."""
        return self.ctx.tokens.revoke_all()

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; settings (and the starting seed) too if asked."""
        self.ctx.reset(restore_settings=restore_settings)

    # --- data ---------------------------------------------------------------------------

    def seed(self, size: SeedSize | None = None, **sizes: Any) -> dict[str, int]:
        """Replace the data with a generated pod, e.g. ``seed(accounts=5000)``; it becomes
        the state :meth:`reset` returns to. Returns rows per resource."""
        return self.ctx.store.seed(replace(size or SeedSize(), **sizes))

    def record(self, resource: str, key: Any) -> dict[str, Any] | None:
        """A record as the API renders it (parents with their child rows), or None.
        ``resource`` is a resource or child name (``lines``, ``receivablesInvoiceLines``);
        an order's key may be its ``OrderKey`` or ``HeaderId``."""
        return self.ctx.store.record(resource, key)

    def update_record(self, resource: str, key: Any, **fields: Any) -> dict[str, Any]:
        """Change a record; its ``LastUpdateDate`` moves to the clock, and so does its
        parent's for a child line."""
        return self.ctx.store.update_record(resource, key, **fields)

    def insert_record(self, resource: str, *, parent: Any = None, **fields: Any) -> dict[str, Any]:
        """Add a record (next free keys; dates from the clock unless given). Child lines
        need ``parent``."""
        return self.ctx.store.insert_record(resource, parent=parent, **fields)

    def delete_record(self, resource: str, key: Any) -> dict[str, Any]:
        """Delete a top-level record (with its child lines); returns it as it was. Fusion
        keeps no trace of deletions that a REST client could read."""
        return self.ctx.store.delete_record(resource, key)
