"""The singer-sdk standard tap suite, against the Exact Online emulator over real HTTP."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet
from erp_sandbox.exact import ExactEmulator
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_exact.tap import TapExact

# The suite's config is fixed when the class is built, so this module runs its own
# emulator (and token store) for the whole session.
EMULATOR = ExactEmulator(port=0).start()
atexit.register(EMULATOR.stop)
STORE = Path(tempfile.mkdtemp(prefix="tap-exact-suite-"))
atexit.register(shutil.rmtree, STORE, ignore_errors=True)

SAMPLE_CONFIG = {
    "base_url": EMULATOR.base_url,
    "client_id": EMULATOR.client_id,
    "client_secret": EMULATOR.client_secret,
    "refresh_token": EMULATOR.issue_refresh_token(),
    "token_store_url": str(STORE / "token"),
    "token_encryption_key": Fernet.generate_key().decode(),
}

TestTapExact = get_tap_test_class(
    tap_class=TapExact,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=250),
)
