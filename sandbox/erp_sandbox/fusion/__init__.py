"""Emulated Oracle Fusion Cloud ERP: ADF REST resources (customer accounts, Order Hub
sales orders, receivables invoices) over a seeded in-memory pod, with the identity
domain's OAuth 2.0 client credentials token endpoint and HTTP Basic."""

from erp_sandbox.fusion.emulator import FusionEmulator
from erp_sandbox.fusion.seed_data import SeedSize

__all__ = ["FusionEmulator", "SeedSize"]
