"""Several workers of one Meltano project, as a scheduler spreads runs over machines.

A worker is a checkout of the project with the plugins installed: here, a folder of its
own with links to the project's files and to its installed plugin venvs. What a worker
keeps locally (`.meltano/run`, `.meltano/logs`, default SQLite files) is its own, so
anything a later run needs must come from the shared services.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import MELTANO, PROJECT, MeltanoResult

#: Local to each machine: never shared between workers.
LOCAL = {".meltano", ".git", ".venv", ".sandbox", ".pytest_cache", ".ruff_cache"}
#: Installed plugins, the same on every worker (`meltano install` from the same checkout).
INSTALLED = ("extractors", "loaders", "mappers", "utilities")


def worker_project(root: Path, name: str, own: tuple[str, ...] = ()) -> Path:
    """A worker's own project folder; entries named in `own` are left for the caller."""
    folder = root / name
    (folder / ".meltano").mkdir(parents=True)
    for entry in PROJECT.iterdir():
        if entry.name in own:
            continue
        if entry.name == "meltano.yml":  # Meltano wants its project file inside the root
            shutil.copy(entry, folder / entry.name)
        elif entry.name not in LOCAL:
            (folder / entry.name).symlink_to(entry)
    for kind in INSTALLED:
        if (PROJECT / ".meltano" / kind).exists():
            (folder / ".meltano" / kind).symlink_to(PROJECT / ".meltano" / kind)
    return folder


def meltano_on(
    worker: Path, env: dict[str, str], *args: str, environment: str = "sandbox"
) -> MeltanoResult:
    """`meltano --environment=… <args>` in a worker's folder; it must succeed."""
    completed = subprocess.run(
        [MELTANO, f"--environment={environment}", *args],
        cwd=worker,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    result = MeltanoResult(completed.returncode, completed.stdout, completed.stderr)
    assert completed.returncode == 0, result.output[-4000:]
    return result


def state_ids(worker: Path, env: dict[str, str], environment: str = "sandbox") -> list[str]:
    """The state IDs Meltano's state backend holds, as seen from a worker."""
    return meltano_on(worker, env, "state", "list", environment=environment).stdout.split()


def local_databases(worker: Path) -> list[Path]:
    """SQLite files a worker wrote locally (with shared state there should be none)."""
    found: list[Path] = []
    for entry in (worker / ".meltano").iterdir():
        if entry.name not in INSTALLED:
            found.extend(entry.rglob("*.db") if entry.is_dir() else [entry])
    return [path for path in found if path.suffix == ".db"]
