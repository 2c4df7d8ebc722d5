"""Everything one running Fusion emulator shares between its routes and its API."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from erp_sandbox.concurrency import InFlightLimiter
from erp_sandbox.faults import FaultInjector
from erp_sandbox.fusion.identity import AccessTokens
from erp_sandbox.fusion.seed_data import SeedSize
from erp_sandbox.fusion.settings import FusionSettings
from erp_sandbox.fusion.store import FusionStore
from erp_sandbox.fusion.timestamps import Clock
from erp_sandbox.inspection import CallLog


@dataclass
class Context:
    """State, configuration and instrumentation of one emulator."""

    settings: FusionSettings = field(default_factory=FusionSettings)
    seed_size: SeedSize = field(default_factory=SeedSize)
    clock: Clock = field(default_factory=Clock)
    calls: CallLog = field(default_factory=CallLog)
    faults: FaultInjector = field(default_factory=FaultInjector)
    tokens: AccessTokens = field(default_factory=AccessTokens)

    def __post_init__(self) -> None:
        self.limiter = InFlightLimiter(self.settings.concurrency_limit)
        self.store = FusionStore(self.clock)
        self.store.seed(self.seed_size)
        self.initial_settings = copy.deepcopy(self.settings)

    def apply_settings(self, changes: dict[str, object]) -> None:
        """Change settings and let the limiter follow."""
        self.settings.apply_json(changes)
        self.limiter.limit = self.settings.concurrency_limit

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data, no calls, faults or tokens, clock unfrozen.
        ``restore_settings`` also restores the settings and the seed the emulator
        started with (re-seeding if a test seeded another size)."""
        if restore_settings:
            for name, value in vars(copy.deepcopy(self.initial_settings)).items():
                setattr(self.settings, name, value)
            if self.store.size != self.seed_size:
                self.store.seed(self.seed_size)
        self.clock.unfreeze()
        self.store.reset()
        self.calls.reset()
        self.faults.clear()
        self.tokens.revoke_all()
        self.limiter.reset_counters()
        self.limiter.limit = self.settings.concurrency_limit
