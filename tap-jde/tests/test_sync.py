"""tap-jde against the JD Edwards AIS emulator over real HTTP: behaviour end to end."""

from __future__ import annotations

import json
import logging
import math
import typing as t
import urllib.parse

import pytest

from tap_jde.dates import julian_to_date

from .running import final_state, make_tap, records, run, sync

if t.TYPE_CHECKING:
    from erp_sandbox.jde import JdeEmulator

    from tap_jde.tap import TapJde

TABLE_COUNTS = {"f0101": 219, "f03012": 166, "f01151": 269, "f0115": 247, "f0116": 332}


def config_for(emulator: JdeEmulator, **changes: t.Any) -> dict[str, t.Any]:
    return {
        "base_url": emulator.base_url,
        "username": emulator.username,
        "password": emulator.password,
        "environment": emulator.environment,
        "role": emulator.role,
        "time_zone": "America/Denver",
        **changes,
    }


def keys(rows: list[dict[str, t.Any]], *names: str) -> list[tuple[t.Any, ...]]:
    return [tuple(row[name] for name in names) for row in rows]


def a_customer_with(emulator: JdeEmulator, **wanted: t.Any) -> int:
    """The first customer (company 00000) whose F03012 row has the wanted values."""
    for row in emulator.store.rows("F03012"):
        if row["CO"] == "00000" and all(row[k] == v for k, v in wanted.items()):
            return int(row["AN8"])
    raise LookupError(wanted)


# Whole reads -------------------------------------------------------------------------


def test_a_first_run_reads_every_table_and_entity_and_logs_out(jde_emulator) -> None:
    messages = run(config_for(jde_emulator))
    for stream, count in TABLE_COUNTS.items():
        assert len(records(messages, stream)) == count, stream
    customers = records(messages, "customers")
    assert len(customers) == 150  # one per customer of company 00000
    assert len(records(messages, "vendors")) == 60
    assert {c["search_type"] for c in customers} == {"C"}
    assert jde_emulator.open_sessions == 0
    sessions = jde_emulator.sessions.to_json()
    assert (sessions["logins"], sessions["logouts"]) == (1, 1)


def after_every_response(tap: TapJde, action: t.Callable[[], t.Any]) -> None:
    """Run `action` after each HTTP answer any stream of the tap gets."""

    def hook(*_args: t.Any, **_kwargs: t.Any) -> None:
        action()  # a hook that returns something replaces the response

    for stream in tap.streams.values():
        stream.requests_session.hooks["response"].append(hook)


def test_output_is_complete_and_unique_when_every_result_set_expires(jde_emulator) -> None:
    config = config_for(jde_emulator, page_size=25)
    expected = run(config, "f0115", "customers")
    jde_emulator.calls.reset()
    tap = make_tap(config, "f0115", "customers")
    after_every_response(tap, jde_emulator.expire_result_sets)  # gone before any next call
    messages = sync(tap)
    assert records(messages, "f0115") == records(expected, "f0115")
    assert records(messages, "customers") == records(expected, "customers")
    assert jde_emulator.calls.count("POST /jderest/v2/dataservice") > 20  # restarted


def test_a_session_ending_mid_run_signs_in_again_and_loses_nothing(jde_emulator) -> None:
    config = config_for(jde_emulator, page_size=50)
    expected = records(run(config, "f0116"), "f0116")
    tap = make_tap(config, "f0116")
    pages = []

    def end_sessions_after_the_second_page() -> None:
        pages.append(1)
        if len(pages) == 2:
            jde_emulator.expire_tokens()  # as if the idle timeout had passed

    after_every_response(tap, end_sessions_after_the_second_page)
    found = records(sync(tap), "f0116")
    assert keys(found, "AN8", "EFTB") == keys(expected, "AN8", "EFTB")
    assert jde_emulator.sessions.to_json()["logins"] == 3  # 1 for `expected`, 2 for this run
    assert jde_emulator.open_sessions == 0  # the new session was logged out


# Reads at the API's floor ------------------------------------------------------------

DATASERVICE_READS = ("POST /jderest/v2/dataservice", "GET /jderest/v2/dataservice/next")


def reads(emulator: JdeEmulator) -> int:
    """Data service pages the emulator served (first pages and next pages)."""
    return sum(emulator.calls.count(route) for route in DATASERVICE_READS)


def customer_rows(emulator: JdeEmulator) -> dict[str, int]:
    """Rows per table that make up the customers of company 00000."""
    numbers = {r["AN8"] for r in emulator.store.rows("F03012") if r["CO"] == "00000"}
    counts = {"F03012": len(numbers)}
    for table in ("F0101", "F01151", "F0115", "F0116"):
        counts[table] = sum(1 for r in emulator.store.rows(table) if r["AN8"] in numbers)
    return counts


