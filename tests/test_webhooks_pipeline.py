"""Notification-driven syncs end to end: the emulators notify `erp-webhooks serve`, which
runs the real `meltano run` job, and the change reaches the Mailchimp emulator without
waiting for a schedule."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
import requests

from tests.conftest import MELTANO, PROJECT, members
from tests.test_exact_pipeline import rows

NETSUITE_PATH_SECRET = "e2e-netsuite-path-secret-0123"
NETSUITE_HMAC_SECRET = "e2e-netsuite-hmac-secret-0123"
MAILCHIMP_PATH_SECRET = "e2e-mailchimp-path-secret-0123"


class WebhookService:
    """`erp-webhooks serve` in its own process, as operators run it."""

    def __init__(self, url: str, process: subprocess.Popen[str], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def job(self, name: str) -> dict[str, t.Any]:
        return requests.get(f"{self.url}/health", timeout=5).json()["jobs"].get(name, {})

    def wait_for_runs(self, name: str, finished: int, timeout: float = 240) -> dict[str, t.Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(name)
            if job.get("runs_finished", 0) >= finished and not job.get("running"):
                return job
            assert time.monotonic() < deadline, f"{name}: {job}\n{self.log.read_text()[-3000:]}"
            time.sleep(0.2)

    def log_lines(self) -> list[dict[str, t.Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


@pytest.fixture
def webhook_service(sandbox_env, exact_emulator, tmp_path) -> t.Iterator[WebhookService]:
    port = _free_port()
    config = tmp_path / "webhooks.yml"
    config.write_text(
        json.dumps(
            {
                "project_dir": str(PROJECT),
                "listen": {"host": "127.0.0.1", "port": port},
                "command": [MELTANO, "--environment=sandbox", "run", "{job}"],
                "debounce_seconds": 0.5,
                "receivers": {
                    "netsuite": {
                        "path_secret": "${NS_PATH}",
                        "hmac_secret": "${NS_HMAC}",
                        "max_age_seconds": 600,
                    },
                    "exact": {"webhook_secret": exact_emulator.webhook_secret},
                    "mailchimp": {
                        "path_secret": "${MC_PATH}",
                        "audit_database_url": sandbox_env["TARGET_MAILCHIMP_AUDIT_DATABASE_URL"],
                    },
                },
            }
        )
    )
    log = tmp_path / "webhooks.log"
    secrets = {
        "NS_PATH": NETSUITE_PATH_SECRET,
        "NS_HMAC": NETSUITE_HMAC_SECRET,
        "MC_PATH": MAILCHIMP_PATH_SECRET,
    }
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "erp-webhooks"), "serve", "--config", str(config)],
            cwd=PROJECT,
            env={**sandbox_env, **secrets},
            stderr=stderr,
            text=True,
        )
    service = WebhookService(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{service.url}/health", timeout=1)
            break
        except requests.ConnectionError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "erp-webhooks did not start"
            time.sleep(0.1)
    yield service
    process.terminate()
    process.wait(timeout=120)
    text = log.read_text()
    for secret in (*secrets.values(), exact_emulator.webhook_secret):
        assert secret not in text


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_netsuite_email_change_reaches_mailchimp_through_the_webhook(
    mailchimp_emulator, netsuite_emulator, meltano, webhook_service
) -> None:
    meltano("run", "netsuite-to-mailchimp")  # the scheduled first load
    [(customer_id, old_email)] = netsuite_emulator.db.fetch(
        "SELECT id, email FROM customer WHERE email IS NOT NULL AND isinactive = 'F' "
        "ORDER BY id LIMIT 1"
    )
    netsuite_emulator.deploy_user_event_script(
        f"{webhook_service.url}/netsuite/{NETSUITE_PATH_SECRET}",
        record_types=["customer", "contact"],
        hmac_secret=NETSUITE_HMAC_SECRET,
    )

    netsuite_emulator.update_record("customer", customer_id, email="webhook.moved@keystone.fr")

    [notification] = netsuite_emulator.notifications
    assert notification.status == 202
    job = webhook_service.wait_for_runs("netsuite-to-mailchimp", finished=1)
    assert job["last_exit_code"] == 0
    assert job["runs_started"] == 1
    landed = members(mailchimp_emulator)
    assert "webhook.moved@keystone.fr" in landed
    assert old_email.lower() not in landed  # changed in place, not duplicated
    accepted = [e for e in webhook_service.log_lines() if e["event"] == "request accepted"]
    assert accepted[0]["path"] == "/netsuite/***"
    assert accepted[0]["record_type"] == "customer"


def test_exact_notifications_from_a_tap_exact_subscription_trigger_the_exact_job(
    mailchimp_emulator, exact_emulator, meltano, webhook_service
) -> None:
    meltano("run", "exact-to-mailchimp")
    exact_emulator.configure(deliver_webhooks=True, validate_webhook_callbacks=True)
    meltano(
        "invoke", "tap-exact", "webhooks", "subscribe", "--callback-url",
        f"{webhook_service.url}/exact", "--topic", "Accounts",
    )  # fmt: skip
    account = next(
        row
        for row in rows(exact_emulator, "Accounts")
        if row.get("Email")
        and row.get("IsSales")
        and not row.get("Blocked")
        and not any(c.get("Email") == row["Email"] for c in rows(exact_emulator, "Contacts"))
    )

    exact_emulator.update_record("Accounts", account["ID"], Name="Renamed by webhook BV")

    notification = exact_emulator.webhook_notifications[-1]
    assert (notification.topic, notification.status) == ("Accounts", 202)
    job = webhook_service.wait_for_runs("exact-to-mailchimp", finished=1)
    assert job["last_exit_code"] == 0
    member = members(mailchimp_emulator)[account["Email"].strip().lower()]
    assert member.merge_fields.get("COMPANY") == "Renamed by webhook BV"


def test_an_unsubscribe_in_mailchimp_is_known_before_the_next_run_and_honoured(
    mailchimp_emulator, netsuite_emulator, meltano, webhook_service, sandbox_env
) -> None:
    meltano("run", "netsuite-to-mailchimp")
    list_id = mailchimp_emulator.default_list_id
    created = requests.post(
        f"{mailchimp_emulator.api_root}/lists/{list_id}/webhooks",
        json={
            "url": f"{webhook_service.url}/mailchimp/{MAILCHIMP_PATH_SECRET}",
            "events": {"unsubscribe": True, "cleaned": True, "upemail": True, "profile": True},
            "sources": {"user": True, "admin": True, "api": False},
        },
        auth=mailchimp_emulator.auth,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    [(customer_id, email)] = netsuite_emulator.db.fetch(
        "SELECT id, email FROM customer WHERE email IS NOT NULL AND isinactive = 'F' "
        "ORDER BY id LIMIT 1"
    )

    mailchimp_emulator.member_activity("unsubscribe", email)

    import sqlalchemy as sa

    engine = sa.create_engine(sandbox_env["TARGET_MAILCHIMP_AUDIT_DATABASE_URL"])
    with engine.connect() as connection:
        status = connection.execute(
            sa.text("SELECT status FROM audience_snapshot WHERE email_key = :key"),
            {"key": email.lower()},
        ).scalar_one()
    engine.dispose()
    assert status == "unsubscribed"  # known at once, before any run

    netsuite_emulator.update_record("customer", customer_id, phone="+33 1 23 45 67 89")
    meltano("run", "netsuite-to-mailchimp")
    assert members(mailchimp_emulator)[email.lower()].status == "unsubscribed"
