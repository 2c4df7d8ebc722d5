"""Emulated JD Edwards EnterpriseOne AIS Server: token requests bound to a device, idle
timeouts answering 444, and the data service (BROWSE, COUNT, next-page processing with
expiring result sets) over the address book tables F0101, F03012, F01151, F0115 and
F0116, with Julian dates and HHMMSS times."""

from erp_sandbox.jde.emulator import JdeEmulator
from erp_sandbox.jde.seed_data import SeedSize

__all__ = ["JdeEmulator", "SeedSize"]
