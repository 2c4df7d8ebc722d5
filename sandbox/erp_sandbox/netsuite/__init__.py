"""Emulated Oracle NetSuite: SuiteTalk REST SuiteQL over a seeded SQLite account, OAuth 2.0
client credentials (JWT assertions) and token-based authentication (OAuth 1.0a)."""

from erp_sandbox.netsuite.emulator import NetSuiteEmulator
from erp_sandbox.netsuite.seed_data import SeedSize

__all__ = ["NetSuiteEmulator", "SeedSize"]