def tables_answered(tap: TapJde) -> list[str]:
    """The table of every data service answer the tap gets, in order."""
    answered: list[str] = []

    def note(response: t.Any, *_args: t.Any, **_kwargs: t.Any) -> None:
        forms = [key for key in response.json() if key.startswith("fs_DATABROWSE_")]
        answered.extend(form.removeprefix("fs_DATABROWSE_") for form in forms)

    for stream in tap.streams.values():
        stream.requests_session.hooks["response"].append(note)
    return answered


def list_sizes(tap: TapJde) -> list[tuple[str, int]]:
    """(table, values) of every `LIST` query the tap sends, in order."""
    sent: list[tuple[str, int]] = []

    def note(response: t.Any, *_args: t.Any, **_kwargs: t.Any) -> None:
        if response.request.method != "POST" or not response.request.body:
            return
        body = json.loads(response.request.body)
        conditions = (body.get("query") or {}).get("condition", [])
        sent.extend(
            (body["targetName"], len(item["value"]))
            for item in conditions
            if item["operator"] == "LIST"
        )

    for stream in tap.streams.values():
        stream.requests_session.hooks["response"].append(note)
    return sent


def test_a_first_load_reads_each_table_in_full_pages(jde_emulator) -> None:
    jde_emulator.seed(customers=1200)
    rows = customer_rows(jde_emulator)
    jde_emulator.calls.reset()
    customers = records(run(config_for(jde_emulator, page_size=500), "customers"), "customers")
    assert len(customers) == rows["F03012"]
    floor = sum(math.ceil(count / 500) for count in rows.values())
    # Members are joined 1,000 at a time: the second group may end one page short on each
    # of the four joined tables. Groups of 100 took ~5 reads per 100 customers (~65 here).
    assert reads(jde_emulator) <= floor + 4


def test_a_first_load_joins_each_group_before_reading_the_next_members(jde_emulator) -> None:
    jde_emulator.seed(customers=1200)
    tap = make_tap(config_for(jde_emulator, page_size=500), "customers")
    answered = tables_answered(tap)
    sync(tap)
    members = [index for index, table in enumerate(answered) if table == "F03012"]
    assert len(members) == 3  # 1,200 members in pages of 500
    assert "F0116" in answered[members[1] : members[2]]  # one group held at a time


def test_changed_customers_are_read_a_thousand_address_numbers_at_a_time(jde_emulator) -> None:
    config = config_for(jde_emulator, page_size=500)
    jde_emulator.seed(customers=1200)
    state = final_state(run(config, "customers"))
    changed = sorted({r["AN8"] for r in jde_emulator.store.rows("F03012")})[:1100]
    for number in changed:
        jde_emulator.update_record("F0101", number, ALPH=f"Renamed {number}")
    tap = make_tap(config, "customers", state=state)
    sent = list_sizes(tap)
    found = records(sync(tap), "customers")
    assert {c["address_number"] for c in found} <= set(changed)
    assert len(found) > 1000
    assert max(values for _, values in sent) == 1000
    assert len(sent) == 2 * 5  # two groups, one LIST query per table each (not 11 groups of 100)


@pytest.mark.parametrize(
    ("date_output", "literal_format"),
    [("yyyymmdd", "formatted"), ("formatted", "formatted"), ("julian", "julian")],
)
def test_every_date_rendering_gives_the_same_records(
    jde_emulator, date_output: str, literal_format: str
) -> None:
    config = config_for(jde_emulator, start_date="2025-01-01T00:00:00Z")
    expected = records(run(config, "f0116"), "f0116")
    jde_emulator.configure(date_output=date_output, date_literal_format=literal_format)
    found = records(run({**config, "date_literal_format": literal_format}, "f0116"), "f0116")
    assert found == expected
    assert found
    assert all(r["UPMJ"] >= "2024-12-31" for r in found)  # 2025-01-01Z is 31 Dec in Denver


def test_legacy_rows_of_the_1900s_keep_their_century(jde_emulator) -> None:
    found = records(run(config_for(jde_emulator), "f0101"), "f0101")
    legacy = [r for r in found if r["UPMJ"] < "2000-01-01"]
    assert legacy
    assert all(r["UPMJ"] >= "1997-01-01" for r in legacy)


# Incremental -------------------------------------------------------------------------


def test_a_second_run_without_changes_reads_nothing(jde_emulator) -> None:
    config = config_for(jde_emulator)
    state = final_state(run(config))
    messages = run(config, state=state)
    assert not [m for m in messages if m["type"] == "RECORD"]


