"""`python -m tap_jde`."""

from tap_jde.tap import TapJde

TapJde.cli()
