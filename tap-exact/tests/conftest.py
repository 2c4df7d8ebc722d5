"""The sandbox emulator fixtures."""

pytest_plugins = ["erp_sandbox.pytest_fixtures"]
