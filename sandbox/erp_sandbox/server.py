"""Running emulators under uvicorn: one in a background thread (tests), or several in
one process until SIGTERM/SIGINT (the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp


class _ServerWithoutSignalHandlers(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its owner (several servers share
    one process, and uvicorn would otherwise let only the last one see the signal)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=2,
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one.

    The protocol is named (``IPPROTO_TCP``, not 0) because asyncio only turns Nagle's
    algorithm off on accepted sockets whose ``proto`` says TCP; without it every request
    on a kept-alive connection waited ~40 ms for the client's delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class BackgroundServer:
    """Serves one ASGI app from a daemon thread, for tests."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Bind, start serving and wait until uvicorn is ready."""
        if self._thread is not None:
            raise RuntimeError("server already started")
        sock = bind(self.host, self.requested_port)
        self.port = sock.getsockname()[1]
        server = _ServerWithoutSignalHandlers(_config(self.app))
        self._server = server

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # reported by start()
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name=f"erp-sandbox:{self.port}", daemon=True)
        self._thread.start()
        waited = 0.0
        while not server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"server failed to start: {self._error!r}")
            if waited > timeout:
                raise TimeoutError("server did not start in time")
            threading.Event().wait(0.01)
            waited += 0.01

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        self._server = None
        self._thread = None


@dataclass
class ServedApp:
    """One app for :func:`serve_until_signalled`."""

    name: str
    app: ASGIApp
    host: str
    port: int


def serve_until_signalled(
    apps: Sequence[ServedApp], on_ready: Callable[[list[tuple[ServedApp, int]]], None]
) -> None:
    """Serve every app (one uvicorn server and port each) in this process until
    SIGTERM or SIGINT, then shut them all down cleanly."""

    async def main() -> None:
        bound = [(served, bind(served.host, served.port)) for served in apps]
        servers = [_ServerWithoutSignalHandlers(_config(served.app)) for served, _ in bound]
        loop = asyncio.get_running_loop()

        def stop_all() -> None:
            for server in servers:
                server.should_exit = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop_all)
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, (_, sock) in zip(servers, bound, strict=True)
        ]
        while not all(server.started for server in servers):
            if any(task.done() for task in tasks):
                stop_all()
                break
            await asyncio.sleep(0.02)
        else:
            on_ready([(served, sock.getsockname()[1]) for served, sock in bound])
        await asyncio.gather(*tasks)
        for _, sock in bound:
            sock.close()

    asyncio.run(main())
