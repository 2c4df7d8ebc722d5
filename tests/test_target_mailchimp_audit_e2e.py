"""Operator tools through Meltano: a pipeline with a bad ERP record, then `audit list`."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import members


def test_a_bad_erp_address_is_listed_with_what_to_do_and_counted_in_the_metrics(
    mailchimp_emulator, netsuite_emulator, meltano
) -> None:
    [(customer_id,)] = netsuite_emulator.db.fetch(
        "SELECT id FROM customer WHERE email IS NOT NULL AND isinactive = 'F' ORDER BY id LIMIT 1"
    )
    netsuite_emulator.update_record("customer", customer_id, email="broken.address.example.com")

    run = meltano("--log-format=json", "run", "netsuite-to-mailchimp")

    assert "broken.address.example.com" not in members(mailchimp_emulator)
    # Meltano parsed the target's structured logs: the outcome counters arrive as metrics.
    events = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    outcomes = [
        event["metric_info"]
        for event in events
        if event.get("metric_info", {}).get("metric") == "record_outcome_count"
    ]
    failed = [
        metric["value"]
        for metric in outcomes
        if metric["tags"]["stream"] == "members" and metric["tags"]["outcome"] == "failed"
    ]
    assert failed == [1]

    listed = meltano("invoke", "target-mailchimp", "audit", "list", "--outcome", "failed")
    [line] = [row for row in listed.stdout.splitlines() if "broken.address.example.com" in row]
    assert line.split()[:4] == [
        "members",
        "broken.address.example.com",
        f"netsuite:{customer_id}",
        "failed",
    ]
    assert "is not a valid email address → Fix the email address in the ERP" in line

    exported = meltano("invoke", "target-mailchimp", "audit", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert "broken.address.example.com" in {row["record_key"] for row in rows}
    runs = meltano("invoke", "target-mailchimp", "audit", "runs").stdout.splitlines()
    assert len(runs) == 2  # the header and the one run
