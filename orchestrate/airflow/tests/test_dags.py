"""The generated DAGs, loaded by a real Apache Airflow (run in orchestrate/airflow/.venv)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import stat
import subprocess
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("airflow", reason="runs in orchestrate/airflow/.venv: make airflow-test")

from airflow.dag_processing.dagbag import DagBag

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"
DAG_FILE = DAGS_FOLDER / "meltano_schedules.py"
REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
SCHEDULES = json.loads((DAGS_FOLDER / "schedules.json").read_text())["schedules"]


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    """The DAG folder as the DAG processor sees it (no database needed to parse)."""
    return DagBag(dag_folder=str(DAGS_FOLDER))


def load_dag_file(monkeypatch: pytest.MonkeyPatch, **environment: str) -> ModuleType:
    """Import the DAG file afresh, as a DAG processor with these settings would.

    conftest.py clears the settings the DAG file reads; monkeypatch restores what it sets.
    """
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("meltano_schedules_under_test", DAG_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rendered_environment(task: Any, variables: dict[str, str]) -> dict[str, str]:
    """The task's env as Airflow renders it, with these Airflow Variables set."""
    lookup = SimpleNamespace(get=lambda key, default=None: variables.get(key, default))
    return task.render_template(task.env, {"var": {"value": lookup}}, task.dag.get_template_env())


def run_task_command(
    task: Any, environment: dict[str, str], path: str
) -> subprocess.CompletedProcess:
    """Run the task's bash command as BashOperator does (its env on top of the worker's)."""
    return subprocess.run(
        ["/bin/bash", "-c", task.bash_command],
        env={**os.environ, "PATH": path, **environment},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


@pytest.fixture
def fake_project(tmp_path: Path) -> Path:
    """A Meltano project whose `.venv/bin/meltano` records where and how it was called."""
    project = tmp_path / "project"
    meltano = project / ".venv" / "bin" / "meltano"
    meltano.parent.mkdir(parents=True)
    (project / "meltano.yml").write_text("project_id: fake\n")
    meltano.write_text('#!/bin/sh\necho "cwd=$PWD"\necho "args=$*"\n')
    meltano.chmod(meltano.stat().st_mode | stat.S_IXUSR)
    return project


def test_dag_folder_parses_without_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}


def test_one_dag_per_meltano_schedule(dagbag: DagBag) -> None:
    assert SCHEDULES, "schedules.json lists no schedule"
    assert sorted(dagbag.dag_ids) == sorted(schedule["name"] for schedule in SCHEDULES)


def test_each_dag_runs_on_its_meltano_interval(dagbag: DagBag) -> None:
    for schedule in SCHEDULES:
        dag = dagbag.dags[schedule["name"]]
        assert dag.schedule == schedule["cron_interval"], schedule["name"]
        assert dag.timetable.expression == schedule["cron_interval"], schedule["name"]


def test_runs_of_one_job_never_overlap_nor_catch_up(dagbag: DagBag) -> None:
    for dag in dagbag.dags.values():
        assert dag.catchup is False, dag.dag_id
        assert dag.max_active_runs == 1, dag.dag_id


def test_failed_runs_are_retried_with_growing_delays(dagbag: DagBag) -> None:
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.retries == 2, task
            assert task.retry_delay.total_seconds() > 0, task
            # Airflow 3.3 reads this as a multiplier: 1 (or True) would be a constant delay.
            assert task.retry_exponential_backoff > 1, task
            assert task.max_retry_delay is not None, task
            assert task.execution_timeout is not None, task


def test_each_dag_runs_its_schedules_meltano_job(dagbag: DagBag) -> None:
    for schedule in SCHEDULES:
        dag = dagbag.dags[schedule["name"]]
        (task,) = dag.tasks
        # `meltano [global options] run <job>`, the job last so nothing else can follow it.
        pattern = rf"\bmeltano( --\S+)* run {re.escape(schedule['job'])}$"
        assert re.search(pattern, task.bash_command), task.bash_command
        assert task.append_env is True, "secrets in the worker's environment must reach Meltano"


def test_dags_are_tagged_and_documented(dagbag: DagBag) -> None:
    for schedule in SCHEDULES:
        dag = dagbag.dags[schedule["name"]]
        assert {"meltano", f"job:{schedule['job']}"} <= set(dag.tags)
        assert f"`{schedule['job']}`" in dag.doc_md


