"""Batch operations (/3.0/batches): life cycle, results archive, rules, limits, logs."""

from __future__ import annotations

import io
import json
import tarfile
import time
from typing import Any

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, problem, seed_members

from erp_sandbox.cli import summary_lines
from erp_sandbox.mailchimp import MailchimpEmulator
from erp_sandbox.pytest_fixtures import api_session

SHOP = "/ecommerce/stores/shop1"
ORDERS_ROUTE = "POST /3.0/ecommerce/stores/{store_id}/orders"
BATCH_STATUSES = ["pending", "preprocessing", "started", "finalizing", "finished"]


def op(method: str, path: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    """One operation; ``body`` is sent as the JSON *string* the API wants."""
    operation: dict[str, Any] = {"method": method, "path": path, **extra}
    if body is not None:
        operation["body"] = json.dumps(body)
    return operation


def member_put(email: str, **body: Any) -> dict[str, Any]:
    payload = {"email_address": email, "status_if_new": "subscribed", **body}
    return op("PUT", f"{MEMBERS}/{email}", payload, operation_id=email)


def submit(api: requests.Session, *operations: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/batches", json={"operations": list(operations)})
    assert response.status_code == 200, response.text
    return response.json()


def finished(api: requests.Session, batch_id: str, timeout: float = 5.0) -> dict[str, Any]:
    """Poll GET /batches/{id} until the batch is finished."""
    deadline = time.monotonic() + timeout
    while True:
        batch = api.get(f"/batches/{batch_id}").json()
        if batch["status"] == "finished":
            return batch
        assert time.monotonic() < deadline, f"batch still {batch['status']}"
        time.sleep(0.005)


def archive_files(url: str) -> dict[str, Any]:
    """Every JSON file of the results archive, fetched without credentials."""
    response = requests.get(url)
    assert response.status_code == 200
    files = {}
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        for member in tar:
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                files[member.name] = json.loads(extracted.read())
    return files


def results(api: requests.Session, batch_id: str) -> list[dict[str, Any]]:
    """The results of a finished batch, in operation order."""
    url = finished(api, batch_id)["response_body_url"]
    return [item for items in archive_files(url).values() for item in items]


@pytest.fixture
def quick(mailchimp_emulator: MailchimpEmulator) -> MailchimpEmulator:
    """Batches without the stage delays, for tests that only want the outcome."""
    mailchimp_emulator.configure(batch_stage_delay_ms=0)
    return mailchimp_emulator


@pytest.fixture
def shop_with_order(mailchimp_api: requests.Session) -> requests.Session:
    mailchimp_api.post(
        "/ecommerce/stores",
        json={"id": "shop1", "list_id": LIST, "name": "Shop", "currency_code": "USD"},
    )
    mailchimp_api.post(
        f"{SHOP}/products",
        json={"id": "p1", "title": "Mug", "variants": [{"id": "p1", "title": "Mug"}]},
    )
    assert mailchimp_api.post(f"{SHOP}/orders", json=order("o1")).status_code == 200
    return mailchimp_api


def order(order_id: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "currency_code": "USD",
        "order_total": 9.5,
        "customer": {"id": "c1", "email_address": "buyer@acme.io", "opt_in_status": False},
        "lines": [
            {
                "id": "l1",
                "product_id": "p1",
                "product_variant_id": "p1",
                "quantity": 1,
                "price": 9.5,
            }
        ],
    }


# --- submission and life cycle ------------------------------------------------------------


def test_submitted_batch_is_pending_with_counts_and_no_results_yet(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_paused=True)
    batch = submit(mailchimp_api, member_put("a@acme.io"), member_put("b@acme.io"))
    assert batch["status"] == "pending"
    assert batch["total_operations"] == 2
    assert batch["finished_operations"] == batch["errored_operations"] == 0
    assert batch["submitted_at"]
    assert batch["completed_at"] == batch["response_body_url"] == ""
    assert {link["rel"] for link in batch["_links"]} == {"parent", "self", "delete"}


def test_batch_moves_through_every_status_and_counts_operations_as_it_goes(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_stage_delay_ms=60, batch_operation_delay_ms=60)
    batch = submit(mailchimp_api, *(member_put(f"m{i}@acme.io") for i in range(3)))
    statuses: list[str] = []
    progress: list[int] = []
    deadline = time.monotonic() + 5
    while not statuses or statuses[-1] != "finished":
        polled = mailchimp_api.get(f"/batches/{batch['id']}").json()
        if not statuses or statuses[-1] != polled["status"]:
            statuses.append(polled["status"])
        if polled["status"] == "started":
            progress.append(polled["finished_operations"])
        assert time.monotonic() < deadline
        time.sleep(0.003)
    assert statuses == BATCH_STATUSES
    assert progress == sorted(progress)
    assert {1, 2} <= set(progress)
    assert polled["finished_operations"] == 3
    assert polled["completed_at"] >= polled["submitted_at"]
    url = polled["response_body_url"]
    assert url.startswith(mailchimp_emulator.base_url + "/")
    assert "server" not in url


def test_paused_batches_stay_pending_until_resumed(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_paused=True)
    batch = submit(mailchimp_api, member_put("a@acme.io"))
    time.sleep(0.1)
    assert mailchimp_api.get(f"/batches/{batch['id']}").json()["status"] == "pending"
    assert mailchimp_emulator.member("a@acme.io") is None
    mailchimp_emulator.configure(batch_paused=False)
    assert finished(mailchimp_api, batch["id"])["finished_operations"] == 1
    assert mailchimp_emulator.member("a@acme.io")["status"] == "subscribed"


def test_only_one_batch_runs_at_a_time_in_submission_order(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_stage_delay_ms=5, batch_operation_delay_ms=15)
    ids = [
        submit(mailchimp_api, *(member_put(f"b{n}-{i}@acme.io") for i in range(3)))["id"]
        for n in range(3)
    ]
    running = {"preprocessing", "started", "finalizing"}
    finish_order: list[str] = []
    deadline = time.monotonic() + 5
    while len(finish_order) < len(ids):
        listed = mailchimp_api.get("/batches").json()["batches"]
        assert sum(b["status"] in running for b in listed) <= 1
        finish_order += [b["id"] for b in listed if b["status"] == "finished"]
        finish_order = list(dict.fromkeys(finish_order))
        assert time.monotonic() < deadline
    assert finish_order == ids


def test_batch_without_operations_finishes_without_a_results_url(
    quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    batch = finished(mailchimp_api, submit(mailchimp_api)["id"])
    assert batch["total_operations"] == 0
    assert batch["response_body_url"] == ""


# --- results archive ----------------------------------------------------------------------


def test_results_archive_is_a_tar_gz_of_json_arrays_with_an_empty_file_and_no_auth(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_results_per_file=2)
    emails = [f"r{i}@acme.io" for i in range(5)]
    batch = finished(mailchimp_api, submit(mailchimp_api, *map(member_put, emails))["id"])
    response = requests.get(batch["response_body_url"])  # no credentials
    assert response.status_code == 200
    assert response.content[:2] == b"\x1f\x8b"  # gzip
    files = archive_files(batch["response_body_url"])
    assert all(name.endswith(".json") for name in files)
    assert sorted(len(items) for items in files.values()) == [0, 1, 2, 2]
    items = [item for chunk in files.values() for item in chunk]
    assert [item["operation_id"] for item in items] == emails
    for item in items:
        assert set(item) == {"status_code", "operation_id", "response"}
        assert item["status_code"] == 200
        assert isinstance(item["response"], str)
        assert json.loads(item["response"])["status"] == "subscribed"


@pytest.mark.sends_invalid_requests  # the operation whose body is not JSON
def test_results_hold_errors_as_problem_documents_and_count_them(
    quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    not_json = {"method": "PATCH", "path": f"lists/{LIST}/members/ok@acme.io", "body": "{no"}
    batch = submit(
        mailchimp_api,
        member_put("ok@acme.io"),
        op("GET", f"{MEMBERS}/nobody@acme.io", operation_id="missing"),
        {**not_json, "operation_id": "bad json"},
        op("DELETE", f"/3.0{MEMBERS}/ok@acme.io", operation_id="archive"),
    )
    by_id = {item["operation_id"]: item for item in results(mailchimp_api, batch["id"])}
    assert by_id["missing"]["status_code"] == 404
    assert json.loads(by_id["missing"]["response"])["title"] == "Resource Not Found"
    assert by_id["bad json"]["status_code"] == 400
    assert json.loads(by_id["bad json"]["response"])["title"] == "JSON Parse Error"
    assert by_id["archive"] == {"status_code": 204, "operation_id": "archive", "response": ""}
    polled = mailchimp_api.get(f"/batches/{batch['id']}").json()
    assert (polled["finished_operations"], polled["errored_operations"]) == (4, 2)


def test_get_operations_honour_params(
    quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    listing = op(
        "GET",
        MEMBERS,
        operation_id="list",
        params={"count": 1, "offset": 1, "fields": ["members.email_address", "total_items"]},
    )
    inline = op("GET", f"{MEMBERS}?fields=total_items", operation_id="inline")
    batch = submit(mailchimp_api, member_put("a@acme.io"), member_put("b@acme.io"), listing, inline)
    by_id = {i["operation_id"]: i for i in results(mailchimp_api, batch["id"])}
    assert json.loads(by_id["list"]["response"]) == {
        "members": [{"email_address": "b@acme.io"}],
        "total_items": 2,
    }
    assert json.loads(by_id["inline"]["response"]) == {"total_items": 2}


# --- same rules as direct calls -----------------------------------------------------------


def test_duplicate_order_inside_a_batch_fails_like_the_direct_call(
    quick: MailchimpEmulator, shop_with_order: requests.Session
) -> None:
    direct = shop_with_order.post(f"{SHOP}/orders", json=order("o1"))
    batch = submit(
        shop_with_order,
        op("POST", f"{SHOP}/orders", order("o1"), operation_id="dup"),
        op("POST", f"{SHOP}/orders", order("o2"), operation_id="new"),
    )
    by_id = {item["operation_id"]: item for item in results(shop_with_order, batch["id"])}
    assert by_id["dup"]["status_code"] == direct.status_code == 400
    inner = json.loads(by_id["dup"]["response"])
    assert inner["detail"] == problem(direct)["detail"]
    assert inner["detail"] == "An order with the provided ID already exists in the account."
    assert by_id["new"]["status_code"] == 200
    assert finished(shop_with_order, batch["id"])["errored_operations"] == 1


def test_unsubscribed_member_cannot_be_resubscribed_inside_a_batch(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    seed_members(mailchimp_emulator, {"email_address": "u@acme.io", "status": "unsubscribed"})
    batch = submit(mailchimp_api, member_put("u@acme.io", status="subscribed"))
    (item,) = results(mailchimp_api, batch["id"])
    assert item["status_code"] == 400
    detail = json.loads(item["response"])
    assert detail["title"] == "Member In Compliance State"
    assert "is in a compliance state" in detail["detail"]
    assert mailchimp_emulator.member("u@acme.io")["status"] == "unsubscribed"


def test_operations_run_with_the_submitters_credential(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator
) -> None:
    mailchimp_emulator.configure(api_keys=[mailchimp_emulator.api_key, "k2-us21"])
    second = api_session(mailchimp_emulator.api_root, ("any", "k2-us21"))
    mailchimp_emulator.configure(batch_paused=True)
    batch = submit(second, member_put("a@acme.io"))
    mailchimp_emulator.configure(api_keys=[mailchimp_emulator.api_key], batch_paused=False)
    owner = api_session(mailchimp_emulator.api_root, mailchimp_emulator.auth)
    (item,) = results(owner, batch["id"])
    assert item["status_code"] == 401
    assert json.loads(item["response"])["title"] == "API Key Invalid"


def test_operations_bypass_the_connection_limit_and_fault_injection(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.faults.enqueue(method="PUT", path="/3.0/lists/*", status=503)
    mailchimp_emulator.configure(concurrency_limit=1)
    batch = submit(mailchimp_api, *(member_put(f"f{i}@acme.io") for i in range(3)))
    assert {item["status_code"] for item in results(mailchimp_api, batch["id"])} == {200}
    assert len(mailchimp_emulator.faults.queue) == 1  # still waiting for a client call


@pytest.mark.sends_invalid_requests
def test_operation_body_must_be_a_json_string(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(
        "/batches",
        json={"operations": [{"method": "POST", "path": MEMBERS, "body": {"email": "x"}}]},
    )
    assert response.status_code == 400
    assert problem(response)["errors"] == [
        {"field": "operations.0.body", "message": "Schema describes string, object found instead"}
    ]


@pytest.mark.sends_invalid_requests
def test_operation_needs_method_and_path(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post("/batches", json={"operations": [{"path": MEMBERS}]})
    assert response.status_code == 400
    assert problem(response)["errors"][0]["message"] == "Required fields were not provided: method"


@pytest.mark.sends_invalid_requests
def test_contract_violation_inside_a_batch_is_recorded_with_its_batch(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    batch = submit(mailchimp_api, member_put("a@acme.io", merge_fields={"FNAME": True}))
    (item,) = results(mailchimp_api, batch["id"])
    assert item["status_code"] == 400
    (violation,) = mailchimp_emulator.contract_violations
    assert violation.batch_id == batch["id"]
    assert violation.route == "PUT /3.0/lists/{list_id}/members/{subscriber_hash}"
    assert violation.part == "request"


# --- limits, deletion, expiry -------------------------------------------------------------


def test_more_than_500_pending_batches_is_429(
    mailchimp_emulator: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_paused=True)
    for _ in range(500):
        assert mailchimp_api.post("/batches", json={"operations": []}).status_code == 200
    refused = mailchimp_api.post("/batches", json={"operations": []})
    assert refused.status_code == 429
    assert problem(refused)["title"] == "Too Many Requests"
    assert "500 pending batch requests" in problem(refused)["detail"]


def test_finished_batches_no_longer_count_as_pending(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_pending_limit=1)
    finished(mailchimp_api, submit(mailchimp_api)["id"])
    mailchimp_emulator.configure(batch_paused=True)
    submit(mailchimp_api)
    assert mailchimp_api.post("/batches", json={"operations": []}).status_code == 429


def test_deleted_batch_stops_and_disappears(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.configure(batch_paused=True)
    batch = submit(mailchimp_api, member_put("a@acme.io"))
    assert mailchimp_api.delete(f"/batches/{batch['id']}").status_code == 204
    mailchimp_emulator.configure(batch_paused=False)
    time.sleep(0.05)
    assert mailchimp_api.get(f"/batches/{batch['id']}").status_code == 404
    assert mailchimp_api.get("/batches").json()["total_items"] == 0
    assert mailchimp_emulator.member("a@acme.io") is None
    assert mailchimp_api.delete(f"/batches/{batch['id']}").status_code == 404


def test_deleting_a_finished_batch_removes_its_results(
    quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    batch = finished(mailchimp_api, submit(mailchimp_api, member_put("a@acme.io"))["id"])
    mailchimp_api.delete(f"/batches/{batch['id']}")
    assert requests.get(batch["response_body_url"]).status_code == 404


def test_expired_batch_is_404_for_status_and_archive(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    batch = finished(mailchimp_api, submit(mailchimp_api, member_put("a@acme.io"))["id"])
    mailchimp_emulator.expire_batch(batch["id"])
    gone = mailchimp_api.get(f"/batches/{batch['id']}")
    assert gone.status_code == 404
    assert problem(gone)["title"] == "Resource Not Found"
    assert requests.get(batch["response_body_url"]).status_code == 404
    assert mailchimp_api.get("/batches").json()["total_items"] == 0
    (kept,) = mailchimp_emulator.batches
    assert kept.expired


def test_batches_expire_after_the_retention_period(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    mailchimp_emulator.store.clock.freeze("2026-03-01T00:00:00+00:00")
    mailchimp_emulator.configure(batch_retention_seconds=3600)
    batch = finished(mailchimp_api, submit(mailchimp_api, member_put("a@acme.io"))["id"])
    mailchimp_emulator.store.clock.advance(3599)
    assert mailchimp_api.get(f"/batches/{batch['id']}").status_code == 200
    mailchimp_emulator.store.clock.advance(1)
    assert mailchimp_api.get(f"/batches/{batch['id']}").status_code == 404
    assert requests.get(batch["response_body_url"]).status_code == 404


# --- inspection ---------------------------------------------------------------------------


def test_operations_are_logged_apart_from_direct_calls(
    mailchimp_emulator: MailchimpEmulator,
    quick: MailchimpEmulator,
    shop_with_order: requests.Session,
) -> None:
    batch = submit(
        shop_with_order,
        op("POST", f"{SHOP}/orders", order("o2"), operation_id="o2"),
        op("POST", f"{SHOP}/orders", order("o3"), operation_id="o3"),
    )
    finished(shop_with_order, batch["id"])
    calls = mailchimp_emulator.calls
    assert calls.count(ORDERS_ROUTE) == 1  # the fixture's direct call
    assert calls.count("POST /3.0/batches") == 1
    assert calls.count("GET /3.0/batches/{batch_id}") >= 1
    operations = mailchimp_emulator.batch_operations
    assert operations.counts() == {ORDERS_ROUTE: 2}
    assert [(c.batch_id, c.operation_id, c.status) for c in operations] == [
        (batch["id"], "o2", 200),
        (batch["id"], "o3", 200),
    ]
    logged = requests.get(mailchimp_emulator.base_url + "/_sandbox/calls").json()
    assert logged["batch_operations"]["counts"] == {ORDERS_ROUTE: 2}
    assert ORDERS_ROUTE in logged["counts"]


def test_list_state_python_api_and_summary_show_batches(
    mailchimp_emulator: MailchimpEmulator, quick: MailchimpEmulator, mailchimp_api: requests.Session
) -> None:
    first = submit(mailchimp_api, member_put("a@acme.io"))
    assert mailchimp_emulator.wait_for_batch(first["id"]).finished_operations == 1
    mailchimp_emulator.configure(batch_paused=True)
    second = submit(mailchimp_api, member_put("b@acme.io"))
    listed = mailchimp_api.get("/batches", params={"count": 1, "offset": 1}).json()
    assert listed["total_items"] == 2
    assert [b["id"] for b in listed["batches"]] == [second["id"]]
    assert [b.id for b in mailchimp_emulator.batches] == [first["id"], second["id"]]
    assert mailchimp_emulator.batch(first["id"]).results[0]["operation_id"] == "a@acme.io"
    base = mailchimp_emulator.base_url
    state = requests.get(base + "/_sandbox/state").json()
    assert [b["status"] for b in state["batches"]] == ["finished", "pending"]
    assert state["batches"][0]["results"][0]["status_code"] == 200
    calls = requests.get(base + "/_sandbox/calls").json()
    violations = requests.get(base + "/_sandbox/contract-violations").json()
    text = "\n".join(summary_lines(base, state, calls, violations))
    assert "Batches: 2 (finished 1, pending 1); operations 1 run, 0 errored" in text
    assert "Operations inside batches: 1" in text


def test_batch_settings_are_validated(mailchimp_emulator: MailchimpEmulator) -> None:
    with pytest.raises(ValueError, match="batch_results_per_file"):
        mailchimp_emulator.configure(batch_results_per_file=0)
    config = requests.post(
        mailchimp_emulator.base_url + "/_sandbox/config", json={"batch_stage_delay_ms": 0}
    ).json()
    assert config["batch_stage_delay_ms"] == 0
    assert config["batch_pending_limit"] == 500
