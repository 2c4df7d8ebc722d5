"""One Airflow DAG per schedule of the ERP-to-Mailchimp Meltano project.

Each DAG has the schedule's name and interval and one task, `meltano run <job>`, run in the
project directory. The schedules come from `schedules.json` beside this file, exported from
`meltano schedule list --format=json` by `orchestrate/airflow/export_schedules.py`, so parsing
this file never starts Meltano.

Where and how the job runs, read when the task runs:

- the project directory: the Airflow Variable `meltano_project_root`, else the environment
  variable `MELTANO_PROJECT_ROOT`, else the Meltano project this file sits in;
- the Meltano environment: the Variable `meltano_environment`, else `MELTANO_ENVIRONMENT`,
  else `prod`;
- `meltano` itself: the project's `.venv/bin/meltano` when there is one, else the one on PATH.

Read when the DAG is parsed:

- `MELTANO_AIRFLOW_QUEUE`: the Celery queue served by the workers that hold the project
  (unset: Airflow's default queue);
- `MAILCHIMP_AIRFLOW_POOL`: an Airflow pool shared by every DAG that writes to the same
  Mailchimp account (unset: the default pool), and `MAILCHIMP_AIRFLOW_POOL_SLOTS`, the slots
  one run takes (default 4, target-mailchimp's default `max_concurrency`). A pool of 10 slots
  then keeps all runs together within Mailchimp's 10 simultaneous connections per account.
"""

from __future__ import annotations

import json
import os
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

SCHEDULES_FILE = Path(__file__).with_name("schedules.json")
DEFAULT_ENVIRONMENT = "prod"
DEFAULT_POOL_SLOTS = 4

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "erp-mailchimp",
    # Rerunning is safe: Meltano state keeps a rerun incremental and every Mailchimp write
    # is an idempotent upsert.
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    # A multiplier since Airflow 3.3 (`True` would mean 1, a constant delay): the retries
    # wait 2 to 4, then 4 to 8 minutes (Airflow adds jitter up to the same again).
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    # Long enough for a first full load; a hung run must not hold its schedule forever.
    "execution_timeout": timedelta(hours=6),
}


def enclosing_meltano_project() -> str:
    """The nearest directory above this file that holds a `meltano.yml`, or "" if none."""
    for directory in Path(__file__).resolve().parents:
        if (directory / "meltano.yml").is_file():
            return str(directory)
    return ""


def airflow_schedule(schedule: dict[str, Any]) -> str | None:
    """The Airflow `schedule` for a Meltano schedule: its cron, `@once`, or None for `@manual`."""
    if schedule["cron_interval"]:
        return schedule["cron_interval"]
    return "@once" if schedule["interval"] == "@once" else None


def meltano_command(job: str) -> str:
    """The shell command of a job's task; paths and environment come from the task's env."""
    return (
        'cd "${MELTANO_PROJECT_ROOT:?set the Airflow Variable meltano_project_root'
        ' or MELTANO_PROJECT_ROOT to the Meltano project directory}"'
        ' && PATH="$PWD/.venv/bin:$PATH"'
        f' meltano --environment="$MELTANO_ENVIRONMENT" run {shlex.quote(job)}'
    )


def task_environment() -> dict[str, str]:
    """The task's extra environment, as templates rendered when the task runs."""
    project_root = os.environ.get("MELTANO_PROJECT_ROOT") or enclosing_meltano_project()
    environment = os.environ.get("MELTANO_ENVIRONMENT") or DEFAULT_ENVIRONMENT
    # json.dumps gives a double-quoted string literal that Jinja reads as written.
    return {
        "MELTANO_PROJECT_ROOT": (
            f"{{{{ var.value.get('meltano_project_root', {json.dumps(project_root)}) }}}}"
        ),
        "MELTANO_ENVIRONMENT": (
            f"{{{{ var.value.get('meltano_environment', {json.dumps(environment)}) }}}}"
        ),
    }


def documentation(schedule: dict[str, Any]) -> str:
    """The DAG's doc_md: what runs, when, and where its settings come from."""
    tasks = "; ".join(f"`{task}`" for task in schedule["tasks"])
    return f"""\
### {schedule["name"]}

Runs the Meltano job `{schedule["job"]}` ({tasks}) on the schedule's interval
`{schedule["interval"]}`. Runs never overlap and missed intervals are not caught up; a failed
run is retried twice with exponential backoff.

- Project directory: Variable `meltano_project_root`, else `MELTANO_PROJECT_ROOT`, else the
  project holding this DAG file.
- Meltano environment: Variable `meltano_environment`, else `MELTANO_ENVIRONMENT`, else `prod`.
- Secrets: the worker's environment or the project's `.env`, never Airflow.

Generated from the schedules in `meltano.yml` (`orchestrate/airflow/export_schedules.py`).
"""


def build_dag(schedule: dict[str, Any]) -> DAG:
    """The DAG of one Meltano schedule."""
    placement: dict[str, Any] = {}
    if queue := os.environ.get("MELTANO_AIRFLOW_QUEUE"):
        placement["queue"] = queue
    if pool := os.environ.get("MAILCHIMP_AIRFLOW_POOL"):
        placement["pool"] = pool
        placement["pool_slots"] = int(
            os.environ.get("MAILCHIMP_AIRFLOW_POOL_SLOTS") or DEFAULT_POOL_SLOTS
        )
    with DAG(
        dag_id=schedule["name"],
        description=f"meltano run {schedule['job']}",
        schedule=airflow_schedule(schedule),
        start_date=datetime(2024, 1, 1, tzinfo=UTC),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["meltano", "mailchimp", f"job:{schedule['job']}"],
        doc_md=documentation(schedule),
    ) as dag:
        BashOperator(
            task_id="meltano_run",
            bash_command=meltano_command(schedule["job"]),
            env=task_environment(),
            append_env=True,
            # Exit code 99 would otherwise mark a failed run as skipped.
            skip_on_exit_code=None,
            **placement,
        )
    return dag


for _schedule in json.loads(SCHEDULES_FILE.read_text())["schedules"]:
    globals()[_schedule["name"]] = build_dag(_schedule)
