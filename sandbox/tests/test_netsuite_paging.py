"""Paging rules: Prefer header, limit and offset, the row ceiling, unstable ordering."""

from __future__ import annotations

from netsuite_helpers import bearer_token, error_detail, items, suiteql

from erp_sandbox.netsuite import NetSuiteEmulator

ALL_CUSTOMERS = "SELECT c.id FROM customer c ORDER BY c.id"


def test_prefer_transient_is_required(netsuite_emulator: NetSuiteEmulator) -> None:
    response = suiteql(netsuite_emulator, ALL_CUSTOMERS, headers={"Prefer": "respond-async"})
    detail = error_detail(response, 400)
    assert detail["o:errorCode"] == "INVALID_HEADER"
    assert detail["o:errorHeader"] == "Prefer"


def test_limit_defaults_to_1000_and_refuses_more(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.seed(customers=1200, sales_orders=0)
    body = suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=None, offset=None).json()
    assert (body["count"], body["hasMore"], body["totalResults"]) == (1000, True, 1200)
    detail = error_detail(suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=1001), 400)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["o:errorQueryParam"] == "limit"
    assert error_detail(suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=0), 400)


def test_offset_must_be_a_multiple_of_limit(netsuite_emulator: NetSuiteEmulator) -> None:
    detail = error_detail(suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=100, offset=150), 400)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["o:errorQueryParam"] == "offset"
    assert suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=100, offset=200).status_code == 200


def test_offset_paging_through_a_unique_order_sees_every_row_once(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    token = bearer_token(netsuite_emulator)
    seen: list[str] = []
    offset = 0
    while True:
        body = suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=70, offset=offset, token=token)
        body = body.json()
        seen += [item["id"] for item in body["items"]]
        if not body["hasMore"]:
            break
        offset += 70
    assert len(seen) == len(set(seen)) == 300
    assert body["links"][-1]["rel"] == "self"
    assert {link["rel"] for link in body["links"]} == {"previous", "first", "self"}


def test_paging_past_the_ceiling_is_an_error(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.configure(result_ceiling=200)
    token = bearer_token(netsuite_emulator)
    last = suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=100, offset=100, token=token).json()
    # The last page under the ceiling says there is no more, while totalResults tells the
    # truth (a client re-anchors its query on the last row, as hotglue's tap does).
    assert (last["count"], last["hasMore"], last["totalResults"]) == (100, False, 300)
    beyond = suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=100, offset=200, token=token)
    detail = error_detail(beyond, 400)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["o:errorQueryParam"] == "offset"


def test_results_under_the_ceiling_page_normally(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.configure(result_ceiling=300)
    body = suiteql(netsuite_emulator, ALL_CUSTOMERS, limit=100, offset=200).json()
    assert (body["count"], body["hasMore"]) == (100, False)


def test_non_unique_order_gives_duplicates_and_gaps_across_pages(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    token = bearer_token(netsuite_emulator)
    query = "SELECT c.id FROM customer c ORDER BY c.isperson"
    pages = [
        items(netsuite_emulator, query, limit=50, offset=offset, token=token)
        for offset in range(0, 300, 50)
    ]
    seen = [row["id"] for page in pages for row in page]
    assert len(seen) == 300
    assert len(set(seen)) < 300, "ties must come back in another order on each page"
    # The same page asked twice is the same (deterministic).
    assert items(netsuite_emulator, query, limit=50, offset=50, token=token) == pages[1]


def test_ordering_by_the_date_alone_is_not_unique(netsuite_emulator: NetSuiteEmulator) -> None:
    shared = items(
        netsuite_emulator,
        "SELECT c.lastmodifieddate, COUNT(*) AS n FROM customer c "
        "GROUP BY c.lastmodifieddate HAVING COUNT(*) > 1",
    )
    assert len(shared) > 20
    assert max(int(row["n"]) for row in shared) >= 10  # the "mass update" second


def test_shuffling_ties_can_be_switched_off(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.configure(shuffle_ties_per_page=False)
    token = bearer_token(netsuite_emulator)
    query = "SELECT c.id FROM customer c ORDER BY c.isperson"
    seen = [
        row["id"]
        for offset in range(0, 300, 50)
        for row in items(netsuite_emulator, query, limit=50, offset=offset, token=token)
    ]
    assert len(set(seen)) == 300
