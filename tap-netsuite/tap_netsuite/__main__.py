"""`python -m tap_netsuite`."""

from tap_netsuite.tap import TapNetSuite

TapNetSuite.cli()
