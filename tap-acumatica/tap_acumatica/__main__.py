"""`python -m tap_acumatica`."""

from tap_acumatica.tap import TapAcumatica

TapAcumatica.cli()
