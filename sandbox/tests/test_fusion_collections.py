"""ADF collections: paging, totalResults, onlyData, fields, orderBy, expand, children,
finders and items by key."""

from __future__ import annotations

from fusion_helpers import bearer_token, get, items, values

from erp_sandbox.fusion import FusionEmulator


def test_default_page_is_25_with_has_more_and_no_total(fusion_emulator: FusionEmulator) -> None:
    body = get(fusion_emulator, "accounts").json()
    assert list(body) == ["items", "count", "hasMore", "limit", "offset", "links"]
    assert (body["count"], body["hasMore"], body["limit"], body["offset"]) == (25, True, 25, 0)
    assert body["links"] == [
        {
            "rel": "self",
            "href": fusion_emulator.resource_url("accounts"),
            "name": "accounts",
            "kind": "collection",
        }
    ]


def test_total_results_only_when_asked(fusion_emulator: FusionEmulator) -> None:
    body = get(fusion_emulator, "accounts", totalResults="true", limit=5).json()
    assert list(body)[:2] == ["items", "totalResults"]
    assert body["totalResults"] == 200
    assert "totalResults" not in get(fusion_emulator, "accounts", totalResults="false").json()


def test_limit_above_500_is_clamped_silently(fusion_emulator: FusionEmulator) -> None:
    fusion_emulator.seed(accounts=620, sales_orders=0, invoices=0)
    body = get(fusion_emulator, "accounts", limit=1000).json()
    assert (body["count"], body["limit"], body["hasMore"]) == (500, 500, True)
    last = get(fusion_emulator, "accounts", limit=1000, offset=500).json()
    assert (last["count"], last["hasMore"]) == (120, False)


def test_offset_paging_on_a_unique_order_sees_every_row_once(
    fusion_emulator: FusionEmulator,
) -> None:
    token = bearer_token(fusion_emulator)
    seen: list[str] = []
    offset = 0
    while True:
        body = get(
            fusion_emulator,
            "accounts",
            token=token,
            limit=60,
            offset=offset,
            orderBy="LastUpdateDate:asc,PartyNumber:asc",
        ).json()
        seen += [item["PartyNumber"] for item in body["items"]]
        if not body["hasMore"]:
            break
        offset += body["count"]
    assert len(seen) == len(set(seen)) == 200
    assert get(fusion_emulator, "accounts", token=token, offset=500).json()["items"] == []


def test_ties_of_a_non_unique_order_move_between_pages(fusion_emulator: FusionEmulator) -> None:
    # The mass update gave many rows one LastUpdateDate; ordering by it alone leaves
    # their order to the database, page by page.
    token = bearer_token(fusion_emulator)
    pages = [
        values(
            fusion_emulator,
            "accounts",
            "PartyNumber",
            token=token,
            limit=10,
            offset=offset,
            orderBy="LastUpdateDate",
        )
        for offset in range(0, 200, 10)
    ]
    seen = [number for page in pages for number in page]
    assert len(seen) == 200
    assert len(set(seen)) < 200


def test_only_data_strips_item_links(fusion_emulator: FusionEmulator) -> None:
    with_links = get(fusion_emulator, "salesOrdersForOrderHub", limit=1).json()
    links = with_links["items"][0]["links"]
    assert [link["rel"] for link in links] == ["self", "canonical", "child"]
    assert links[2]["href"].endswith("/child/lines")
    assert "changeIndicator" in links[0]["properties"]
    body = get(fusion_emulator, "salesOrdersForOrderHub", limit=1, onlyData="true").json()
    assert "links" not in body["items"][0]
    assert body["links"][0]["rel"] == "self"


def test_fields_selects_attributes_and_child_attributes(fusion_emulator: FusionEmulator) -> None:
    (account,) = items(fusion_emulator, "accounts", limit=1, fields="PartyNumber,EmailAddress")
    assert set(account) == {"PartyNumber", "EmailAddress", "links"}
    (order,) = items(
        fusion_emulator,
        "salesOrdersForOrderHub",
        limit=1,
        onlyData="true",
        fields="OrderKey;lines:ProductNumber,OrderedQuantity",
        expand="all",  # fields wins over expand
    )
    assert set(order) == {"OrderKey", "lines"}
    assert all(set(line) == {"ProductNumber", "OrderedQuantity"} for line in order["lines"])
    (links_only,) = items(fusion_emulator, "accounts", limit=1, fields="")
    assert list(links_only) == ["links"]


