"""The sandbox's emulator fixtures (netsuite_emulator and friends)."""

pytest_plugins = ["erp_sandbox.pytest_fixtures"]
