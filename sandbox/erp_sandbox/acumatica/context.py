"""Everything one running Acumatica emulator shares between its routes and its API."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from erp_sandbox.acumatica.clock import Clock
from erp_sandbox.acumatica.seed_data import SeedSize
from erp_sandbox.acumatica.sessions import SessionRegistry
from erp_sandbox.acumatica.settings import AcumaticaSettings
from erp_sandbox.acumatica.store import AcumaticaStore
from erp_sandbox.acumatica.throttling import LicenseThrottle
from erp_sandbox.faults import FaultInjector
from erp_sandbox.inspection import CallLog


@dataclass
class Context:
    """State, configuration and instrumentation of one emulator."""

    settings: AcumaticaSettings = field(default_factory=AcumaticaSettings)
    seed_size: SeedSize = field(default_factory=SeedSize)
    clock: Clock = field(default_factory=Clock)
    calls: CallLog = field(default_factory=CallLog)
    faults: FaultInjector = field(default_factory=FaultInjector)

    def __post_init__(self) -> None:
        self.store = AcumaticaStore(self.settings, self.clock)
        self.store.seed(self.seed_size)
        self.sessions = SessionRegistry(self.settings, self.clock)
        self.throttle = LicenseThrottle(self.settings)
        self.initial_settings = copy.deepcopy(self.settings)

    def apply_settings(self, changes: dict[str, object]) -> None:
        """Change settings (all or nothing)."""
        self.settings.apply_json(changes)

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; no calls, faults, sessions or tokens; clock unfrozen;
        the licence window empty. ``restore_settings`` also restores the settings and the
        seed the emulator started with."""
        if restore_settings:
            for name, value in vars(copy.deepcopy(self.initial_settings)).items():
                setattr(self.settings, name, value)
            if self.store.size != self.seed_size:
                self.store.seed(self.seed_size)
        self.clock.unfreeze()
        self.store.reset()
        self.calls.reset()
        self.faults.clear()
        self.sessions.clear()
        self.throttle.reset()
