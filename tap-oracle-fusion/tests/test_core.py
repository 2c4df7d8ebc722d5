"""The singer-sdk standard tap suite, against the Oracle Fusion emulator over real HTTP."""

from __future__ import annotations

import atexit

from erp_sandbox.fusion import FusionEmulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_oracle_fusion.tap import TapOracleFusion

# The suite's config is fixed when the class is built, so this module runs its own
# emulator for the whole session.
EMULATOR = FusionEmulator(port=0).start()
atexit.register(EMULATOR.stop)

SAMPLE_CONFIG = {
    "base_url": EMULATOR.base_url,
    "token_url": EMULATOR.token_url,
    "client_id": EMULATOR.client_id,
    "client_secret": EMULATOR.client_secret,
    "start_date": "2020-01-01T00:00:00Z",
}

TestTapOracleFusion = get_tap_test_class(
    tap_class=TapOracleFusion,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=250),
)
