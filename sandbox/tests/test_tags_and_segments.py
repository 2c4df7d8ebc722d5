"""Tags are static segments: member tag endpoints and segment endpoints share one store."""

from __future__ import annotations

import requests
from sandbox_helpers import LIST, MEMBERS, problem, put_member

from erp_sandbox.mailchimp import MailchimpEmulator

SEGMENTS = f"/lists/{LIST}/segments"


def _tag(
    api: requests.Session, email: str, *tags: tuple[str, str], is_syncing: bool | None = None
) -> requests.Response:
    body: dict[str, object] = {"tags": [{"name": n, "status": s} for n, s in tags]}
    if is_syncing is not None:
        body["is_syncing"] = is_syncing
    return api.post(f"{MEMBERS}/{email}/tags", json=body)


def test_posting_an_active_unknown_tag_creates_it_and_returns_204(
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "a@acme.io")
    response = _tag(mailchimp_api, "a@acme.io", ("Gold", "active"))
    assert response.status_code == 204
    assert response.content == b""
    tags = mailchimp_api.get(f"{MEMBERS}/a@acme.io/tags").json()
    assert [t["name"] for t in tags["tags"]] == ["Gold"]
    assert tags["total_items"] == 1
    assert tags["tags"][0]["date_added"].endswith("+00:00")


def test_inactive_tag_is_removed(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "a@acme.io")
    _tag(mailchimp_api, "a@acme.io", ("Gold", "active"), ("Silver", "active"))
    _tag(mailchimp_api, "a@acme.io", ("Gold", "inactive"), ("Never", "inactive"))
    names = [t["name"] for t in mailchimp_api.get(f"{MEMBERS}/a@acme.io").json()["tags"]]
    assert names == ["Silver"]


def test_tags_appear_as_static_segments_with_member_counts(
    mailchimp_api: requests.Session,
) -> None:
    for email in ("a@acme.io", "b@acme.io"):
        put_member(mailchimp_api, email)
        _tag(mailchimp_api, email, ("Gold", "active"))
    segments = mailchimp_api.get(SEGMENTS, params={"type": "static"}).json()
    assert [(s["name"], s["member_count"], s["type"]) for s in segments["segments"]] == [
        ("Gold", 2, "static")
    ]


def test_created_static_segment_is_a_tag_on_its_members(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "a@acme.io")
    response = mailchimp_api.post(
        SEGMENTS, json={"name": "Imported", "static_segment": ["a@acme.io", "nobody@acme.io"]}
    )
    assert response.status_code == 200
    assert response.json()["member_count"] == 1
    names = [t["name"] for t in mailchimp_api.get(f"{MEMBERS}/a@acme.io").json()["tags"]]
    assert names == ["Imported"]


def test_segment_needs_static_segment_or_options(mailchimp_api: requests.Session) -> None:
    response = mailchimp_api.post(SEGMENTS, json={"name": "Nothing"})
    assert response.status_code == 400
    assert problem(response)["detail"] == (
        'Must provide either an "options" field or a "static_segment" field'
    )


def test_batch_add_and_remove_segment_members(mailchimp_api: requests.Session) -> None:
    for email in ("a@acme.io", "b@acme.io"):
        put_member(mailchimp_api, email)
    segment = mailchimp_api.post(
        SEGMENTS, json={"name": "Gold", "static_segment": ["b@acme.io"]}
    ).json()
    response = mailchimp_api.post(
        f"{SEGMENTS}/{segment['id']}",
        json={
            "members_to_add": ["a@acme.io", "stranger@acme.io"],
            "members_to_remove": ["b@acme.io"],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert [m["email_address"] for m in body["members_added"]] == ["a@acme.io"]
    assert [m["email_address"] for m in body["members_removed"]] == ["b@acme.io"]
    assert body["total_added"] == 1
    assert body["total_removed"] == 1
    assert body["error_count"] == 1
    assert body["errors"][0]["email_addresses"] == ["stranger@acme.io"]
    tagged = mailchimp_api.get(f"{MEMBERS}/a@acme.io/tags").json()["tags"]
    assert [t["name"] for t in tagged] == ["Gold"]


def test_segment_batch_over_500_is_refused(mailchimp_api: requests.Session) -> None:
    segment = mailchimp_api.post(SEGMENTS, json={"name": "Gold", "static_segment": []}).json()
    response = mailchimp_api.post(
        f"{SEGMENTS}/{segment['id']}",
        json={"members_to_add": [f"p{i}@acme.io" for i in range(501)]},
    )
    assert response.status_code == 400


def test_deleting_a_segment_removes_the_tag_from_members(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "a@acme.io")
    _tag(mailchimp_api, "a@acme.io", ("Gold", "active"))
    segment_id = mailchimp_api.get(SEGMENTS).json()["segments"][0]["id"]
    assert mailchimp_api.delete(f"{SEGMENTS}/{segment_id}").status_code == 204
    assert mailchimp_api.get(f"{MEMBERS}/a@acme.io").json()["tags"] == []


def test_segment_members_endpoints(mailchimp_api: requests.Session) -> None:
    put_member(mailchimp_api, "a@acme.io")
    segment = mailchimp_api.post(SEGMENTS, json={"name": "Gold", "static_segment": []}).json()
    url = f"{SEGMENTS}/{segment['id']}/members"
    assert mailchimp_api.post(url, json={"email_address": "a@acme.io"}).status_code == 200
    listed = mailchimp_api.get(url).json()
    assert [m["email_address"] for m in listed["members"]] == ["a@acme.io"]
    assert mailchimp_api.delete(f"{url}/a@acme.io").status_code == 204
    assert mailchimp_api.get(url).json()["total_items"] == 0


def test_unknown_segment_is_404(mailchimp_api: requests.Session) -> None:
    assert mailchimp_api.get(f"{SEGMENTS}/999999").status_code == 404
    response = mailchimp_api.post(f"{SEGMENTS}/999999", json={"members_to_add": []})
    assert response.status_code == 404


def test_tag_automations_fire_unless_is_syncing(
    mailchimp_emulator: MailchimpEmulator,
    mailchimp_api: requests.Session,
) -> None:
    put_member(mailchimp_api, "a@acme.io")
    _tag(mailchimp_api, "a@acme.io", ("Quiet", "active"), is_syncing=True)
    assert mailchimp_emulator.automations == []
    _tag(mailchimp_api, "a@acme.io", ("Loud", "active"))
    assert [(a["trigger"], a["tag"]) for a in mailchimp_emulator.automations] == [
        ("tag_added", "Loud")
    ]
