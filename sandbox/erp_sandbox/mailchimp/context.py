"""Everything one running Mailchimp emulator shares between its routes and its API."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from erp_sandbox.concurrency import InFlightLimiter
from erp_sandbox.contract import ContractRecorder, OpenApiContract
from erp_sandbox.faults import FaultInjector
from erp_sandbox.inspection import CallLog
from erp_sandbox.mailchimp.batch_operations import BatchRunner
from erp_sandbox.mailchimp.list_webhooks import ListWebhooks
from erp_sandbox.mailchimp.settings import MailchimpSettings
from erp_sandbox.mailchimp.spec_errata import SPEC_FILE, apply_errata
from erp_sandbox.mailchimp.store import MailchimpStore


@functools.cache
def load_contract() -> OpenApiContract:
    """The patched Mailchimp contract, loaded once per process (the spec is 1.7 MB)."""
    return OpenApiContract.from_file(SPEC_FILE, path_prefix="/3.0", errata=apply_errata)


@dataclass
class Context:
    """State, configuration and instrumentation of one emulator."""

    settings: MailchimpSettings = field(default_factory=MailchimpSettings)
    store: MailchimpStore = field(default_factory=MailchimpStore)
    calls: CallLog = field(default_factory=CallLog)
    #: Operations run inside batches (``/batches``), apart from the client's own calls.
    batch_operations: CallLog = field(default_factory=CallLog)
    faults: FaultInjector = field(default_factory=FaultInjector)
    violations: ContractRecorder = field(default_factory=ContractRecorder)
    contract: OpenApiContract = field(default_factory=load_contract)
    limiter: InFlightLimiter | None = None
    seed: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = InFlightLimiter(self.settings.concurrency_limit)
        self.batches = BatchRunner(self.settings, self.store.clock, self.batch_operations)
        self.list_webhooks = ListWebhooks(self.settings, self.store.clock)
        self.initial_settings = copy.deepcopy(self.settings)
        self.initial_contract_checks = self.violations.enabled

    def reset(self, *, restore_settings: bool = False) -> None:
        """Back to the starting state: default list plus the seed, no batches, no list
        webhooks or deliveries, no calls, no faults, no violations. Settings (keys,
        tokens, rules) are kept unless ``restore_settings``, which also turns contract
        checks back to how they started."""
        from erp_sandbox.mailchimp.seeding import apply_seed

        # First, so no batch operation writes into the fresh state.
        self.batches.reset()
        if restore_settings:
            for name, value in vars(copy.deepcopy(self.initial_settings)).items():
                setattr(self.settings, name, value)
            self.violations.enabled = self.initial_contract_checks
        self.store.clock.unfreeze()
        self.store.reset()
        self.list_webhooks.clear()
        self.calls.reset()
        self.batch_operations.reset()
        self.faults.clear()
        self.violations.reset()
        assert self.limiter is not None  # noqa: S101 - set in __post_init__
        self.limiter.reset_counters()
        self.limiter.limit = self.settings.concurrency_limit
        if self.seed:
            apply_seed(self.store, copy.deepcopy(self.seed))
