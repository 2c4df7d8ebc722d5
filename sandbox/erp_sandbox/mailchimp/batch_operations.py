"""Batch operations (``/3.0/batches``): a queue of batches run in the background.

Facts (reference section 4): a batch goes ``pending → preprocessing → started →
finalizing → finished``; "only one batch request is run at a time"; at most 500 batches
may be pending; the results are a tar.gz of JSON files, each an array of
``{"status_code", "operation_id", "response"}`` with the response body as a JSON string;
the archive is fetched without auth; an expired batch is a 404.

Each operation is dispatched in-process to the emulator's routes below the call log, the
in-flight limit and the fault injector (those model client connections; operations are
Mailchimp's own traffic) but above the contract checks, with the submitter's credential.
So an operation obeys exactly the rules of the direct call. Operations are recorded in
their own :class:`~erp_sandbox.inspection.CallLog`.

One daemon thread with its own event loop runs the queue, first in first out; it starts
with the first batch. Stage and operation delays, and a pause, come from the settings.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import io
import json
import logging
import tarfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Message

from erp_sandbox.inspection import BATCH_ID_SCOPE_KEY, Call, CallLog
from erp_sandbox.mailchimp.clock import Clock, iso
from erp_sandbox.mailchimp.representations import link
from erp_sandbox.mailchimp.settings import MailchimpSettings

API_PREFIX = "/3.0"
#: Where results archives are served (outside ``/3.0``: like Mailchimp's S3 bucket, no
#: auth, not an API call). Never contains "server" (the SDK's host substitution).
ARCHIVE_PREFIX = "/batch-results"
ARCHIVE_SUFFIX = "-response.tar.gz"
#: How often a paused or delayed batch looks at its settings again.
_POLL_SECONDS = 0.005

_log = logging.getLogger(__name__)


class PendingLimitReachedError(Exception):
    """POST /batches while ``batch_pending_limit`` batches are not finished."""


@dataclass
class Batch:
    """One batch request and what became of it."""

    id: str
    operations: list[dict[str, Any]]
    submitted_at: datetime
    #: The submitter's ``Authorization`` and ``Host`` headers, replayed on each operation.
    authorization: str = field(repr=False)
    host: str = ""
    status: str = "pending"
    finished_operations: int = 0
    errored_operations: int = 0
    completed_at: datetime | None = None
    #: ``{"status_code", "operation_id", "response"}`` per operation run, in order.
    results: list[dict[str, Any]] = field(default_factory=list)
    archive: bytes | None = field(default=None, repr=False)
    #: Set by :meth:`BatchRunner.expire` or once the retention has passed.
    expired: bool = False
    #: Times the results archive was downloaded.
    downloads: int = 0
    cancelled: bool = field(default=False, repr=False)

    @property
    def total_operations(self) -> int:
        """Operations submitted."""
        return len(self.operations)

    @property
    def finished(self) -> bool:
        """Whether every operation ran and the results are ready."""
        return self.status == "finished"

    @property
    def archive_name(self) -> str:
        """The file name of the results archive."""
        return self.id + ARCHIVE_SUFFIX


def batch_json(batch: Batch, base_url: str, api_root: str) -> dict[str, Any]:
    """A batch as ``GET /batches/{batch_id}`` returns it.

    ``response_body_url`` is set once finished, except for a batch without operations:
    tap-mailchimp retries a "finished" batch whose URL is empty, which is how an empty
    batch looks (inferred).
    """
    href = f"{api_root}/batches/{batch.id}"
    has_results = batch.finished and batch.total_operations > 0
    return {
        "id": batch.id,
        "status": batch.status,
        "total_operations": batch.total_operations,
        "finished_operations": batch.finished_operations,
        "errored_operations": batch.errored_operations,
        "submitted_at": iso(batch.submitted_at),
        "completed_at": iso(batch.completed_at) if batch.completed_at else "",
        "response_body_url": archive_url(batch, base_url) if has_results else "",
        "_links": [
            link("parent", f"{api_root}/batches", "GET", "Batches/CollectionResponse.json"),
            link("self", href, "GET", "Batches/Response.json"),
            link("delete", href, "DELETE"),
        ],
    }


def archive_url(batch: Batch, base_url: str) -> str:
    """Absolute URL of the batch's results archive."""
    return f"{base_url.rstrip('/')}{ARCHIVE_PREFIX}/{batch.archive_name}"


