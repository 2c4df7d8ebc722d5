"""Turning a stream of events into runs: single-flight and coalesced per job.

Two runs of one job at once would fight over its state (both start from the same
bookmark and the slower one writes an older bookmark last), so a job never runs
twice at the same time. An event is covered by a run that has not started yet:
while a run is waiting (the debounce lets a burst gather) every new event joins
it; while a run is going, the first new event books exactly one more run after it,
because the running one may have read past that change already. A burst of
hundreds of events therefore gives at most one running and one queued run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

LOGGER = logging.getLogger("erp_webhooks.jobs")


@dataclass
class JobState:
    """What one job is doing."""

    pending: bool = False  # a run that has not started yet will cover new events
    running: bool = False
    worker: threading.Thread | None = None
    events: int = 0  # events covered by the pending run
    runs_started: int = 0
    runs_finished: int = 0
    last_exit_code: int | None = None
    last_finished_at: str | None = None
    history: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The state as JSON, for the health endpoint."""
        return {
            "running": self.running,
            "queued": self.pending,
            "runs_started": self.runs_started,
            "runs_finished": self.runs_finished,
            "last_exit_code": self.last_exit_code,
            "last_finished_at": self.last_finished_at,
        }


class JobRunner:
    """Runs `command` (with `{job}` filled in) in the project directory."""

    def __init__(
        self,
        command: tuple[str, ...],
        project_dir: Path,
        *,
        debounce_seconds: float = 2.0,
        environment: str | None = None,
    ) -> None:
        self.command = command
        self.project_dir = project_dir
        self.debounce_seconds = debounce_seconds
        self.environment = environment
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._jobs: dict[str, JobState] = {}
        self._stopping = False

    def trigger(self, job: str) -> str:
        """Book a run covering an event just accepted.

        Returns `started` (a new run will start after the debounce), `queued` (a run
        is going; one more follows it) or `coalesced` (a run not yet started covers
        the event already).
        """
        with self._lock:
            state = self._jobs.setdefault(job, JobState())
            state.events += 1
            if state.pending:
                return "coalesced"
            state.pending = True
            if state.worker is not None:
                return "queued"
            state.worker = threading.Thread(
                target=self._work, args=(job, state), name=f"job-{job}", daemon=True
            )
            state.worker.start()
            return "started"

    def status(self) -> dict[str, dict[str, object]]:
        """Every job's state."""
        with self._lock:
            return {job: state.to_json() for job, state in self._jobs.items()}

    def history(self, job: str) -> list[dict[str, object]]:
        """The finished runs of a job, oldest first."""
        with self._lock:
            state = self._jobs.get(job)
            return list(state.history) if state else []

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is pending or running; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while any(s.worker is not None for s in self._jobs.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def stop(self, timeout: float) -> None:
        """Start no new run; give running ones `timeout` seconds to finish.

        A queued run that never starts loses nothing: the next scheduled run or the
        next event picks up the change from the job's bookmark.
        """
        with self._lock:
            self._stopping = True
        self.wait_idle(timeout)

    def _work(self, job: str, state: JobState) -> None:
        while True:
            time.sleep(self.debounce_seconds)
            with self._lock:
                if self._stopping or not state.pending:
                    state.pending = False
                    state.worker = None
                    self._idle.notify_all()
                    return
                covered, state.events = state.events, 0
                state.pending = False
                state.running = True
                state.runs_started += 1
            started = time.monotonic()
            exit_code = self._run(job, covered)
            with self._lock:
                state.running = False
                state.runs_finished += 1
                state.last_exit_code = exit_code
                state.last_finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                state.history.append(
                    {"exit_code": exit_code, "events": covered, "finished": state.last_finished_at}
                )
            LOGGER.info(
                "run finished",
                extra={
                    "fields": {
                        "job": job,
                        "exit_code": exit_code,
                        "events": covered,
                        "duration_s": round(time.monotonic() - started, 3),
                        "outcome": "succeeded" if exit_code == 0 else "failed",
                    }
                },
            )

    def _run(self, job: str, covered: int) -> int:
        argv = self._argv(job)
        LOGGER.info(
            "run started",
            extra={"fields": {"job": job, "events": covered, "command": argv[1:]}},
        )
        env = dict(os.environ)
        if self.environment:
            env["MELTANO_ENVIRONMENT"] = self.environment
        log_path = self._log_path(job)
        try:
            with log_path.open("ab") if log_path else open(os.devnull, "wb") as output:
                return subprocess.run(  # noqa: S603 - the operator's configured command
                    argv,
                    cwd=self.project_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    check=False,
                ).returncode
        except OSError as exc:
            LOGGER.error("run could not start", extra={"fields": {"job": job, "error": str(exc)}})
            return 127

    def _argv(self, job: str) -> list[str]:
        argv = [part.replace("{job}", job) for part in self.command]
        if os.sep not in argv[0] and shutil.which(argv[0]) is None:
            # Installed in a virtualenv that is not on PATH: use its own executables.
            sibling = Path(sys.executable).parent / argv[0]
            if sibling.exists():
                argv[0] = str(sibling)
        return argv

    def _log_path(self, job: str) -> Path | None:
        """Each run's output, beside Meltano's own logs, when it is a Meltano project."""
        folder = self.project_dir / ".meltano" / "logs" / "erp-webhooks"
        if not (self.project_dir / ".meltano").is_dir():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return folder / f"{job}-{stamp}.log"
