"""Production state on PostgreSQL: runs on any worker, jobs sharing one Mailchimp account.

Meltano's state backend, target-mailchimp's audit store (with the account's connection
slots) and tap-exact's token store all live in one real PostgreSQL server, as they would
for several Airflow workers.
"""

from __future__ import annotations

import subprocess
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from target_mailchimp.audit import database_engine

from tests.conftest import MELTANO, members, shop
from tests.workers import local_databases, meltano_on, state_ids, worker_project

if t.TYPE_CHECKING:
    from pathlib import Path

    from tests.postgres_server import PostgresServer

NEW_BUYER = "inkoop@noordzee-vishandel.nl"


def shared_services(postgres: PostgresServer, sandbox_env: dict[str, str]) -> dict[str, str]:
    """A worker's environment: every store a run remembers is in PostgreSQL."""
    audit = postgres.create_database("mailchimp_audit")
    return {
        **sandbox_env,
        "MELTANO_DATABASE_URI": postgres.create_database("meltano"),
        # The plain scheme users copy from their provider works too (psycopg 3 is used).
        "TARGET_MAILCHIMP_AUDIT_DATABASE_URL": audit.replace("postgresql+psycopg", "postgresql"),
        "TAP_EXACT_TOKEN_STORE_URL": postgres.create_database("exact_tokens"),
    }


def audit_runs(url: str) -> dict[str, list[tuple[str, str, str]]]:
    """Audit events per run, in the order the runs happened: (stream, key, outcome)."""
    engine = database_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT run_id, stream, record_key, outcome FROM audit_events ORDER BY id")
        ).all()
    engine.dispose()
    runs: dict[str, list[tuple[str, str, str]]] = {}
    for run_id, stream, key, outcome in rows:
        runs.setdefault(run_id, []).append((stream, key, outcome))
    return runs


def test_a_pipeline_run_by_two_workers_in_turn_continues_from_the_shared_state(
    postgres, sandbox_env, mailchimp_emulator, exact_emulator, tmp_path: Path
) -> None:
    env = shared_services(postgres, sandbox_env)
    worker_a, worker_b = (worker_project(tmp_path, name) for name in ("worker-a", "worker-b"))

    meltano_on(worker_a, env, "run", "exact-to-mailchimp")
    first_members = members(mailchimp_emulator)
    first_orders = set(shop(mailchimp_emulator).orders)
    exact_emulator.insert_record(
        "Accounts", Name="Noordzee Vishandel BV", Email=NEW_BUYER, Status="C", Country="NL"
    )
    spent_seed = env["TAP_EXACT_REFRESH_TOKEN"]

    # Worker B has no local state at all: no bookmarks, no audit file, no token file.
    meltano_on(worker_b, env, "run", "exact-to-mailchimp")

    landed = members(mailchimp_emulator)
    assert set(landed) == set(first_members) | {NEW_BUYER}
    assert set(shop(mailchimp_emulator).orders) == first_orders
    with mailchimp_emulator.store.lock:  # one member per address: nothing duplicated
        stored = mailchimp_emulator.store.lists[mailchimp_emulator.default_list_id].members
        assert len(stored) == len(landed)

    first_run, second_run = audit_runs(env["TARGET_MAILCHIMP_AUDIT_DATABASE_URL"]).values()
    assert len(first_run) > 50
    # Incremental: the second worker read only what changed since the first worker's run.
    assert {key for stream, key, _ in second_run if stream == "members"} == {NEW_BUYER}
    assert {outcome for stream, _, outcome in second_run if stream == "members"} == {"created"}

    # One state ID in the shared backend, seen alike from both workers.
    assert state_ids(worker_a, env) == state_ids(worker_b, env)
    assert [state for state in state_ids(worker_b, env) if "tap-exact" in state] == [
        "sandbox:tap-exact-to-target-mailchimp"
    ]
    # Worker A's refresh spent the seed token; B could only refresh with the pair A stored.
    refreshes = [call for call in exact_emulator.calls if call.route.endswith("/api/oauth2/token")]
    assert refreshes and all(call.status == 200 for call in refreshes)
    engine = sa.create_engine(env["TAP_EXACT_TOKEN_STORE_URL"])
    with engine.connect() as connection:
        [ciphertext] = connection.execute(sa.text("SELECT ciphertext FROM exact_token_store"))
    engine.dispose()
    assert ciphertext[0] and spent_seed.encode() not in bytes(ciphertext[0])
    assert local_databases(worker_a) == local_databases(worker_b) == []


def test_two_pipelines_at_once_on_one_account_never_pass_its_connection_limit(
    postgres, sandbox_env, mailchimp_emulator, netsuite_emulator, jde_emulator, tmp_path: Path
) -> None:
    env = {
        **shared_services(postgres, sandbox_env),
        # Either run alone may use all 10 connections; together they would use 20.
        "TARGET_MAILCHIMP_MAX_CONCURRENCY": "10",
        # One call per e-commerce record, not a few batch operations: many requests at once.
        "TARGET_MAILCHIMP_DIRECT_WRITE_LIMIT": "100000",
    }
    # Slower answers keep requests in flight long enough for the two runs to overlap.
    mailchimp_emulator.faults.configure(latency_ms=100)
    workers = {job: worker_project(tmp_path, job) for job in ("netsuite", "jde")}
    # Meltano migrates a new system database on first use, which two first commands at
    # once would both try: deployments migrate it once, before starting workers.
    state_ids(workers["netsuite"], env)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [
            pool.submit(meltano_on, worker, env, "run", f"{job}-to-mailchimp")
            for job, worker in workers.items()
        ]
        for run in runs:
            run.result()

    calls = list(mailchimp_emulator.calls)
    assert [call for call in calls if call.status == 429] == []
    # They did overlap: both wrote while the other was running.
    assert mailchimp_emulator.ctx.limiter.peak > 4
    assert len(members(mailchimp_emulator)) > 100


def test_a_job_already_running_on_one_worker_is_not_started_again_on_another(
    postgres, sandbox_env, mailchimp_emulator, jde_emulator, tmp_path: Path
) -> None:
    env = shared_services(postgres, sandbox_env)
    worker_a, worker_b = (worker_project(tmp_path, name) for name in ("worker-a", "worker-b"))
    state_ids(worker_a, env)  # the system database migrated once, as a deployment does
    mailchimp_emulator.faults.configure(latency_ms=300)
    first = subprocess.Popen(
        [MELTANO, "--environment=sandbox", "run", "jde-to-mailchimp"],
        cwd=worker_a,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(call.method != "GET" for call in mailchimp_emulator.calls):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)

        second = subprocess.run(
            [MELTANO, "--environment=sandbox", "run", "jde-to-mailchimp"],
            cwd=worker_b,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert first.poll() is None  # the check happened while the first was running
    finally:
        assert first.wait(timeout=300) == 0
    assert second.returncode != 0
    assert "pipeline is already running" in second.stdout + second.stderr
    mailchimp_emulator.faults.clear()
    meltano_on(worker_b, env, "run", "jde-to-mailchimp")  # once it is over, any worker may