def test_order_by_several_attributes(fusion_emulator: FusionEmulator) -> None:
    rows = items(
        fusion_emulator,
        "accounts",
        limit=500,
        onlyData="true",
        orderBy="Status:desc,PartyName:asc,PartyNumber",
    )
    keys = [(row["Status"], row["PartyName"], row["PartyNumber"]) for row in rows]
    inactive = [key for key in keys if key[0] == "I"]
    assert inactive and keys[: len(inactive)] == inactive
    for status in ("I", "A"):
        group = [key[1:] for key in keys if key[0] == status]
        assert group == sorted(group)


def test_expand_returns_lines_as_an_array_until_framework_version_3(
    fusion_emulator: FusionEmulator,
) -> None:
    (order,) = items(fusion_emulator, "salesOrdersForOrderHub", limit=1, expand="lines")
    lines = order["lines"]
    assert isinstance(lines, list) and lines
    assert lines[0]["HeaderId"] == order["HeaderId"]
    assert [link["rel"] for link in lines[0]["links"]] == ["self", "canonical", "parent"]
    (order,) = items(fusion_emulator, "salesOrdersForOrderHub", limit=1, expand="all", version=3)
    assert set(order["lines"]) == {"items", "count", "hasMore", "limit", "offset", "links"}
    assert order["lines"]["count"] == len(lines)
    (bare,) = items(fusion_emulator, "salesOrdersForOrderHub", limit=1)
    assert "lines" not in bare


def test_child_collection_and_child_item_paths(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    (invoice,) = items(emu, "receivablesInvoices", limit=1, expand="receivablesInvoiceLines")
    key = invoice["CustomerTransactionId"]
    child = get(emu, f"receivablesInvoices/{key}/child/receivablesInvoiceLines").json()
    assert [i["CustomerTransactionLineId"] for i in child["items"]] == [
        line["CustomerTransactionLineId"] for line in invoice["receivablesInvoiceLines"]
    ]
    line_id = child["items"][0]["CustomerTransactionLineId"]
    line = get(emu, f"receivablesInvoices/{key}/child/receivablesInvoiceLines/{line_id}").json()
    assert line["LineNumber"] == 1
    assert line["links"][0]["href"].endswith(f"/{key}/child/receivablesInvoiceLines/{line_id}")
    missing = get(emu, f"receivablesInvoices/{key}/child/receivablesInvoiceLines/1")
    assert missing.status_code == 404


def test_an_order_is_found_by_order_key_or_header_id(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    (order,) = items(emu, "salesOrdersForOrderHub", limit=1, q="SourceTransactionSystem=LEG")
    by_key = get(emu, f"salesOrdersForOrderHub/{order['OrderKey']}").json()
    by_id = get(emu, f"salesOrdersForOrderHub/{order['HeaderId']}").json()
    assert by_key["OrderKey"] == by_id["OrderKey"] == order["OrderKey"]
    assert order["OrderKey"] == f"LEG:{order['SourceTransactionId']}"
    assert by_id["links"][0]["href"].endswith(f"/salesOrdersForOrderHub/{order['HeaderId']}")
    lines = get(emu, f"salesOrdersForOrderHub/{order['HeaderId']}/child/lines").json()
    assert lines["count"] >= 1


def test_primary_key_finder(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    assert values(emu, "accounts", "PartyNumber", finder="PrimaryKey;PartyNumber=100007") == [
        "100007"
    ]
    (order,) = items(emu, "salesOrdersForOrderHub", limit=1)
    found = values(
        emu,
        "salesOrdersForOrderHub",
        "OrderKey",
        finder=f"PrimaryKey;HeaderId={order['HeaderId']}",
    )
    assert found == [order["OrderKey"]]
    assert get(emu, "accounts", finder="NoSuchFinder;PartyNumber=1").status_code == 400
    assert get(emu, "accounts", finder="PrimaryKey;PartyName=x").status_code == 400


def test_bad_paging_values_are_400(fusion_emulator: FusionEmulator) -> None:
    token = bearer_token(fusion_emulator)
    for params in ({"limit": "0"}, {"limit": "ten"}, {"offset": "-1"}, {"onlyData": "yes"}):
        assert get(fusion_emulator, "accounts", token=token, **params).status_code == 400
