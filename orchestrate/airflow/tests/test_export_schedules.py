"""schedules.json follows meltano.yml (run in the project's .venv, which has Meltano)."""

from __future__ import annotations

from typing import Any

import pytest
from export_schedules import (
    SCHEDULES_FILE,
    ScheduleExportError,
    airflow_schedules,
    list_meltano_schedules,
    render_schedules_file,
)


def job_schedule(name: str, interval: str, cron: str | None, **extra: Any) -> dict[str, Any]:
    """One entry of `meltano schedule list --format=json` for a job schedule."""
    job = {"name": f"{name}-job", "tasks": ["tap-x target-y"]}
    return {
        "name": name,
        "interval": interval,
        "cron_interval": cron,
        "env": {},
        "job": job,
    } | extra


def test_schedules_file_equals_what_meltano_lists_now() -> None:
    current = render_schedules_file(airflow_schedules(list_meltano_schedules()))

    assert SCHEDULES_FILE.read_text() == current, (
        "dags/schedules.json is stale: run"
        " `.venv/bin/python orchestrate/airflow/export_schedules.py`"
    )


def test_every_job_schedule_is_exported_in_order_with_its_interval_and_job() -> None:
    listing = {
        "schedules": {
            "job": [
                job_schedule("b-hourly", "@hourly", "0 * * * *"),
                job_schedule("a-manual", "@manual", None),
            ]
        }
    }

    assert airflow_schedules(listing) == [
        {
            "name": "b-hourly",
            "interval": "@hourly",
            "cron_interval": "0 * * * *",
            "job": "b-hourly-job",
            "tasks": ["tap-x target-y"],
        },
        {
            "name": "a-manual",
            "interval": "@manual",
            "cron_interval": None,
            "job": "a-manual-job",
            "tasks": ["tap-x target-y"],
        },
    ]


def test_a_schedule_without_a_job_is_refused_with_what_to_change() -> None:
    listing = {"schedules": {"job": [], "elt": [{"name": "old-style", "extractor": "tap-x"}]}}

    with pytest.raises(ScheduleExportError, match=r"old-style .*give each a job"):
        airflow_schedules(listing)


def test_a_schedule_env_is_refused_rather_than_silently_dropped() -> None:
    listing = {
        "schedules": {"job": [job_schedule("with-env", "@daily", "0 0 * * *", env={"A": "1"})]}
    }

    with pytest.raises(ScheduleExportError, match="with-env sets `env`"):
        airflow_schedules(listing)