def test_task_runs_meltano_in_the_project_with_the_variables_environment(
    dagbag: DagBag, fake_project: Path
) -> None:
    task = dagbag.dags[SCHEDULES[0]["name"]].tasks[0]
    environment = rendered_environment(
        task, {"meltano_project_root": str(fake_project), "meltano_environment": "staging"}
    )

    completed = run_task_command(task, environment, path="/usr/bin:/bin")

    assert completed.returncode == 0, completed.stderr
    assert f"cwd={fake_project}" in completed.stdout
    assert f"args=--environment=staging run {SCHEDULES[0]['job']}" in completed.stdout


def test_without_variables_or_environment_the_task_runs_this_project_in_prod(
    dagbag: DagBag,
) -> None:
    task = dagbag.dags[SCHEDULES[0]["name"]].tasks[0]

    assert rendered_environment(task, {}) == {
        "MELTANO_PROJECT_ROOT": str(REPOSITORY_ROOT),
        "MELTANO_ENVIRONMENT": "prod",
    }


def test_environment_variables_are_the_defaults_when_no_variable_is_set(
    monkeypatch: pytest.MonkeyPatch, fake_project: Path
) -> None:
    module = load_dag_file(
        monkeypatch, MELTANO_PROJECT_ROOT=str(fake_project), MELTANO_ENVIRONMENT="sandbox"
    )
    task = module.build_dag(SCHEDULES[0]).tasks[0]

    completed = run_task_command(task, rendered_environment(task, {}), path="/usr/bin:/bin")

    assert completed.returncode == 0, completed.stderr
    assert f"cwd={fake_project}" in completed.stdout
    assert "args=--environment=sandbox run" in completed.stdout


def test_an_unknown_project_directory_fails_the_task_with_what_to_set(dagbag: DagBag) -> None:
    task = dagbag.dags[SCHEDULES[0]["name"]].tasks[0]
    environment = rendered_environment(task, {"meltano_project_root": ""})

    completed = run_task_command(task, environment, path="/usr/bin:/bin")

    assert completed.returncode != 0
    assert "meltano_project_root" in completed.stderr
    assert "MELTANO_PROJECT_ROOT" in completed.stderr


def test_runs_writing_to_one_mailchimp_account_share_its_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = load_dag_file(monkeypatch, MAILCHIMP_AIRFLOW_POOL="mailchimp-us21")

    tasks = [module.build_dag(schedule).tasks[0] for schedule in SCHEDULES]

    assert {task.pool for task in tasks} == {"mailchimp-us21"}
    assert {task.pool_slots for task in tasks} == {4}  # target-mailchimp's max_concurrency


def test_pool_slots_follow_the_targets_concurrency_when_it_is_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = load_dag_file(
        monkeypatch, MAILCHIMP_AIRFLOW_POOL="mailchimp-us21", MAILCHIMP_AIRFLOW_POOL_SLOTS="10"
    )

    assert module.build_dag(SCHEDULES[0]).tasks[0].pool_slots == 10


def test_without_settings_runs_take_one_default_slot_on_the_default_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = load_dag_file(monkeypatch)

    task = module.build_dag(SCHEDULES[0]).tasks[0]

    assert (task.pool, task.pool_slots, task.queue) == ("default_pool", 1, "default")


def test_runs_go_to_the_queue_of_the_workers_holding_the_project(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = load_dag_file(monkeypatch, MELTANO_AIRFLOW_QUEUE="meltano")

    tasks = [module.build_dag(schedule).tasks[0] for schedule in SCHEDULES]

    assert {task.queue for task in tasks} == {"meltano"}


def test_manual_and_once_meltano_intervals_keep_their_meaning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = load_dag_file(monkeypatch)
    base = {"name": "x", "job": "x", "tasks": ["tap-x target-y"]}

    daily = module.build_dag({**base, "interval": "@daily", "cron_interval": "0 0 * * *"})
    manual = module.build_dag({**base, "interval": "@manual", "cron_interval": None})
    once = module.build_dag({**base, "interval": "@once", "cron_interval": None})

    assert daily.schedule == "0 0 * * *"
    assert manual.schedule is None
    assert once.schedule == "@once"
