"""Mailchimp list webhooks: the probe, and events recorded in target-mailchimp's store."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from target_mailchimp.audit import AuditStore, LedgerEntry

from tests.conftest import MAILCHIMP_SECRET

LIST = "a1b2c3d4e5"


def form(kind: str, **data: str) -> dict[str, str]:
    fields = {"type": kind, "fired_at": "2026-11-25 10:00:00", "data[list_id]": LIST}
    fields.update({f"data[{key}]": value for key, value in data.items()})
    return fields


def post(service, fields, *, secret=MAILCHIMP_SECRET, **kwargs) -> requests.Response:
    return requests.post(
        f"{service.url}/mailchimp/{secret}",
        data=urlencode(fields) if isinstance(fields, dict) else fields,
        headers=kwargs.pop(
            "headers",
            {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "MailChimp.com"},
        ),
        timeout=10,
        **kwargs,
    )


def store_of(service) -> AuditStore:
    return AuditStore(str(service.config.mailchimp.audit_database_url))


def test_the_validation_probe_needs_the_secret(start_service) -> None:
    service = start_service()
    probe = {"User-Agent": "MailChimp.com WebHook Validator"}
    url = f"{service.url}/mailchimp"
    assert requests.get(f"{url}/{MAILCHIMP_SECRET}", headers=probe, timeout=10).status_code == 200
    assert (
        requests.get(f"{url}/wrong-secret-000000000", headers=probe, timeout=10).status_code == 401
    )
    assert requests.get(url, headers=probe, timeout=10).status_code == 401


def test_an_unsubscribe_is_known_to_the_target_before_its_next_run(start_service) -> None:
    service = start_service()
    store_of(service).save_statuses(LIST, {"ann@example.com": "subscribed"})
    response = post(
        service, form("unsubscribe", email="Ann@Example.com", action="unsub", reason="manual")
    )
    assert response.status_code == 200
    assert response.json() == {"recorded": True, "applied": True}
    assert store_of(service).statuses(LIST, ["ann@example.com"]) == {
        "ann@example.com": "unsubscribed"
    }


def test_cleaned_and_changed_addresses_are_recorded(start_service) -> None:
    service = start_service()
    store = store_of(service)
    store.save_ledger(LIST, {"old@example.com": LedgerEntry("h", [])})
    store.save_source_emails(LIST, {"C-7": "old@example.com"})
    upemail = form("upemail", old_email="old@example.com", new_email="new@example.com", new_id="x")
    assert post(service, upemail).status_code == 200
    assert store.emails_for_sources(LIST, ["C-7"]) == {"C-7": "new@example.com"}
    assert (
        post(service, form("cleaned", email="bounce@example.com", reason="hard")).status_code == 200
    )
    assert store.statuses(LIST, ["bounce@example.com"]) == {"bounce@example.com": "cleaned"}


def test_campaign_events_are_ignored_and_profile_events_kept(start_service) -> None:
    service = start_service()
    assert post(service, form("campaign", id="c1", subject="Hi")).json() == {"ignored": "campaign"}
    profile = form("profile", email="ann@example.com", **{"merges][FNAME": "Ann"})
    assert post(service, profile).json() == {"recorded": True, "applied": True}


def test_forged_and_malformed_events_are_refused(start_service) -> None:
    service = start_service(
        receivers={
            "mailchimp": {
                "path_secret": MAILCHIMP_SECRET,
                "audit_database_url": "sqlite:///:memory:",
                "list_ids": [LIST],
            }
        }
    )
    good = form("unsubscribe", email="ann@example.com")
    assert post(service, good, secret="wrong-secret-000000000").status_code == 401
    as_json = {"Content-Type": "application/json"}
    assert post(service, good, headers=as_json).status_code == 415
    assert post(service, b"type=unsubscribe&&&data[=%ZZ").status_code == 400
    assert post(service, b"\xff\xfe").status_code == 400
    assert post(service, form("unsubscribe")).status_code == 400  # no email
    assert post(service, {**good, "fired_at": "yesterday"}).status_code == 400
    assert post(service, {**good, "type": "bogus"}).status_code == 400
    assert post(service, {**good, "data[list_id]": "another"}).status_code == 403
    assert post(service, b"x" * 5000).status_code == 413
