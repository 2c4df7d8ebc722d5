"""Batch operations protocol, against requests-mock."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from target_mailchimp.client import MailchimpAuth, MailchimpClient
from target_mailchimp.ecommerce import Operation
from target_mailchimp.operations import BatchOperationError, BatchOperations, OperationResult

ROOT = "https://us6.api.mailchimp.com/3.0"
ARCHIVE = "https://mailchimp-batch-results.s3.amazonaws.com/abc.tar.gz?X-Amz-Signature=s3cr3t"


def archive(*files: list[dict]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for number, content in enumerate([*files, None]):  # Mailchimp includes empty files
            data = b"" if content is None else json.dumps(content).encode()
            info = tarfile.TarInfo(f"batch/{number}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def client() -> MailchimpClient:
    return MailchimpClient(
        ROOT, MailchimpAuth(api_key="k-us6"), max_retries=1, max_backoff_seconds=0
    )


def operations() -> list[Operation]:
    return [
        Operation("SO-1", "POST", "/ecommerce/stores/s/orders", {"id": "SO-1"}),
        Operation("SO-2", "POST", "/ecommerce/stores/s/orders", {"id": "SO-2"}),
    ]


def test_batch_is_submitted_polled_and_its_archive_read(requests_mock, client) -> None:
    requests_mock.post(f"{ROOT}/batches", json={"id": "b1", "status": "pending"})
    requests_mock.get(
        f"{ROOT}/batches/b1",
        [
            {"json": {"id": "b1", "status": "started"}},
            {
                "json": {
                    "id": "b1",
                    "status": "finished",
                    "total_operations": 2,
                    "errored_operations": 1,
                    "response_body_url": ARCHIVE,
                }
            },
        ],
    )
    requests_mock.get(
        ARCHIVE,
        content=archive(
            [{"status_code": 200, "operation_id": "0", "response": json.dumps({"id": "SO-1"})}],
            [
                {
                    "status_code": 400,
                    "operation_id": "1",
                    "response": json.dumps(
                        {
                            "title": "Bad Request",
                            "detail": "An order with the provided ID already exists",
                        }
                    ),
                }
            ],
        ),
    )
    waits: list[float] = []
    results = BatchOperations(client, poll_seconds=2, sleep=waits.append).execute(operations())
    assert results == [
        OperationResult(200, {"id": "SO-1"}),
        OperationResult(
            400, {"title": "Bad Request", "detail": "An order with the provided ID already exists"}
        ),
    ]
    assert results[1].already_exists
    assert waits == [2]
    submitted = requests_mock.request_history[0].json()["operations"]
    assert submitted[0] == {
        "method": "POST",
        "path": "/ecommerce/stores/s/orders",
        "operation_id": "0",
        "body": json.dumps({"id": "SO-1"}),
    }
    # The archive lives outside the API: it never receives the API key.
    assert "Authorization" not in requests_mock.request_history[-1].headers


def test_an_operation_missing_from_the_archive_is_resubmitted(requests_mock, client) -> None:
    requests_mock.post(f"{ROOT}/batches", json={"id": "b1", "status": "pending"})
    requests_mock.get(
        f"{ROOT}/batches/b1", json={"id": "b1", "status": "finished", "response_body_url": ARCHIVE}
    )
    requests_mock.get(
        ARCHIVE,
        [
            {"content": archive([{"status_code": 200, "operation_id": "0", "response": "{}"}])},
            {"content": archive([{"status_code": 200, "operation_id": "0", "response": "{}"}])},
        ],
    )
    results = BatchOperations(client, sleep=lambda _: None).execute(operations())
    assert [result.ok for result in results] == [True, True]
    batches = [r for r in requests_mock.request_history if r.path == "/3.0/batches"]
    assert len(batches[1].json()["operations"]) == 1


def test_a_batch_that_never_finishes_fails_the_run_clearly(requests_mock, client) -> None:
    requests_mock.post(f"{ROOT}/batches", json={"id": "b1", "status": "pending"})
    requests_mock.get(f"{ROOT}/batches/b1", json={"id": "b1", "status": "started"})
    batches = BatchOperations(client, poll_seconds=0, timeout_seconds=0, sleep=lambda _: None)
    with pytest.raises(BatchOperationError, match="still started"):
        batches.execute(operations())


def test_nothing_to_do_makes_no_call(requests_mock, client) -> None:
    assert BatchOperations(client).execute([]) == []
    assert requests_mock.call_count == 0


def test_the_archives_signed_url_is_never_logged(requests_mock, client, caplog) -> None:
    requests_mock.post(f"{ROOT}/batches", json={"id": "b1", "status": "pending"})
    requests_mock.get(
        f"{ROOT}/batches/b1", json={"id": "b1", "status": "finished", "response_body_url": ARCHIVE}
    )
    requests_mock.get(
        ARCHIVE,
        [
            {"status_code": 503, "text": "Slow Down"},
            {"content": archive([{"status_code": 200, "operation_id": "0", "response": "{}"}])},
        ],
    )
    caplog.set_level("DEBUG")
    BatchOperations(client, sleep=lambda _: None).execute(operations()[:1])
    assert "batch result archive" in caplog.text
    assert "s3cr3t" not in caplog.text


def test_operations_that_met_a_429_inside_a_batch_are_resubmitted(requests_mock, client) -> None:
    second_archive = ARCHIVE.replace("abc", "def")
    requests_mock.post(f"{ROOT}/batches", [{"json": {"id": "b1"}}, {"json": {"id": "b2"}}])
    requests_mock.get(
        f"{ROOT}/batches/b1", json={"id": "b1", "status": "finished", "response_body_url": ARCHIVE}
    )
    requests_mock.get(
        f"{ROOT}/batches/b2",
        json={"id": "b2", "status": "finished", "response_body_url": second_archive},
    )
    requests_mock.get(
        ARCHIVE,
        content=archive(
            [
                {"status_code": 200, "operation_id": "0", "response": "{}"},
                {"status_code": 429, "operation_id": "1", "response": "{}"},
            ]
        ),
    )
    requests_mock.get(
        second_archive,
        content=archive([{"status_code": 200, "operation_id": "0", "response": '{"id": "SO-2"}'}]),
    )
    results = BatchOperations(client, sleep=lambda _: None).execute(operations())
    assert [result.status for result in results] == [200, 200]
    resubmitted = requests_mock.request_history[-3].json()["operations"]
    assert [op["body"] for op in resubmitted] == [json.dumps({"id": "SO-2"})]


def test_operations_that_keep_failing_transiently_stop_the_run(requests_mock, client) -> None:
    requests_mock.post(f"{ROOT}/batches", json={"id": "b1"})
    requests_mock.get(
        f"{ROOT}/batches/b1", json={"id": "b1", "status": "finished", "response_body_url": ARCHIVE}
    )
    requests_mock.get(
        ARCHIVE, content=archive([{"status_code": 503, "operation_id": "0", "response": "{}"}])
    )
    with pytest.raises(BatchOperationError, match="kept answering"):
        BatchOperations(client, sleep=lambda _: None).execute(operations()[:1])
