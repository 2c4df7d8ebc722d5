"""The service over real HTTP, with a stand-in job command that records its runs."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from erp_webhooks.app import build_app
from erp_webhooks.config import ServiceConfig, parse_config
from erp_webhooks.jobs import JobRunner

NETSUITE_SECRET = "ns-path-secret-0123456789"
EXACT_SECRET = "exact-webhook-secret-0123456789"
MAILCHIMP_SECRET = "mc-path-secret-0123456789"
HMAC_SECRET = "ns-hmac-secret-0123456789"

# A job that notes when it starts and ends, and takes a while, like `meltano run`.
FAKE_JOB = """
import sys, time, pathlib
log = pathlib.Path(sys.argv[1])
with log.open("a") as f: f.write(f"start {sys.argv[2]} {time.monotonic()}\\n")
time.sleep(float(sys.argv[3]))
with log.open("a") as f: f.write(f"end {sys.argv[2]} {time.monotonic()}\\n")
"""


@dataclass
class Service:
    """A running service and what its job command recorded."""

    url: str
    config: ServiceConfig
    runner: JobRunner
    runs_log: Path

    def runs(self) -> list[tuple[str, str, float]]:
        """(start|end, job, monotonic time) lines, in order."""
        if not self.runs_log.exists():
            return []
        return [
            (kind, job, float(at))
            for kind, job, at in (line.split() for line in self.runs_log.read_text().splitlines())
        ]

    def starts(self, job: str | None = None) -> int:
        return sum(1 for kind, name, _ in self.runs() if kind == "start" and job in (None, name))

    def settle(self, timeout: float = 30) -> None:
        assert self.runner.wait_idle(timeout), "jobs still running"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def default_document(tmp_path: Path) -> dict[str, t.Any]:
    return {
        "project_dir": str(tmp_path),
        "debounce_seconds": 0.3,
        "max_body_bytes": 4096,
        "receivers": {
            "netsuite": {"path_secret": NETSUITE_SECRET},
            "exact": {"webhook_secret": EXACT_SECRET},
            "mailchimp": {
                "path_secret": MAILCHIMP_SECRET,
                "audit_database_url": f"sqlite:///{tmp_path / 'audit.db'}",
            },
        },
    }


@pytest.fixture
def start_service(tmp_path: Path) -> t.Iterator[t.Callable[..., Service]]:
    """Start the service in this process; keywords change the configuration."""
    servers: list[tuple[uvicorn.Server, threading.Thread, JobRunner]] = []
    script = tmp_path / "fake_job.py"
    script.write_text(FAKE_JOB)

    def start(job_seconds: float = 0.2, **changes: t.Any) -> Service:
        runs_log = tmp_path / "runs.log"
        document = default_document(tmp_path)
        receivers = changes.pop("receivers", None)
        if receivers is not None:
            document["receivers"] = receivers
        document.update(changes)
        document.setdefault(
            "command", [sys.executable, str(script), str(runs_log), "{job}", str(job_seconds)]
        )
        config = parse_config(document, base_dir=tmp_path)
        runner = JobRunner(
            config.command, config.project_dir, debounce_seconds=config.debounce_seconds
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                build_app(config, runner),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                proxy_headers=False,  # as `erp-webhooks serve`: trusted_proxies decides
            )
        )
        thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "service did not start"
            time.sleep(0.02)
        servers.append((server, thread, runner))
        return Service(f"http://127.0.0.1:{port}", config, runner, runs_log)

    yield start
    for server, thread, runner in servers:
        runner.stop(timeout=30)
        server.should_exit = True
        thread.join(timeout=10)
