"""Export the Meltano project's schedules to `dags/schedules.json` for the Airflow DAG file.

    python orchestrate/airflow/export_schedules.py

The DAG processor parses DAG files every 30 seconds or so: reading a small JSON file costs
nothing, where starting Meltano costs seconds each time. So the schedules are exported once,
from `meltano schedule list --format=json`, and committed; a test fails when `meltano.yml`
changes without a fresh export.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SCHEDULES_FILE = Path(__file__).resolve().parent / "dags" / "schedules.json"
GENERATED_BY = (
    "orchestrate/airflow/export_schedules.py, from `meltano schedule list --format=json`."
    " Do not edit: change the schedules in meltano.yml and export again."
)


class ScheduleExportError(RuntimeError):
    """The schedules cannot be exported; the message says what to change."""


def meltano_executable() -> str:
    """The `meltano` beside the running Python (the project's venv), else the one on PATH."""
    beside_python = Path(sys.executable).with_name("meltano")
    if beside_python.is_file():
        return str(beside_python)
    on_path = shutil.which("meltano")
    if on_path is None:
        raise ScheduleExportError("Meltano is not installed here: run `make install` first.")
    return on_path


def list_meltano_schedules(project_root: Path = REPOSITORY_ROOT) -> dict[str, Any]:
    """What `meltano schedule list --format=json` prints for the project, parsed."""
    environment = {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_DISABLE_TRACKING": "true",
    }
    # A fixed argument list, no shell: nothing here comes from outside the project.
    completed = subprocess.run(  # noqa: S603
        [meltano_executable(), "schedule", "list", "--format=json"],
        cwd=project_root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise ScheduleExportError(
            f"`meltano schedule list` failed in {project_root}: {completed.stderr.strip()[-2000:]}"
        )
    return json.loads(completed.stdout)


def airflow_schedules(listing: dict[str, Any]) -> list[dict[str, Any]]:
    """The job schedules of a `meltano schedule list --format=json` listing, in file order.

    Each keeps Meltano's own `interval` (as written in meltano.yml) and `cron_interval`
    (Meltano's cron translation of it, null for `@manual` and `@once`).
    """
    schedules = listing.get("schedules", {})
    legacy = [schedule["name"] for schedule in schedules.get("elt", [])]
    if legacy:
        raise ScheduleExportError(
            f"Schedules {', '.join(legacy)} name an extractor and a loader instead of a job:"
            " give each a job in meltano.yml, which is what the Airflow DAGs run."
        )
    exported = []
    for schedule in schedules.get("job", []):
        if schedule.get("env"):
            # `meltano run <job>` would not apply them, so the DAG could not either.
            raise ScheduleExportError(
                f"Schedule {schedule['name']} sets `env`, which the Airflow DAGs do not carry:"
                " move those values to the environment or to the plugins' config."
            )
        exported.append(
            {
                "name": schedule["name"],
                "interval": schedule["interval"],
                "cron_interval": schedule["cron_interval"],
                "job": schedule["job"]["name"],
                "tasks": schedule["job"]["tasks"],
            }
        )
    return exported


def render_schedules_file(schedules: list[dict[str, Any]]) -> str:
    """The text of `schedules.json`: stable, so a stale file shows as a plain diff."""
    document = {"generated_by": GENERATED_BY, "schedules": schedules}
    return json.dumps(document, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write `dags/schedules.json` from the project's current schedules."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-root", type=Path, default=REPOSITORY_ROOT)
    parser.add_argument("--output", type=Path, default=SCHEDULES_FILE)
    arguments = parser.parse_args(argv)
    try:
        schedules = airflow_schedules(list_meltano_schedules(arguments.project_root))
    except ScheduleExportError as error:
        print(error, file=sys.stderr)
        return 1
    arguments.output.write_text(render_schedules_file(schedules))
    print(f"Wrote {len(schedules)} schedules to {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
