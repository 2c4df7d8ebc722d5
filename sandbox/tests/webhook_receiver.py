"""A local HTTP receiver for the webhook tests: records every request it is sent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Answers ``status`` (POST) or ``probe_status`` (GET) and keeps what it was sent.

    ``on_request(received)`` runs before the answer, e.g. to call the emulator back."""

    def __init__(self, path: str = "/hook") -> None:
        self.requests: list[Received] = []
        self.status = 200
        self.probe_status = 200
        self.on_request: Callable[[Received], None] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, status: int) -> None:
                length = int(self.headers.get("content-length") or 0)
                received = Received(
                    method=self.command,
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                receiver.requests.append(received)
                if receiver.on_request is not None:
                    receiver.on_request(received)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                self._handle(receiver.status)

            def do_GET(self) -> None:
                self._handle(receiver.probe_status)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def of(self, method: str) -> list[Received]:
        """The requests made with ``method``."""
        return [r for r in self.requests if r.method == method]

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A URL nobody listens on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    return f"http://127.0.0.1:{port}/gone"
