"""Single-member endpoints: upsert, add, update, archive, permanent delete."""

from __future__ import annotations

import pytest
import requests
from sandbox_helpers import LIST, MEMBERS, problem, put_member

from erp_sandbox.mailchimp import MailchimpEmulator, subscriber_hash

VCR_MEMBER_FIELDS = {
    "id",
    "email_address",
    "unique_email_id",
    "contact_id",
    "email_type",
    "status",
    "merge_fields",
    "interests",
    "stats",
    "ip_signup",
    "timestamp_signup",
    "ip_opt",
    "timestamp_opt",
    "member_rating",
    "last_changed",
    "language",
    "vip",
    "email_client",
    "location",
    "tags_count",
    "tags",
    "list_id",
    "_links",
}


def test_put_creates_member_keyed_by_md5_of_lowercased_email(
    mailchimp_api: requests.Session,
) -> None:
    response = put_member(mailchimp_api, "Jane.Doe@Acme.io")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == subscriber_hash("jane.doe@acme.io")
    assert body["status"] == "subscribed"
    assert mailchimp_api.get(f"{MEMBERS}/{body['id']}").json()["email_address"] == (
        "Jane.Doe@Acme.io"
    )


def test_member_response_has_every_recorded_field(mailchimp_api: requests.Session) -> None:
    body = put_member(mailchimp_api, "jane@acme.io").json()
    assert set(body) >= VCR_MEMBER_FIELDS
    assert set(body["location"]) == {
        "latitude",
        "longitude",
        "gmtoff",
        "dstoff",
        "country_code",
        "timezone",
    }
    assert body["last_changed"].endswith("+00:00")


def test_merge_fields_echo_every_list_field_with_empty_strings(
    mailchimp_api: requests.Session,
) -> None:
    body = put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": "Jane"}).json()
    assert body["merge_fields"] == {"FNAME": "Jane", "LNAME": "", "ADDRESS": "", "PHONE": ""}


def test_path_accepts_email_address_and_contact_id(mailchimp_api: requests.Session) -> None:
    created = put_member(mailchimp_api, "jane@acme.io").json()
    by_email = mailchimp_api.get(f"{MEMBERS}/JANE@acme.io")
    by_contact = mailchimp_api.get(f"{MEMBERS}/{created['contact_id']}")
    assert by_email.json()["id"] == created["id"]
    assert by_contact.json()["id"] == created["id"]


def test_status_if_new_does_not_change_an_existing_member(
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "jane@acme.io", status_if_new="unsubscribed")
    again = put_member(mailchimp_api, "jane@acme.io", status_if_new="subscribed")
    assert again.status_code == 200
    assert again.json()["status"] == "unsubscribed"


