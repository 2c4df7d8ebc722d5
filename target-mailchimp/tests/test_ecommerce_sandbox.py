"""E-commerce behaviour against the emulated Mailchimp, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from target_mailchimp.ecommerce_store import StoreConfigurationError
from tests.conftest import streams_lines, write_calls

if t.TYPE_CHECKING:
    from erp_sandbox.mailchimp import MailchimpEmulator

STORE = "erp-store"
ORDERS = f"/3.0/ecommerce/stores/{STORE}/orders"


@pytest.fixture
def config(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """The target settings, with a store."""
    return {
        **config,
        "store_id": STORE,
        "store_name": "ERP Store",
        "store_currency_code": "EUR",
        "batch_poll_seconds": 0,
    }


def shop(emulator: MailchimpEmulator):
    with emulator.store.lock:
        return emulator.store.ecommerce.get(STORE)


def customer(number: int, **fields: t.Any) -> dict[str, t.Any]:
    return {
        "id": f"C-{number}",
        "email_address": f"buyer{number}@harborsupply.com",
        "first_name": f"Buyer{number}",
        "opt_in_status": False,
        **fields,
    }


def product(number: int, **fields: t.Any) -> dict[str, t.Any]:
    return {
        "id": f"P-{number}",
        "title": f"Product {number}",
        "vendor": "Acme",
        "variants": [{"id": f"P-{number}", "title": f"Product {number}", "price": 10.0}],
        **fields,
    }


def order(number: int, *, product_number: int = 1, **fields: t.Any) -> dict[str, t.Any]:
    return {
        "id": f"SO-{number}",
        "customer": {
            "id": f"C-{number}",
            "email_address": f"buyer{number}@harborsupply.com",
            "opt_in_status": False,
        },
        "currency_code": "EUR",
        "order_total": 20.0,
        "financial_status": "paid",
        "processed_at_foreign": "2026-11-01T10:00:00+00:00",
        "lines": [
            {
                "id": "1",
                "product_id": f"P-{product_number}",
                "product_variant_id": f"P-{product_number}",
                "product_title": f"Product {product_number}",
                "quantity": 2,
                "price": 10.0,
            }
        ],
        "updated_at": "2026-11-01T10:00:00+00:00",
        **fields,
    }


def test_store_is_created_on_the_audience_and_syncing_only_during_the_run(
    emulator, run_target
) -> None:
    run_target(streams_lines(("products", [product(1)]), ("orders", [order(1)])))
    created = shop(emulator)
    assert created.list_id == emulator.default_list_id
    assert created.currency_code == "EUR"
    assert created.is_syncing is False  # unmarked at the end of the run
    # The first load ran with automations suppressed.
    assert [a for a in emulator.automations if a.get("store_id") == STORE] == []


def test_store_on_another_audience_is_a_clear_configuration_error(emulator, run_target) -> None:
    emulator.seed(
        {
            "lists": [{"id": "otherlist", "name": "Other"}],
            "ecommerce": {"stores": [{"id": STORE, "list_id": "otherlist"}]},
        }
    )
    with pytest.raises(StoreConfigurationError, match="belongs to audience 'otherlist'"):
        run_target(streams_lines(("products", [product(1)])))
    assert write_calls(emulator) == []


def test_store_created_by_another_run_meanwhile_is_used_as_found(emulator, run_target) -> None:
    # Another run writing to the same account creates the store (with a product) between
    # this run's look-up and its creation: Mailchimp answers "already exists".
    record = emulator.calls.record

    def record_and_race(call: t.Any) -> None:
        record(call)
        if call.route == "GET /3.0/ecommerce/stores/{store_id}" and call.status == 404:
            emulator.seed(
                {
                    "ecommerce": {
                        "stores": [
                            {
                                "id": STORE,
                                "list_id": emulator.default_list_id,
                                "products": [{"id": "P-1", "title": "Product 1"}],
                            }
                        ]
                    }
                }
            )

    emulator.calls.record = record_and_race  # type: ignore[method-assign]
    try:
        run = run_target(streams_lines(("orders", [order(1)])))
    finally:
        emulator.calls.record = record  # type: ignore[method-assign]

    assert run.outcomes() == {"SO-1": "created"}
    # Not taken for a store of its own making: the other run's catalog is read, not
    # assumed empty, so its product is not posted again.
    assert emulator.calls.count("GET /3.0/ecommerce/stores/{store_id}/products") == 1
    assert emulator.calls.count("POST /3.0/ecommerce/stores/{store_id}/products") == 0


def test_e_commerce_streams_need_a_store_id(run_target, config) -> None:
    with pytest.raises(Exception, match="Set `store_id`"):
        run_target(streams_lines(("products", [product(1)])), store_id=None)


def test_products_orders_and_customers_land(emulator, run_target) -> None:
    run = run_target(
        streams_lines(
            ("customers", [customer(1)]), ("products", [product(1)]), ("orders", [order(1)])
        )
    )
    landed = shop(emulator)
    assert set(landed.products) == {"P-1"}
    assert landed.orders["SO-1"].lines["1"].quantity == 2
    assert landed.customers["C-1"].attributes["first_name"] == "Buyer1"
    assert set(run.outcomes().values()) == {"created"}
    assert emulator.calls.count("POST /3.0/batches") == 0  # small runs use direct calls


def test_products_referenced_only_by_order_lines_are_created_first(emulator, run_target) -> None:
    run = run_target(streams_lines(("orders", [order(1, product_number=7)])))
    landed = shop(emulator)
    assert landed.products["P-7"].title == "Product 7"
    assert "P-7" in landed.products["P-7"].variants
    assert run.outcomes() == {"SO-1": "created"}


def test_new_variant_of_a_known_product_is_added_from_the_line(emulator, run_target) -> None:
    run_target(streams_lines(("products", [product(1)]), ("orders", [order(1)])))
    second = order(2)
    second["lines"][0]["product_variant_id"] = "P-1-BLUE"
    run = run_target(streams_lines(("orders", [second])))
    assert set(shop(emulator).products["P-1"].variants) == {"P-1", "P-1-BLUE"}
    assert run.outcomes() == {"SO-2": "created"}


def test_unchanged_rerun_writes_nothing(emulator, run_target) -> None:
    lines = streams_lines(
        ("customers", [customer(1)]), ("products", [product(1)]), ("orders", [order(1), order(2)])
    )
    run_target(lines)
    emulator.calls.reset()
    rerun = run_target(lines)
    assert write_calls(emulator) == []
    assert set(rerun.outcomes().values()) == {"unchanged"}


def test_changed_product_is_patched_not_posted_again(emulator, run_target) -> None:
    run_target(streams_lines(("products", [product(1)])))
    emulator.calls.reset()
    run = run_target(streams_lines(("products", [product(1, title="Renamed")])))
    assert shop(emulator).products["P-1"].title == "Renamed"
    assert emulator.calls.count("PATCH /3.0/ecommerce/stores/{store_id}/products/{product_id}") == 1
    assert run.outcomes() == {"P-1": "updated"}


def test_refund_and_cancellation_reach_the_order(emulator, run_target) -> None:
    run_target(streams_lines(("orders", [order(1)])))
    refunded = order(1, financial_status="refunded", updated_at="2026-11-02T00:00:00+00:00")
    run = run_target(streams_lines(("orders", [refunded])))
    assert shop(emulator).orders["SO-1"].attributes["financial_status"] == "refunded"
    assert run.outcomes() == {"SO-1": "updated"}
    cancelled = order(
        1, financial_status="cancelled", cancelled_at_foreign="2026-11-03T00:00:00+00:00"
    )
    run_target(streams_lines(("orders", [cancelled])))
    assert shop(emulator).orders["SO-1"].cancelled


def test_rerun_without_the_audit_store_never_duplicates_or_fails(
    emulator, run_target, tmp_path: Path
) -> None:
    lines = streams_lines(("products", [product(1)]), ("orders", [order(1)]))
    run_target(lines)
    # A lost audit store: the target must learn from Mailchimp's "already exists".
    rerun = run_target(lines, audit_database_url=f"sqlite:///{tmp_path / 'fresh.db'}")
    assert set(rerun.outcomes().values()) == {"updated"}
    landed = shop(emulator)
    assert (len(landed.products), len(landed.orders)) == (1, 1)


def test_failed_order_does_not_block_the_others_and_is_replayable(emulator, run_target) -> None:
    bad = order(2)
    bad["customer"]["email_address"] = "fooboo@example.com"  # Mailchimp: looks fake
    run = run_target(streams_lines(("orders", [order(1), bad, order(3)])))
    outcomes = run.outcomes()
    assert outcomes == {"SO-1": "created", "SO-2": "failed", "SO-3": "created"}
    assert "looks fake" in run.reasons()["SO-2"]
    failed = [event for event in run.events if event["outcome"] == "failed"]
    assert failed[0]["payload"]["id"] == "SO-2"


def test_customer_who_unsubscribed_is_never_opted_in(emulator, run_target) -> None:
    emulator.seed(
        {
            "lists": [
                {
                    "id": emulator.default_list_id,
                    "members": [
                        {"email_address": "buyer1@harborsupply.com", "status": "unsubscribed"}
                    ],
                }
            ]
        }
    )
    run_target(streams_lines(("customers", [customer(1, opt_in_status=True)])))
    assert shop(emulator).customers["C-1"].opt_in_status is False
    assert emulator.member("buyer1@harborsupply.com")["status"] == "unsubscribed"


def test_opted_in_new_customer_is_subscribed(emulator, run_target) -> None:
    run_target(streams_lines(("customers", [customer(1, opt_in_status=True)])))
    assert emulator.member("buyer1@harborsupply.com")["status"] == "subscribed"


def test_accounting_streams_are_refused_with_a_clear_message(run_target) -> None:
    with pytest.raises(ValueError, match="accounting data"):
        run_target(streams_lines(("gl_accounts", [{"id": "4000"}])))


def test_fields_outside_the_contract_never_reach_mailchimp(emulator, run_target) -> None:
    record = order(1, gl_account="4000-Revenue", cost_of_goods=9.5)
    run_target(streams_lines(("orders", [record])))
    landed = shop(emulator).orders["SO-1"]
    assert "gl_account" not in landed.attributes
    assert "cost_of_goods" not in landed.attributes


def test_dry_run_writes_no_e_commerce_data(emulator, run_target) -> None:
    emulator.seed({"ecommerce": {"stores": [{"id": STORE, "list_id": emulator.default_list_id}]}})
    run = run_target(
        streams_lines(("products", [product(1)]), ("orders", [order(1)])), dry_run=True
    )
    assert write_calls(emulator) == []
    assert run.outcomes() == {"P-1": "created", "SO-1": "created"}
    assert all(event["dry_run"] for event in run.events)


def test_state_follows_confirmed_e_commerce_writes(emulator, run_target) -> None:
    run = run_target(streams_lines(("orders", [order(1), {"STATE": {"orders": "SO-1"}}])))
    assert run.states == [{"orders": "SO-1"}]
    assert "SO-1" in shop(emulator).orders


def test_products_from_the_stream_are_not_created_again_from_order_lines(
    emulator, run_target
) -> None:
    run_target(
        streams_lines(
            ("products", [product(1), product(2)]),
            ("orders", [order(1), order(2, product_number=2)]),
        )
    )
    assert emulator.calls.count("POST /3.0/ecommerce/stores/{store_id}/products") == 2
    assert [call.route for call in emulator.calls if call.status == 400] == []


def test_products_already_in_mailchimp_are_found_in_its_catalog(emulator, run_target) -> None:
    emulator.seed(
        {
            "ecommerce": {
                "stores": [
                    {
                        "id": STORE,
                        "list_id": emulator.default_list_id,
                        "products": [{"id": "P-1", "title": "Product 1"}],
                    }
                ]
            }
        }
    )
    run = run_target(streams_lines(("orders", [order(1)])))
    assert emulator.calls.count("GET /3.0/ecommerce/stores/{store_id}/products") == 1
    assert emulator.calls.count("POST /3.0/ecommerce/stores/{store_id}/products") == 0
    assert run.outcomes() == {"SO-1": "created"}


BATCHES = "POST /3.0/batches"
DIRECT_ORDER_POST = "POST /3.0/ecommerce/stores/{store_id}/orders"


def bulk(count: int) -> str:
    return streams_lines(
        ("products", [product(n) for n in range(1, 4)]),
        ("orders", [order(n, product_number=1 + n % 3) for n in range(1, count + 1)]),
    )


def test_first_load_of_many_orders_goes_through_batch_operations(emulator, run_target) -> None:
    run = run_target(bulk(12), direct_write_limit=10)
    landed = shop(emulator)
    assert len(landed.orders) == 12
    assert emulator.calls.count(BATCHES) == 1
    assert emulator.calls.count(DIRECT_ORDER_POST) == 0
    assert emulator.batch_operations.count(DIRECT_ORDER_POST) == 12
    assert [e["outcome"] for e in run.events if e["stream"] == "orders"] == ["created"] * 12
    # A bulk load suppresses purchase automations, and automations are back on afterwards.
    assert [a for a in emulator.automations if a.get("store_id") == STORE] == []
    assert landed.is_syncing is False


def test_incremental_run_after_a_bulk_load_uses_direct_calls(emulator, run_target) -> None:
    run_target(bulk(12), direct_write_limit=10)
    emulator.calls.reset()
    changed = order(
        3, product_number=1, financial_status="refunded", updated_at="2026-11-05T00:00:00+00:00"
    )
    run = run_target(streams_lines(("orders", [changed])), direct_write_limit=10)
    assert emulator.calls.count(BATCHES) == 0
    assert emulator.calls.count("PATCH /3.0/ecommerce/stores/{store_id}/orders/{order_id}") == 1
    assert run.outcomes() == {"SO-3": "updated"}
    assert shop(emulator).orders["SO-3"].attributes["financial_status"] == "refunded"


def test_bulk_rerun_without_audit_store_updates_through_batches_without_duplicates(
    emulator, run_target, tmp_path: Path
) -> None:
    run_target(bulk(12), direct_write_limit=10)
    rerun = run_target(
        bulk(12), direct_write_limit=10, audit_database_url=f"sqlite:///{tmp_path / 'fresh.db'}"
    )
    assert {e["outcome"] for e in rerun.events if e["stream"] == "orders"} == {"updated"}
    assert len(shop(emulator).orders) == 12
    assert emulator.calls.count(DIRECT_ORDER_POST) == 0


DIRECT_PRODUCT_POST = "POST /3.0/ecommerce/stores/{store_id}/products"
STORE_PATCH = "PATCH /3.0/ecommerce/stores/{store_id}"


def ecommerce_requests(emulator: MailchimpEmulator) -> list[str]:
    """E-commerce requests but the polls of batches (their number follows the clock)."""
    return [
        call.route
        for call in emulator.calls
        if call.route.split(" ")[1].startswith(("/3.0/ecommerce", "/3.0/batches"))
        and call.route != "GET /3.0/batches/{batch_id}"
    ]


def test_a_few_dozen_products_go_through_one_batch_not_one_call_each(emulator, run_target) -> None:
    # Far below historical_load_threshold: only the drain's size decides.
    run = run_target(streams_lines(("products", [product(n) for n in range(1, 31)])))
    assert emulator.calls.count(DIRECT_PRODUCT_POST) == 0
    assert emulator.calls.count(BATCHES) == 1
    assert emulator.batch_operations.count(DIRECT_PRODUCT_POST) == 30
    assert set(run.outcomes().values()) == {"created"}
    assert len(shop(emulator).products) == 30


def test_a_drain_of_a_few_writes_stays_direct(emulator, run_target) -> None:
    run = run_target(streams_lines(("products", [product(n) for n in range(1, 6)])))
    assert emulator.calls.count(BATCHES) == 0
    assert emulator.calls.count(DIRECT_PRODUCT_POST) == 5
    assert set(run.outcomes().values()) == {"created"}


def test_a_first_load_below_the_historical_threshold_goes_through_batches(
    emulator, run_target
) -> None:
    # 60 orders whose lines name 40 products no products record brought, 45 customers,
    # all below the historical threshold: a few batches, never one call per record
    # (issue 11: at most N/100 + 20 e-commerce calls, polls included).
    orders = [order(n, product_number=1 + n % 40) for n in range(1, 61)]
    customers = [customer(n) for n in range(1, 46)]
    run = run_target(streams_lines(("customers", customers), ("orders", orders)))
    assert set(run.outcomes().values()) == {"created"}
    landed = shop(emulator)
    assert (len(landed.orders), len(landed.products), len(landed.customers)) == (60, 40, 60)
    assert emulator.calls.count(DIRECT_ORDER_POST) == 0
    assert emulator.calls.count(DIRECT_PRODUCT_POST) == 0
    assert emulator.batch_operations.count(DIRECT_PRODUCT_POST) == 40  # from the lines
    # Customers, the lines' products, the orders: one batch each.
    assert emulator.calls.count(BATCHES) == 3
    # With the store's read, creation and is_syncing flips: far from one call per record.
    assert len(ecommerce_requests(emulator)) <= 10, ecommerce_requests(emulator)


def test_a_small_batched_load_into_an_existing_store_keeps_automations_on(
    emulator, run_target
) -> None:
    run_target(streams_lines(("products", [product(n) for n in range(1, 4)])))
    emulator.calls.reset()
    orders = [order(n, product_number=1 + n % 3) for n in range(1, 26)]
    run_target(streams_lines(("orders", orders)))
    assert emulator.calls.count(BATCHES) == 1
    # 25 orders are no historical load: the store is not marked syncing for them.
    assert emulator.calls.count(STORE_PATCH) == 0
    assert [a for a in emulator.automations if a.get("store_id") == STORE] != []


def test_an_order_load_reaching_the_historical_threshold_suppresses_automations(
    emulator, run_target
) -> None:
    run_target(streams_lines(("products", [product(n) for n in range(1, 4)])))
    emulator.calls.reset()
    orders = [order(n, product_number=1 + n % 3) for n in range(1, 26)]
    run_target(streams_lines(("orders", orders)), historical_load_threshold=25)
    assert emulator.calls.count(BATCHES) == 1
    assert [a for a in emulator.automations if a.get("store_id") == STORE] == []
    assert shop(emulator).is_syncing is False  # unmarked at the end of the run


def test_failed_operation_inside_a_batch_is_recorded_and_the_rest_lands(
    emulator, run_target
) -> None:
    records = [order(n) for n in range(1, 13)]
    records[4]["customer"]["email_address"] = "fooboo@example.com"
    run = run_target(
        streams_lines(("products", [product(1)]), ("orders", records)), direct_write_limit=10
    )
    outcomes = run.outcomes()
    assert outcomes.pop("SO-5") == "failed"
    assert "looks fake" in run.reasons()["SO-5"]
    assert set(outcomes.values()) == {"created"}
    assert len(shop(emulator).orders) == 11


def test_failed_orders_are_replayed_from_the_audit_store_without_duplicates(
    emulator, run_target, config, tmp_path: Path
) -> None:
    emulator.faults.enqueue(method="POST", path=f"{ORDERS}", status=400, times=1)
    first = run_target(streams_lines(("orders", [order(1), order(2)])))
    assert sorted(first.outcomes().values()) == ["created", "failed"]
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    for _ in range(2):  # the second replay finds nothing left to do
        subprocess.run(
            [
                sys.executable,
                "-m",
                "target_mailchimp",
                "--config",
                str(config_file),
                "replay",
                "--stream",
                "orders",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    assert set(shop(emulator).orders) == {"SO-1", "SO-2"}
    assert emulator.calls.count(DIRECT_ORDER_POST) == 3  # the refused one, then its replay


def test_customer_email_change_is_settled_not_retried(emulator, run_target) -> None:
    run_target(streams_lines(("customers", [customer(1)])))
    moved = customer(1, email_address="moved@harborsupply.com")
    run = run_target(streams_lines(("customers", [moved])))
    assert run.outcomes() == {"C-1": "skipped"}
    assert "first email address" in run.reasons()["C-1"]
    emulator.calls.reset()
    run_target(streams_lines(("customers", [moved])))
    assert write_calls(emulator) == []


def test_order_of_an_unknown_customer_without_email_fails_and_is_kept_for_replay(
    emulator, run_target
) -> None:
    anonymous = order(1)
    anonymous["customer"] = {"id": "C-404"}
    run = run_target(streams_lines(("orders", [anonymous, order(2)])))
    assert run.outcomes() == {"SO-1": "failed", "SO-2": "created"}
    assert "unknown to Mailchimp" in run.reasons()["SO-1"]
    failed = next(e for e in run.events if e["record_key"] == "SO-1")
    assert failed["payload"]["id"] == "SO-1"


def test_a_customer_mailchimp_lacks_is_asked_for_once_until_the_target_writes_it(
    emulator, run_target
) -> None:
    run_target(streams_lines(("orders", [order(2)])))  # the store exists from here on
    anonymous = order(1)
    anonymous["customer"] = {"id": "C-404"}
    customer_check = "GET /3.0/ecommerce/stores/{store_id}/customers/{customer_id}"
    for _ in range(2):
        run = run_target(streams_lines(("orders", [anonymous])))
        assert run.outcomes() == {"SO-1": "failed"}
    assert emulator.calls.count(customer_check) == 1
    run = run_target(streams_lines(("customers", [customer(404)]), ("orders", [anonymous])))
    assert run.outcomes() == {"C-404": "created", "SO-1": "created"}
    assert emulator.calls.count(customer_check) == 1


def test_order_of_a_customer_mailchimp_already_holds_needs_only_its_id(
    emulator, run_target
) -> None:
    emulator.seed(
        {
            "ecommerce": {
                "stores": [
                    {
                        "id": STORE,
                        "list_id": emulator.default_list_id,
                        "customers": [{"id": "C-9", "email_address": "nine@harborsupply.com"}],
                        "products": [{"id": "P-1", "title": "Product 1"}],
                    }
                ]
            }
        }
    )
    bare = order(1)
    bare["customer"] = {"id": "C-9"}
    run = run_target(streams_lines(("orders", [bare])))
    assert run.outcomes() == {"SO-1": "created"}


def test_order_of_a_known_customer_needs_only_its_id(emulator, run_target) -> None:
    bare = order(1)
    bare["customer"] = {"id": "C-1"}
    run = run_target(streams_lines(("customers", [customer(1)]), ("orders", [bare])))
    assert run.outcomes()["SO-1"] == "created"
    assert shop(emulator).orders["SO-1"].customer_id == "C-1"


def test_variants_already_in_mailchimp_are_never_overwritten_from_order_lines(
    emulator, run_target
) -> None:
    emulator.seed(
        {
            "ecommerce": {
                "stores": [
                    {
                        "id": STORE,
                        "list_id": emulator.default_list_id,
                        "products": [
                            {
                                "id": "P-1",
                                "title": "Real product",
                                "variants": [{"id": "P-1", "title": "Real variant", "price": 99}],
                            }
                        ],
                    }
                ]
            }
        }
    )
    line_only = order(1)
    del line_only["lines"][0]["product_title"]
    run_target(streams_lines(("orders", [line_only])))
    variant = shop(emulator).products["P-1"].variants["P-1"]
    assert variant.title == "Real variant"
    assert variant.attributes["price"] == 99
