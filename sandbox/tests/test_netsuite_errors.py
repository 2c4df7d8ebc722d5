"""SuiteQL errors in NetSuite's envelope, with NetSuite's wording."""

from __future__ import annotations

import pytest
from netsuite_helpers import error_detail, suiteql

from erp_sandbox.netsuite import NetSuiteEmulator

PREFIX = "Invalid search query. Detailed unprocessed description follows. "


def _search_error(emu: NetSuiteEmulator, query: str) -> str:
    detail = error_detail(suiteql(emu, query), 400)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["o:errorQueryParam"] == "q"
    assert detail["detail"].startswith(PREFIX)
    return detail["detail"].removeprefix(PREFIX)


def test_unknown_field_of_a_known_record(netsuite_emulator: NetSuiteEmulator) -> None:
    message = _search_error(netsuite_emulator, "SELECT tl.amout FROM transactionline tl")
    assert message == (
        "Search error occurred: Field 'amout' for record 'transactionLine' was not found."
    )


def test_unknown_unqualified_identifier_lists_the_available_ones(
    netsuite_emulator: NetSuiteEmulator,
) -> None:
    message = _search_error(netsuite_emulator, "SELECT not_existing_field FROM customer")
    assert message == (
        "Search error occurred: Unknown identifier 'not_existing_field'. "
        "Available identifiers are: {customer=customer}."
    )


def test_unknown_table_is_an_invalid_search_type(netsuite_emulator: NetSuiteEmulator) -> None:
    message = _search_error(netsuite_emulator, "SELECT id FROM transactiontablethatdoesnotexist")
    assert message == "Invalid search type: transactiontablethatdoesnotexist."


def test_hidden_record_is_not_found(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.configure(hidden_tables=["customersubsidiaryrelationship"])
    message = _search_error(
        netsuite_emulator,
        "SELECT c.id FROM customer c JOIN customersubsidiaryrelationship csr ON csr.entity = c.id",
    )
    assert (
        message == "Search error occurred: Record 'customersubsidiaryrelationship' was not found."
    )


def test_denied_table_is_403_insufficient_permission(netsuite_emulator: NetSuiteEmulator) -> None:
    netsuite_emulator.configure(permission_denied_tables=["item"])
    detail = error_detail(suiteql(netsuite_emulator, "SELECT i.id FROM item i"), 403)
    assert detail["o:errorCode"] == "INSUFFICIENT_PERMISSION"
    assert suiteql(netsuite_emulator, "SELECT c.id FROM customer c").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "SELEC id FROM customer",
        "SELECT id FROM customer WHERE",
        "SELECT c.id FROM customer c WHERE MYSTERY_FUNCTION(c.id) = 1",
        "DELETE FROM customer",
        "",
    ],
)
def test_bad_syntax_is_an_invalid_or_unsupported_search(
    netsuite_emulator: NetSuiteEmulator, query: str
) -> None:
    message = _search_error(netsuite_emulator, query)
    assert message == "Search error occurred: Invalid or unsupported search."


def test_body_without_q_is_refused(netsuite_emulator: NetSuiteEmulator) -> None:
    import requests
    from netsuite_helpers import bearer_token

    response = requests.post(
        netsuite_emulator.suiteql_url,
        json={"query": "SELECT id FROM customer"},
        headers={
            "Authorization": f"Bearer {bearer_token(netsuite_emulator)}",
            "Prefer": "transient",
        },
        timeout=10,
    )
    assert error_detail(response, 400)["o:errorQueryParam"] == "q"


def test_unknown_url_is_404_in_the_envelope(netsuite_emulator: NetSuiteEmulator) -> None:
    import requests

    response = requests.get(netsuite_emulator.base_url + "/services/rest/nope", timeout=10)
    assert error_detail(response, 404)["o:errorCode"]
