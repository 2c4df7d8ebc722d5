"""Small helpers the sandbox tests share."""

from __future__ import annotations

from typing import Any

import requests

from erp_sandbox.mailchimp import MailchimpEmulator

LIST = "sandboxlist"
MEMBERS = f"/lists/{LIST}/members"


def put_member(api: requests.Session, email: str, **body: Any) -> requests.Response:
    """PUT a member of the default list, creating it as subscribed unless told otherwise."""
    payload = {"email_address": email, "status_if_new": "subscribed", **body}
    return api.put(f"{MEMBERS}/{email}", json=payload)


def seed_members(emulator: MailchimpEmulator, *members: dict[str, Any]) -> None:
    """Put members straight into the default list, bypassing Mailchimp's rules (any
    status, tags, ``last_changed``)."""
    emulator.seed({"lists": [{"id": LIST, "members": list(members)}]})


def problem(response: requests.Response) -> dict[str, Any]:
    """The problem+json body, after checking it is one."""
    assert response.headers["content-type"] == "application/problem+json; charset=utf-8"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == response.status_code
    return body
