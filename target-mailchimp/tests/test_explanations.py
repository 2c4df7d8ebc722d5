"""The advice table: what an operator should do about a skipped or failed record."""

from __future__ import annotations

import pytest

from target_mailchimp.explanations import ADVICE_RULES, advice, explain


@pytest.mark.parametrize(
    ("outcome", "reason", "code", "expected"),
    [
        (
            "failed",
            "email_address is not a valid email address",
            None,
            "Fix the email address in the ERP",
        ),
        ("failed", "customer email_address is not a valid email address", None, "Fix the email"),
        ("failed", "missing email_address", None, "Add an email address"),
        (
            "failed",
            "Invalid Resource: x@y.com looks fake or invalid, please enter a real email address.",
            400,
            "Fix the email address in the ERP",
        ),
        (
            "skipped",
            "Mailchimp holds this address as unsubscribed: it is never resubscribed",
            None,
            "never resubscribed by a sync",
        ),
        (
            "skipped",
            "Mailchimp refused to resubscribe: x is already a list member in compliance state",
            400,
            "never resubscribed by a sync",
        ),
        ("skipped", "the member is cleaned", None, "never resubscribed by a sync"),
        (
            "skipped",
            "permanently deleted in Mailchimp: x was permanently deleted",
            400,
            "can never be imported",
        ),
        (
            "failed",
            "Invalid Resource: Your merge fields were invalid. (FNAME: Please enter a value)",
            400,
            "Mailchimp refused the field `FNAME`",
        ),
        (
            "failed",
            "POST /ecommerce/stores/s/orders: 400 Invalid Resource: bad (lines[0].price: "
            "must be a number)",
            400,
            "Mailchimp refused the field `lines[0].price`",
        ),
        ("failed", "POST /lists/l: 503 Service Unavailable: later", 503, "audit replay"),
        ("failed", "POST /lists/l: 429 Too Many Requests: slow down", 429, "audit replay"),
        ("failed", "Mailchimp returned no result for it", 200, "audit replay"),
        (
            "failed",
            "customer 'C1' is unknown to Mailchimp and the order brings no email to create it "
            "(send it in the customers stream first)",
            None,
            "Give the ERP customer an email address",
        ),
        (
            "failed",
            "members.0.status does not match the input contract: fails `enum` ['a']",
            None,
            "fix the mapping",
        ),
        ("failed", "order SO1 has no lines", None, "A required value is missing"),
        (
            "skipped",
            "inactive record left as it is (inactive_action: none)",
            None,
            "Set `inactive_action`",
        ),
        (
            "skipped",
            "superseded by a newer record for the same address in this run",
            None,
            "Nothing to do.",
        ),
        (
            "skipped",
            "no audience member is known for this ERP key",
            None,
            "Tags follow the member",
        ),
        ("failed", "POST /lists/l: 400 Bad Request: something new", 400, "refused the record"),
    ],
)
def test_each_known_reason_gets_its_advice(
    outcome: str, reason: str, code: int | None, expected: str
) -> None:
    assert expected in (advice(outcome, reason, code) or "")


def test_a_retryable_status_wins_over_the_wording_of_the_error() -> None:
    # A 502 body may carry anything; what matters is that Mailchimp will take it later.
    assert "audit replay" in advice("failed", "Bad Gateway (email_address: weird)", 502)


def test_successful_outcomes_and_unknown_skips_get_no_advice() -> None:
    assert advice("created", "dry run: would create as subscribed") is None
    assert advice("unchanged", "same content as the last successful write") is None
    assert advice("skipped", "a reason nobody wrote a rule for") is None
    assert advice("failed", "something unforeseen", None) is None


def test_explanation_is_the_reason_then_the_advice_with_the_http_status() -> None:
    text = explain("failed", "Invalid Resource: bad (FNAME: too long)", 400)
    assert text.startswith("Invalid Resource: bad (FNAME: too long) [HTTP 400] → ")
    assert text.endswith("the next run sends the corrected record.")
    assert explain("skipped", None) == "(no reason recorded)"


def test_rules_only_advise_on_failed_or_skipped_records() -> None:
    for rule in ADVICE_RULES:
        assert rule.outcomes <= {"failed", "skipped"}
        assert rule.advice.strip()
