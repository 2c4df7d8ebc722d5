"""The singer-sdk standard tap suite, against the NetSuite emulator over real HTTP."""

from __future__ import annotations

import atexit

from erp_sandbox.netsuite import NetSuiteEmulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_netsuite.tap import TapNetSuite

# The suite's config is fixed when the class is built, so this module runs its own
# emulator for the whole session.
EMULATOR = NetSuiteEmulator(port=0).start()
atexit.register(EMULATOR.stop)

SAMPLE_CONFIG = {
    "account_id": EMULATOR.account_id,
    "base_url": EMULATOR.base_url,
    "client_id": EMULATOR.client_id,
    "certificate_id": EMULATOR.rsa_certificate_id,
    "private_key": EMULATOR.rsa_private_key_pem,
    "account_timezone": "America/Los_Angeles",
    "start_date": "2020-01-01T00:00:00Z",
}

TestTapNetSuite = get_tap_test_class(
    tap_class=TapNetSuite,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=250),
)
