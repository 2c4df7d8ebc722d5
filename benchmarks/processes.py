"""Run one `meltano run` and measure each process of its tree: peak memory, CPU seconds,
lifetime.

Peak memory is the kernel's own high-water mark (`VmHWM` in `/proc/<pid>/status`), read
until the process exits, so a short spike between two samples is not missed. CPU seconds
are sampled (psutil), so the last `interval` of a process's life may be missing; the whole
tree's CPU comes exactly from `wait4` on the `meltano` process.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
import typing as t
from dataclasses import dataclass, field

import psutil

#: Stage of a process, from its command line.
STAGES = (
    ("tap", ("bin/tap-",)),
    ("mapper", ("erp-mailchimp-mapper",)),
    ("target", ("target-mailchimp",)),
    ("meltano", ("bin/meltano",)),
)


def stage_of(cmdline: list[str]) -> str | None:
    """`tap`, `mapper`, `target` or `meltano`; None for anything else (e.g. a `--discover`
    or `--about` call is still its plugin's stage)."""
    text = " ".join(cmdline[:2])
    for stage, needles in STAGES:
        if any(needle in text for needle in needles):
            return stage
    return None


@dataclass
class ProcessStats:
    """One process of the pipeline's tree."""

    pid: int
    stage: str
    cmdline: list[str]
    started: float
    ended: float | None = None
    peak_rss_bytes: int = 0
    cpu_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        """How long it lived (as far as the sampler saw)."""
        return max(0.0, (self.ended or time.time()) - self.started)

    @property
    def is_sync(self) -> bool:
        """The run proper, not a `--discover`/`--about`/`--help` call Meltano makes first."""
        return not any(flag in self.cmdline for flag in ("--discover", "--about", "--help"))


@dataclass
class RunMeasurement:
    """A `meltano run`: exit code, output, wall time, processes, exact tree CPU."""

    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    tree_cpu_seconds: float
    processes: list[ProcessStats] = field(default_factory=list)

    def stage(self, name: str) -> list[ProcessStats]:
        """The sync processes of one stage (one each, in an ordinary run)."""
        return [p for p in self.processes if p.stage == name and p.is_sync]


def _peak_rss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


class _Sampler(threading.Thread):
    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True, name="benchmark-sampler")
        self.root = root
        self.interval = interval
        self.stop_event = threading.Event()
        self.stats: dict[int, ProcessStats] = {}
        self._handles: dict[int, psutil.Process] = {}

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)
        self.sample()

    def sample(self) -> None:
        now = time.time()
        try:
            root = psutil.Process(self.root)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        alive = set()
        for process in tree:
            pid = process.pid
            handle = self._handles.setdefault(pid, process)
            try:
                if pid not in self.stats:
                    stage = stage_of(handle.cmdline())
                    if stage is None:
                        continue
                    self.stats[pid] = ProcessStats(
                        pid, stage, handle.cmdline(), started=handle.create_time()
                    )
                cpu = handle.cpu_times()
                peak = _peak_rss(pid)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                continue
            stats = self.stats[pid]
            stats.cpu_seconds = max(stats.cpu_seconds, cpu.user + cpu.system)
            if peak is not None:
                stats.peak_rss_bytes = max(stats.peak_rss_bytes, peak)
            alive.add(pid)
        for pid, stats in self.stats.items():
            if pid not in alive and stats.ended is None:
                stats.ended = now


def run_measured(
    command: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    timeout: float,
    interval: float = 0.1,
) -> RunMeasurement:
    """Run `command`, sampling its process tree every `interval` seconds."""
    started = time.monotonic()
    with (
        open(os.devnull, "rb") as stdin,
        subprocess.Popen(  # noqa: S603 - our own meltano, our own arguments
            command,
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process,
    ):
        sampler = _Sampler(process.pid, interval)
        sampler.start()
        output: dict[str, str] = {}

        def drain(name: str, stream: t.IO[str]) -> None:
            output[name] = stream.read()

        readers = [
            threading.Thread(target=drain, args=("stdout", process.stdout), daemon=True),
            threading.Thread(target=drain, args=("stderr", process.stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        deadline = time.monotonic() + timeout
        rusage = None
        returncode = None
        while returncode is None:
            pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                returncode = os.waitstatus_to_exitcode(status)
                process.returncode = returncode
                break
            if time.monotonic() > deadline:
                process.kill()
                _, status, rusage = os.wait4(process.pid, 0)
                returncode = -9
                process.returncode = returncode
                break
            time.sleep(0.05)
        wall = time.monotonic() - started
        sampler.stop_event.set()
        sampler.join()
        for reader in readers:
            reader.join()
    tree_cpu = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
    return RunMeasurement(
        returncode=returncode,
        stdout=output.get("stdout", ""),
        stderr=output.get("stderr", ""),
        wall_seconds=wall,
        tree_cpu_seconds=tree_cpu,
        processes=sorted(sampler.stats.values(), key=lambda p: p.started),
    )
