"""What an operator should do about a skipped or failed record, from its audited reason.

The advice is data: a table of reason patterns, checked in order, the first match
winning. A rule may be limited to some outcomes or to some Mailchimp response codes,
and its advice may quote the match (`{field}` below), so new reasons are covered by
adding a row, not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from target_mailchimp.client import RETRYABLE_STATUSES

REPLAY = "`target-mailchimp audit replay` (or the next run) retries it"


@dataclass(frozen=True)
class AdviceRule:
    """One row of the table: when a reason matches `pattern`, say `advice`."""

    pattern: str
    advice: str
    outcomes: frozenset[str] = frozenset({"failed", "skipped"})
    response_codes: frozenset[int] | None = None  # None: whatever the code

    def matches(self, outcome: str, reason: str, response_code: int | None) -> re.Match | None:
        """The match of this rule on an audited record, if it applies."""
        if outcome not in self.outcomes:
            return None
        if self.response_codes is not None and response_code not in self.response_codes:
            return None
        return re.search(self.pattern, reason, re.IGNORECASE)


FAILED = frozenset({"failed"})
SKIPPED = frozenset({"skipped"})

ADVICE_RULES: tuple[AdviceRule, ...] = (
    # Bad data from the ERP or the mapping: a replay would send the same thing again.
    AdviceRule(
        r"missing email_address|customer has no email_address",
        "Add an email address to the record in the ERP; the next run sends it.",
        FAILED,
    ),
    AdviceRule(
        r"is not a valid email address|looks fake or invalid",
        "Fix the email address in the ERP; the next run sends the corrected record.",
        FAILED,
    ),
    AdviceRule(
        r"has signed up to a lot of lists",
        "Mailchimp's own anti-abuse check refused this address; the person can sign up "
        "through a Mailchimp form, or Mailchimp support can lift the block.",
        FAILED,
    ),
    AdviceRule(
        r"does not match the input contract|is not one of|must be an object|is longer than",
        "The record broke target-mailchimp's input contract: fix the mapping "
        "(transforms/<erp>.yml) or the ERP value named here; the next run sends it.",
        FAILED,
    ),
    AdviceRule(
        r"unknown to Mailchimp and the order brings no email",
        "Give the ERP customer an email address (it then comes through the customers "
        f"stream); once the customer exists, {REPLAY}.",
        FAILED,
    ),
    AdviceRule(
        r"has no (numeric )?\w+|has no lines|order has no customer|no source_id",
        "A required value is missing in the ERP record (or the mapping drops it): fill it "
        "in the ERP; the next run sends the record.",
        FAILED,
    ),
    # Mailchimp's rules on people who left: by design, never worked around.
    AdviceRule(
        r"permanently deleted|forgotten",
        "The person had Mailchimp delete their data: the address can never be imported or "
        "added through the API again. Nothing to do.",
    ),
    AdviceRule(
        r"never resubscribed|compliance state|refused to resubscribe"
        r"|the member is (unsubscribed|cleaned)",
        "By design: someone who unsubscribed, bounced (cleaned) or was deleted is never "
        "resubscribed by a sync. Only the person can opt in again (e.g. a signup form).",
    ),
    AdviceRule(
        r"the member is archived",
        "The member was archived in Mailchimp; tags follow once an ERP change brings the "
        "member back.",
        SKIPPED,
    ),
    # Skips that need nothing done.
    AdviceRule(
        r"inactive_action: none",
        "Set `inactive_action` (unsubscribe, archive or tag) to act on inactive records.",
        SKIPPED,
    ),
    AdviceRule(
        r"inactive record for an address Mailchimp does not hold|superseded by a newer record"
        r"|deleted in the ERP|keeps a customer's first email address",
        "Nothing to do.",
        SKIPPED,
    ),
    AdviceRule(
        r"no audience member is known for this ERP key",
        "Tags follow the member: they are applied once the ERP record has been written as "
        "an audience member (it needs an email address).",
        SKIPPED,
    ),
    # Refusals and transient errors from Mailchimp.
    AdviceRule(
        r"",
        f"A temporary Mailchimp or network problem: {REPLAY}.",
        FAILED,
        frozenset(RETRYABLE_STATUSES),
    ),
    AdviceRule(
        r"connection|timed out|timeout|returned no result",
        f"A temporary Mailchimp or network problem: {REPLAY}.",
        FAILED,
    ),
    AdviceRule(
        r"\((?P<field>[\w.\[\]-]+): [^)]*\)",
        "Mailchimp refused the field `{field}`: fix its value in the ERP (or the mapping); "
        "the next run sends the corrected record.",
        FAILED,
    ),
    AdviceRule(
        r"API Key Invalid|access token|\b401\b|\b403\b",
        f"Mailchimp refused the credentials: check `api_key`/`access_token`; then {REPLAY}.",
        FAILED,
    ),
    AdviceRule(
        r"",
        "Mailchimp refused the record as sent: fix the data the reason names in the ERP; "
        "the next run sends the corrected record.",
        FAILED,
        frozenset({400}),
    ),
)


def advice(outcome: str, reason: str | None, response_code: int | None = None) -> str | None:
    """What to do about an audited record, or None when the table has nothing useful."""
    for rule in ADVICE_RULES:
        found = rule.matches(outcome, reason or "", response_code)
        if found:
            return rule.advice.format(**found.groupdict())
    return None


def explain(outcome: str, reason: str | None, response_code: int | None = None) -> str:
    """The stored reason followed by the advice, for one line of a report."""
    text = reason or "(no reason recorded)"
    if response_code and outcome == "failed" and str(response_code) not in text:
        text = f"{text} [HTTP {response_code}]"
    hint = advice(outcome, reason, response_code)
    return f"{text} → {hint}" if hint else text
