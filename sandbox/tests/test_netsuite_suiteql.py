"""SuiteQL is executed for real: envelope, value rendering, dates, BUILTIN.DF, joins."""

from __future__ import annotations

import re

from netsuite_helpers import TIMESTAMP, items, suiteql

from erp_sandbox.netsuite import NetSuiteEmulator

CUSTOMERS = f"""
SELECT c.id, c.entityid, c.email, c.firstname, c.lastname, c.companyname, c.isperson, c.phone,
  c.isinactive, TO_CHAR(c.datecreated, {TIMESTAMP}) AS datecreated,
  TO_CHAR(c.lastmodifieddate, {TIMESTAMP}) AS lastmodifieddate,
  ea.addr1 AS billaddr1, ea.addr2 AS billaddr2, ea.city AS billcity, ea.state AS billstate,
  ea.zip AS billzip, ea.country AS billcountry
FROM customer c LEFT JOIN entityaddress ea ON ea.nkey = c.defaultbillingaddress
WHERE c.lastmodifieddate > TO_TIMESTAMP('{{at}}', {TIMESTAMP})
   OR (c.lastmodifieddate = TO_TIMESTAMP('{{at}}', {TIMESTAMP}) AND c.id > {{after}})
ORDER BY c.lastmodifieddate, c.id
"""


