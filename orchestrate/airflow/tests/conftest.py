"""Airflow keeps its configuration, logs and database under AIRFLOW_HOME: a throwaway one."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

SETTINGS_READ_BY_THE_DAG_FILE = (
    "MELTANO_PROJECT_ROOT",
    "MELTANO_ENVIRONMENT",
    "MAILCHIMP_AIRFLOW_POOL",
    "MAILCHIMP_AIRFLOW_POOL_SLOTS",
    "MELTANO_AIRFLOW_QUEUE",
)
_airflow_home = tempfile.mkdtemp(prefix="airflow-home-")


def pytest_configure(config: pytest.Config) -> None:
    """Point Airflow at an empty home before any test imports it; no example DAGs.

    The settings the DAG file reads from the environment are cleared, so the DAGs parse with
    their defaults whatever the shell running the tests has set.
    """
    for name in SETTINGS_READ_BY_THE_DAG_FILE:
        os.environ.pop(name, None)
    os.environ["AIRFLOW_HOME"] = _airflow_home
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(_airflow_home, "dags")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the throwaway home."""
    shutil.rmtree(_airflow_home, ignore_errors=True)
