"""A real PostgreSQL server on loopback for the tests of shared state.

Debian's `postgresql` package provides the binaries (`make postgres` installs it; CI runs
that before the tests). The test session makes a throwaway cluster of its own in a
temporary folder, on a free port, and removes it afterwards: nothing of the machine's
own clusters is touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

if t.TYPE_CHECKING:
    from collections.abc import Iterator

NOT_INSTALLED = (
    "PostgreSQL is not installed: run `make postgres` (Debian's postgresql package), "
    "which `make test` does before the end-to-end tests."
)


def postgres_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: Debian keeps them per major version, newest first."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throwaway cluster; `url(database)` gives SQLAlchemy URLs into it."""

    port: int

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        """A URL for one database of the cluster (trust authentication on loopback)."""
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        engine = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a private cluster (as the `postgres` user when run as root) and stop it after."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.fail(NOT_INSTALLED)
    # initdb refuses to run as root; Debian's package creates the `postgres` user.
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="erp-mailchimp-pg-"))
    if as_owner:
        shutil.chown(folder, "postgres", "postgres")
    data, log = folder / "data", folder / "server.log"
    port = free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_owner, *command], check=True, capture_output=True, timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
            "start")  # fmt: skip
        yield PostgresServer(port)
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session."""
    with running_postgres() as server:
        yield server