def build_archive(batch_id: str, results: list[dict[str, Any]], per_file: int) -> bytes:
    """The gzip-compressed tar of results: a directory named after the batch holding JSON
    files of at most ``per_file`` results each, plus one file with none (reference:
    "empty files occur"; it holds ``[]`` so it is still a JSON array). The empty file
    comes first so a reader that stops at it misses results and a test notices."""
    chunks: list[list[dict[str, Any]]] = [[]]
    chunks += [results[i : i + per_file] for i in range(0, len(results), per_file)]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        directory = tarfile.TarInfo(batch_id)
        directory.type = tarfile.DIRTYPE
        directory.mode = 0o755
        tar.addfile(directory)
        for index, chunk in enumerate(chunks):
            name = hashlib.md5(f"{batch_id}:{index}".encode(), usedforsecurity=False).hexdigest()
            data = json.dumps(chunk).encode()
            info = tarfile.TarInfo(f"{batch_id}/{name}.json")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class BatchRunner:
    """The account's batches and the background worker that runs them."""

    def __init__(self, settings: MailchimpSettings, clock: Clock, log: CallLog) -> None:
        self.settings = settings
        self.clock = clock
        self.log = log
        self._lock = threading.Condition()
        self._batches: dict[str, Batch] = {}
        self._queue: deque[str] = deque()
        #: Held while one operation runs, so a reset never lands in the middle of one.
        self._step = threading.Lock()
        self._thread: threading.Thread | None = None
        self._app: ASGIApp | None = None
        self._route_of: Callable[[str], str | None] = lambda _path: None

    def bind(self, app: ASGIApp, route_of: Callable[[str], str | None]) -> None:
        """Where operations go (the routes wrapped in contract checks) and how their
        paths map to route templates for the log."""
        self._app = app
        self._route_of = route_of

    # --- the API's view -----------------------------------------------------------------

    def submit(self, operations: list[dict[str, Any]], *, authorization: str, host: str) -> Batch:
        """Queue a batch; :class:`PendingLimitReachedError` at the pending limit."""
        with self._lock:
            if len(self._queue) >= self.settings.batch_pending_limit:
                raise PendingLimitReachedError
            batch = Batch(
                id=uuid.uuid4().hex[:10],
                operations=copy.deepcopy(operations),
                submitted_at=self.clock.now(),
                authorization=authorization,
                host=host,
            )
            self._batches[batch.id] = batch
            self._queue.append(batch.id)
            self._start_worker()
            self._lock.notify_all()
            return copy.deepcopy(batch)

    def get(self, batch_id: str) -> Batch | None:
        """A copy of the batch, or None if it is unknown, deleted or expired."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None or self._expired(batch):
                return None
            return copy.deepcopy(batch)

    def visible(self) -> list[Batch]:
        """Copies of the batches the API lists (not expired), oldest first."""
        with self._lock:
            return [copy.deepcopy(b) for b in self._batches.values() if not self._expired(b)]

    def all(self) -> list[Batch]:
        """Copies of every batch still known, expired ones included (for inspection)."""
        with self._lock:
            for batch in self._batches.values():
                batch.expired = self._expired(batch)
            return [copy.deepcopy(b) for b in self._batches.values()]

    def delete(self, batch_id: str) -> bool:
        """Stop the batch and forget it with its results; False if unknown or expired."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None or self._expired(batch):
                return False
            batch.cancelled = True
            del self._batches[batch_id]
            if batch_id in self._queue:
                self._queue.remove(batch_id)
            return True

    def expire(self, batch_id: str) -> None:
        """Expire the batch now: GET and its archive answer 404 from here on."""
        with self._lock:
            batch = self._batches.get(batch_id)
            if batch is None:
                raise KeyError(f"no batch {batch_id!r}")
            batch.expired = True

    def download(self, name: str) -> bytes | None:
        """The archive called ``name`` (``<id>-response.tar.gz``), if it is available."""
        if not name.endswith(ARCHIVE_SUFFIX):
            return None
        with self._lock:
            batch = self._batches.get(name.removesuffix(ARCHIVE_SUFFIX))
            if batch is None or self._expired(batch) or batch.archive is None:
                return None
            batch.downloads += 1
            return batch.archive

    def wait(self, batch_id: str, timeout: float = 10.0) -> Batch:
        """Block until the batch is finished; returns a copy of it."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                batch = self._batches.get(batch_id)
                if batch is None:
                    raise KeyError(f"no batch {batch_id!r}")
                if batch.finished:
                    return copy.deepcopy(batch)
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} is still {batch.status}")
            time.sleep(_POLL_SECONDS)

    def reset(self) -> None:
        """Stop and forget every batch (waits for an operation under way to end)."""
        with self._step, self._lock:
            for batch in self._batches.values():
                batch.cancelled = True
            self._batches.clear()
            self._queue.clear()

    def _expired(self, batch: Batch) -> bool:
        if batch.expired:
            return True
        if batch.completed_at is None:
            return False
        retention = timedelta(seconds=self.settings.batch_retention_seconds)
        return self.clock.now() >= batch.completed_at + retention

    # --- the worker ---------------------------------------------------------------------

    def _start_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._work, name="erp-sandbox:mailchimp-batches", daemon=True
            )
            self._thread.start()

    def _work(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while True:
                with self._lock:
                    while not self._queue:
                        self._lock.wait()
                    batch = self._batches[self._queue[0]]
                try:
                    loop.run_until_complete(self._run(batch))
                except Exception:
                    # A bug must not stop the queue: the batch stays as it was, the next runs.
                    _log.exception("batch %s failed in the emulator", batch.id)
                with self._lock:
                    if self._queue and self._queue[0] == batch.id:
                        self._queue.popleft()
        finally:
            loop.close()

    async def _run(self, batch: Batch) -> None:
        for status in ("preprocessing", "started"):
            if not await self._wait(batch, self.settings.batch_stage_delay_ms):
                return
            self._update(batch, status=status)
        for operation in batch.operations:
            if not await self._wait(batch, self.settings.batch_operation_delay_ms):
                return
            with self._step:
                if batch.cancelled:
                    return
                result = await self._execute(batch, operation)
                with self._lock:
                    batch.results.append(result)
                    batch.finished_operations += 1
                    batch.errored_operations += result["status_code"] >= 400
        if not await self._wait(batch, self.settings.batch_stage_delay_ms):
            return
        archive = build_archive(batch.id, batch.results, self.settings.batch_results_per_file)
        self._update(batch, status="finalizing", archive=archive)
        if not await self._wait(batch, self.settings.batch_stage_delay_ms):
            return
        self._update(batch, status="finished", completed_at=self.clock.now())

    def _update(self, batch: Batch, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(batch, name, value)

    async def _wait(self, batch: Batch, delay_ms: float) -> bool:
        """Wait out ``delay_ms`` and any pause; False if the batch was stopped."""
        deadline = time.monotonic() + delay_ms / 1000
        while not batch.cancelled:
            if not self.settings.batch_paused and time.monotonic() >= deadline:
                return True
            await asyncio.sleep(_POLL_SECONDS)
        return False

    async def _execute(self, batch: Batch, operation: dict[str, Any]) -> dict[str, Any]:
        """Run one operation through the routes; its result entry."""
        method = str(operation["method"]).upper()
        path, _, inline_query = str(operation["path"]).partition("?")
        path = _api_path(path)
        query = "&".join(
            q for q in (inline_query, _query_string(operation.get("params") or {})) if q
        )
        body = (operation.get("body") or "").encode()
        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        status, response = await self._dispatch(batch, method, path, query, body)
        operation_id = operation.get("operation_id")
        self.log.record(
            Call(
                method=method,
                route=f"{method} {self._route_of(path) or path}",
                path=path,
                query=query,
                status=status,
                fault=None,
                started_at=started_at,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                batch_id=batch.id,
                operation_id=operation_id,
            )
        )
        return {
            "status_code": status,
            "operation_id": operation_id,
            "response": response.decode("utf-8", errors="replace"),
        }

    async def _dispatch(
        self, batch: Batch, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, bytes]:
        if self._app is None:
            raise RuntimeError("the batch runner is not bound to an app")
        headers = [
            (b"host", batch.host.encode("latin-1")),
            (b"authorization", batch.authorization.encode("latin-1")),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": None,
            BATCH_ID_SCOPE_KEY: batch.id,
        }
        sent = False
        done = asyncio.Event()
        status = 500
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        try:
            await self._app(scope, receive, send)
        except Exception:  # Starlette re-raises a crash after sending its 500 response
            if not done.is_set():
                status = 500
        return status, b"".join(chunks)


def _api_path(path: str) -> str:
    """``/lists/abc`` (as Mailchimp's examples write it) or ``lists/abc`` → ``/3.0/lists/abc``;
    a path already under ``/3.0`` is kept (inferred)."""
    path = "/" + path.lstrip("/")
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path
    return API_PREFIX + path


def _query_string(params: dict[str, Any]) -> str:
    """``params`` as a query string: lists comma-joined, booleans ``true``/``false``."""

    def text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list | tuple):
            return ",".join(text(v) for v in value)
        return str(value)

    return urlencode({key: text(value) for key, value in params.items()})
