"""Emulated Acumatica ERP: the contract-based REST API (endpoint ``Default``, versions
22.200.001, 23.200.001 and 24.200.001, fields as the vendor's definitions declare them),
cookie login with the licence's API user limit, OAuth 2.0 password and refresh grants,
and the per-minute request limit."""

from erp_sandbox.acumatica.emulator import AcumaticaEmulator
from erp_sandbox.acumatica.seed_data import SeedSize

__all__ = ["AcumaticaEmulator", "SeedSize"]
