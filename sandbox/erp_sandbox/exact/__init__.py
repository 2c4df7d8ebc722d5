"""Emulated Exact Online: the REST API (``/api/v1/{division}/…``, OData v2 with 60-row
pages, the sync API with ``Timestamp`` paging and ``sync/Deleted``), OAuth 2.0 with
single-use rotating refresh tokens and the 570 s rule, the per-minute and per-day API
limits, CET wall-clock ``/Date(ms)/`` values, Atom XML unless JSON is asked for, and
HMAC-signed webhooks."""

from erp_sandbox.exact.emulator import ExactEmulator
from erp_sandbox.exact.seed_data import SeedSize

__all__ = ["ExactEmulator", "SeedSize"]
