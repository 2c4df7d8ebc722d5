"""Everything one running Exact Online emulator shares between its routes and its API."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from erp_sandbox.exact.clock import Clock
from erp_sandbox.exact.oauth import OAuthServer
from erp_sandbox.exact.rate_limits import RateLimiter
from erp_sandbox.exact.seed_data import USERS, SeedSize
from erp_sandbox.exact.settings import ExactSettings
from erp_sandbox.exact.store import ExactStore
from erp_sandbox.exact.webhooks import WebhookHub
from erp_sandbox.faults import FaultInjector
from erp_sandbox.inspection import CallLog


@dataclass
class Context:
    """State, configuration and instrumentation of one emulator."""

    settings: ExactSettings = field(default_factory=ExactSettings)
    seed_size: SeedSize = field(default_factory=SeedSize)
    clock: Clock = field(default_factory=Clock)
    calls: CallLog = field(default_factory=CallLog)
    faults: FaultInjector = field(default_factory=FaultInjector)

    def __post_init__(self) -> None:
        self.store = ExactStore(self.settings, self.clock)
        self.store.seed(self.seed_size)
        self.oauth = OAuthServer(self.settings, self.clock, USERS[0][0])
        self.limiter = RateLimiter(self.settings, self.clock)
        self.webhooks = WebhookHub(self.settings, self.clock, USERS[0])
        self.store.listeners.append(self.webhooks.on_change)
        self.initial_settings = copy.deepcopy(self.settings)

    def apply_settings(self, changes: dict[str, object]) -> None:
        """Change settings (all or nothing); a new ``division`` re-seeds the data, whose
        records carry the division number."""
        division = self.settings.division
        self.settings.apply_json(changes)
        if self.settings.division != division:
            self.store.seed(self.store.size)

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the seeded data; no calls, faults, codes, tokens, rate-limit counters,
        subscriptions or notifications; clock unfrozen. ``restore_settings`` also restores
        the settings and the seed the emulator started with."""
        if restore_settings:
            public_base_url = self.settings.public_base_url
            for name, value in vars(copy.deepcopy(self.initial_settings)).items():
                setattr(self.settings, name, value)
            self.settings.public_base_url = public_base_url or self.settings.public_base_url
            if self.store.size != self.seed_size:
                self.store.seed(self.seed_size)
        self.clock.unfreeze()
        self.store.reset()
        self.calls.reset()
        self.faults.clear()
        self.oauth.clear()
        self.limiter.reset()
        self.webhooks.clear()