def test_status_changes_an_existing_member(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    again = put_member(mailchimp_api, "jane@acme.io", status="unsubscribed")
    assert again.json()["status"] == "unsubscribed"


def test_put_new_member_without_any_status_is_refused(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.put(f"{MEMBERS}/jane@acme.io", json={"email_address": "jane@acme.io"})
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Invalid Resource"
    assert "status_if_new" in body["errors"][0]["message"]


def test_put_with_a_hash_of_another_address_is_refused(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.put(
        f"{MEMBERS}/{subscriber_hash('other@acme.io')}",
        json={"email_address": "jane@acme.io", "status_if_new": "subscribed"},
    )
    assert response.status_code == 400


def test_post_of_existing_member_is_400_member_exists(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    response = mailchimp_api.post(
        MEMBERS, json={"email_address": "jane@acme.io", "status": "subscribed"}
    )
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Member Exists"
    assert body["detail"] == (
        "jane@acme.io is already a list member. Use PUT to insert or update list members."
    )


def test_post_adds_a_member_with_tags(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(
        MEMBERS, json={"email_address": "jane@acme.io", "status": "subscribed", "tags": ["VIP"]}
    )
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["tags"]] == ["VIP"]


@pytest.mark.sends_invalid_requests
def test_post_without_status_fails_the_schema(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(MEMBERS, json={"email_address": "jane@acme.io"})
    assert response.status_code == 400
    body = problem(response)
    assert body["detail"].startswith("The resource submitted could not be validated.")
    assert body["errors"][0]["message"] == "Required fields were not provided: status"


@pytest.mark.sends_invalid_requests
def test_body_that_is_not_json_is_a_parse_error(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(
        MEMBERS, data=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert problem(response)["title"] == "JSON Parse Error"


def test_get_patch_delete_tags_of_missing_member_are_404(mailchimp_api: requests.Session) -> None:
    missing = f"{MEMBERS}/{subscriber_hash('nobody@acme.io')}"
    responses = [
        mailchimp_api.get(missing),
        mailchimp_api.patch(missing, json={"status": "subscribed"}),
        mailchimp_api.delete(missing),
        mailchimp_api.post(missing + "/tags", json={"tags": [{"name": "a", "status": "active"}]}),
        mailchimp_api.post(missing + "/actions/delete-permanent"),
    ]
    for response in responses:
        assert response.status_code == 404
        assert problem(response)["title"] == "Resource Not Found"


def test_unknown_list_is_404(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.get("/lists/nolist/members")
    assert response.status_code == 404
    assert problem(response)["detail"] == "The requested resource could not be found."


def test_patch_updates_only_what_it_sends(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": "Jane", "LNAME": "Doe"})
    response = mailchimp_api.patch(
        f"{MEMBERS}/jane@acme.io", json={"merge_fields": {"LNAME": "Roe"}, "vip": True}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["merge_fields"]["FNAME"] == "Jane"
    assert body["merge_fields"]["LNAME"] == "Roe"
    assert body["vip"] is True


def test_empty_string_clears_a_merge_value(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": "Jane"})
    body = put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": ""}).json()
    assert body["merge_fields"]["FNAME"] == ""


def test_delete_archives_the_member(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    response = mailchimp_api.delete(f"{MEMBERS}/jane@acme.io")
    assert response.status_code == 204
    assert response.content == b""
    assert mailchimp_api.get(f"{MEMBERS}/jane@acme.io").json()["status"] == "archived"
    listed = mailchimp_api.get(MEMBERS, params={"status": "archived"}).json()
    assert [m["email_address"] for m in listed["members"]] == ["jane@acme.io"]


def test_archived_member_can_be_resubscribed(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io", status_if_new="unsubscribed")
    mailchimp_api.delete(f"{MEMBERS}/jane@acme.io")
    response = put_member(mailchimp_api, "jane@acme.io", status="subscribed")
    assert response.status_code == 200
    assert response.json()["status"] == "subscribed"


def test_archived_member_can_be_posted_again(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    mailchimp_api.delete(f"{MEMBERS}/jane@acme.io")
    response = mailchimp_api.post(
        MEMBERS, json={"email_address": "jane@acme.io", "status": "subscribed"}
    )
    assert response.status_code == 200


def test_delete_permanent_forgets_the_member(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    response = mailchimp_api.post(f"{MEMBERS}/jane@acme.io/actions/delete-permanent")
    assert response.status_code == 204
    assert mailchimp_api.get(f"{MEMBERS}/jane@acme.io").status_code == 404


def test_forgotten_email_cannot_be_put_or_posted_back(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "jane@acme.io")
    mailchimp_api.post(f"{MEMBERS}/jane@acme.io/actions/delete-permanent")
    expected = (
        "jane@acme.io was permanently deleted and cannot be re-imported. The contact "
        "must re-subscribe to get back on the list."
    )
    for response in (
        put_member(mailchimp_api, "jane@acme.io"),
        mailchimp_api.post(MEMBERS, json={"email_address": "jane@acme.io", "status": "subscribed"}),
    ):
        assert response.status_code == 400
        body = problem(response)
        assert body["title"] == "Forgotten Email Not Subscribed"
        assert body["detail"] == expected


def test_last_changed_moves_on_change_and_not_on_a_no_op(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    clock = mailchimp_emulator.store.clock
    clock.freeze("2026-01-01T10:00:00+00:00")
    first = put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": "Jane"}).json()
    clock.advance(60)
    same = put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": "Jane"}).json()
    clock.advance(60)
    changed = put_member(mailchimp_api, "jane@acme.io", merge_fields={"FNAME": "J"}).json()
    assert first["last_changed"] == "2026-01-01T10:00:00+00:00"
    assert same["last_changed"] == first["last_changed"]
    assert changed["last_changed"] == "2026-01-01T10:02:00+00:00"


def test_list_endpoints_describe_the_default_list(mailchimp_api: requests.Session) -> None:
    lists = mailchimp_api.get("/lists").json()
    assert [lst["id"] for lst in lists["lists"]] == [LIST]
    assert lists["constraints"]["may_create"] is True
    put_member(mailchimp_api, "jane@acme.io")
    one = mailchimp_api.get(f"/lists/{LIST}").json()
    assert one["stats"]["member_count"] == 1


def test_post_lists_creates_an_audience(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(
        "/lists",
        json={
            "name": "Second",
            "contact": {
                "company": "Acme",
                "address1": "1 Main",
                "city": "Atlanta",
                "country": "US",
            },
            "permission_reminder": "You asked.",
            "campaign_defaults": {
                "from_name": "Acme",
                "from_email": "news@acme.io",
                "subject": "",
                "language": "en",
            },
            "email_type_option": False,
        },
    )
    assert response.status_code == 200
    new_id = response.json()["id"]
    assert "server" not in new_id
    assert mailchimp_api.get(f"/lists/{new_id}/merge-fields").json()["total_items"] == 4
