"""Everything one running NetSuite emulator shares between its routes and its API."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from erp_sandbox.concurrency import InFlightLimiter
from erp_sandbox.faults import FaultInjector
from erp_sandbox.inspection import CallLog
from erp_sandbox.netsuite.clock import Clock
from erp_sandbox.netsuite.database import NetSuiteDatabase
from erp_sandbox.netsuite.oauth2 import AccessTokens
from erp_sandbox.netsuite.seed_data import SeedSize
from erp_sandbox.netsuite.settings import NetSuiteSettings
from erp_sandbox.netsuite.tba import NonceRegistry
from erp_sandbox.netsuite.user_event_script import UserEventScript


@dataclass
class Context:
    """State, configuration and instrumentation of one emulator."""

    settings: NetSuiteSettings = field(default_factory=NetSuiteSettings)
    seed_size: SeedSize = field(default_factory=SeedSize)
    clock: Clock = field(default_factory=Clock)
    calls: CallLog = field(default_factory=CallLog)
    faults: FaultInjector = field(default_factory=FaultInjector)
    tokens: AccessTokens = field(default_factory=AccessTokens)
    nonces: NonceRegistry = field(default_factory=NonceRegistry)

    def __post_init__(self) -> None:
        self.limiter = InFlightLimiter(self.settings.concurrency_limit)
        self.db = NetSuiteDatabase(self.settings, self.clock)
        self.db.seed(self.seed_size)
        self.user_event_script = UserEventScript(self.settings, self.db)
        self.db.listeners.append(self.user_event_script.on_change)
        self.initial_settings = copy.deepcopy(self.settings)

    def apply_settings(self, changes: dict[str, object]) -> None:
        """Change settings and let the limiter follow."""
        self.settings.apply_json(changes)
        self.limiter.limit = self.settings.concurrency_limit

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data, no calls, faults, tokens, nonces, script deployments
        or notifications, clock unfrozen. ``restore_settings`` also restores the settings
        and the seed the emulator started with (re-seeding if a test seeded another
        size)."""
        if restore_settings:
            for name, value in vars(copy.deepcopy(self.initial_settings)).items():
                setattr(self.settings, name, value)
            if self.db.size != self.seed_size:
                self.db.seed(self.seed_size)
        self.clock.unfreeze()
        self.db.reset()
        self.calls.reset()
        self.faults.clear()
        self.tokens.revoke_all()
        self.nonces.clear()
        self.user_event_script.clear()
        self.limiter.reset_counters()
        self.limiter.limit = self.settings.concurrency_limit
