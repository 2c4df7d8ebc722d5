"""``q`` grammars by framework version, datetime semantics, keyset paging, finders
with ``q``, and the framework versions the pod advertises."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import requests
from fusion_helpers import bearer_token, get, items, values

from erp_sandbox.fusion import FusionEmulator


@pytest.fixture
def accounts(fusion_emulator: FusionEmulator) -> list[dict[str, Any]]:
    """Every seeded account, without links."""
    return items(fusion_emulator, "accounts", limit=500, onlyData="true")


def _numbers(rows: list[dict[str, Any]]) -> list[str]:
    return [row["PartyNumber"] for row in rows]


def test_version_1_query_by_example(
    fusion_emulator: FusionEmulator, accounts: list[dict[str, Any]]
) -> None:
    emu = fusion_emulator
    expected = [a for a in accounts if a["Status"] == "I" and a["PartyType"] == "PERSON"]
    assert expected
    found = items(emu, "accounts", limit=500, q="Status=I;PartyType=PERSON")
    assert _numbers(found) == _numbers(expected)
    # Whitespace stands for "=", and * is a wildcard.
    prefix = accounts[0]["PartyName"][:4]
    wildcard = items(emu, "accounts", limit=500, q=f"PartyName {prefix}*")
    assert _numbers(wildcard) == _numbers([a for a in accounts if a["PartyName"][:4] == prefix])


def test_version_1_operators_continue_on_the_same_attribute(
    fusion_emulator: FusionEmulator, accounts: list[dict[str, Any]]
) -> None:
    # Oracle's example: ?q=Deptno>=10 and <= 30;Loc!=NY
    q = "PartyNumber>=100010 and <=100030;Status!=I"
    expected = [
        a for a in accounts if "100010" <= a["PartyNumber"] <= "100030" and a["Status"] != "I"
    ]
    assert _numbers(items(fusion_emulator, "accounts", limit=500, q=q)) == _numbers(expected)
    either = items(fusion_emulator, "accounts", limit=500, q="PartyNumber=100003 or =100005")
    assert _numbers(either) == ["100003", "100005"]


def test_version_1_refuses_expression_syntax(fusion_emulator: FusionEmulator) -> None:
    response = get(fusion_emulator, "accounts", q="Status = 'A' and PartyType = 'PERSON'")
    assert response.status_code == 400
    assert "could not be processed" in response.text


def test_version_2_expressions(
    fusion_emulator: FusionEmulator, accounts: list[dict[str, Any]]
) -> None:
    q = "(Status = 'I' or EmailAddress is null) and not PartyType = 'PERSON'"
    expected = [
        a
        for a in accounts
        if (a["Status"] == "I" or a["EmailAddress"] is None) and a["PartyType"] != "PERSON"
    ]
    assert expected
    found = items(fusion_emulator, "accounts", limit=500, q=q, version=2)
    assert _numbers(found) == _numbers(expected)


def test_version_2_like_in_between_and_upper(
    fusion_emulator: FusionEmulator, accounts: list[dict[str, Any]]
) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    name = accounts[3]["PartyName"]

    def found(q: str) -> list[str]:
        return _numbers(items(emu, "accounts", token=token, limit=500, q=q, version=4))

    assert accounts[3]["PartyNumber"] in found(f"PartyName like '{name[:5]}%'")
    assert found(f"upper(PartyName) = '{name.upper()}'") == found(f"PartyName = '{name}'")
    assert found("PartyNumber in ('100001', '100004')") == ["100001", "100004"]
    assert found("PartyNumber between '100010' and '100012'") == ["100010", "100011", "100012"]
    assert found("AccountNumber is not null") == _numbers(
        [a for a in accounts if a["AccountNumber"] is not None]
    )


def test_version_2_refuses_the_semicolon_syntax(fusion_emulator: FusionEmulator) -> None:
    # Reference B2: under v2+, q=A=1;B=2 is a 400; "and" is needed.
    response = get(fusion_emulator, "accounts", q="Status=A;PartyType=PERSON", version=2)
    assert response.status_code == 400
    assert get(fusion_emulator, "accounts", q="Status='A' and PartyType='PERSON'", version=2).ok


def test_unknown_attributes_are_400(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    for params in (
        {"q": "Nope='x'"},
        {"q": "Nope=x", "version": 1},
        {"orderBy": "Nope:asc"},
        {"orderBy": "PartyName:sideways"},
        {"fields": "PartyName,Nope"},
        {"expand": "lines"},
    ):
        params.setdefault("version", 2)
        response = get(emu, "accounts", token=token, **params)
        assert response.status_code == 400, params
    assert "Nope" in get(emu, "accounts", token=token, q="Nope='x'", version=2).text


def test_datetime_literals_compare_as_offset_aware_moments(
    fusion_emulator: FusionEmulator, accounts: list[dict[str, Any]]
) -> None:
    emu = fusion_emulator
    stamp = accounts[0]["LastUpdateDate"]
    moment = datetime.fromisoformat(stamp)
    same_moment_elsewhere = moment.astimezone(
        datetime.fromisoformat("2020-01-01T00:00:00+05:30").tzinfo
    ).isoformat(timespec="milliseconds")
    by_utc = values(emu, "accounts", "PartyNumber", q=f"LastUpdateDate = '{stamp}'", version=2)
    by_ist = values(
        emu, "accounts", "PartyNumber", q=f"LastUpdateDate = '{same_moment_elsewhere}'", version=2
    )
    assert accounts[0]["PartyNumber"] in by_utc
    assert by_utc == by_ist
    later = [a for a in accounts if datetime.fromisoformat(a["LastUpdateDate"]) > moment]
    found = items(emu, "accounts", limit=500, q=f"LastUpdateDate > '{stamp}'", version=2)
    assert _numbers(found) == _numbers(later)
    assert get(emu, "accounts", q="LastUpdateDate > 'yesterday'", version=2).status_code == 400


def test_keyset_query_resumes_exactly_after_a_tie(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    token = bearer_token(emu)
    order = "LastUpdateDate:asc,PartyNumber:asc"
    seen: list[str] = []
    query: dict[str, str] = {}
    while True:
        page = items(emu, "accounts", token=token, limit=7, orderBy=order, version=2, **query)
        seen += _numbers(page)
        if len(page) < 7:
            break
        last = page[-1]
        stamp, number = last["LastUpdateDate"], last["PartyNumber"]
        query = {
            "q": f"LastUpdateDate > '{stamp}' or "
            f"(LastUpdateDate = '{stamp}' and PartyNumber > '{number}')"
        }
    assert len(seen) == len(set(seen)) == 200


def test_child_attributes_filter_their_parents(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    (order,) = items(emu, "salesOrdersForOrderHub", limit=1, expand="lines")
    product = order["lines"][0]["ProductNumber"]
    found = items(
        emu,
        "salesOrdersForOrderHub",
        limit=500,
        expand="lines",
        q=f"lines.ProductNumber = '{product}'",
        version=2,
    )
    assert order["OrderKey"] in [o["OrderKey"] for o in found]
    assert all(any(line["ProductNumber"] == product for line in o["lines"]) for o in found)


def test_finder_and_q_combine(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    (order,) = items(emu, "salesOrdersForOrderHub", limit=1)
    finder = (
        "findBySourceOrderNumberAndSystem;"
        f"SourceTransactionNumber={order['SourceTransactionNumber']},"
        f"SourceTransactionSystem={order['SourceTransactionSystem']}"
    )
    assert values(emu, "salesOrdersForOrderHub", "OrderKey", finder=finder) == [order["OrderKey"]]
    other_status = f"StatusCode!={order['StatusCode']}"
    assert values(emu, "salesOrdersForOrderHub", "OrderKey", finder=finder, q=other_status) == []


def test_context_root_advertises_framework_versions(fusion_emulator: FusionEmulator) -> None:
    emu = fusion_emulator
    root = requests.get(f"{emu.base_url}/fscmRestApi/resources", auth=emu.basic_auth, timeout=10)
    (version,) = root.json()["items"]
    assert version["version"] == "11.13.18.05"
    assert version["adf:extension"] == {
        "defaultFrameworkVersion": "1",
        "allowedFrameworkVersions": ["1", "2", "3", "4"],
    }
    unsupported = get(emu, "accounts", version=9)
    assert unsupported.status_code == 400
    assert "framework version 9" in unsupported.text
