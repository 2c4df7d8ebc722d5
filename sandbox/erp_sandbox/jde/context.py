"""Everything one running JD Edwards AIS emulator shares between its routes and its API."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

# The Acumatica emulator's clock (UTC, freezable) serves here too: the AIS Server's
# times are that clock in the server's zone.
from erp_sandbox.acumatica.clock import Clock
from erp_sandbox.concurrency import InFlightLimiter
from erp_sandbox.faults import FaultInjector
from erp_sandbox.inspection import CallLog
from erp_sandbox.jde.seed_data import SeedSize
from erp_sandbox.jde.sessions import SessionRegistry
from erp_sandbox.jde.settings import JdeSettings
from erp_sandbox.jde.store import JdeStore


@dataclass
class Context:
    """State, configuration and instrumentation of one emulator."""

    settings: JdeSettings = field(default_factory=JdeSettings)
    seed_size: SeedSize = field(default_factory=SeedSize)
    clock: Clock = field(default_factory=Clock)
    calls: CallLog = field(default_factory=CallLog)
    faults: FaultInjector = field(default_factory=FaultInjector)

    def __post_init__(self) -> None:
        self.store = JdeStore(self.local_now)
        self.store.seed(self.seed_size)
        self.sessions = SessionRegistry(self.settings, self.clock.timestamp)
        self.limiter = InFlightLimiter(self.settings.concurrency_limit)
        self.initial_settings = copy.deepcopy(self.settings)

    def local_now(self) -> datetime:
        """The emulator clock in the server's time zone."""
        return self.clock.now().astimezone(self.settings.zone)

    def apply_settings(self, changes: dict[str, object]) -> None:
        """Change settings (all or nothing)."""
        self.settings.apply_json(changes)
        self.limiter.limit = self.settings.concurrency_limit

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; no calls, faults, sessions or result sets; clock
        unfrozen. ``restore_settings`` also restores the settings and the seed the
        emulator started with."""
        if restore_settings:
            for name, value in vars(copy.deepcopy(self.initial_settings)).items():
                setattr(self.settings, name, value)
            self.limiter.limit = self.settings.concurrency_limit
            if self.store.size != self.seed_size:
                self.store.seed(self.seed_size)
        self.clock.unfreeze()
        self.store.reset()
        self.calls.reset()
        self.faults.clear()
        self.sessions.clear()
        self.limiter.reset_counters()
