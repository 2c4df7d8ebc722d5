"""The README carries the current `--about` text (settings table and capabilities)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_readme_has_the_current_settings_table() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_jde", "--about", "--format=markdown"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    section = about[about.index("## Capabilities") :].strip()
    assert section in README.read_text(), (
        "README is stale: run `python scripts/sync_readme_about.py tap-jde`"
    )
