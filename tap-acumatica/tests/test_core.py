"""The singer-sdk standard tap suite, against the Acumatica emulator over real HTTP."""

from __future__ import annotations

import atexit

from erp_sandbox.acumatica import AcumaticaEmulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_acumatica.tap import TapAcumatica

# The suite's config is fixed when the class is built, so this module runs its own
# emulator for the whole session.
EMULATOR = AcumaticaEmulator(port=0).start()
atexit.register(EMULATOR.stop)

SAMPLE_CONFIG = {
    "base_url": EMULATOR.base_url,
    "client_id": EMULATOR.client_id,
    "client_secret": EMULATOR.client_secret,
    "username": EMULATOR.username,
    "password": EMULATOR.password,
    "start_date": "2020-01-01T00:00:00Z",
}

TestTapAcumatica = get_tap_test_class(
    tap_class=TapAcumatica,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=250),
)
