"""Copy each plugin's `--about --format=markdown` into its README.

Usage: python scripts/sync_readme_about.py target-mailchimp [tap-netsuite ...]

The README holds the generated text between `<!-- about:start -->` and
`<!-- about:end -->`; each plugin's tests check that it is current.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

START, END = "<!-- about:start -->", "<!-- about:end -->"


def about_section(executable: str) -> str:
    """The plugin's about text from its capabilities onwards (the README has its own title)."""
    about = subprocess.run(  # noqa: S603 - the plugin's own console script
        [executable, "--about", "--format=markdown"], check=True, capture_output=True, text=True
    ).stdout
    return about[about.index("## Capabilities") :].strip()


def sync(plugin_dir: Path) -> None:
    """Rewrite the generated block of one plugin's README."""
    readme = plugin_dir / "README.md"
    text = readme.read_text()
    block = f"{START}\n{about_section(plugin_dir.name)}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _: block, text))


if __name__ == "__main__":
    for name in sys.argv[1:]:
        sync(Path(name))