@pytest.mark.parametrize(
    ("table", "key", "change"),
    [
        ("F0101", None, {"ALPH": "Harbor Tools Ltd"}),
        ("F03012", "company", {"TRAR": "N45"}),
        ("F01151", "email", {"EMAL": "ap@harbortools.com"}),
        ("F0116", "address", {"CTY1": "Boulder"}),
    ],
)
def test_a_change_in_any_table_re_emits_only_that_customer(
    jde_emulator, table: str, key: str | None, change: dict[str, t.Any]
) -> None:
    config = config_for(jde_emulator)
    state = final_state(run(config, "customers", "vendors"))
    number = a_customer_with(jde_emulator)
    row_key: t.Any = {
        None: number,
        "company": (number, "00000"),
        "email": (number, 0, 1),
        "address": next(
            (r["AN8"], r["EFTB"]) for r in jde_emulator.store.rows("F0116") if r["AN8"] == number
        ),
    }[key]
    jde_emulator.update_record(table, row_key, **change)
    messages = run(config, "customers", "vendors", state=state)
    [customer] = records(messages, "customers")
    assert customer["address_number"] == number
    assert not records(messages, "vendors")
    assert customer["last_changed_at"] > state["bookmarks"]["customers"]["replication_key_value"]


def test_a_vendor_phone_change_re_emits_the_vendor(jde_emulator) -> None:
    config = config_for(jde_emulator)
    state = final_state(run(config, "vendors"))
    vendors = {r["AN8"] for r in jde_emulator.store.rows("F0101") if r["AT1"] == "V"}
    main = next(
        r
        for r in jde_emulator.store.rows("F0115")
        if r["AN8"] in vendors and r["IDLN"] == 0 and r["RCK7"] == 1 and not r["PHTP"]
    )
    jde_emulator.update_record("F0115", (main["AN8"], 0, 1), AR1="303", PH1="555-0142")
    [found] = records(run(config, "vendors", state=state), "vendors")
    assert found["address_number"] == main["AN8"]
    assert found["phone"] == "303 555-0142"


# Entity rules ------------------------------------------------------------------------


def test_customers_without_an_email_are_emitted_too(jde_emulator) -> None:
    number = a_customer_with(jde_emulator)
    for row in [r for r in jde_emulator.store.rows("F01151") if r["AN8"] == number]:
        jde_emulator.delete_record("F01151", (row["AN8"], row["IDLN"], row["RCK7"]))
    customers = records(run(config_for(jde_emulator), "customers"), "customers")
    [found] = [c for c in customers if c["address_number"] == number]
    assert found["email"] is None


def test_inactive_customers_are_marked_by_the_configured_column(jde_emulator) -> None:
    inactive = a_customer_with(jde_emulator, CUSTS="1")
    blank = a_customer_with(jde_emulator, CUSTS="")
    customers = {
        c["address_number"]: c
        for c in records(run(config_for(jde_emulator), "customers"), "customers")
    }
    assert customers[inactive]["active"] is False
    assert customers[blank]["active"] is True
    assert customers[blank]["customer_status"] is None

    region = config_for(
        jde_emulator, inactive_customer_column="F0101.AC01", inactive_customer_values=["INT"]
    )
    by_region = records(run(region, "customers"), "customers")
    international = {c["address_book_category_codes"]["AC01"] == "INT" for c in by_region}
    assert international == {True, False}
    for customer in by_region:
        region_code = customer["address_book_category_codes"]["AC01"]
        assert customer["active"] is (region_code != "INT")


def test_the_address_is_the_one_in_effect_today(jde_emulator) -> None:
    number = a_customer_with(jde_emulator)
    today = jde_emulator.insert_record("F0116", AN8=number, CTY1="Boulder")  # EFTB: today
    jde_emulator.insert_record("F0116", AN8=number, EFTB="2090-01-01", CTY1="Future City")
    customers = records(run(config_for(jde_emulator), "customers"), "customers")
    [found] = [c for c in customers if c["address_number"] == number]
    assert found["city"] == "Boulder"
    assert found["address_effective_date"] == julian_to_date(today["EFTB"]).isoformat()


def test_persons_get_first_and_last_names(jde_emulator) -> None:
    customers = records(run(config_for(jde_emulator), "customers"), "customers")
    person = next(c for c in customers if c["person_corporation_code"] == "I")
    assert person["name"] == f"{person['last_name']}, {person['first_name']}"
    company = next(c for c in customers if c["person_corporation_code"] == "C")
    assert company["first_name"] is None


# Secrets -----------------------------------------------------------------------------


def test_tokens_links_and_passwords_never_reach_the_logs(jde_emulator, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 prints request lines at DEBUG
    jde_emulator.faults.enqueue(path="/jderest/v2/dataservice/next", status=500)
    jde_emulator.faults.enqueue(path="/jderest/v2/dataservice/next", status=444)
    messages = run(config_for(jde_emulator, page_size=40), "f0101", "customers")
    assert records(messages, "f0101")

    next_calls = [c for c in jde_emulator.calls.calls if c.path.endswith("/dataservice/next")]
    tokens = {urllib.parse.parse_qs(c.query)["token"][0] for c in next_calls}
    assert tokens
    logged = caplog.text + capfd.readouterr().err
    assert "dataservice/next" in logged  # the request lines are there…
    for token in tokens:
        assert token not in logged  # …without their token, raw or encoded
        assert urllib.parse.quote(token, safe="") not in logged
    assert jde_emulator.password not in logged
