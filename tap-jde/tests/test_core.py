"""The singer-sdk standard tap suite, against the JD Edwards AIS emulator over real HTTP."""

from __future__ import annotations

import atexit

from erp_sandbox.jde import JdeEmulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_jde.tap import TapJde

# The suite's config is fixed when the class is built, so this module runs its own
# emulator for the whole session.
EMULATOR = JdeEmulator(port=0).start()
atexit.register(EMULATOR.stop)

SAMPLE_CONFIG = {
    "base_url": EMULATOR.base_url,
    "username": EMULATOR.username,
    "password": EMULATOR.password,
    "environment": EMULATOR.environment,
    "role": EMULATOR.role,
    "time_zone": "America/Denver",
    "page_size": 100,  # several pages per table, so next links are followed too
}

TestTapJde = get_tap_test_class(
    tap_class=TapJde,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=400),
)
