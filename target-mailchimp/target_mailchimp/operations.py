"""Two ways to run many writes: direct calls, or one Mailchimp batch operation.

Both take a list of operations and give back one result per operation, so the
e-commerce logic does not care which was used.
"""

from __future__ import annotations

import io
import json
import logging
import tarfile
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from target_mailchimp.client import MailchimpAPIError, RetryableAPIError, describe_problem

if t.TYPE_CHECKING:
    from collections.abc import Callable

    from target_mailchimp.client import MailchimpClient
    from target_mailchimp.ecommerce import Operation

LOGGER = logging.getLogger("target_mailchimp.operations")


TRANSIENT_ROUNDS = 3  # resubmissions of operations that met 429/5xx inside a batch


class BatchOperationError(RuntimeError):
    """A batch that did not finish in time or whose results could not be read."""


@dataclass
class OperationResult:
    """Mailchimp's answer to one operation."""

    status: int
    body: t.Any = None

    @property
    def ok(self) -> bool:
        """Whether the write succeeded."""
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        """Mailchimp's own words for a refusal: title, detail and field errors."""
        body = self.body if isinstance(self.body, dict) else {}
        return describe_problem(
            str(body.get("title", "Error")), str(body.get("detail", "")), body.get("errors")
        )

    @property
    def transient(self) -> bool:
        """Worth another try: throttled, a server error, or no result at all."""
        return self.status in (0, 429) or self.status >= 500

    @property
    def already_exists(self) -> bool:
        """Mailchimp's 400 for creating a product or order that exists."""
        return self.status == 400 and "already exists" in self.detail


class DirectCalls:
    """One request per operation, at most `max_concurrency` at a time."""

    def __init__(self, client: MailchimpClient, max_concurrency: int) -> None:
        self.client = client
        self.max_concurrency = max_concurrency

    def execute(self, operations: list[Operation]) -> list[OperationResult]:
        """Run the operations; transient failures are retried by the client."""
        if not operations:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(operations))) as pool:
            return list(pool.map(self._one, operations))

    def _one(self, operation: Operation) -> OperationResult:
        try:
            body = self.client.request(operation.method, operation.path, json=operation.body)
        except RetryableAPIError:
            raise  # retries are exhausted: the run stops and state does not move on
        except MailchimpAPIError as error:
            return OperationResult(
                error.status, {"title": error.title, "detail": error.detail, "errors": error.errors}
            )
        return OperationResult(200, body)


class BatchOperations:
    """Many operations in one `POST /batches`, polled until finished.

    Mailchimp runs one batch at a time and answers with a tar.gz of JSON files,
    each an array of `{status_code, operation_id, response}` (reference section 4).
    """

    def __init__(
        self,
        client: MailchimpClient,
        *,
        poll_seconds: float = 5,
        timeout_seconds: float = 3600,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep

    def execute(self, operations: list[Operation]) -> list[OperationResult]:
        """Run the operations; those that met a 429 or 5xx inside the batch are resubmitted.

        A direct call would retry them; so does a batch, a few rounds, and then stops
        the run rather than recording a transient failure as final.
        """
        results = self._run_batch(operations)
        for _ in range(TRANSIENT_ROUNDS):
            transient = [i for i, result in enumerate(results) if result.transient]
            if not transient:
                return results
            LOGGER.info("Resubmitting %d operation(s) Mailchimp could not do yet", len(transient))
            for index, result in zip(
                transient, self._run_batch([operations[i] for i in transient]), strict=True
            ):
                results[index] = result
        if any(result.transient for result in results):
            msg = "Mailchimp kept answering 429/5xx to operations inside batches: try again later."
            raise BatchOperationError(msg)
        return results

    def _run_batch(self, operations: list[Operation]) -> list[OperationResult]:
        """Submit, wait for `finished`, and read every operation's result."""
        if not operations:
            return []
        submitted = self.client.request(
            "POST",
            "/batches",
            json={
                "operations": [
                    {
                        "method": operation.method,
                        "path": operation.path,
                        "operation_id": str(index),
                        **({"body": json.dumps(operation.body)} if operation.body else {}),
                    }
                    for index, operation in enumerate(operations)
                ]
            },
        )
        batch = self._wait(submitted["id"])
        LOGGER.info(
            "Batch %s finished: %s operations, %s errored",
            batch["id"],
            batch.get("total_operations"),
            batch.get("errored_operations"),
        )
        results = self._read_archive(self.client.download(batch["response_body_url"]))
        return [
            results.get(
                str(index),
                OperationResult(
                    0, {"title": "Missing result", "detail": "not in the batch's result archive"}
                ),
            )
            for index in range(len(operations))
        ]

    def _wait(self, batch_id: str) -> dict[str, t.Any]:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            batch: dict[str, t.Any] = self.client.request("GET", f"/batches/{batch_id}")
            if batch.get("status") == "finished":
                return batch
            if time.monotonic() > deadline:
                msg = (
                    f"Mailchimp batch {batch_id} is still {batch.get('status')} after "
                    f"{self.timeout_seconds:.0f}s: raise batch_timeout_seconds, or check "
                    "https://status.mailchimp.com"
                )
                raise BatchOperationError(msg)
            self.sleep(self.poll_seconds)

    @staticmethod
    def _read_archive(archive: bytes) -> dict[str, OperationResult]:
        results: dict[str, OperationResult] = {}
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar.getmembers():
                extracted = tar.extractfile(member) if member.isfile() else None
                content = extracted.read() if extracted else b""
                if not content.strip():
                    continue  # Mailchimp's archives contain empty files
                for item in json.loads(content):
                    response = item.get("response") or ""
                    results[str(item.get("operation_id"))] = OperationResult(
                        int(item["status_code"]), json.loads(response) if response else None
                    )
        return results
