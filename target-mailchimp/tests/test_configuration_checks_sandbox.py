"""A misconfigured run stops before its first write, with one sentence that says what to fix."""

from __future__ import annotations

import socket

import pytest

from target_mailchimp.audience import (
    AudienceNotFoundError,
    MailchimpCredentialsError,
    MailchimpUnreachableError,
)
from target_mailchimp.ecommerce_store import StoreConfigurationError
from tests.conftest import streams_lines, write_calls

MEMBER = {"email_address": "buyer@harborsupply.com", "merge_fields": {"FNAME": "Ada"}}
PRODUCT = {
    "id": "P-1",
    "title": "Desk",
    "variants": [{"id": "P-1", "title": "Desk", "price": 10.0}],
}


def closed_port_url() -> str:
    """An API root on a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/3.0"


def test_store_on_another_audience_stops_the_run_before_any_member_is_written(
    emulator, run_target
) -> None:
    emulator.seed(
        {
            "lists": [{"id": "otherlist", "name": "Other"}],
            "ecommerce": {"stores": [{"id": "erp-store", "list_id": "otherlist"}]},
        }
    )
    # Members come first and would be written before the store is ever needed.
    lines = streams_lines(("members", [MEMBER] * 3), ("products", [PRODUCT]))
    with pytest.raises(StoreConfigurationError, match="belongs to audience 'otherlist'"):
        run_target(lines, store_id="erp-store")
    assert write_calls(emulator) == []


def test_unknown_audience_says_to_check_list_id(emulator, run_target) -> None:
    with pytest.raises(AudienceNotFoundError, match="check `list_id`"):
        run_target(streams_lines(("members", [MEMBER])), list_id="nosuchlist")
    assert write_calls(emulator) == []


def test_refused_api_key_says_to_check_the_credentials(emulator, run_target) -> None:
    wrong = "fedcba9876543210fedcba9876543210-us21"
    with pytest.raises(MailchimpCredentialsError, match="check `api_key`") as raised:
        run_target(streams_lines(("members", [MEMBER])), api_key=wrong)
    assert wrong not in str(raised.value)
    assert write_calls(emulator) == []


def test_unreachable_api_root_says_to_check_base_url(run_target) -> None:
    url = closed_port_url()
    with pytest.raises(MailchimpUnreachableError) as raised:
        run_target(streams_lines(("members", [MEMBER])), base_url=url, max_retries=1)
    assert str(raised.value).startswith(f"Cannot reach Mailchimp at {url} (Connection refused)")
    assert "check `base_url`" in str(raised.value)