def test_collection_envelope_has_links_counts_and_item_links(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    response = suiteql(netsuite_emulator, "SELECT c.id FROM customer c ORDER BY c.id", limit=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oracle.resource+json")
    body = response.json()
    assert list(body) == ["links", "count", "hasMore", "items", "offset", "totalResults"]
    assert body["count"] == 10
    assert body["hasMore"] is True
    assert body["offset"] == 0
    assert body["totalResults"] == 300
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["self"].endswith("/services/rest/query/v1/suiteql?limit=10&offset=0")
    assert rels["next"].endswith("?limit=10&offset=10")
    assert rels["last"].endswith("?limit=10&offset=290")
    assert all(item["links"] == [] for item in body["items"])


def test_numbers_and_ids_are_strings_and_booleans_are_t_or_f(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    (row,) = items(
        netsuite_emulator,
        "SELECT t.id, t.foreigntotal, t.exchangerate, t.entity FROM transaction t "
        "WHERE t.id = 5001",
    )
    assert all(isinstance(value, str) for value in row.values())
    assert row["id"] == "5001"
    assert re.fullmatch(r"\d+(\.\d{1,2})?", row["foreigntotal"])
    flags = items(netsuite_emulator, "SELECT c.isperson, c.isinactive FROM customer c")
    assert {value for row in flags for value in row.values()} == {"T", "F"}


def test_null_fields_are_left_out_of_an_item(netsuite_emulator: NetSuiteEmulator) -> None:
    rows = items(
        netsuite_emulator,
        "SELECT c.id, c.email, c.companyname FROM customer c WHERE c.email IS NULL",
    )
    assert rows, "the seed has customers without email"
    assert all("email" not in row for row in rows)
    assert all("id" in row for row in rows)


def test_bare_dates_use_the_date_preference_and_to_char_the_given_format(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    netsuite_emulator.update_record("customer", 1001, datecreated="2026-11-25 17:04:05")
    query = (
        "SELECT c.datecreated, TO_CHAR(c.datecreated, 'YYYY-MM-DD HH24:MI:SS') AS exact, "
        "TO_CHAR(c.datecreated, 'DD-MON-YYYY HH12:MI AM') AS oracle FROM customer c "
        "WHERE c.id = 1001"
    )
    (row,) = items(netsuite_emulator, query)
    assert row == {
        "datecreated": "11/25/2026",
        "exact": "2026-11-25 17:04:05",
        "oracle": "25-NOV-2026 05:04 PM",
    }
    netsuite_emulator.configure(date_format="DD.MM.YYYY")
    assert items(netsuite_emulator, query)[0]["datecreated"] == "25.11.2026"


def test_record_changes_are_stamped_in_the_account_time_zone(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    netsuite_emulator.clock.freeze("2027-01-01T06:30:00+00:00")  # 22:30 the day before in LA
    netsuite_emulator.update_record("customer", 1002, phone="+1 415-555-0100")
    query = (
        "SELECT c.id, TO_CHAR(c.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lastmodifieddate "
        "FROM customer c WHERE c.lastmodifieddate >= "
        "TO_TIMESTAMP('2026-12-31 22:30:00', 'YYYY-MM-DD HH24:MI:SS')"
    )
    assert items(netsuite_emulator, query) == [
        {"id": "1002", "lastmodifieddate": "2026-12-31 22:30:00"}
    ]
    netsuite_emulator.configure(account_timezone="Europe/Berlin")
    netsuite_emulator.update_record("customer", 1003, phone="+49 30 1234 5678")
    (row,) = items(netsuite_emulator, query.replace("1002", "1003") + " AND c.id = 1003")
    assert row["lastmodifieddate"] == "2027-01-01 07:30:00"


def test_builtin_df_gives_display_values(netsuite_emulator: NetSuiteEmulator) -> None:
    (row,) = items(
        netsuite_emulator,
        "SELECT t.status, BUILTIN.DF(t.status) AS statusname, BUILTIN.DF(t.currency) AS "
        "currency, t.entity, BUILTIN.DF(t.entity) AS customer, BUILTIN.DF(t.type) AS kind "
        "FROM transaction t WHERE t.id = 5001",
    )
    customer = netsuite_emulator.record("customer", int(row["entity"]))
    assert customer is not None
    labels = {"B": "Pending Fulfillment", "G": "Billed", "D": "Partially Fulfilled"}
    if row["status"] in labels:
        assert row["statusname"] == f"Sales Order : {labels[row['status']]}"
    assert row["statusname"].startswith("Sales Order : ")
    assert row["currency"] in {"USD", "GBP", "EUR", "CAD", "AUD"}
    assert row["customer"] == customer["entityid"]
    assert row["kind"] == "Sales Order"
    lines = items(
        netsuite_emulator,
        "SELECT tl.item, BUILTIN.DF(tl.item) AS itemname FROM transactionline tl "
        "WHERE tl.transaction = 5001 AND tl.mainline = 'F' ORDER BY tl.linesequencenumber",
    )
    for line in lines:
        item = netsuite_emulator.record("item", int(line["item"]))
        assert item is not None and line["itemname"] == item["itemid"]


def test_left_join_keeps_customers_without_address_and_subsidiaries_fan_out(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    joined = items(
        netsuite_emulator,
        "SELECT c.id, ea.city FROM customer c "
        "LEFT JOIN entityaddress ea ON ea.nkey = c.defaultbillingaddress",
    )
    assert len(joined) == 300
    assert any("city" not in row for row in joined)
    fanned = items(
        netsuite_emulator,
        "SELECT c.id, csr.subsidiary FROM customer c "
        "JOIN customersubsidiaryrelationship csr ON csr.entity = c.id "
        "ORDER BY c.id, csr.subsidiary",
    )
    ids = [row["id"] for row in fanned]
    assert len(ids) > len(set(ids)) == 300


def test_tap_customer_query_pages_by_keyset_without_loss_or_repeat(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    seen: list[str] = []
    at, after = "2000-01-01 00:00:00", 0
    while True:
        rows = items(netsuite_emulator, CUSTOMERS.format(at=at, after=after), limit=50)
        if not rows:
            break
        seen.extend(row["id"] for row in rows)
        at, after = rows[-1]["lastmodifieddate"], rows[-1]["id"]
    assert sorted(seen, key=int) == [
        row["id"] for row in items(netsuite_emulator, "SELECT id FROM customer ORDER BY id")
    ]
    assert len(seen) == len(set(seen)) == 300


def test_sales_order_and_line_queries_of_the_tap(netsuite_emulator: NetSuiteEmulator) -> None:
    orders = items(
        netsuite_emulator,
        "SELECT t.id, t.tranid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, t.entity, "
        "t.email, t.status, BUILTIN.DF(t.status) AS statusname, BUILTIN.DF(t.currency) AS "
        "currency, t.foreigntotal, TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS "
        "lastmodifieddate FROM transaction t WHERE t.type = 'SalesOrd' AND "
        "(t.lastmodifieddate > TO_TIMESTAMP('2000-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') "
        "OR (t.lastmodifieddate = TO_TIMESTAMP('2000-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') "
        "AND t.id > 0)) ORDER BY t.lastmodifieddate, t.id",
    )
    assert len(orders) == 300
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", o["trandate"]) for o in orders)
    ids = ", ".join(o["id"] for o in orders[:3])
    lines = items(
        netsuite_emulator,
        "SELECT tl.transaction, tl.uniquekey, tl.linesequencenumber, tl.item, "
        "ABS(tl.quantity) AS quantity, tl.rate, ABS(tl.netamount) AS amount "
        f"FROM transactionline tl WHERE tl.transaction IN ({ids}) AND tl.mainline = 'F' "
        "AND tl.taxline = 'F' ORDER BY tl.transaction, tl.linesequencenumber, tl.uniquekey",
    )
    assert {line["transaction"] for line in lines} == {o["id"] for o in orders[:3]}
    assert all(not line["quantity"].startswith("-") for line in lines)
    stored = items(
        netsuite_emulator,
        f"SELECT tl.quantity, tl.netamount FROM transactionline tl WHERE tl.transaction IN "
        f"({ids}) AND tl.mainline = 'F' AND tl.taxline = 'F'",
    )
    assert all(float(line["quantity"]) < 0 and float(line["netamount"]) < 0 for line in stored)


def test_each_transaction_has_one_mainline_and_a_tax_line(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    rows = items(
        netsuite_emulator,
        "SELECT tl.transaction, COUNT(*) AS n FROM transactionline tl "
        "WHERE tl.mainline = 'T' OR tl.taxline = 'T' GROUP BY tl.transaction",
    )
    transactions = items(netsuite_emulator, "SELECT COUNT(*) AS n FROM transaction")[0]["n"]
    assert len(rows) == int(transactions)
    assert {row["n"] for row in rows} == {"2"}


def test_in_list_of_a_thousand_ids(netsuite_emulator: NetSuiteEmulator) -> None:
    ids = ", ".join(str(i) for i in range(1001, 2001))
    body = suiteql(netsuite_emulator, f"SELECT c.id FROM customer c WHERE c.id IN ({ids})").json()
    assert body["totalResults"] == 300


def test_where_supports_not_like_is_null_and_functions(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    rows = items(
        netsuite_emulator,
        "SELECT UPPER(c.lastname) AS shout, LOWER(c.firstname) AS low, "
        "NVL(c.phone, 'none') AS phone, COALESCE(c.companyname, c.lastname) AS name, "
        "ROUND(12.345, 2) AS rounded FROM customer c "
        "WHERE NOT (c.isperson = 'F') AND c.email LIKE '%@gmail.com' AND c.phone IS NULL",
    )
    assert rows
    for row in rows:
        assert row["shout"] == row["shout"].upper() and row["low"] == row["low"].lower()
        assert row["phone"] == "none"
        assert row["rounded"] == "12.35"


def test_unaliased_expressions_are_named_expr_n(netsuite_emulator: NetSuiteEmulator) -> None:
    (row,) = items(netsuite_emulator, "SELECT COUNT(*), MAX(c.id) FROM customer c")
    assert row == {"expr1": "300", "expr2": row["expr2"]}


def test_select_star_returns_every_column_in_lowercase(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    (row,) = items(netsuite_emulator, "SELECT * FROM Item WHERE ID = 201")
    assert {"id", "itemid", "displayname", "itemtype", "lastmodifieddate"} <= set(row)


def test_oracle_row_limits_and_date_arithmetic(netsuite_emulator: NetSuiteEmulator) -> None:
    assert len(items(netsuite_emulator, "SELECT id FROM customer WHERE ROWNUM <= 3")) == 3
    assert len(items(netsuite_emulator, "SELECT TOP 2 id FROM customer ORDER BY id")) == 2
    netsuite_emulator.clock.freeze("2027-01-10T20:00:00+00:00")
    netsuite_emulator.update_record("customer", 1001, email="fresh@proton.me")
    recent = items(
        netsuite_emulator,
        "SELECT c.id, c.lastmodifieddate + 1 AS nextday FROM customer c "
        "WHERE c.lastmodifieddate > SYSDATE - 1",
    )
    assert recent == [{"id": "1001", "nextday": "1/11/2027"}]
