"""`python -m tap_oracle_fusion`."""

from tap_oracle_fusion.tap import TapOracleFusion

TapOracleFusion.cli()
